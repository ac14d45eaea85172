"""Every PDF the platform makes embeds its font (a TrueType subset, ``core.pdf``), gives its text
back (Chinese and "·" included) and has no empty page."""

import io
import re

from pypdf import PdfReader


def _fonts(resources):
    fonts = (resources or {}).get("/Font") or {}
    for ref in fonts.values():
        font = ref.get_object()
        yield font
        for child in font.get("/DescendantFonts") or []:
            yield child.get_object()


def assert_embedded_pdf(data, *texts):
    """Return the PDF's text (whitespace removed) after checking every page."""
    reader = PdfReader(io.BytesIO(data))
    assert reader.pages, "a PDF without pages"
    parts = []
    for number, page in enumerate(reader.pages, 1):
        text = page.extract_text() or ""
        assert text.strip(), f"page {number} is empty"
        parts.append(text)
        fonts = list(_fonts(page.get("/Resources")))
        assert fonts, f"page {number} has no font"
        for font in fonts:
            if font.get("/Subtype") == "/Type0":
                continue  # its descendant carries the descriptor
            descriptor = (
                (font.get("/FontDescriptor") or {}).get_object()
                if font.get("/FontDescriptor")
                else {}
            )
            assert "/FontFile2" in descriptor, f"font {font.get('/BaseFont')} is not embedded"
    flat = re.sub(r"\s+", "", "".join(parts))
    for text in texts:
        assert re.sub(r"\s+", "", text) in flat, f"{text!r} not in the PDF's text"
    return flat

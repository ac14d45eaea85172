"""One CJK font for every PDF the platform makes (reportlab), embedded as a TrueType subset.

reportlab's built-in CID fonts (STSong-Light) are not embedded: the reader's own font is used, and
some readers draw boxes for characters such as "·". Debian's Noto CJK fonts are CFF (OpenType),
which reportlab cannot embed. The font here is WenQuanYi Micro Hei, a TrueType collection shipped
by the ``paperang-p2-fonts-cjk`` wheel (a pyproject dependency, so ``make install`` brings it; the
font's licence: Apache 2.0 or GPLv3 with the font exception — embedding is allowed). Only the
glyphs a document uses are embedded (``FontFile2``), and text extracts back as Unicode.
"""

from __future__ import annotations

import importlib.resources
from functools import cache

FONT = "FengqiaoCJK"


@cache
def font_path() -> str:
    """The TrueType collection file (also used by Pillow for the PNG poster)."""
    return str(importlib.resources.files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc")


def register_cjk_font() -> str:
    """Register the font with reportlab once per process (bold and italic map to it too, so
    ``<b>`` in a Paragraph stays in it) and make it every canvas's initial font, so no PDF
    refers to a standard font that is not embedded. Returns the font name."""
    from reportlab import rl_config
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, font_path(), subfontIndex=0))
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(FONT, bold, italic, FONT)
    rl_config.canvas_basefontname = FONT
    return FONT

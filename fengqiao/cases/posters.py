"""The printable QR poster of a grid: PNG (segno + Pillow) and PDF (reportlab, the embedded CJK font of ``core.pdf``)."""

import io

import segno
from django.utils.translation import gettext as _

from fengqiao.core.pdf import font_path, register_cjk_font


def qr_png(url, scale=10) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def qr_svg(url, scale=4) -> str:
    return segno.make(url, error="m", micro=False).svg_inline(scale=scale)


def poster_png(grid, url, assistant_url="") -> bytes:
    """A portrait poster: title, grid name, the code, the address underneath (and the
    assistant's address: residents' questions, with a hand-off to the community officer)."""
    from PIL import Image, ImageDraw, ImageFont

    qr = Image.open(io.BytesIO(qr_png(url, scale=14))).convert("RGB")
    width, height = 1240, 1754  # A4 at 150 dpi
    poster = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(poster)
    font_big = _cjk_font(ImageFont, 72)
    font_mid = _cjk_font(ImageFont, 48)
    font_small = _cjk_font(ImageFont, 30)
    draw.rectangle([0, 0, width, 40], fill=(184, 50, 42))
    _centre(draw, width, 120, _("有事扫一扫 · 随手拍"), font_big, (184, 50, 42))
    _centre(draw, width, 230, grid.full_name if grid.parent_id else grid.name, font_mid, "black")
    qr = qr.resize((900, 900))
    poster.paste(qr, ((width - 900) // 2, 340))
    lines = [
        _("矛盾纠纷、安全隐患、市容环境、噪音扰民……"),
        _("扫码反映，凭查询码跟踪办理进度并评价"),
        url,
    ]
    if assistant_url:
        lines += [_("有疑问？问智能助手（可转社区民警）"), assistant_url]
    for index, line in enumerate(lines):
        _centre(draw, width, 1300 + index * 70, line, font_small, "black")
    out = io.BytesIO()
    poster.save(out, "PNG", optimize=True)
    return out.getvalue()


def _cjk_font(ImageFont, size):
    for path in (
        font_path(),
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    ):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _centre(draw, width, y, text, font, fill):
    box = draw.textbbox((0, 0), text, font=font)
    draw.text(((width - (box[2] - box[0])) / 2, y), text, font=font, fill=fill)


def poster_pdf(grid, url, assistant_url="") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    font = register_cjk_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, initialFontName=font)
    width, height = A4
    pdf.setTitle(f"{grid.name} — {_('扫码反映')}")
    pdf.setFillColorRGB(0.72, 0.2, 0.16)
    pdf.rect(0, height - 20, width, 20, fill=1, stroke=0)
    pdf.setFont(font, 34)
    pdf.drawCentredString(width / 2, height - 90, _("有事扫一扫 · 随手拍"))
    pdf.setFillColorRGB(0, 0, 0)
    pdf.setFont(font, 22)
    pdf.drawCentredString(width / 2, height - 135, grid.full_name if grid.parent_id else grid.name)
    side = 360
    pdf.drawImage(
        ImageReader(io.BytesIO(qr_png(url, scale=12))),
        (width - side) / 2,
        height - 170 - side,
        side,
        side,
    )
    pdf.setFont(font, 14)
    y = height - 210 - side
    for line in (
        _("矛盾纠纷、安全隐患、市容环境、噪音扰民……"),
        _("扫码反映，凭查询码跟踪办理进度并评价"),
    ):
        pdf.drawCentredString(width / 2, y, line)
        y -= 24
    pdf.setFont(font, 11)
    pdf.drawCentredString(width / 2, y - 6, url)
    if assistant_url:
        pdf.setFont(font, 14)
        pdf.drawCentredString(width / 2, y - 40, _("有疑问？问智能助手（可转社区民警）"))
        pdf.setFont(font, 11)
        pdf.drawCentredString(width / 2, y - 60, assistant_url)
    pdf.showPage()
    pdf.save()
    return out.getvalue()

"""The mediation agreement (调解协议书) as docx (python-docx) and PDF (reportlab, the embedded CJK
font of ``core.pdf``).

Both carry every part 人民调解法 第二十九条 names: the parties' basic information; the main facts,
the matters in dispute and each party's responsibility; the agreed terms; how and by when they are
performed; plus signature lines for the parties and the mediator, the committee's seal place, the
unique number and the integrity code. Everything is generated offline (the embedded CJK font of ``core.pdf``).
"""

from io import BytesIO

from fengqiao.core.pdf import FONT as CJK_FONT
from fengqiao.core.pdf import register_cjk_font

SECTION_PARTIES = "一、当事人基本情况"
SECTION_FACTS = "二、纠纷的主要事实、争议事项及各方当事人的责任"
SECTION_TERMS = "三、经调解，当事人自愿达成如下协议"
SECTION_PERFORMANCE = "四、履行方式和期限"
SECTION_SIGN = "五、签署"
TITLE = "人民调解协议书"

LAW_NOTE = (
    "本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效"
    "（《中华人民共和国人民调解法》第二十九条）。本协议具有法律约束力，当事人应当按照约定履行"
    "（第三十一条）。双方当事人认为有必要的，可以自本协议生效之日起三十日内共同向人民法院申请司法确认"
    "（第三十三条）。"
)


def _party_lines(party):
    kind_org = party.get("kind") == "organisation"
    head = f"{party['side']}：{party['name']}"
    if kind_org:
        lines = [
            head,
            f"统一社会信用代码：{party.get('id_number', '')}",
            f"法定代表人：{party.get('legal_representative') or '—'}",
            f"住所：{party.get('address', '')}",
        ]
    else:
        gender = f"，{party['gender']}" if party.get("gender") else ""
        lines = [
            head + gender,
            f"身份证号码：{party.get('id_number', '')}",
            f"住址：{party.get('address', '')}",
        ]
    if party.get("phone"):
        lines.append(f"联系电话：{party['phone']}")
    if party.get("representative"):
        relation = party.get("representative_relation") or "代理人"
        lines.append(f"委托代理人：{party['representative']}（{relation}）")
    return lines


def blocks(content, info):
    """The document as (kind, text) blocks, shared by the docx and the PDF writers."""
    out = [("title", TITLE)]
    out.append(("meta", f"编号：{info['number']}    第{info['version']}版"))
    if info["state"] == "draft":
        out.append(("warn", "【草稿，经各方签署并盖章后生效】"))
    elif info["state"] == "superseded":
        out.append(("warn", "【本版本已被新版本取代】"))
    out.append(("meta", f"调解组织：{content['committee']}    纠纷类型：{content['type']}"))
    out.append(("heading", SECTION_PARTIES))
    for party in content["parties"]:
        for i, line in enumerate(_party_lines(party)):
            out.append(("para" if i == 0 else "indent", line))
    out.append(("heading", SECTION_FACTS))
    out.append(("label", "（一）纠纷的主要事实"))
    out.append(("para", content["facts"]))
    out.append(("label", "（二）争议事项"))
    out.append(("para", content["issues"]))
    out.append(("label", "（三）各方当事人的责任"))
    out.append(("para", content["responsibilities"]))
    out.append(("heading", SECTION_TERMS))
    for i, term in enumerate(content["terms"], start=1):
        out.append(("para", f"{i}. {term['text']}（履行期限：{term['due_on']}前）"))
    out.append(("heading", SECTION_PERFORMANCE))
    out.append(("para", f"履行方式：{content['performance_manner']}"))
    out.append(("para", f"履行期限：全部条款于 {content['performance_due']} 前履行完毕。"))
    out.append(("para", LAW_NOTE))
    out.append(("heading", SECTION_SIGN))
    for party in content["parties"]:
        out.append(
            ("sign", f"{party['side']}（签名、盖章或按指印）：____________    日期：________")
        )
    out.append(("sign", f"人民调解员（签名）：____________    （{content['mediator']}）"))
    out.append(("sign", f"{content['committee']}（印章）"))
    out.append(("seal", "〔人民调解委员会印章处〕"))
    out.append(("sign", f"制作日期：{content['made_on']}"))
    out.append(("code", f"协议编号：{info['number']}    完整性校验码：{info['code']}"))
    out.append(("code", "核验：工作人员登录枫桥平台“协议核验”，输入协议编号与校验码。"))
    return out


def docx_bytes(content, info) -> bytes:
    return _docx(blocks(content, info), f"{TITLE} {info['number']}", info["number"], info["code"])


def _docx(block_list, title, identifier, footer_code) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    props = doc.core_properties
    props.title = title
    props.identifier = identifier
    for kind, text in block_list:
        if kind == "title":
            para = doc.add_heading(text, level=0)
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "heading":
            doc.add_heading(text, level=2)
        elif kind in ("meta", "warn", "seal"):
            para = doc.add_paragraph(text)
            para.alignment = (
                WD_ALIGN_PARAGRAPH.CENTER if kind != "seal" else WD_ALIGN_PARAGRAPH.RIGHT
            )
        elif kind == "indent":
            para = doc.add_paragraph(text)
            para.paragraph_format.left_indent = Pt(24)
        elif kind == "label":
            para = doc.add_paragraph()
            para.add_run(text).bold = True
        elif kind == "code":
            para = doc.add_paragraph()
            run = para.add_run(text)
            run.font.size = Pt(9)
        else:
            doc.add_paragraph(text)
    section = doc.sections[0]
    section.footer.paragraphs[0].text = f"{identifier} · {footer_code}"
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


FONT = CJK_FONT


def _font():
    return register_cjk_font()  # embedded TrueType subset (core.pdf)


def pdf_bytes(content, info) -> bytes:
    return _pdf(
        blocks(content, info),
        f"{TITLE} {info['number']}",
        f"{info['number']} · {info['code']}",
        content["committee"],
    )


def _pdf(block_list, title, footer_text, author) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font = _font()
    base = ParagraphStyle("base", fontName=font, fontSize=11, leading=17, wordWrap="CJK")
    styles = {
        "title": ParagraphStyle(
            "title", parent=base, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=6
        ),
        "meta": ParagraphStyle("meta", parent=base, alignment=TA_CENTER, fontSize=10),
        "warn": ParagraphStyle("warn", parent=base, alignment=TA_CENTER, textColor="#b00020"),
        "heading": ParagraphStyle(
            "heading", parent=base, fontSize=13, leading=20, spaceBefore=8, spaceAfter=2
        ),
        "label": ParagraphStyle("label", parent=base, spaceBefore=2),
        "para": ParagraphStyle("para", parent=base, firstLineIndent=0),
        "indent": ParagraphStyle("indent", parent=base, leftIndent=8 * mm),
        "sign": ParagraphStyle("sign", parent=base, spaceBefore=10),
        "seal": ParagraphStyle(
            "seal", parent=base, alignment=TA_RIGHT, textColor="#b00020", spaceBefore=6
        ),
        "code": ParagraphStyle("code", parent=base, fontSize=8.5, leading=12, spaceBefore=6),
    }
    buffer = BytesIO()

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"{footer_text} · 第{doc.page}页")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        initialFontName=font,
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=title,
        author=author,
        invariant=1,
    )
    story = []
    for kind, text in block_list:
        story.append(Paragraph(escape(text).replace("\n", "<br/>"), styles[kind]))
        if kind == "title":
            story.append(Spacer(1, 2 * mm))
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# -- 听证笔录 (L4 hearing minutes) --------------------------------------------------------------
MINUTES_TITLE = "听证笔录"


def minutes_blocks(minutes):
    """The hearing minutes with the participants' clear names and signature lines: the
    participants check and sign the minutes (``services.hearing_minutes_document``, audited)."""
    out = [("title", MINUTES_TITLE)]
    out.append(("meta", f"纠纷编号：{minutes['dispute_number']}    {minutes['title']}"))
    out.append(("meta", f"调解组织：{minutes['committee']}"))
    out.append(("para", f"听证时间：{minutes['held_at']}"))
    out.append(("para", f"听证地点：{minutes['location']}"))
    out.append(("para", f"主持人：{minutes['chair']}"))
    out.append(("heading", "参加人"))
    for person in minutes["participants"]:
        out.append(("indent", f"{person['role']}：{person['name']}"))
    for label, key in (
        ("当事人陈述", "statements"),
        ("申辩", "defence"),
        ("评议", "deliberation"),
        ("听证意见", "decision"),
        ("笔录", "minutes"),
    ):
        out.append(("heading", label))
        out.append(("para", minutes[key]))
    out.append(("heading", "签名"))
    out.append(("para", "以上笔录经参加人核对无误。"))
    for person in minutes["participants"]:
        out.append(("sign", f"{person['role']} {person['name']}（签名）：____________"))
    out.append(("sign", f"主持人（签名）：____________    （{minutes['chair']}）"))
    return out


def minutes_bytes(minutes, fmt) -> bytes:
    title = f"{MINUTES_TITLE} {minutes['dispute_number']}"
    ref = f"{minutes['dispute_number']}-TZ{minutes['hearing_id']}"
    if fmt == "docx":
        return _docx(minutes_blocks(minutes), title, ref, minutes["held_at"])
    return _pdf(
        minutes_blocks(minutes), title, f"{ref} · {minutes['held_at']}", minutes["committee"]
    )

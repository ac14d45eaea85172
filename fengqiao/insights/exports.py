"""The figures as a workbook (openpyxl) and a PDF (reportlab, the embedded CJK font of ``core.pdf``, so
nothing is fetched). One ``collect`` feeds both, so they show the same numbers as the board."""

from io import BytesIO

from django.utils.translation import gettext as _

from fengqiao.core import exports as core_exports
from fengqiao.core.pdf import FONT as CJK_FONT
from fengqiao.core.pdf import register_cjk_font

from . import figures, services
from .templatetags.insights_tags import fmt_change, fmt_value

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FONT = CJK_FONT

TABLE_COLUMNS = (
    ("accepted", _("立案数"), "count"),
    ("closed", _("结案数"), "count"),
    ("due", _("应结案数"), "count"),
    ("close_rate", _("结案率"), "rate"),
    ("on_time_rate", _("按期结案率"), "rate"),
    ("rework_rate", _("返工率"), "rate"),
    ("extension_rate", _("延期率"), "rate"),
    ("mean_hours_to_close", _("平均办结时长（小时）"), "hours"),
    ("arrival_rate", _("紧急事件10分钟到场率"), "rate"),
    ("satisfaction_rate", _("满意率"), "rate"),
)


def safe(value):
    """A spreadsheet cell that cannot run as a formula (``core.exports``)."""
    return core_exports.safe_cell(value)


def collect(actor, span, *, where=None, by=None):
    """The sections the actor may see: [(title, header, rows)] with display strings."""
    title = _("统计报表 %(start)s 至 %(end)s") % {"start": span.start, "end": span.end}
    if where is not None:
        title = f"{where.name} {title}"
    sections = []
    if actor.has_perm("cases.view_figures"):
        board = services.case_board(actor, span, where=where, by=by)
        sections.append(
            (
                _("事件主要指标"),
                [_("指标"), _("本期"), _("上期"), _("环比"), _("去年同期"), _("同比")],
                [
                    [
                        k["label"],
                        fmt_value(k["value"], k["kind"]),
                        fmt_value(k["previous"], k["kind"]),
                        fmt_change(k["mom"], k["kind"]),
                        fmt_value(k["year_before"], k["kind"]),
                        fmt_change(k["yoy"], k["kind"]),
                    ]
                    for k in board["kpis"]
                ],
            )
        )
        sections.append(
            (
                str(figures.GROUPS[board["by"]]),
                [""] + [str(label) for _key, label, _kind in TABLE_COLUMNS],
                [
                    [str(r["label"])] + [fmt_value(r[k], kind) for k, _l, kind in TABLE_COLUMNS]
                    for r in board["rows"]
                ],
            )
        )
    if actor.has_perm("disputes.view_dispute_figures"):
        d = services.dispute_board(actor, span, where=where)
        sections.append(
            (
                _("矛盾纠纷主要指标"),
                [_("指标"), _("数值")],
                [
                    [_("登记数"), str(d["total"])],
                    [_("化解数"), str(d["resolved"])],
                    [_("化解率"), fmt_value(d["resolution_rate"])],
                    [_("调解成功率"), fmt_value(d["success_rate"])],
                    [_("村级化解占比"), fmt_value(d["resolved_in_village_share"])],
                    [_("反复纠纷"), str(d["recurrences"])],
                    [_("反复率"), fmt_value(d["recurrence_rate"])],
                ],
            )
        )
        sections.append(
            (
                _("按类型"),
                [_("类型"), _("件数")],
                [[r["type"], str(r["n"])] for r in d["by_type"]],
            )
        )
        sections.append(
            (
                _("按层级"),
                [_("层级"), _("在调"), _("调解次数"), _("成功率"), _("在此层级化解")],
                [
                    [
                        r["label"],
                        str(r["current"]),
                        str(r["attempts"]),
                        fmt_value(r["success_rate"]),
                        str(r["resolved"]),
                    ]
                    for r in d["levels"]
                ],
            )
        )
    if actor.has_perm("risks.view_risk_figures"):
        r = services.risk_board(actor, span, where=where)
        colours = {"red": _("红色"), "orange": _("橙色"), "blue": _("蓝色"), "green": _("绿色")}
        sections.append(
            (
                _("风险"),
                [_("指标"), _("数值")],
                [[colours[c["level"]], str(c["n"])] for c in r["by_colour"]]
                + [
                    [_("本期排查发现"), str(r["found"])],
                    [_("本期销号"), str(r["closed_out"])],
                    [_("按时会商率"), fmt_value(r["reviews_on_time_rate"])],
                ],
            )
        )
    if actor.has_perm("fieldwork.view_visit"):
        v = services.visit_board(actor, span, where=where)
        sections.append(
            (
                _("走访完成情况"),
                [_("民警"), _("已走访（户次）"), _("目标"), _("完成率")],
                [
                    [o["name"], str(o["done"]), str(o["target"]), fmt_value(o["rate"], "rate")]
                    for o in v["officers"]
                ]
                + [[_("合计"), str(v["done"]), str(v["target"]), fmt_value(v["rate"], "rate")]],
            )
        )
    if actor.has_perm("registry.view_foreignerstay"):
        st = services.stay_board(actor, span, where=where)
        sections.append(
            (
                _("境外人员住宿登记"),
                [_("指标"), _("数值")],
                [
                    [_("本期登记"), str(st["reported"])],
                    [_("本期核查"), str(st["checked"])],
                    [_("按时核查率"), fmt_value(st["checked_on_time_rate"], "rate")],
                    [_("待核查"), str(st["pending"])],
                    [_("超期未核查"), str(st["overdue"])],
                ],
            )
        )
    return {"title": title, "sections": sections}


def xlsx_bytes(report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("统计")[:31]
    ws.append([safe(report["title"])])
    ws["A1"].font = Font(bold=True, size=14)
    for title, header, rows in report["sections"]:
        ws.append([])
        ws.append([safe(str(title))])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
        ws.append([safe(str(h)) for h in header])
        for row in rows:
            ws.append([safe(str(c)) for c in row])
    ws.column_dimensions["A"].width = 28
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _font():
    return register_cjk_font()  # embedded TrueType subset (core.pdf)


def pdf_bytes(report) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    title_style = ParagraphStyle("title", parent=base, fontSize=16, leading=22)
    heading = ParagraphStyle("heading", parent=base, fontSize=12, leading=18, spaceBefore=8)
    out = BytesIO()
    doc = SimpleDocTemplate(
        out,
        initialFontName=font,
        pagesize=landscape(A4),
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=str(report["title"]),
    )
    story = [Paragraph(escape(str(report["title"])), title_style), Spacer(1, 4 * mm)]
    for title, header, rows in report["sections"]:
        story.append(Paragraph(escape(str(title)), heading))
        data = [[Paragraph(escape(str(c)), base) for c in row] for row in [header, *rows]]
        table = Table(data, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f3f5")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        story.append(table)
    doc.build(story)
    return out.getvalue()


def evaluation_report(data, where=None):
    """The evaluation board as one section: rank, unit, each indicator, score; then the weights."""
    title = _("绩效考核 %(start)s 至 %(end)s") % data["period"]
    if where is not None:
        title = f"{where.name} {title}"
    keys = [w["key"] for w in data["weights"]]
    header = [_("排名"), _("单位"), *[w["label"] for w in data["weights"]], _("得分")]
    rows = [
        [
            str(r["rank"] or "—"),
            r["label"],
            *[fmt_value(r["values"][k], "rate") for k in keys],
            "—" if r["score"] is None else f"{r['score']:.1f}",
        ]
        for r in data["rows"]
    ]
    weights = [[w["label"], str(w["weight"])] for w in data["weights"]]
    return {
        "title": title,
        "sections": [
            (_("考核结果"), header, rows),
            (_("指标权重"), [_("指标"), _("权重")], weights),
        ],
    }


def villages_report(actor, rows, towns):
    """无案村: the share 达标 per town, then each village with its status and the unmet criteria
    (counts only: the offending records are listed on the pages, scoped)."""
    from . import villages

    first = rows[0] if rows else None
    title = _("无案村评定")
    if first is not None:
        title = f"{title} {first.start} — {first.end}"
    town_rows = [
        [
            t["name"],
            str(t["villages"]),
            str(t["met"]),
            fmt_value(t["share"], "rate"),
            str(t["confirmed"]),
        ]
        for t in towns
    ]
    village_rows = []
    for status in rows:
        reasons = villages.visible_reasons(actor, status)
        village_rows.append(
            [
                status.place.parent.name if status.place.parent_id else "",
                status.place.code,
                status.place.name,
                _("达标") if status.met else _("未达标"),
                str(status.get_state_display()),
                "；".join(f"{r['name']}（{r['count']}）" for r in reasons),
            ]
        )
    return {
        "title": title,
        "sections": [
            (
                _("各乡镇（街道）达标率"),
                [_("乡镇（街道）"), _("村（社区）数"), _("达标"), _("达标率"), _("已确认")],
                town_rows,
            ),
            (
                _("各村（社区）评定结果"),
                [
                    _("乡镇（街道）"),
                    _("区划代码"),
                    _("村（社区）"),
                    _("结果"),
                    _("状态"),
                    _("未达标原因"),
                ],
                village_rows,
            ),
        ],
    }

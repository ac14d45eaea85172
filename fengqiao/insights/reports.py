"""Situation reports (情况通报): weekly and monthly, for a place, as PDF (the embedded CJK font of
``core.pdf``, via ``exports.pdf_bytes``) or docx — the period's figures (the same sections as the
board's export), the top issues, the overdue work and the risk board, each only where the reader
holds the permission.

Periods: ``week`` = Monday–Sunday of the week before the one holding ``day`` (default today);
``month`` = the calendar month before the one holding ``day``. So a report run on any day of a
week/month covers the last complete one.
"""

from datetime import timedelta
from io import BytesIO

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from . import exports, services
from .figures import Period

KINDS = ("week", "month")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TOP = 10
LISTED = 20


def report_period(kind, day=None):
    day = day or timezone.localdate()
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period(monday - timedelta(days=7), monday - timedelta(days=1))
    first = day.replace(day=1)
    last = first - timedelta(days=1)
    return Period(last.replace(day=1), last)


def situation_report(actor, kind, *, where=None, day=None):
    """The report's title and sections [(title, header, rows)] for what the actor may see."""
    from django.utils.formats import date_format

    services.need(actor, "insights.export_figures")
    if kind not in KINDS:
        from fengqiao.core.errors import ServiceError

        raise ServiceError(_("报告类型不正确"), code="invalid", details={"field": "kind"})
    span = report_period(kind, day)
    name = where.name if where is not None else _("辖区")
    title = (_("%(place)s 每周情况通报") if kind == "week" else _("%(place)s 每月情况通报")) % {
        "place": name
    }
    subtitle = _("统计期间 %(start)s 至 %(end)s") % {
        "start": date_format(span.start, "Y-m-d"),
        "end": date_format(span.end, "Y-m-d"),
    }
    sections = list(exports.collect(actor, span, where=where)["sections"])
    if actor.has_perm("cases.view_figures"):
        sections.append(_top_issues(actor, span, where))
        sections.append(_overdue(actor, span, where))
    if actor.has_perm("insights.view_alert"):
        a = services.alert_board(actor, span, where=where)
        sections.append(
            (
                _("警情（110/12345）"),
                [_("警情类别"), _("本期"), _("去年同期"), _("同比")],
                [
                    [
                        r["category"],
                        str(r["n"]),
                        str(r["year_before"]),
                        exports.fmt_change(r["yoy"], "count"),
                    ]
                    for r in a["categories"][:TOP]
                ],
            )
        )
    if actor.has_perm("risks.view_risk_figures"):
        sections.append(_risk_board(actor, where))
    return {
        "title": f"{title} · {subtitle}",
        "kind": kind,
        "period": {"start": span.start.isoformat(), "end": span.end.isoformat()},
        "sections": sections,
    }


def _top_issues(actor, span, where):
    rows = services.case_rows(actor, where)
    low, high = span.bounds()
    top = (
        rows.filter(reported_at__gte=low, reported_at__lt=high)
        .values("category__name")
        .annotate(n=Count("id"))
        .order_by("-n", "category__name")[:TOP]
    )
    return (
        _("突出问题（反映最多的类别）"),
        [_("类别"), _("件数")],
        [[t["category__name"], str(t["n"])] for t in top],
    )


def _overdue(actor, span, where):
    from fengqiao.cases.models import Case

    now = timezone.now()
    rows = (
        services.case_rows(actor, where)
        .filter(state__in=Case.OPEN_STATES, next_due_at__lt=now)
        .select_related("category", "place")
        .order_by("next_due_at", "pk")
    )
    total = rows.count()
    listed = [
        [
            c.tracking_code,
            c.category.name,
            c.place.name,
            timezone.localtime(c.next_due_at).strftime("%Y-%m-%d %H:%M"),
            c.get_state_display(),
        ]
        for c in rows[:LISTED]
    ]
    return (
        _("超期在办事件（共 %(n)d 件）") % {"n": total},
        [_("查询码"), _("类别"), _("网格"), _("时限"), _("状态")],
        listed,
    )


def _risk_board(actor, where):
    from django.db.models import Q

    from fengqiao.risks.models import Risk

    rows = Risk.objects.filter(services.jurisdiction_q(actor), state__in=Risk.ON_REGISTER)
    if where is not None:
        rows = rows.filter(place_path__startswith=where.path)
    rows = rows.filter(Q(level="red") | Q(level="orange")).select_related("place")
    colours = {"red": _("红色"), "orange": _("橙色")}
    listed = [
        [r.number, r.title, r.place.name, colours[r.level]]
        for r in rows.order_by("level", "number")[:LISTED]
    ]
    return (
        _("风险看板（红色、橙色预警）"),
        [_("编号"), _("风险名称"), _("地点"), _("预警等级")],
        listed,
    )


def pdf_bytes(report) -> bytes:
    return exports.pdf_bytes(report)


def docx_bytes(report) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    doc.core_properties.title = str(report["title"])
    doc.add_heading(str(report["title"]), level=1)
    for title, header, rows in report["sections"]:
        doc.add_heading(str(title), level=2)
        if not rows:
            doc.add_paragraph(_("无"))
            continue
        table = doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.text = str(text)
        for row in rows:
            for cell, text in zip(table.add_row().cells, row, strict=True):
                cell.text = str(text)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def parse_day(value):
    from django.utils.dateparse import parse_date

    try:
        return parse_date(value) if value else None
    except ValueError:
        return None

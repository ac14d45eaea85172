"""Weekly and monthly situation reports: the period rules, the sections (figures, top issues,
overdue work, risk board), PDF with the embedded CJK font and docx, scoped to the reader."""

import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from fengqiao.cases.models import Case
from fengqiao.insights import reports
from fengqiao.insights.figures import Period
from tests.cases.helpers import claimed, make_case
from tests.conftest import login
from tests.pdfcheck import assert_embedded_pdf
from tests.risks import helpers as risk_helpers

pytestmark = pytest.mark.django_db


def test_report_periods():
    assert reports.report_period("week", date(2026, 12, 9)) == Period(
        date(2026, 11, 30), date(2026, 12, 6)
    )
    assert reports.report_period("week", date(2026, 12, 7)) == Period(
        date(2026, 11, 30), date(2026, 12, 6)
    )
    assert reports.report_period("month", date(2026, 3, 15)) == Period(
        date(2026, 2, 1), date(2026, 2, 28)
    )
    assert reports.report_period("month", date(2026, 1, 1)) == Period(
        date(2025, 12, 1), date(2025, 12, 31)
    )


def _sections(report):
    return {str(t).split("（")[0]: (t, rows) for t, _h, rows in report["sections"]}


def test_weekly_report_sections_pdf_and_docx(client, county, users, users_b):
    span = reports.report_period("week")
    last_week = timezone.make_aware(
        timezone.datetime.combine(span.start + timedelta(days=2), timezone.datetime.min.time())
    ) + timedelta(hours=10)
    for code in ("safety_fire", "safety_fire", "cityscape"):
        case = make_case(county.grid_a, code=code)
        Case.objects.filter(pk=case.pk).update(reported_at=last_week)
    late = claimed(county.grid_a, users, county)
    Case.objects.filter(pk=late.pk).update(next_due_at=timezone.now() - timedelta(hours=3))
    risk = risk_helpers.approved(county.grid_a, users, level="red")
    b_case = claimed(county.grid_b, users_b, county)
    Case.objects.filter(pk=b_case.pk).update(next_due_at=timezone.now() - timedelta(hours=3))

    report = reports.situation_report(users["dispatcher"], "week")
    assert report["period"] == {"start": span.start.isoformat(), "end": span.end.isoformat()}
    s = _sections(report)
    _t, top = s["突出问题"]
    assert top == [["消防隐患", "2"], ["市容环境", "1"]]
    title, overdue = s["超期在办事件"]
    assert "共 1 件" in str(title)  # grid B's overdue case is not in grid A's report
    assert [row[0] for row in overdue] == [late.tracking_code]
    _t, board = s["风险看板"]
    assert [row[0] for row in board] == [risk.number]
    assert "事件主要指标" in s

    pdf = reports.pdf_bytes(report)
    text = assert_embedded_pdf(pdf, "每周情况通报", late.tracking_code)
    assert b_case.tracking_code not in text
    from docx import Document

    doc = Document(io.BytesIO(reports.docx_bytes(report)))
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert late.tracking_code in cells and risk.number in cells and "消防隐患" in cells

    login(client, users["dispatcher"])
    page = client.get("/insights/reports/?kind=week").content.decode()
    assert 'id="report"' in page and late.tracking_code in page
    r = client.get("/insights/reports/month.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert_embedded_pdf(r.content, "每月情况通报")
    r = client.get("/insights/reports/week.docx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    api = client.get("/api/v1/insights/reports/week").json()
    assert api["period"]["start"] == span.start.isoformat()
    assert any(sec["rows"] == [["消防隐患", "2"], ["市容环境", "1"]] for sec in api["sections"])
    assert client.get("/api/v1/insights/reports/year").status_code == 400
    assert client.get(f"/insights/reports/week.pdf?place={county.grid_b.code}").status_code == 404
    login(client, users["grid_worker"])
    assert client.get("/api/v1/insights/reports/week").status_code == 403

"""The KPI board: per place and unit, 环比/同比 against hand-computed fixtures, percentages shown
as percentages, the default period, scoping, the API and the exports."""

from datetime import datetime, timedelta
from io import BytesIO

import pytest
from django.utils import timezone

from fengqiao.cases import services as case_services
from fengqiao.cases.models import Case
from fengqiao.core.errors import NotFound
from fengqiao.core.models import AuditEvent
from fengqiao.insights import exports, figures, services
from fengqiao.insights.figures import Period
from tests.cases.helpers import claimed, closed, make_case
from tests.conftest import login

DAY = datetime(2026, 6, 15).date()


def at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour))


def shift(case, day, *, hours_to_close=None, due_in_days=1):
    """Place a case's life on ``day`` (test data: the flow ran today)."""
    start = at(day)
    values = {
        "reported_at": start,
        "accepted_at": start,
        "dispatched_at": start,
        "handle_due_at": start + timedelta(days=due_in_days),
    }
    if hours_to_close is not None:
        values["closed_at"] = start + timedelta(hours=hours_to_close)
    Case.objects.filter(pk=case.pk).update(**values)


@pytest.fixture
def world(county, users):
    """June 2026 (current period 1–30 June):
    grid A: 3 accepted; two closed (4 h and 8 h, one reworked); all due in June.
    grid C: 1 accepted, open, due in June.
    May 2026 (previous period): grid A 2 accepted, both closed in 2 h.
    June 2025 (a year before): grid A 1 accepted, closed in 10 h.
    """
    june = [closed(county.grid_a, users, county) for _ in range(2)]
    june.append(claimed(county.grid_a, users, county))
    shift(june[0], DAY, hours_to_close=4)
    shift(june[1], DAY, hours_to_close=8)
    Case.objects.filter(pk=june[1].pk).update(rework_count=1)
    shift(june[2], DAY)
    grid_c = claimed(county.grid_c, users_c := _users_c(county), county)
    shift(grid_c, DAY)
    for _ in range(2):
        shift(closed(county.grid_a, users, county), DAY - timedelta(days=30), hours_to_close=2)
    shift(closed(county.grid_a, users, county), DAY.replace(year=2025), hours_to_close=10)
    # Reported, never accepted: counted nowhere.
    make_case(county.grid_a)
    return {"users_c": users_c}


def _users_c(county):
    from tests.conftest import users_for_grid

    def make(role, places=(), department=None, username=None, **extra):
        from fengqiao.org import services as org_services

        return org_services.create_staff(
            username=username,
            password="Test-Passw0rd!",
            roles=[role],
            places=places,
            department=department,
        )

    return users_for_grid(make, county, county.grid_c, "c")


JUNE = Period(DAY.replace(day=1), DAY.replace(day=30))


def test_totals_and_changes_by_hand(world):
    rows = Case.objects.all()
    kpis = {k["key"]: k for k in figures.case_kpis(rows, JUNE)}
    assert kpis["accepted"]["value"] == 4
    assert kpis["accepted"]["previous"] == 2 and kpis["accepted"]["mom"] == 1.0  # +100 %
    assert kpis["accepted"]["year_before"] == 1 and kpis["accepted"]["yoy"] == 3.0  # +300 %
    assert kpis["closed"]["value"] == 2
    assert kpis["due"]["value"] == 4
    assert kpis["close_rate"]["value"] == 0.5  # 2 of 4 due
    assert kpis["close_rate"]["previous"] == 1.0 and kpis["close_rate"]["mom"] == -0.5  # points
    assert kpis["rework_rate"]["value"] == 0.5
    assert kpis["mean_hours_to_close"]["value"] == 6.0  # (4 + 8) / 2
    assert (
        kpis["mean_hours_to_close"]["previous"] == 2.0 and kpis["mean_hours_to_close"]["mom"] == 2.0
    )
    assert kpis["mean_hours_to_close"]["yoy"] == -0.4  # 6 vs 10 h


def test_grouped_by_place_level(world, county):
    rows = Case.objects.all()
    grids = {r["label"]: r for r in figures.case_table(rows, JUNE, "grid")}
    assert {k: r["accepted"] for k, r in grids.items()} == {
        county.grid_a.name: 3,
        county.grid_c.name: 1,
    }
    assert grids[county.grid_a.name]["close_rate"] == round(2 / 3, 4)
    villages = {r["label"]: r["accepted"] for r in figures.case_table(rows, JUNE, "village")}
    assert villages == {county.village.name: 3, county.other_village.name: 1}
    towns = figures.case_table(rows, JUNE, "town")
    assert [(r["label"], r["accepted"], r["closed"]) for r in towns] == [(county.town.name, 4, 2)]
    units = figures.case_table(rows, JUNE, "department")
    assert [(r["label"], r["accepted"]) for r in units] == [(county.urban.name, 4)]


def test_period_helpers():
    p = services.period("2026-03-01", "2026-03-31")
    assert p.previous() == Period(DAY.replace(month=1, day=29), DAY.replace(month=2, day=28))
    assert p.year_before() == Period(DAY.replace(year=2025, month=3, day=1), DAY.replace(year=2025, month=3, day=31))  # fmt: skip
    assert Period(DAY.replace(year=2024, month=2, day=29), DAY.replace(year=2024, month=2, day=29)).year_before().start.day == 28  # fmt: skip
    default = services.period(None, None)
    assert default.days == 30 and default.end == timezone.localdate()
    swapped = services.period("2026-03-31", "2026-03-01")
    assert swapped.start < swapped.end


def test_place_filter_is_scoped(world, county, users, users_b):
    leader = users["leader"]
    assert services.place(leader, county.grid_a.code) == county.grid_a
    with pytest.raises(NotFound):
        services.place(leader, county.grid_c.code)
    board = services.case_board(leader, JUNE)
    assert next(k for k in board["kpis"] if k["key"] == "accepted")["value"] == 3
    assert board["by"] == "grid"  # a grid user's default grouping


def test_board_page_shows_percentages(client, world, county, users):
    login(client, users["dispatcher"])
    response = client.get("/insights/", {"start": "2026-06-01", "end": "2026-06-30"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "66.7%" in html  # grid A: 2 of 3 due closed
    assert "board-data" in html and "<script>" not in html.split("board-data")[0][-200:]
    out = client.get("/insights/", {"place": county.grid_c.code})
    assert out.status_code == 404
    login(client, users["grid_worker"])  # no figures permission
    assert client.get("/insights/").status_code == 403


def test_api(client, world, county, users):
    login(client, users["dispatcher"])
    data = client.get(
        "/api/v1/insights/cases", {"start": "2026-06-01", "end": "2026-06-30", "by": "grid"}
    ).json()
    assert [r["label"] for r in data["rows"]] == [county.grid_a.name]
    assert next(k for k in data["kpis"] if k["key"] == "accepted")["value"] == 3
    assert len(data["trend"]) == 30
    bad = client.get("/api/v1/insights/cases", {"by": "nonsense"})
    assert bad.status_code == 400
    assert client.get("/api/v1/insights/cases", {"place": county.grid_c.code}).status_code == 404
    assert "/api/v1/insights/cases" in client.get("/api/v1/openapi.json").json()["paths"]


def test_exports(client, world, county, users):
    from openpyxl import load_workbook

    login(client, users["dispatcher"])
    query = {"start": "2026-06-01", "end": "2026-06-30", "by": "grid"}
    response = client.get("/insights/export.xlsx", query)
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    cells = [c.value for row in sheet.iter_rows() for c in row if c.value]
    assert county.grid_a.name in cells and "66.7%" in cells
    pdf = client.get("/insights/export.pdf", query)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from tests.pdfcheck import assert_embedded_pdf

    assert_embedded_pdf(pdf.content)
    assert AuditEvent.objects.filter(action="insights.export").count() == 2
    login(client, users["grid_worker"])
    assert client.get("/insights/export.xlsx").status_code == 403


def test_cells_cannot_become_formulas():
    assert exports.safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert exports.safe("@x") == "'@x" and exports.safe("\tx") == "'\tx"
    assert exports.safe("枫溪") == "枫溪" and exports.safe(3) == 3


def test_old_urls_redirect(client, county, users):
    login(client, users["dispatcher"])
    assert client.get("/cases/figures/?by=town")["Location"] == "/insights/?by=town"
    assert client.get("/disputes/figures/")["Location"] == "/insights/disputes/"


def test_api_legacy_case_figures_same_numbers(client, world, users):
    login(client, users["dispatcher"])
    old = client.get("/api/v1/cases/figures", {"start": "2026-06-01", "end": "2026-06-30"}).json()
    assert old["total"]["accepted"] == 3


def test_rejected_case_is_not_due(county, users):
    case = make_case(county.grid_a)
    case_services.reject(case, users["dispatcher"], data={"reason": "重复"})
    today = timezone.localdate()
    total = figures.case_rates(figures.case_counters(Case.objects.all(), Period(today, today + timedelta(days=30))))  # fmt: skip
    assert total["due"] == 0 and total["close_rate"] is None

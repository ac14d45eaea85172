"""Real-browser journey through the command centre: the KPI board with its charts and export, the
map with its layers, a grid's card, the heat slider and the big-screen mode."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.cases.models import Case
from tests.cases.helpers import claimed, closed, make_case
from tests.conftest import PASSWORD, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def staff_page(chromium, live_server, user):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/login/")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_selector("#welcome")
    return page


def test_board_and_map(chromium, live_server, county, users):
    from fengqiao.cases.defaults import install
    from fengqiao.cases.models import Category

    install(Category)
    closed(county.grid_a, users, county)
    late = claimed(county.grid_a, users, county)
    Case.objects.filter(pk=late.pk).update(next_due_at=timezone.now() - timedelta(hours=2))
    claimed(county.grid_a, users, county, code="safety_fire")
    make_case(county.grid_a, code="safety_gas")

    page = staff_page(chromium, live_server, users["dispatcher"])
    # 1. The KPI board: tiles with 环比/同比, two charts, the table beside them.
    # the menu groups links in dropdowns: open the one holding 统计分析, then follow it
    page.click("nav details.menu:has(a:text-is('统计分析')) > summary")
    page.click("nav >> text=统计分析")
    page.wait_for_selector("#totals .kpi")
    assert "%" in page.inner_text("#totals")
    page.wait_for_selector("#chart-groups canvas")
    page.wait_for_selector("#chart-trend canvas")
    assert page.locator("#figures tbody tr").count() >= 1
    shot(page, "insights-1-board")
    page.select_option("select[name=by]", "category")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#figures")
    assert "消防隐患" in page.inner_text("#figures")
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    shot(page, "insights-2-board-by-category")

    # 2. The map: the grid, open cases (one overdue), layer switches, the grid card.
    page.goto(f"{live_server.url}/insights/map/")
    page.wait_for_selector("#command-map[data-loaded]")
    page.wait_for_selector("#command-map path.leaflet-interactive")
    assert "枫溪社区第1网格" in page.inner_text("#command-map")  # names on the plain background
    markers = page.locator("#command-map path.leaflet-interactive")
    with_cases = markers.count()
    assert with_cases >= 4  # the grid polygon + three open cases
    shot(page, "insights-3-map")
    page.uncheck("input[data-layer=cases]")
    assert markers.count() == with_cases - 3
    page.check("input[data-layer=cases]")
    polygon = markers.first
    polygon.click(position={"x": 8, "y": 8})
    page.wait_for_selector("#grid-card:not([hidden])")
    card = page.inner_text("#grid-card")
    assert "枫溪社区第1网格" in card and "在办事件" in card
    shot(page, "insights-4-grid-card")

    # 3. Heat of reports with the time slider.
    page.check("#heat-toggle")
    page.wait_for_selector("#heat-controls:not([hidden])")
    assert int(page.get_attribute("#command-map", "data-heat-cells")) >= 1
    page.fill("#heat-day", "0")
    page.dispatch_event("#heat-day", "input")
    assert page.inner_text("#heat-day-label")
    shot(page, "insights-5-heat")

    # 4. Big screen: no controls, large counters.
    page.goto(f"{live_server.url}/insights/map/?screen=1")
    page.wait_for_selector("#command-map[data-loaded]")
    assert page.evaluate("document.body.classList.contains('bigscreen')")
    assert not page.is_visible(".topbar") and not page.is_visible("#map-side")
    assert "3" in page.inner_text("#big-kpis")
    shot(page, "insights-6-bigscreen")
    page.context.close()


def test_alert_import_and_evaluation(chromium, live_server, county, users):
    """The 110/12345 alert import (refused rows listed, duplicates skipped on re-import), the
    警情 figures with 同比, and the performance evaluation page with its weights."""
    from tests.insights.test_alerts import alerts_csv

    upload = alerts_csv(county)
    content = upload.read()
    page = staff_page(chromium, live_server, users["dispatcher"])
    page.goto(f"{live_server.url}/insights/alerts/?start=2026-03-01&end=2026-03-31")
    page.wait_for_selector("#alert-import-form")
    page.select_option("#alert-import-form select[name=source]", "110")
    files = {"name": "110-march.csv", "mimeType": "text/csv", "buffer": content}
    page.set_input_files("#alert-import-form input[type=file]", files)
    page.click("#alert-import-form button[type=submit]")
    page.wait_for_selector("#alert-import")
    assert page.inner_text("#created-rows") == "7"
    assert page.locator("#alert-errors tbody tr").count() == 4
    assert "时间格式不正确" in page.inner_text("#alert-errors")
    shot(page, "insights-7-alert-import")
    # the same file again: nothing new
    page.goto(f"{live_server.url}/insights/alerts/?start=2026-03-01&end=2026-03-31")
    page.set_input_files("#alert-import-form input[type=file]", files)
    page.click("#alert-import-form button[type=submit]")
    page.wait_for_selector("#alert-import")
    assert page.inner_text("#created-rows") == "0"
    assert page.inner_text("#duplicate-rows") == "9"
    page.click("text=返回警情统计")
    page.fill("input[name=start]", "2026-03-01")
    page.fill("input[name=end]", "2026-03-31")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#alert-figures")
    table = page.inner_text("#alert-figures")
    assert "治安" in table and "+100.0%" in table
    assert page.locator("#alert-imports tbody tr").count() == 2
    shot(page, "insights-8-alert-figures")

    # the performance evaluation
    page.click(".subnav >> text=绩效考核")
    page.wait_for_selector("#evaluation")
    assert "枫溪社区第1网格" in page.inner_text("#evaluation")
    with page.expect_download() as download:
        page.click("#evaluation-xlsx")
    assert download.value.suggested_filename.startswith("evaluation_")
    shot(page, "insights-9-evaluation")
    page.context.close()

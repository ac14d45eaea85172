"""Real-browser journey through 无案村: a town dispatcher assesses the quarter, reads the share 达标
per town and the list, opens a village that is not met (its reasons link the offending case),
nominates the one that is met, and sees both on the command-centre map layer."""

import pytest

from fengqiao.org.models import Place
from tests.cases.helpers import dispatched
from tests.conftest import shot
from tests.insights.test_browser_journey import staff_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_village_status_journey(chromium, live_server, county, users, make_user):
    from fengqiao.cases.defaults import install
    from fengqiao.cases.models import Category

    install(Category)
    case = dispatched(county.grid_a, users, county, code="public_order")
    Place.objects.filter(pk=county.village.pk).update(centre_lat=29.72, centre_lng=120.52)
    Place.objects.filter(pk=county.other_village.pk).update(centre_lat=29.72, centre_lng=120.56)
    dispatcher = make_user("dispatcher", places=[county.town], username="town-dispatcher")

    page = staff_page(chromium, live_server, dispatcher)
    page.goto(f"{live_server.url}/insights/villages/")
    assert "本期尚未评估" in page.inner_text("#village-towns")
    page.click("#evaluate-form button")
    page.wait_for_selector("#villages tr.not-met")
    assert "已评估 2 个村（社区），达标 1 个" in page.content()
    page.wait_for_selector("#chart-villages canvas")
    assert "50.0%" in page.inner_text("#village-towns")
    shot(page, "villages-1-list")

    page.select_option("select[name=met]", "0")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#villages")
    assert page.locator("#villages tbody tr").count() == 1
    page.click("#villages a:text-is('枫溪社区')")
    page.wait_for_selector("#village-reasons")
    assert "无治安案件" in page.inner_text("#village-reasons")
    assert page.locator(f"#village-reasons a[href='/cases/{case.pk}/']").count() == 1
    assert page.locator("#village-actions").count() == 0  # not met: nothing to nominate
    shot(page, "villages-2-not-met")

    page.goto(f"{live_server.url}/insights/villages/?met=1")
    page.click("#villages a:text-is('南门社区')")
    page.wait_for_selector("#village-actions")
    page.fill("#village-actions input[name=note]", "本季度各项均达标")
    page.click("#village-actions button[data-action=nominate]")
    page.wait_for_selector("#village-state")
    assert page.inner_text("#village-state") == "已提名"
    assert "提名无案村" in page.inner_text("#village-timeline")
    shot(page, "villages-3-nominated")

    page.goto(f"{live_server.url}/insights/map/")
    page.wait_for_selector("#command-map[data-loaded]")
    shapes = page.locator("#command-map path.leaflet-interactive")
    before = shapes.count()
    page.check("#villages-toggle")
    assert shapes.count() == before + 2  # one circle per village (no polygon: their centres)
    shot(page, "villages-4-map")

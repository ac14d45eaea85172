"""Real-browser journey (issue 13): a resident reports with an address only, the report waits in
the county's triage queue (待定位), a county dispatcher places it with a click on the map and the
normal flow starts."""

import pytest

from fengqiao.cases.defaults import install
from fengqiao.cases.models import Case, Category, PendingReport
from tests.cases.test_browser_journey import staff_page
from tests.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dispatcher_places_a_triaged_report_on_the_map(chromium, live_server, county, make_user):
    install(Category)
    resident = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = resident.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/r/report/")
    page.select_option("#id_category", "noise")
    page.fill("#id_description", "菜市场东门夜里施工很吵")
    page.fill("#id_location_text", "菜市场东门")
    page.fill("#id_reporter_phone", "13600001111")
    page.check("#id_consent")
    shot(page, "triage-1-resident-address-only")
    page.click("#submit")
    page.wait_for_selector("#pending-report")
    shot(page, "triage-2-resident-waiting")
    waiting_url = page.url
    pending = PendingReport.objects.get()
    assert pending.place == county.county and Case.objects.count() == 0

    dispatcher = make_user("dispatcher", places=[county.county], username="dispatcher-county")
    staff = staff_page(chromium, live_server, dispatcher)
    staff.goto(f"{live_server.url}/cases/triage/")
    staff.wait_for_selector(f"#pending-{pending.pk}")
    staff.wait_for_selector("#triage-map .leaflet-interactive")
    staff.click(f"button[data-pick-row='{pending.pk}']")
    assert staff.is_visible("#triage-picking")
    box = staff.locator("#triage-map").bounding_box()
    staff.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert staff.input_value(f"#lat-{pending.pk}") and staff.input_value(f"#lng-{pending.pk}")
    shot(staff, "triage-3-dispatcher-picked-on-map")
    staff.click(f"#pending-{pending.pk} button[type=submit]")
    staff.wait_for_url("**/cases/*/")
    case = Case.objects.get()
    assert case.state == "reported" and case.place.level == 5 and case.next_due_at is not None
    assert case.number in staff.content()
    shot(staff, "triage-4-case-in-the-normal-flow")

    page.goto(waiting_url)
    page.wait_for_selector("#tracking-code")
    assert case.tracking_code in page.inner_text("#tracking-code")
    shot(page, "triage-5-resident-tracking")

"""Real-browser journeys: the whole case flow from a resident's QR page to the rating, and a
deadline breach producing a supervision card on the board."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.cases.models import Case
from fengqiao.core.models import Deadline
from fengqiao.core.workflow import sweep_deadlines
from tests.conftest import PASSWORD, shot

from .helpers import dispatched, jpeg_bytes, rule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def staff_page(chromium, live_server, user, phone=False):
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = chromium.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/login/")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_selector("#welcome")
    return page


def test_resident_report_to_rating(chromium, live_server, county, users, tmp_path):
    rule(county)
    photo = tmp_path / "rubbish.jpg"
    photo.write_bytes(jpeg_bytes((640, 480), gps=True))

    # 1. The resident opens the grid's QR page on a phone and reports with a photo.
    resident = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = resident.new_page()
    page.set_default_timeout(15000)
    qr = page.request.get(f"{live_server.url}/r/g/{county.grid_a.code}/qr.png")
    assert qr.ok and qr.body().startswith(b"\x89PNG")
    page.goto(f"{live_server.url}/r/g/{county.grid_a.code}/")
    assert "个人信息告知" in page.inner_text("#pi-notice")
    page.wait_for_selector(".case-map .leaflet-interactive")  # the grid polygon, offline
    page.select_option("#id_category", "cityscape")
    page.fill("#id_description", "小区东门垃圾堆了三天，气味很大")
    page.fill("#id_location_text", "幸福路12号东门")
    page.click(".case-map", position={"x": 180, "y": 120})
    assert page.input_value("#id_lat")
    page.set_input_files("#photos", str(photo))
    page.check("#id_consent")
    page.check("#id_sensitive_consent")  # PIPL: separate consent for location and photos
    shot(page, "case-1-resident-form")
    page.click("#submit")
    page.wait_for_selector("#tracking-code")
    code = page.inner_text("#tracking-code").strip()
    shot(page, "case-2-resident-tracking")
    case = Case.objects.get(tracking_code=code)
    assert case.lat is not None and case.state == "reported"

    # 2. The dispatcher sees it in the console and dispatches it by the rule.
    dispatcher = staff_page(chromium, live_server, users["dispatcher"])
    dispatcher.goto(f"{live_server.url}/cases/dispatch/")
    row = dispatcher.locator(f"#case-{case.pk}")
    assert "综合行政执法局" in row.inner_text()
    row.locator("input[name=ids]").check()
    dispatcher.click("#bulk-dispatch")
    dispatcher.wait_for_selector("text=已派单 1 件")
    shot(dispatcher, "case-3-dispatched")

    # 3. The department (on a phone) claims and resolves it.
    dept = staff_page(chromium, live_server, users["department_staff"], phone=True)
    dept.goto(f"{live_server.url}/cases/")
    dept.click(f"#case-{case.pk} a.case-link")
    dept.click("#act-claim")
    dept.wait_for_selector("text=已签收")
    dept.click("#panel-resolve summary")
    dept.fill("#resolve-result", "已组织清运，并通知物业每日清理")
    dept.set_input_files("#panel-resolve input[type=file]", str(photo))
    dept.click("#panel-resolve #act-resolve")
    dept.wait_for_selector("#case-state:has-text('处置完毕')")
    shot(dept, "case-4-resolved")

    # 4. The grid worker verifies on site; the case closes.
    worker = staff_page(chromium, live_server, users["grid_worker"])
    errors = []
    worker.on("pageerror", lambda exc: errors.append(str(exc)))
    worker.goto(f"{live_server.url}/cases/{case.pk}/")
    worker.wait_for_selector(".case-map path.leaflet-interactive")  # grid polygon + the pin
    assert worker.locator(".case-map path.leaflet-interactive").count() == 2 and not errors
    assert worker.locator("#timeline img").count() >= 2  # the resident's and the result photo
    worker.click("#panel-verify summary")
    worker.click("#panel-verify #act-verify")
    worker.wait_for_selector("#case-state:has-text('已结案')")
    shot(worker, "case-5-closed")

    # 5. The resident rates the result on the tracking page.
    page.reload()
    assert page.inner_text("#case-state") == "已结案"
    page.check("#sat-5")
    page.click("#rate")
    page.wait_for_selector("text=感谢您的评价")
    shot(page, "case-6-rated")
    case.refresh_from_db()
    assert case.state == "closed" and case.satisfaction == 5
    resident.close()


def test_deadline_breach_shows_a_card(chromium, live_server, county, users):
    case = dispatched(county.grid_a, users, county, code="safety_fire")
    # Two minutes pass: the 1-minute claim deadline (and its countdown) is breached for real.
    past = timezone.now() - timedelta(minutes=2)
    Deadline.objects.filter(object_id=case.pk, kind="claim").update(due_at=past, next_check_at=past)
    Case.objects.filter(pk=case.pk).update(next_due_at=past)
    assert sweep_deadlines() >= 1
    page = staff_page(chromium, live_server, users["dispatcher"])
    page.goto(f"{live_server.url}/cases/supervision/")
    assert case.number in page.inner_text("#cards")
    assert "黄牌督办" in page.inner_text("#cards")
    shot(page, "case-7-supervision-board")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    assert "黄牌督办" in page.inner_text("#case-cards")
    page.wait_for_selector(".countdown.late")
    assert "已超时" in page.inner_text(
        ".countdown.late >> nth=0"
    )  # the live countdown of the breached deadline

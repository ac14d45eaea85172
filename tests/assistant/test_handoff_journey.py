"""Issue 16 journey (b): from the plain chat link (no grid) a resident hands a question to a person,
chooses the place, gets a tracking code; the officer answers on the hand-off page; the resident reads
the reply on the tracking page, and by SMS at the number they left (the demo's file sender)."""

import pytest

from fengqiao.assistant.models import Handoff
from fengqiao.cases.models import Case
from tests.conftest import PASSWORD, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNKNOWN = "社区的老年食堂几点开饭"
REPLY = "老年食堂每天11点开饭，在社区活动中心一楼。"


def test_handoff_from_the_plain_link_to_the_reply(
    page, live_server, loaded, county, users, settings, tmp_path
):
    settings.SMS_BACKEND = "fengqiao.core.sms.FileSender"
    settings.SMS_FILE = str(tmp_path / "sms.jsonl")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/assistant/chat/")
    page.fill("#assistant-ask textarea[name=question]", UNKNOWN)
    page.click("#assistant-send")
    answer = page.locator(".msg.answer").first
    answer.wait_for()
    # no grid in the link: the hand-off asks for the place
    answer.locator("select[name=grid]").select_option(county.grid_a.code)
    answer.locator("input[name=contact]").fill("13912345678")
    shot(page, "handoff-1-place-chosen")
    answer.locator(".handoff-button").click()
    link = page.locator("a.handoff-track")
    link.wait_for()
    handoff = Handoff.objects.get()
    assert handoff.place_id == county.grid_a.pk and link.inner_text() == handoff.case_ref
    shot(page, "handoff-2-tracking-code")

    # the officer answers on the hand-off page
    officer = users["community_officer"]
    context = page.context.browser.new_context(locale="zh-CN")
    staff = context.new_page()
    staff.goto(f"{live_server.url}/login/")
    staff.fill("#username", officer.username)
    staff.fill("#password", PASSWORD)
    staff.click("#login")
    staff.wait_for_selector("#welcome")
    staff.goto(f"{live_server.url}/assistant/handoffs/{handoff.pk}/")
    assert staff.locator("#handoff-case").is_visible()
    staff.fill("#handoff-reply textarea[name=reply]", REPLY)
    with staff.expect_navigation():
        staff.click("#handoff-reply button")
    shot(staff, "handoff-3-answered")
    context.close()
    case = Case.objects.get(tracking_code=handoff.case_ref)
    assert case.state == "resolved"

    # the resident follows the link and reads the reply
    link.click()
    page.wait_for_selector("#consultation-reply")
    assert REPLY in page.inner_text("#consultation-reply")
    shot(page, "handoff-4-reply-read")

    # and by SMS at the number left with the question: the worker sends the queued text
    from fengqiao.core import notifications

    notifications.deliver_pending()
    sent = (tmp_path / "sms.jsonl").read_text(encoding="utf-8")
    assert REPLY in sent and "139****5678" in sent and "13912345678" not in sent

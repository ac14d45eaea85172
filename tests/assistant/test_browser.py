"""Real-browser journey: a resident asks the assistant, hands an unknown question to a person, and
the community officer of that grid finds it in the hand-off queue."""

import pytest
from playwright.sync_api import expect

from fengqiao.assistant.engine import AI_LABEL, HANDOFF_TEXT
from fengqiao.assistant.models import Handoff
from tests.conftest import PASSWORD, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNKNOWN = "社区的老年食堂几点开饭"


def test_resident_asks_hands_off_and_officer_sees_it(page, live_server, loaded, county, users):
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}/assistant/chat/?grid={county.grid_a.code}")
    widget = page.locator("#assistant-widget")
    assert widget.get_attribute("open") is not None
    assert "AI" in page.inner_text("#assistant-open")
    shot(page, "assistant-1-widget")

    # A question a standard answer covers: the answer, its legal basis and the AI label.
    page.fill("#assistant-ask textarea[name=question]", "身份证弄丢了要去哪里补")
    page.click("#assistant-send")
    first = page.locator(".msg.answer").nth(0)
    first.wait_for()
    assert first.get_attribute("data-source") == "kb"
    text = first.inner_text()
    assert AI_LABEL in text
    assert "补领" in text
    assert "依据：《居民身份证法》第十一条；《居民身份证法》第十二条\n" in text + "\n"
    first.locator("details.citations summary").click()
    assert "第11条" in first.locator("details.citations").inner_text()
    shot(page, "assistant-2-standard-answer")

    # Something it does not know: it says so and offers a person.
    page.fill("#assistant-ask textarea[name=question]", UNKNOWN)
    page.click("#assistant-send")
    second = page.locator(".msg.answer").nth(1)
    second.wait_for()
    assert second.get_attribute("data-source") == "none"
    assert HANDOFF_TEXT in second.inner_text()
    second.locator("input[name=contact]").fill("晚上七点后打电话")
    second.locator(".handoff-button").click()
    done = page.locator(".handoff-done")
    done.wait_for()
    assert "社区民警" in done.inner_text() and "尽快答复" in done.inner_text()
    shot(page, "assistant-3-handed-off")
    handoff = Handoff.objects.get()
    assert (handoff.question, handoff.place_id) == (UNKNOWN, county.grid_a.pk)

    # The community officer of that grid signs in and finds it in the queue.
    officer = users["community_officer"]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.fill("#username", officer.username)
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_selector("#welcome")
    # the menu groups links in dropdowns: open the one holding 转人工咨询, then follow it
    page.locator("header nav details.menu:has(a:text-is('转人工咨询')) > summary").click()
    page.locator("header nav").get_by_role("link", name="转人工咨询").click()
    page.wait_for_url("**/assistant/handoffs/")
    queue = page.locator("#handoff-queue")
    assert UNKNOWN in queue.inner_text() and county.grid_a.name in queue.inner_text()
    shot(page, "assistant-4-officer-queue")
    queue.get_by_text(UNKNOWN).click()
    page.wait_for_url(f"**/assistant/handoffs/{handoff.pk}/")
    # The contact is personal data: masked until the officer gives a reason (audited).
    assert "晚上七点后打电话" not in page.inner_text("main")
    page.fill("#reveal-contact-form input[name=reason]", "回电答复群众咨询")
    page.click("#reveal-contact-form button")
    # (a locator wait: a string predicate would be eval'd, which the page's CSP refuses)
    expect(page.locator("#reveal-contact")).to_contain_text("晚上七点后打电话")
    shot(page, "assistant-5-contact-revealed")
    page.fill("#handoff-reply textarea[name=reply]", "老年食堂每天11点开饭，我们已转告社区。")
    with page.expect_navigation():
        page.click("#handoff-reply button")
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.ANSWERED
    shot(page, "assistant-6-answered")

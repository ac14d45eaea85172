"""Real-browser journey (issue 9): a dispute's high 民转刑 score suggests a risk → the station
accepts it (filed through the chain: county review, city filing) → orange → the county switches
wartime on and the orange risk gets daily reviews → lowered in the review meeting → closed out
with evidence at the filing level."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.core.models import AuditEvent
from fengqiao.risks.models import ReviewSession, Risk, Suggestion
from tests.conftest import shot
from tests.disputes import helpers as dispute_helpers
from tests.e2e.steps import sign_in
from tests.risks import helpers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HIGH = {"threats": True, "violence": True, "weapons": True, "people": 4, "intensity": 3}


def test_dispute_to_risk_to_wartime_reviews_to_close_out(
    page, chromium, live_server, county, users
):
    base = live_server.url
    officer = users["community_officer"]
    leader = helpers.county_leader_for(county.grid_a)
    dispute = dispute_helpers.make_dispute(
        county.grid_a, users, title="欠款纠纷扬言报复", risk=HIGH
    )

    # 1. The officer scans the sources: the dispute's high score is a lead, not a filing.
    sign_in(page, base, officer)
    page.goto(f"{base}/risks/suggestions/")
    page.click("#collect")
    page.wait_for_selector("text=扫描完成")
    assert Risk.objects.count() == 0
    assert dispute.number in page.inner_text("#suggestion-list")
    shot(page, "risks-1-suggestions")
    page.click(f"#suggestion-list a:has-text('{dispute.number}')")
    page.select_option("#f-level", "orange")
    page.select_option("#f-person", str(officer.pk))
    page.fill("#f-plan", "社区民警每日见面稳控，督促双方按协议履行，防止矛盾激化。")
    shot(page, "risks-2-accept")
    page.click("#accept-submit")
    page.wait_for_selector("#risk-number")
    risk = Risk.objects.get()
    assert "已申报待审核" in page.inner_text("#risk-state")
    assert Suggestion.objects.get().state == "accepted"
    assert list(risk.disputes.all()) == [dispute]

    # 2. The county bureau's leader reviews it (orange) and files it with the city.
    boss = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    lpage = boss.new_page()
    lpage.set_default_timeout(15000)
    sign_in(lpage, base, leader)
    lpage.goto(f"{base}/risks/{risk.pk}/")
    lpage.select_option("#approve-form select[name=level]", "orange")
    lpage.fill("#approve-form textarea[name=note]", "情况属实，列为橙色风险")
    lpage.click("#approve-submit")
    lpage.wait_for_selector("text=已保存")
    assert "县局已审核" in lpage.inner_text("#risk-state")
    lpage.fill("#city-reference-input", "YH-2026-0917")
    lpage.click("#file-submit")
    lpage.wait_for_selector("text=已保存")
    assert "已报市局备案" in lpage.inner_text("#risk-state")
    assert "橙色" in lpage.inner_text("#risk-level")
    shot(lpage, "risks-3-filed-orange")

    # 3. A major security event: wartime for the county; the orange risk is reviewed daily.
    lpage.goto(f"{base}/risks/reviews/")
    now = timezone.localtime()
    lpage.select_option("#wartime-place", str(county.county.pk))
    lpage.fill("#wartime-start", (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    lpage.fill("#wartime-end", (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    lpage.fill("#wartime-reason", "重大活动安保")
    lpage.click("#wartime-submit")
    lpage.wait_for_selector("#wartime-banner")
    sessions = ReviewSession.objects.filter(items__risk=risk).order_by("slot_at")
    assert sessions.exists()
    assert all(timezone.localtime(s.slot_at).hour == 9 for s in sessions)  # orange: daily
    shot(lpage, "risks-4-wartime-schedule")

    # 4. The review meeting: one risk at a time, the decision recorded live.
    lpage.click(f"#session-list a:has-text('{sessions[0].title}')")
    lpage.wait_for_selector("#current-item")
    assert risk.number in lpage.inner_text("#current-item")
    shot(lpage, "risks-5-meeting")
    lpage.check("input[name=decision][value=lower]")
    lpage.select_option("#new-level", "blue")
    lpage.fill("#decision-note", "双方已履行协议第一期，情绪稳定")
    lpage.click("#decision-submit")
    lpage.wait_for_selector("text=决定已记录")
    risk.refresh_from_db()
    assert risk.level == "blue"
    shot(lpage, "risks-6-decided")
    lpage.goto(f"{base}/risks/{risk.pk}/")
    history = lpage.inner_text("#level-history")
    assert "橙色" in history and "蓝色" in history
    lpage.wait_for_selector("#level-chart canvas")  # the chart drew
    shot(lpage, "risks-7-level-history")

    # 5. The officer applies for close-out: without evidence it is refused, nothing lost.
    page.goto(f"{base}/risks/{risk.pk}/")
    page.locator("details:has(#close-form) > summary").click()
    page.fill("#close-note", "协议全部履行完毕，回访双方满意")
    page.click("#close-submit")
    page.wait_for_selector(".flash.error")
    assert "证明材料" in page.inner_text(".flash.error")
    assert page.input_value("#close-note") == "协议全部履行完毕，回访双方满意"
    page.set_input_files(
        "#close-evidence",
        files=[{"name": "履行凭证.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%\n"}],
    )
    page.click("#close-submit")
    page.wait_for_selector("text=已保存")
    assert "销号审批中" in page.inner_text("#risk-state")
    shot(page, "risks-8-close-requested")

    # 6. Approved at the level that filed it.
    lpage.goto(f"{base}/risks/{risk.pk}/")
    lpage.click("#approve-close")
    lpage.wait_for_selector("text=已保存")
    assert "已销号" in lpage.inner_text("#risk-state")
    shot(lpage, "risks-9-closed")
    boss.close()
    risk.refresh_from_db()
    assert risk.state == "closed"
    assert AuditEvent.objects.filter(action="risk.view", target_id=str(risk.pk)).count() >= 3

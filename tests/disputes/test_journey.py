"""Real-browser journey (issue 4): a neighbours' noise dispute fails at L1 and L2, the parties
choose a lawyer at L3, reach an agreement, the documents are downloaded, judicial confirmation is
recorded, the follow-up visit closes it, and a party follows it on the status page."""

import pytest
from django.utils import timezone

from fengqiao.disputes.models import Agreement, Attempt, Dispute
from tests.conftest import shot
from tests.disputes import helpers
from tests.e2e import steps
from tests.e2e.steps import open_action, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_noise_dispute_up_the_ladder_to_a_lawyer_and_closed(page, live_server, county, users):
    base = live_server.url
    helpers.pool(county.grid_a, users)
    assistant, elder, lawyer = users["police_assistant"], users["mediator"], users["lawyer"]
    today = timezone.localdate().isoformat()

    # 1. The police assistant registers the dispute and hands it to the elder (L1).
    sign_in(page, base, assistant)
    page.goto(f"{base}/disputes/new/")
    page.fill("input[name=title]", "楼上楼下噪音纠纷")
    page.select_option("select[name=type]", "neighbour")
    page.fill(
        "textarea[name=facts]", "楼上住户夜间拖动家具、跳绳，楼下老人长期失眠，双方多次争吵。"
    )
    page.fill("textarea[name=claims]", "夜间十点后停止噪音，赔偿损失")
    for i, party in enumerate(helpers.parties()):
        for key in ("name", "gender", "id_number", "phone", "address"):
            page.fill(f"input[name=party{i}_{key}]", party[key])
    shot(page, "disputes-1-register")
    page.click("#register-submit")
    page.wait_for_selector("#dispute-number")
    dispute = Dispute.objects.get()
    assert "已登记" in page.inner_text("#dispute-state")
    assert "张*" in page.inner_text("#parties") and helpers.ID_A not in page.content()
    page.select_option("#start-mediator", str(elder.pk))
    page.click("#start-submit")
    page.wait_for_selector("text=已保存")
    assert elder.display_name in page.inner_text("#dispute-mediator")
    sign_out(page)

    # 2. The elder chats it out (拉呱调) but fails: L2, the police assistant.
    sign_in(page, base, elder)
    page.goto(f"{base}/disputes/")
    page.click(f"text={dispute.number}")
    open_action(page, "next-level-form")
    page.fill(
        "#next-level-form textarea[name=note]",
        "拉呱调两次，楼上认为正常生活不算噪音，未能达成一致。",
    )
    page.click("#next-level-submit")
    page.wait_for_selector("text=已保存")
    assert "第二级" in page.inner_text("#dispute-level")
    shot(page, "disputes-2-level-two")
    sign_out(page)

    # 3. L2 fails too; the parties choose a lawyer from the roster (L3), the choice recorded.
    sign_in(page, base, assistant)
    page.goto(f"{base}/disputes/{dispute.pk}/")
    open_action(page, "next-level-form")
    page.fill("#next-level-form textarea[name=note]", "跟上调：现场测噪并释法，双方仍有分歧。")
    page.select_option("#next-level", "3")
    page.check(f"#next-level-form input[name=mediator][value='{lawyer.pk}']")
    page.fill("#lawyer-choice", "双方当事人从律师名册中共同选定吴律师")
    shot(page, "disputes-3-choose-lawyer")
    page.click("#next-level-submit")
    page.wait_for_selector("text=已保存")
    assert "第三级" in page.inner_text("#dispute-level")
    assert "共同选定吴律师" in page.inner_text("#attempts")
    sign_out(page)

    # 4. The lawyer mediates, the parties agree, the agreement is written, signed, downloaded.
    sign_in(page, base, lawyer)
    page.goto(f"{base}/disputes/")
    page.click(f"text={dispute.number}")
    steps.agree(page, "律师释法后双方各退一步，达成协议。")
    steps.write_agreement(page, helpers.TERMS_FIELDS)
    agreement = Agreement.objects.get()
    assert agreement.number in page.inner_text("#agreement-number")
    shot(page, "disputes-4-agreement-preview")
    steps.sign_agreement(page)
    for text in steps.printed_agreement(page, base, agreement):
        assert agreement.number in text and helpers.ID_A in text and "人民调解委员会" in text
    sign_out(page)

    # 5. Judicial confirmation is recorded, then the follow-up visit closes the dispute.
    sign_in(page, base, assistant)
    page.goto(f"{base}/disputes/{dispute.pk}/")
    open_action(page, "judicial-form")
    page.fill("#judicial-form input[name=court]", "枫溪县人民法院")
    page.fill("#judicial-form input[name=applied_on]", today)
    page.select_option("#judicial-form select[name=outcome]", "confirmed")
    page.fill("#judicial-form input[name=decided_on]", today)
    page.fill("#judicial-form input[name=confirmation_number]", "（2026）浙9901民特12号")
    page.click("#judicial-submit")
    page.wait_for_selector("text=已保存")
    assert "确认有效" in page.inner_text("#judicial")
    open_action(page, "visit-form")
    page.fill("#visit-form textarea[name=note]", "电话回访：噪音问题已解决，赔偿已付清，双方满意。")
    page.click("#visit-submit")
    page.wait_for_selector("text=已保存")
    assert "已办结" in page.inner_text("#dispute-state")
    assert "待履行" not in page.inner_text("#performance")
    shot(page, "disputes-5-closed")
    dispute.refresh_from_db()
    assert dispute.state == "closed" and dispute.resolved_level == 3
    assert [a.outcome for a in Attempt.objects.filter(dispute=dispute)] == [
        "failed",
        "failed",
        "agreement",
    ]
    sign_out(page)

    # 6. A party follows the dispute with the tracking code and the last 4 digits of the phone.
    page.goto(f"{base}/disputes/track/{dispute.tracking_code}/")
    page.fill("input[name=last4]", "2222")
    page.click("#track-form button")
    page.wait_for_selector("#track-status")
    assert "已办结" in page.inner_text("#track-state")
    assert "回访，已办结" in page.inner_text("#track-steps")
    assert "李四" not in page.content()
    shot(page, "disputes-6-party-status")

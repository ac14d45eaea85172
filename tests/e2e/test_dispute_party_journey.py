"""Real-browser journey (issue 16 point 1): a 矛盾纠纷 case is turned into a dispute with one party's
ID number and address left out; the dispute page lists what the agreement still needs; the mediator
completes the party mid-mediation on the party page; the agreement is written, signed and printed
(docx and PDF) with the completed details."""

import pytest

from fengqiao.cases import services as cases
from fengqiao.disputes.models import Agreement, Dispute
from tests.cases.helpers import make_case
from tests.conftest import shot
from tests.disputes import helpers
from tests.e2e import steps
from tests.e2e.steps import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_case_spawn_party_edited_midway_to_a_printed_agreement(page, live_server, county, users):
    base = live_server.url
    helpers.pool(county.grid_a, users)
    officer, elder = users["community_officer"], users["mediator"]
    case = make_case(county.grid_a, code="dispute", description="楼上漏水，邻里争吵")
    case = cases.accept(case, users["dispatcher"])

    # 1. The officer turns the case into a dispute; the second party's ID and address are unknown.
    sign_in(page, base, officer)
    page.goto(f"{base}/cases/{case.pk}/")
    page.locator("#panel-spawn_dispute > summary").click()
    assert page.is_visible("#spawn-party-hint")
    page.select_option("#spawn-dispute select[name=type]", "neighbour")
    page.fill("input[name=party1_name]", "张三")
    page.fill("input[name=party1_phone]", "13900001111")
    page.fill("input[name=party1_id_number]", helpers.ID_A)
    page.fill("input[name=party1_address]", "枫溪社区1幢101室")
    page.fill("input[name=party2_name]", "李四")
    page.fill("input[name=party2_phone]", "13800002222")
    shot(page, "dispute-party-1-spawn")
    page.click("#act-spawn_dispute")
    page.wait_for_selector("#dispute-number")
    dispute = Dispute.objects.get(source_case_id=case.pk)
    checklist = page.inner_text("#agreement-checklist")
    assert "身份证号/统一社会信用代码" in checklist and "住址" in checklist
    page.select_option("#start-mediator", str(elder.pk))
    page.click("#start-submit")
    page.wait_for_selector("text=已保存")
    sign_out(page)

    # 2. Mid-mediation, the elder completes the second party on the party page (bad ID first).
    sign_in(page, base, elder)
    page.goto(f"{base}/disputes/{dispute.pk}/")
    second = dispute.parties.order_by("order", "pk")[1]
    page.click(f"#party-{second.pk}-edit")
    page.wait_for_selector("#party-form")
    page.fill("#party-form input[name=id_number]", "123")
    page.fill("#party-form input[name=address]", "枫溪社区1幢201室")
    page.click("#party-submit")
    page.wait_for_selector("text=身份证号码不正确")
    assert page.input_value("#party-form input[name=address]") == "枫溪社区1幢201室"
    page.fill("#party-form input[name=id_number]", helpers.ID_B)
    shot(page, "dispute-party-2-edit")
    page.click("#party-submit")
    page.wait_for_selector("text=当事人信息已保存")
    assert page.locator("#agreement-checklist").count() == 0
    assert helpers.ID_B not in page.content()  # masked on the page
    shot(page, "dispute-party-3-complete")

    # 3. Agreement reached, written, signed and printed with both parties' details.
    steps.agree(page, "双方各退一步，达成协议。")
    steps.write_agreement(page, helpers.TERMS_FIELDS)
    agreement = Agreement.objects.get(dispute=dispute)
    steps.sign_agreement(page)
    for text in steps.printed_agreement(page, base, agreement):
        assert agreement.number in text and helpers.ID_B in text and "枫溪社区1幢201室" in text
    shot(page, "dispute-party-4-agreement")
    case.refresh_from_db()
    assert case.dispute_id == dispute.pk

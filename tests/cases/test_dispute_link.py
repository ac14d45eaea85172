"""A 矛盾纠纷 case turned into a dispute (linked both ways), and the case following the dispute."""

import pytest

from fengqiao.cases import services
from fengqiao.cases.models import Case
from fengqiao.core import workflow as kernel
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.disputes import services as disputes
from fengqiao.disputes.models import Dispute, Party
from tests.conftest import login
from tests.disputes import helpers as dispute_helpers

from .helpers import make_case

pytestmark = pytest.mark.django_db

PARTIES = [
    {"name": "王五", "kind": "person", "phone": "13900002222"},
    {"name": "枫溪物业公司", "kind": "organisation", "phone": ""},
]


def accepted_dispute_case(county, users, grid=None):
    case = make_case(grid or county.grid_a, code="dispute", description="楼上漏水，邻里争吵")
    return services.accept(case, users["dispatcher"])


def transitions(record):
    return [e.transition for e in kernel.timeline(record)]


def spawn(case, actor, **extra):
    extra.setdefault("parties", PARTIES)
    extra.setdefault("type", "neighbour")
    return services.spawn_dispute(case, actor, **extra)


def test_spawn_links_both_ways(county, users):
    case = accepted_dispute_case(county, users)
    case, dispute = spawn(case, users["community_officer"], note="双方同意调解")
    case.refresh_from_db()
    assert case.dispute_id == dispute.pk and case.state == "accepted"
    dispute = Dispute.objects.get(pk=dispute.pk)
    assert dispute.source_case_id == case.pk and dispute.place_id == case.place_id
    assert dispute.type.code == "neighbour" and dispute.state == "registered"
    names = [p.name.clear for p in Party.objects.filter(dispute=dispute).order_by("order")]
    assert names == ["王五", "枫溪物业公司"]
    kinds = list(Party.objects.filter(dispute=dispute).values_list("kind", flat=True))
    assert kinds == ["person", "organisation"]
    entry = kernel.timeline(case).filter(transition="spawn_dispute").get()
    assert entry.data["dispute_id"] == dispute.pk
    assert entry.data["dispute_number"] == dispute.number
    assert dispute.number in entry.note and "双方同意调解" in entry.note
    assert list(dispute.source_cases.all()) == [case]


def test_dispatcher_may_spawn_and_it_shows_among_actions(county, users):
    case = accepted_dispute_case(county, users)
    assert "spawn_dispute" in services.allowed_actions(case, users["dispatcher"])
    assert "spawn_dispute" not in services.allowed_actions(case, users["leader"])
    assert "dispute_settled" not in services.allowed_actions(case, users["dispatcher"])
    case, dispute = spawn(case, users["dispatcher"])
    assert "spawn_dispute" not in services.allowed_actions(case, users["dispatcher"])


def test_refused_for_another_category(county, users):
    case = services.accept(make_case(county.grid_a), users["dispatcher"])
    with pytest.raises(ServiceError) as err:
        spawn(case, users["community_officer"])
    assert err.value.status == 400 and err.value.code == "not_a_dispute_case"
    assert not Dispute.objects.exists()


def test_refused_out_of_scope(county, users, users_b):
    case = accepted_dispute_case(county, users)
    with pytest.raises(NotFound):
        spawn(case, users_b["community_officer"])
    assert not Dispute.objects.exists()


def test_refused_without_permission(county, users):
    case = accepted_dispute_case(county, users)
    with pytest.raises(Forbidden):
        spawn(case, users["leader"])  # sees the case, neither dispatches nor handles it
    assert not Dispute.objects.exists()


def test_twice_is_a_conflict(county, users):
    case = accepted_dispute_case(county, users)
    spawn(case, users["community_officer"])
    with pytest.raises(Conflict) as err:
        spawn(case, users["community_officer"])
    assert err.value.status == 409 and err.value.code == "already_spawned"
    assert Dispute.objects.count() == 1


def test_reported_case_cannot_be_spawned(county, users):
    case = make_case(county.grid_a, code="dispute")
    with pytest.raises(Conflict):
        spawn(case, users["community_officer"])


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"parties": PARTIES[:1]}, "parties_required"),
        ({"parties": [PARTIES[0], {"name": "", "phone": "13800001111"}]}, "invalid_parties"),
        ({"parties": [PARTIES[0], {"name": "李四", "phone": "12"}]}, "invalid_parties"),
        ({"parties": [PARTIES[0], {"name": "李四", "kind": "robot"}]}, "invalid_parties"),
        ({"type": "nonsense"}, "invalid_type"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(county, users, change, code):
    case = accepted_dispute_case(county, users)
    with pytest.raises(ServiceError) as err:
        spawn(case, users["community_officer"], **change)
    assert err.value.status == 400 and err.value.code == code
    assert not Dispute.objects.exists()
    case.refresh_from_db()
    assert case.dispute_id is None


def test_agreement_resolves_the_case_and_it_continues(county, users):
    dispute_helpers.pool(county.grid_a, users)
    case = accepted_dispute_case(county, users)
    case, dispute = spawn(case, users["community_officer"])
    officer = users["community_officer"]
    dispute = disputes.start_mediation(dispute, officer, mediator=users["mediator"])
    disputes.record_progress(dispute, users["mediator"], note="第一次调解")
    case.refresh_from_db()
    assert case.state == "accepted"  # a state-keeping move changes nothing on the case
    dispute = disputes.agree(dispute, users["mediator"], note="双方达成一致")
    case.refresh_from_db()
    # agreed but not yet signed: a step on the case's timeline, not its outcome (issue 16)
    assert case.state == "accepted" and not case.result
    assert transitions(case)[-1] == "dispute_outcome"
    # the case → dispute form left ID numbers and addresses out: the checklist names them, and
    # the parties are completed mid-way (issue 16: no dead end before the agreement)
    from fengqiao.disputes.models import Party

    parties = list(Party.objects.filter(dispute=dispute).order_by("order"))
    assert all(disputes.missing_for_agreement(p) for p in parties)
    for party, number in zip(parties, (dispute_helpers.ID_A, dispute_helpers.ID_B), strict=True):
        disputes.update_party(
            party, users["mediator"], id_number=number, address="枫溪社区1幢101室"
        )
    assert not any(disputes.missing_for_agreement(p) for p in Party.objects.filter(dispute=dispute))
    agreement = disputes.draft_agreement(
        dispute, users["community_officer"], **dispute_helpers.TERMS_FIELDS
    )
    disputes.sign_agreement(agreement, users["community_officer"])
    case.refresh_from_db()
    assert case.state == "resolved" and case.resolved_at is not None
    assert case.result == f"矛盾纠纷已调解：达成协议，协议书已签署（编号{dispute.number}）"
    entry = kernel.timeline(case).filter(transition="dispute_settled").get()
    assert entry.from_state == "accepted" and entry.to_state == "resolved"
    assert entry.data["dispute_number"] == dispute.number
    assert not kernel.open_deadlines(case).exclude(kind="verify").exists()
    # The normal verify / close flow of the case continues.
    case = services.verify(case, users["grid_worker"], data={"passed": "1"})
    assert case.state == "closed"
    # A later step of the dispute is recorded on the closed case, its state unchanged.
    dispute.refresh_from_db()
    disputes.withdraw(dispute, users["mediator"], note="当事人撤回") if dispute.state in (
        "registered",
        "mediating",
        "agreed",
    ) else None
    case.refresh_from_db()
    assert case.state == "closed"


def test_an_unsigned_agreement_never_marks_the_case_agreed(county, users):
    dispute_helpers.pool(county.grid_a, users)
    case = accepted_dispute_case(county, users)
    case, dispute = spawn(case, users["community_officer"])
    dispute = disputes.start_mediation(
        dispute, users["community_officer"], mediator=users["mediator"]
    )
    dispute = disputes.agree(dispute, users["mediator"], note="双方口头同意")
    disputes.withdraw(dispute, users["mediator"], note="协议未签署，当事人撤回")
    case.refresh_from_db()
    assert case.state == "resolved" and "撤回" in case.result and "达成协议" not in case.result


def test_withdrawal_resolves_a_dispatched_case(county, users):
    dispute_helpers.pool(county.grid_a, users)
    case = accepted_dispute_case(county, users)
    case = services.dispatch(case, users["dispatcher"], data={"department": county.urban.pk})
    case, dispute = spawn(case, users["dispatcher"])
    disputes.withdraw(dispute, users["community_officer"], note="当事人自行和解")
    case.refresh_from_db()
    assert case.state == "resolved" and "当事人撤回" in case.result
    assert not kernel.open_deadlines(case).filter(kind__in=("claim", "handle")).exists()


def test_unlinked_dispute_touches_no_case(county, users):
    case = accepted_dispute_case(county, users)
    dispute = dispute_helpers.make_dispute(county.grid_a, users)
    disputes.withdraw(dispute, users["community_officer"], note="撤回")
    case.refresh_from_db()
    assert case.state == "accepted"


def test_api_action(client, county, users):
    case = accepted_dispute_case(county, users)
    login(client, users["community_officer"])
    url = f"/api/v1/cases/{case.pk}/actions/spawn_dispute"
    body = {"note": "", "data": {"type": "neighbour", "parties": PARTIES}}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert Case.objects.get(pk=case.pk).dispute_id is not None
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 409


def _form(**change):
    data = {
        "type": "neighbour",
        "party1_name": "王五",
        "party1_kind": "person",
        "party1_phone": "13900002222",
        "party2_name": "枫溪物业公司",
        "party2_kind": "organisation",
        "party2_phone": "",
        "party3_name": "",
        "party3_kind": "person",
        "party3_phone": "",
        "note": "双方同意调解",
    }
    data.update(change)
    return data


def test_page_form_spawns_and_links(client, county, users):
    case = accepted_dispute_case(county, users)
    login(client, users["community_officer"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="panel-spawn_dispute"' in page and "邻里纠纷" in page
    response = client.post(
        f"/cases/{case.pk}/dispute/", _form(party3_name="赵六", party3_phone="13700003333")
    )
    dispute = Dispute.objects.get(source_case_id=case.pk)
    assert response.status_code == 302 and response["Location"] == f"/disputes/{dispute.pk}/"
    assert Party.objects.filter(dispute=dispute).count() == 3
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"已转矛盾纠纷：{dispute.number} (已登记)" in page
    assert f'href="/disputes/{dispute.pk}/"' in page
    assert 'id="panel-spawn_dispute"' not in page


def test_page_form_errors_keep_what_was_typed(client, county, users):
    case = accepted_dispute_case(county, users)
    login(client, users["community_officer"])
    response = client.post(
        f"/cases/{case.pk}/dispute/", _form(party2_name="李四", party2_phone="12345")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "手机号格式不正确" in page and 'value="李四"' in page and 'value="12345"' in page
    assert "双方同意调解" in page
    response = client.post(f"/cases/{case.pk}/dispute/", _form(party2_name=""))
    assert response.status_code == 400 and 'value="王五"' in response.content.decode()
    assert not Dispute.objects.exists()


def test_page_form_for_another_category_or_grid(client, county, users, users_b):
    case = services.accept(make_case(county.grid_a), users["dispatcher"])
    login(client, users["community_officer"])
    assert 'id="panel-spawn_dispute"' not in client.get(f"/cases/{case.pk}/").content.decode()
    response = client.post(f"/cases/{case.pk}/dispute/", _form())
    assert response.status_code == 400
    assert "只有“矛盾纠纷”类事件" in response.content.decode()
    other = accepted_dispute_case(county, users)
    login(client, users_b["community_officer"])
    assert client.post(f"/cases/{other.pk}/dispute/", _form()).status_code == 404
    assert not Dispute.objects.exists()


def test_english_page_form_and_stored_text_in_the_site_language(client, county, users):
    from django.conf import settings
    from django.utils import translation

    dispute_helpers.pool(county.grid_a, users)
    case = accepted_dispute_case(county, users)
    login(client, users["community_officer"])
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    try:
        page = client.get(f"/cases/{case.pk}/", **en).content.decode()
        assert "Turn into dispute mediation" in page and "Party 1" in page
        response = client.post(f"/cases/{case.pk}/dispute/", _form(party2_phone="12"), **en)
        assert response.status_code == 400 and "invalid mobile number" in response.content.decode()
        client.post(f"/cases/{case.pk}/dispute/", _form(), **en)
        dispute = Dispute.objects.get(source_case_id=case.pk)
        page = client.get(f"/cases/{case.pk}/", **en).content.decode()
        assert f"Turned into dispute: {dispute.number}" in page
        # An English page moving the dispute still writes the case's result in Chinese.
        translation.activate("en")
        dispute = disputes.start_mediation(
            dispute, users["community_officer"], mediator=users["mediator"]
        )
        disputes.agree(dispute, users["mediator"], note="agreed")
        disputes.withdraw(dispute, users["mediator"], note="withdrawn")
    finally:
        translation.activate(settings.LANGUAGE_CODE)
    case.refresh_from_db()
    assert case.state == "resolved" and case.result.startswith("矛盾纠纷已办结：当事人撤回")


def test_page_form_asks_for_id_number_and_address(client, county, users):
    """Issue 16 point 1: optional, but prompted — the agreement will need them."""
    case = accepted_dispute_case(county, users)
    login(client, users["community_officer"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'name="party1_id_number"' in page and 'name="party1_address"' in page
    assert 'id="spawn-party-hint"' in page and "人民调解法第二十九条" in page
    response = client.post(
        f"/cases/{case.pk}/dispute/",
        _form(party1_id_number=dispute_helpers.ID_A, party1_address="枫溪社区5幢"),
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get(source_case_id=case.pk)
    first, second = Party.objects.filter(dispute=dispute).order_by("order", "pk")
    assert first.id_number.clear == dispute_helpers.ID_A and first.address.clear == "枫溪社区5幢"
    assert disputes.missing_for_agreement(first) == []
    assert "住址" in disputes.missing_for_agreement(second)  # still on the dispute's checklist


def test_page_form_bad_id_number_is_400_and_keeps_the_input(client, county, users):
    case = accepted_dispute_case(county, users)
    login(client, users["community_officer"])
    response = client.post(
        f"/cases/{case.pk}/dispute/", _form(party1_id_number="123", party1_address="枫溪社区5幢")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "身份证号码不正确" in page and 'value="123"' in page and 'value="枫溪社区5幢"' in page
    assert not Dispute.objects.exists()

"""Issue 16 point 1: parties are editable at every stage (scoped, validated, audited, encrypted),
and the dispute page lists what the agreement will need before the mediation reaches it."""

import pytest

from fengqiao.core.errors import Forbidden, NotFound, ServiceError
from fengqiao.core.models import AuditEvent
from fengqiao.core.workflow import timeline
from fengqiao.disputes import services
from fengqiao.disputes.models import Party
from tests.conftest import login

from . import helpers

pytestmark = pytest.mark.django_db


def _without_ids(grid, users):
    return helpers.mediating(grid, users, parties=helpers.parties(ids=("", "")))


def test_edit_a_party_mid_mediation(county, users):
    dispute = _without_ids(county.grid_a, users)
    party = Party.objects.filter(dispute=dispute).order_by("order").first()
    assert "身份证号/统一社会信用代码" in services.missing_for_agreement(party)
    party = services.update_party(
        party, users["mediator"], id_number=helpers.ID_A, address="枫溪社区3幢"
    )
    party.refresh_from_db()
    assert party.id_number.clear == helpers.ID_A  # encrypted at rest, clear only on purpose
    assert str(party.id_number) != helpers.ID_A  # masked by default
    assert party.address.clear == "枫溪社区3幢"
    assert "身份证号/统一社会信用代码" not in services.missing_for_agreement(party)
    entry = timeline(dispute).filter(transition="party_updated").get()
    assert entry.data["fields"] == ["address", "id_number"] and helpers.ID_A not in entry.note
    audit = AuditEvent.objects.get(action="disputes.update_party")
    assert helpers.ID_A not in str(audit.data)


def test_bad_input_is_refused_and_nothing_changes(county, users):
    dispute = _without_ids(county.grid_a, users)
    party = Party.objects.filter(dispute=dispute).first()
    with pytest.raises(ServiceError):
        services.update_party(party, users["mediator"], id_number="123")
    with pytest.raises(ServiceError):
        services.update_party(party, users["mediator"], name=" ")
    party.refresh_from_db()
    assert party.name.clear == "张三" and not party.id_number.clear


def test_scope_and_permission(county, users, users_b):
    dispute = _without_ids(county.grid_a, users)
    party = Party.objects.filter(dispute=dispute).first()
    with pytest.raises(NotFound):
        services.update_party(party, users_b["community_officer"], address="x")
    with pytest.raises(Forbidden):
        services.update_party(party, users["system_admin"], address="x")


def test_editable_after_the_agreement_too(county, users):
    agreement = helpers.signed(county.grid_a, users)
    party = Party.objects.filter(dispute=agreement.dispute).first()
    services.update_party(party, users["community_officer"], phone="13700001234")
    party.refresh_from_db()
    assert party.phone.clear == "13700001234"


def test_the_page_shows_the_checklist(client, county, users):
    dispute = _without_ids(county.grid_a, users)
    login(client, users["community_officer"])
    html = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert 'id="agreement-checklist"' in html and "身份证号/统一社会信用代码" in html


# -- the page and the API (issue 16 point 1) ---------------------------------------------------


def test_edit_page_saves_and_returns_to_the_dispute(client, county, users):
    dispute = _without_ids(county.grid_a, users)
    party = Party.objects.filter(dispute=dispute).order_by("order").first()
    login(client, users["mediator"])
    html = client.get(f"/disputes/{dispute.pk}/").content.decode()
    edit_url = f"/disputes/{dispute.pk}/parties/{party.pk}/"
    assert f'href="{edit_url}"' in html
    form = client.get(edit_url)
    assert form.status_code == 200
    page = form.content.decode()
    assert 'id="party-form"' in page and 'id="party-missing"' in page
    assert "枫溪社区1幢101室" not in page  # personal data is never echoed back in clear
    response = client.post(
        edit_url,
        {
            "side": party.side,
            "kind": party.kind,
            "gender": "男",
            "id_number": helpers.ID_A,
            "address": "枫溪社区3幢",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith(
        f"/disputes/{dispute.pk}/#parties"
    )
    party.refresh_from_db()
    assert party.id_number.clear == helpers.ID_A and party.address.clear == "枫溪社区3幢"
    assert party.name.clear == "张三" and party.phone.clear == "13900001111"  # blanks kept


def test_edit_page_bad_input_keeps_what_was_typed(client, county, users):
    dispute = _without_ids(county.grid_a, users)
    party = Party.objects.filter(dispute=dispute).order_by("order").first()
    login(client, users["mediator"])
    response = client.post(
        f"/disputes/{dispute.pk}/parties/{party.pk}/",
        {"side": party.side, "kind": "person", "id_number": "123", "address": "新住址9号"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "身份证号码不正确" in page and 'value="新住址9号"' in page and 'value="123"' in page
    response = client.post(
        f"/disputes/{dispute.pk}/parties/{party.pk}/", {"side": "judge", "kind": "person"}
    )
    assert response.status_code == 400 and "身份不正确" in response.content.decode()
    party.refresh_from_db()
    assert party.address.clear == "枫溪社区1幢101室" and not party.id_number.clear


def test_edit_page_scope_and_party_of_another_dispute(client, county, users, users_b):
    dispute = _without_ids(county.grid_a, users)
    other = _without_ids(county.grid_a, users)
    party = Party.objects.filter(dispute=dispute).first()
    foreign = Party.objects.filter(dispute=other).first()
    login(client, users_b["community_officer"])
    assert client.get(f"/disputes/{dispute.pk}/parties/{party.pk}/").status_code == 404
    assert (
        client.post(f"/disputes/{dispute.pk}/parties/{party.pk}/", {"address": "x"}).status_code
        == 404
    )
    login(client, users["mediator"])
    assert client.get(f"/disputes/{dispute.pk}/parties/{foreign.pk}/").status_code == 404
    party.refresh_from_db()
    assert party.address.clear == "枫溪社区1幢101室"


def test_api_get_and_patch_a_party(client, county, users, users_b):
    dispute = _without_ids(county.grid_a, users)
    party = Party.objects.filter(dispute=dispute).order_by("order").first()
    url = f"/api/v1/disputes/{dispute.pk}/parties/{party.pk}"
    login(client, users["mediator"])
    body = client.get(url).json()
    assert "身份证号/统一社会信用代码" in body["missing_for_agreement"]
    response = client.patch(url, {"id_number": helpers.ID_A}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["missing_for_agreement"] == [] and body["id_number"] != helpers.ID_A  # masked
    party.refresh_from_db()
    assert party.id_number.clear == helpers.ID_A and party.address.clear == "枫溪社区1幢101室"
    bad = client.patch(url, {"phone": "12"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "联系电话不正确"
    party.refresh_from_db()
    assert party.phone.clear == "13900001111"
    login(client, users_b["community_officer"])
    assert client.get(url).status_code == 404
    assert client.patch(url, {"address": "x"}, content_type="application/json").status_code == 404
    party.refresh_from_db()
    assert party.address.clear == "枫溪社区1幢101室"


def test_api_patch_is_in_the_openapi(client, county, users):
    login(client, users["mediator"])
    schema = client.get("/api/v1/openapi.json").json()
    assert "patch" in schema["paths"]["/api/v1/disputes/{dispute_id}/parties/{party_id}"]

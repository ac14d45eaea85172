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

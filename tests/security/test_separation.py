"""三员分立 (issue 14, finding 1): no admin grants itself or another admin role; business roles and
jurisdictions need a second person's approval; every change is audited with actor, before, after;
a revoked API key stays revoked."""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.core import services as core_services
from fengqiao.core.errors import Conflict, Forbidden, NotFound
from fengqiao.core.models import ApiKey, AuditEvent
from fengqiao.org import services as org_services
from fengqiao.org.models import Jurisdiction, RoleRequest
from tests.conftest import login


def _group_ids(*codes):
    return [str(Group.objects.get_or_create(name=c)[0].pk) for c in codes]


def _change_form(user, groups):
    return {
        "username": user.username,
        "display_name": user.display_name,
        "is_active": "on",
        "groups": groups,
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "jurisdictions-TOTAL_FORMS": "0",
        "jurisdictions-INITIAL_FORMS": "0",
        "jurisdictions-MIN_NUM_FORMS": "0",
        "jurisdictions-MAX_NUM_FORMS": "1000",
    }


def test_security_admin_cannot_grant_itself_leader_or_audit_admin_in_the_admin(client, users):
    security = users["security_admin"]
    login(client, security)
    url = f"/admin/org/user/{security.pk}/change/"
    for role in ("audit_admin", "leader"):
        data = _change_form(security, _group_ids("security_admin", role))
        response = client.post(url, data)
        assert response.status_code in (200, 403)  # form error or refusal, never a redirect
        security.__dict__.pop("role_codes", None)
        assert security.role_codes == {"security_admin"}
    assert not security.has_perm("core.reveal_personal_data")


def test_security_admin_cannot_grant_an_admin_role_to_someone_else(client, users):
    security, worker = users["security_admin"], users["grid_worker"]
    login(client, security)
    data = _change_form(worker, _group_ids("grid_worker", "audit_admin"))
    client.post(f"/admin/org/user/{worker.pk}/change/", data)
    worker.__dict__.pop("role_codes", None)
    assert "audit_admin" not in worker.role_codes
    # Even a code path that bypasses the form is refused inside a web request.
    request_factory_client = client
    assert request_factory_client.get("/admin/").status_code == 200
    with pytest.raises(Forbidden):
        org_services.propose_role_request(
            user=worker, roles=["audit_admin"], reason="test", actor=security
        )


def test_jurisdiction_cannot_be_added_in_the_admin(client, users, county):
    security, worker = users["security_admin"], users["grid_worker"]
    login(client, security)
    data = _change_form(worker, _group_ids("grid_worker"))
    data.update(
        {
            "jurisdictions-TOTAL_FORMS": "1",
            "jurisdictions-0-place": str(county.county.pk),
            "jurisdictions-0-user": str(worker.pk),
        }
    )
    client.post(f"/admin/org/user/{worker.pk}/change/", data)
    assert not Jurisdiction.objects.filter(user=worker, place=county.county).exists()


def test_business_role_with_jurisdiction_needs_a_second_person(users, users_b, county):
    security, leader, worker = users["security_admin"], users["leader"], users["grid_worker"]
    request = org_services.propose_role_request(
        user=worker, roles=["dispatcher"], places=[county.grid_a], reason="调岗", actor=security
    )
    worker.__dict__.pop("role_codes", None)
    assert "dispatcher" not in worker.role_codes  # nothing given before approval
    with pytest.raises(Forbidden):  # the proposer cannot approve
        org_services.decide_role_request(request, actor=security, approve=True)
    with pytest.raises(Forbidden):  # the target cannot approve
        org_services.decide_role_request(request, actor=worker, approve=True)
    with pytest.raises(NotFound):  # a leader of another grid does not see it
        org_services.decide_role_request(request, actor=users_b["leader"], approve=True)
    org_services.decide_role_request(request, actor=leader, approve=True)
    worker.__dict__.pop("role_codes", None)
    assert "dispatcher" in worker.role_codes
    with pytest.raises(Conflict):
        org_services.decide_role_request(request, actor=leader, approve=True)
    row = AuditEvent.objects.filter(action="auth.roles_changed", target_id=str(worker.pk)).first()
    assert row.data["before"] == ["grid_worker"]
    assert row.data["after"] == ["dispatcher", "grid_worker"]
    decided = AuditEvent.objects.get(action="staff.role_request_decided")
    assert decided.user == leader and decided.data["decision"] == "approved"


def test_a_second_security_admin_approves_in_the_admin(client, users, users_b, county):
    first, second, worker = users["security_admin"], users_b["security_admin"], users["mediator"]
    request = org_services.propose_role_request(
        user=worker, roles=["lawyer"], places=[county.village], reason="兼任", actor=first
    )
    login(client, second)
    response = client.post(
        "/admin/org/rolerequest/",
        {"action": "approve", "_selected_action": [str(request.pk)]},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == RoleRequest.State.APPROVED and request.decided_by == second
    assert Jurisdiction.objects.filter(user=worker, place=county.village).exists()
    row = AuditEvent.objects.filter(action="staff.jurisdiction", target_id=str(worker.pk)).first()
    assert row.user == second
    assert f"place:{county.village.code}" not in row.data["before"]
    assert f"place:{county.village.code}" in row.data["after"]


def test_leader_approves_on_the_staff_page(client, users, county):
    security, leader, worker = users["security_admin"], users["leader"], users["volunteer"]
    request = org_services.propose_role_request(
        user=worker, roles=["grid_worker"], places=[county.grid_a], reason="补员", actor=security
    )
    login(client, leader)
    page = client.get("/role-requests/")
    assert page.status_code == 200 and "补员" in page.content.decode()
    client.post(f"/role-requests/{request.pk}/decide/", {"decision": "approve"})
    request.refresh_from_db()
    assert request.state == RoleRequest.State.APPROVED
    login(client, worker)
    assert client.get("/role-requests/").status_code == 403


def test_role_removal_in_the_admin_is_audited_with_actor_before_and_after(client, users):
    security, worker = users["security_admin"], users["grid_worker"]
    worker.groups.add(Group.objects.get(name="volunteer"))
    login(client, security)
    data = _change_form(worker, _group_ids("grid_worker"))
    response = client.post(f"/admin/org/user/{worker.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    row = AuditEvent.objects.filter(
        action="auth.roles_changed", target_id=str(worker.pk), user=security
    ).first()
    assert row is not None
    assert row.data["before"] == ["grid_worker", "volunteer"]
    assert row.data["after"] == ["grid_worker"]


def test_password_and_totp_changes_are_audited_with_actor(client, users):
    security, worker = users["security_admin"], users["grid_worker"]
    login(client, security)
    response = client.post(
        f"/admin/org/user/{worker.pk}/password/",
        {"password1": "New-Passw0rd!x", "password2": "New-Passw0rd!x", "usable_password": "true"},
    )
    assert response.status_code == 302
    row = AuditEvent.objects.get(action="auth.password_changed", target_id=str(worker.pk))
    assert row.user == security and "pbkdf2" not in str(row.data)
    device = TOTPDevice.objects.create(user=worker, name="phone", confirmed=True)
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    removed = AuditEvent.objects.get(
        action="auth.totp_device", target_id=str(worker.pk), data__change="remove"
    )
    assert removed.user == security and removed.data["before"]["name"] == "phone"


def test_revoked_api_key_cannot_be_revived_from_the_admin(client, users):
    security, worker = users["security_admin"], users["grid_worker"]
    key, _clear = core_services.create_api_key("integration", worker)
    core_services.revoke_api_key("integration")
    login(client, security)
    client.post(f"/admin/core/apikey/{key.pk}/change/", {"revoked_at_0": "", "revoked_at_1": ""})
    key.refresh_from_db()
    assert key.revoked_at is not None
    key.revoked_at = None
    with pytest.raises(Forbidden):
        key.save()
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert AuditEvent.objects.filter(action="apikey.revoke", target_id=str(key.pk)).exists()


def test_revoking_in_the_admin_is_audited_with_actor(client, users):
    security, worker = users["security_admin"], users["grid_worker"]
    key, _clear = core_services.create_api_key("integration-2", worker)
    login(client, security)
    client.post("/admin/core/apikey/", {"action": "revoke", "_selected_action": [str(key.pk)]})
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_at <= timezone.now()
    row = AuditEvent.objects.get(action="apikey.revoke", target_id=str(key.pk))
    assert row.user == security and row.data["before"] == {"revoked_at": None}

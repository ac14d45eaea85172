"""Accounts and the audit log: login, lockout, second factor, logout, role changes, immutability."""

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.core import audit
from fengqiao.core.models import AppendOnlyError, AuditEvent
from fengqiao.org import services as org_services
from tests.conftest import PASSWORD, login


def _login(client, username, password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def test_login_success_and_failure_are_audited(client, users):
    user = users["grid_worker"]
    assert _login(client, user.username, "wrong-password").status_code == 200
    failed = AuditEvent.objects.get(action="auth.login", result="failure")
    assert failed.data["username"] == user.username and failed.ip == "127.0.0.1"
    response = _login(client, user.username)
    assert response.status_code == 302 and response["Location"] == "/"
    assert AuditEvent.objects.filter(action="auth.login", result="success", user=user).exists()
    client.post("/logout/")
    assert AuditEvent.objects.filter(action="auth.logout", user=user).exists()
    assert client.get("/").status_code == 302  # signed out


def test_lockout_after_repeated_failures(client, users, settings):
    user = users["grid_worker"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user.username, "wrong-password")
    response = _login(client, user.username)  # even the right password is refused now
    assert response.status_code == 403
    assert "锁定" in response.content.decode()
    assert client.get("/").status_code == 302


def test_leader_must_pass_totp(client, users, settings):
    # django-otp's back-off after one failure is THROTTLE_FACTOR seconds; make it long enough that a
    # loaded machine cannot let it lapse between the two posts below.
    settings.OTP_TOTP_THROTTLE_FACTOR = 600
    leader = users["leader"]
    device = TOTPDevice.objects.get(user=leader)
    response = _login(client, leader.username)
    assert response["Location"].startswith("/login/second-factor/")
    assert client.get("/").status_code == 302  # gated until verified
    assert client.get("/api/v1/me").status_code == 401  # the API is gated too
    bad = client.post("/login/second-factor/", {"token": "000000"})
    assert "验证码不正确" in bad.content.decode()
    assert AuditEvent.objects.filter(action="auth.second_factor", result="failure").exists()
    too_soon = client.post("/login/second-factor/", {"token": f"{totp(device.bin_key):06d}"})
    assert "过于频繁" in too_soon.content.decode()  # django-otp throttles after a failure
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    ok = client.post("/login/second-factor/", {"token": f"{totp(device.bin_key):06d}", "next": "/"})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200


def test_admin_without_device_is_made_to_enrol(client, make_user):
    admin = make_user("system_admin")
    TOTPDevice.objects.filter(user=admin).delete()
    _login(client, admin.username)
    page = client.get("/login/second-factor/")
    assert "totp-secret" in page.content.decode()
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    client.post("/login/second-factor/", {"token": f"{totp(device.bin_key):06d}"})
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action="auth.totp_enrolled", user=admin).exists()


def test_password_rules(db):
    from fengqiao.core.errors import ServiceError

    for weak in ("short1!", "alllowercaseletters", "12345678901"):
        with pytest.raises(ServiceError):
            org_services.create_staff(username=f"u{len(weak)}", password=weak, roles=["volunteer"])


def test_session_expires_when_idle(settings):
    assert settings.SESSION_COOKIE_AGE <= 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST


def test_role_change_is_audited(users):
    user = users["grid_worker"]
    user.groups.add(Group.objects.get(name="mediator"))
    row = AuditEvent.objects.filter(action="auth.roles_changed", target_id=str(user.pk)).first()
    assert row.data["roles"] == ["mediator"] and row.data["change"] == "add"


def test_admin_roles_are_separated(client, users):
    system, security, auditor = users["system_admin"], users["security_admin"], users["audit_admin"]
    assert not system.has_perm("core.view_auditevent")
    assert not security.has_perm("core.view_auditevent")
    assert auditor.has_perm("core.view_auditevent")
    assert not auditor.has_perm("org.change_place") and not auditor.has_perm("org.change_user")
    assert system.has_perm("org.change_place") and not system.has_perm("org.change_user")
    assert security.has_perm("org.change_user") and not security.has_perm("org.change_place")
    for admin in (system, security, auditor):
        assert not admin.has_perm("core.reveal_personal_data")
        assert admin.scope_paths() == ()
    login(client, system)
    assert client.get("/audit/").status_code == 403
    assert client.get("/admin/core/auditevent/").status_code == 403
    assert client.get("/api/v1/audit-events").status_code == 403
    login(client, auditor)
    assert client.get("/audit/").status_code == 200
    assert client.get("/admin/core/auditevent/").status_code == 200
    assert client.get("/admin/org/place/").status_code == 403


def test_audit_log_is_append_only_in_the_application(db):
    row = audit.record("test.event")
    row.action = "changed"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(action="x")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="database triggers are PostgreSQL's")
def test_audit_log_is_append_only_in_postgresql(users):
    from fengqiao.core.workflow import append_timeline

    row = audit.record("test.event")
    entry = append_timeline(users["grid_worker"], "note", note="原始记录")
    for sql, pk in (
        ("UPDATE core_auditevent SET action = 'x' WHERE id = %s", row.pk),
        ("DELETE FROM core_auditevent WHERE id = %s", row.pk),
        ("UPDATE core_timelineentry SET note = 'x' WHERE id = %s", entry.pk),
        ("DELETE FROM core_timelineentry WHERE id = %s", entry.pk),
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [pk])
    assert AuditEvent.objects.filter(pk=row.pk, action="test.event").exists()
    assert type(entry).objects.get(pk=entry.pk).note == "原始记录"


def test_retention_purge_keeps_recent_rows(db, settings):
    from datetime import timedelta

    from django.utils import timezone

    from fengqiao.core.tasks import purge_expired_audit

    assert settings.AUDIT_RETENTION_DAYS >= 180
    recent = audit.record("recent")
    old = AuditEvent.objects.create(
        action="old", at=timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS + 1)
    )
    assert purge_expired_audit.call() == 1
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    assert not AuditEvent.objects.filter(pk=old.pk).exists()

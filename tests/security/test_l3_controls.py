"""GB/T 22239-2019 level 3 controls that the other files of this folder do not already prove, one
short test each (docs/security.md, "等保 2.0 L3 map", names each row's test)."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from fengqiao.cases.models import Case
from fengqiao.core import audit
from fengqiao.core.errors import ServiceError
from fengqiao.core.models import AppendOnlyError, AuditEvent
from fengqiao.org import services as org_services
from tests.cases.helpers import make_case
from tests.conftest import PASSWORD, login


def _login(client, username, password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


# -- 身份鉴别 identity and authentication ------------------------------------------------------
@pytest.mark.parametrize("weak", ["short1!", "alllowercaseletters", "12345678901", "Password123"])
def test_passwords_are_complex(db, weak):
    with pytest.raises(ServiceError):
        org_services.create_staff(username="weak-user", password=weak, roles=["volunteer"])


def test_repeated_failures_lock_the_account_at_that_address(client, users):
    user = users["grid_worker"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user.username, "wrong-password")
    assert _login(client, user.username).status_code == 403


def test_sessions_time_out_and_cookies_are_protected():
    assert settings.SESSION_COOKIE_AGE <= 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_COOKIE_HTTPONLY


def test_two_factors_for_leaders_and_admins(client, users):
    response = _login(client, users["leader"].username)
    assert response["Location"].startswith("/login/second-factor/")
    assert client.get("/api/v1/me").status_code == 401


# -- 访问控制 access control ---------------------------------------------------------------------
def test_out_of_jurisdiction_is_404_and_admins_see_no_business_records(client, county, users):
    case = make_case(county.grid_b)
    login(client, users["grid_worker"])
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    for role in ("system_admin", "security_admin", "audit_admin"):
        assert not Case.objects.restrict(users[role]).exists()
        assert not users[role].has_perm("core.reveal_personal_data")


# -- 安全审计 security audit ----------------------------------------------------------------------
def test_audit_rows_have_who_when_where_what_and_result(client, users):
    _login(client, users["grid_worker"].username, "wrong-password")
    row = AuditEvent.objects.get(action="auth.login", result="failure")
    assert row.at and row.ip == "127.0.0.1" and row.data["username"]


def test_audit_is_append_only_and_kept_at_least_180_days(db):
    row = audit.record("test.event")
    row.action = "changed"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert settings.AUDIT_RETENTION_DAYS >= 180


# -- 入侵防范 intrusion prevention: security headers on every page --------------------------------
def test_security_headers(db):
    response = Client().get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_production_settings_force_secure_transport(tmp_path):
    """Outside demo mode the cookies are Secure and HSTS is a year (read in a fresh process)."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "FENGQIAO_DEMO": "0",
        "FENGQIAO_SECRET_KEY": "x" * 60,
        "FENGQIAO_DATA_KEYS": "k" * 44,
        "FENGQIAO_HASH_KEY": "h" * 44,
        "FENGQIAO_HOME": str(tmp_path),
    }
    env.pop("FENGQIAO_SECURE_COOKIES", None)
    env.pop("FENGQIAO_HSTS_SECONDS", None)
    code = (
        "import fengqiao.settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[:2] == ["True", "True"] and int(out[2]) >= 31536000


# -- 数据保密性 confidentiality at rest ----------------------------------------------------------
def test_personal_data_is_encrypted_in_the_database_and_masked_on_screen(client, county, users):
    case = make_case(county.grid_a, reporter_phone="13912345678", reporter_name="欧阳娜娜")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reporter_phone, reporter_name FROM cases_case WHERE id = %s", [case.pk]
        )
        raw = " ".join(str(v) for v in cursor.fetchone())
    assert "13912345678" not in raw and "欧阳娜娜" not in raw
    login(client, users["dispatcher"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "13912345678" not in page and "139****5678" in page


# -- 剩余信息保护 residual information ------------------------------------------------------------
def test_logout_leaves_nothing_of_the_session(client, users):
    login(client, users["grid_worker"])
    key = client.session.session_key
    client.post("/logout/")
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/").status_code == 302

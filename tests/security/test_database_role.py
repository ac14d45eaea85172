"""The application's PostgreSQL role cannot truncate or bypass the audit log (issue 14, finding 6).

The application connects as a role that owns nothing (``FENGQIAO_DATABASE_URL``); migrations run
as the owner (``FENGQIAO_MIGRATE_DATABASE_URL``) and grant it rows only (``fengqiao.core.dbroles``).
Here a fresh login role gets exactly those grants on the test database and then tries what the
outside test did: TRUNCATE, DISABLE TRIGGER, session_replication_role — all refused."""

import secrets

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from fengqiao.core import audit, dbroles
from fengqiao.core.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def _pg():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (the role split is a PostgreSQL matter)")


@pytest.fixture
def app_role():
    _pg()
    role = f"fq_app_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
    try:
        dbroles.grant_app_role(role)
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')


def _connect_as(role):
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=role,
        password=s["PASSWORD"] or None,
        autocommit=True,
    )


REFUSED = [
    "TRUNCATE core_auditevent",
    "TRUNCATE core_timelineentry",
    "ALTER TABLE core_auditevent DISABLE TRIGGER ALL",
    "ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only",
    "DROP TRIGGER core_auditevent_append_only ON core_auditevent",
    "SET session_replication_role = replica",
    "CREATE TABLE fq_intruder (id int)",
    "DROP TABLE core_auditevent",
]


def test_the_app_role_cannot_truncate_or_bypass_the_audit_log(app_role):
    audit.record("test.row", data={"n": 1})
    rows = AuditEvent.objects.count()
    with _connect_as(app_role) as conn:
        for sql in REFUSED:
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.cursor() as cur:
                cur.execute(sql)
        # Rows it may read and add; the append-only triggers still refuse changes and deletes.
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM core_auditevent")
            assert cur.fetchone()[0] == rows
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                cur.execute("UPDATE core_auditevent SET action = 'x'")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                cur.execute("DELETE FROM core_auditevent")
    assert AuditEvent.objects.count() == rows


def test_the_grants_are_rows_only(app_role):
    with _connect_as(app_role) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT has_table_privilege('core_auditevent', 'INSERT'),"
            " has_table_privilege('core_auditevent', 'TRUNCATE'),"
            " has_table_privilege('core_auditevent', 'TRIGGER'),"
            " has_table_privilege('cases_case', 'UPDATE'),"
            " has_schema_privilege(current_schema(), 'CREATE')"
        )
        assert cur.fetchone() == (True, False, False, True, False)


def test_db_check_flags_an_owner_connection():
    """The tests connect as the owner, which ``fengqiao db check`` reports as unsafe."""
    _pg()
    with pytest.raises(CommandError, match="truncate or bypass"):
        call_command("db", "check")
    assert dbroles.report()["owner"] is True


def test_granting_to_the_migrating_role_itself_is_refused():
    _pg()
    with pytest.raises(ValueError, match="its own"):
        dbroles.grant_app_role(connection.settings_dict["USER"])

"""The application's PostgreSQL role (issue 14, finding 6).

The application connects as a role that owns no table: it may read and write rows, but it cannot
TRUNCATE, ALTER (so not ``DISABLE TRIGGER``), create or drop anything, and — not being a superuser —
cannot set ``session_replication_role`` to skip the append-only triggers of the audit log and the
timeline. Migrations run as the owner (``FENGQIAO_MIGRATE_DATABASE_URL``), and after every migrate
the owner grants the application role exactly this (``grant_app_role``, also ``fengqiao db grant``).
"""

from __future__ import annotations

from django.db import connections

# Rows only: no TRUNCATE, REFERENCES or TRIGGER; sequences for inserts.
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_PRIVILEGES = "USAGE, SELECT, UPDATE"


def _quote(connection, name):
    return connection.ops.quote_name(name)


def grant_app_role(role: str, using: str = "default") -> list[str]:
    """Grant ``role`` row access to every table of the schema (and future ones), and take away
    anything more. Run as the owner. Returns the statements executed."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    role_q = _quote(connection, role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        owner, schema = cursor.fetchone()
        if owner == role:
            raise ValueError(
                f"the application role {role!r} is the one running the migration: give it its own"
                " login (FENGQIAO_DATABASE_URL) and migrate as the owner"
                " (FENGQIAO_MIGRATE_DATABASE_URL)"
            )
        schema_q = _quote(connection, schema)
        statements = [
            f"GRANT USAGE ON SCHEMA {schema_q} TO {role_q}",
            f"REVOKE CREATE ON SCHEMA {schema_q} FROM {role_q}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema_q} FROM {role_q}",
            f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema_q} TO {role_q}",
            f"GRANT {SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA {schema_q} TO {role_q}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema_q} GRANT {TABLE_PRIVILEGES} ON TABLES"
            f" TO {role_q}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema_q} GRANT {SEQUENCE_PRIVILEGES} ON"
            f" SEQUENCES TO {role_q}",
        ]
        for sql in statements:
            cursor.execute(sql)
    return statements


def report(using: str = "default") -> dict:
    """What the current connection's role may do to the audit log (``fengqiao db check``)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return {"vendor": connection.vendor}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT current_user,
                   (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                   pg_has_role(current_user, (SELECT tableowner FROM pg_tables
                               WHERE tablename = 'core_auditevent' LIMIT 1), 'USAGE'),
                   has_table_privilege('core_auditevent', 'TRUNCATE'),
                   has_table_privilege('core_auditevent', 'TRIGGER')
            """
        )
        user, superuser, owner, truncate, trigger = cursor.fetchone()
    return {
        "vendor": "postgresql",
        "user": user,
        "superuser": bool(superuser),
        "owner": bool(owner),
        "truncate": bool(truncate),
        "trigger": bool(trigger),
        "safe": not (superuser or owner or truncate or trigger),
    }


def grant_after_migrate(using="default", **kwargs):
    """post_migrate: grant the application role (the user of FENGQIAO_DATABASE_URL) when the
    migration ran as the owner (FENGQIAO_MIGRATE_DATABASE_URL)."""
    from django.conf import settings

    role = getattr(settings, "APP_DATABASE_ROLE", "")
    if role and getattr(settings, "AS_OWNER", False):
        grant_app_role(role, using=using)

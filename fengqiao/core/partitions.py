"""Monthly partitions of the large append-mostly tables on PostgreSQL (issue 15).

On PostgreSQL the audit log, the timeline, the notifications and the deadlines are declarative
range partitions by month of their time column (``PARTITIONED``): one table per month named
``<table>_pYYYYMM`` plus a ``<table>_default`` partition that catches any row no month exists
for. SQLite (the demo) keeps plain tables; nothing in the application depends on the partitions.

* The primary key of a partitioned table has to contain the partition column, so it is
  ``(id, <column>)``; ``id`` stays unique because it comes from one identity sequence, and
  Django keeps addressing rows by ``id`` (an index scan per partition).
* No foreign key can point *at* a partitioned table by ``id`` alone: ``Attachment.entry``
  therefore has no database constraint (``db_constraint=False``). Timeline rows cannot be
  updated or deleted (the append-only trigger is on the partitioned table and every
  partition), so an attachment's entry cannot vanish; the ORM still refuses (PROTECT).
* Cases are **not** partitioned: a dozen tables (disputes, supervision cards, risks, the
  resident's reopen …) hold foreign keys to ``cases_case.id``, and each would have to carry the
  case's month as well. Cases are 1 row per report (≈ 2×10^7 a year at city scale, one
  index lookup per read); their history, deadlines and audit are where the rows multiply.

``ensure()`` creates the months ahead (run after every migrate and by ``fengqiao partitions
ensure``, e.g. daily from cron, as the owner); ``retention()`` detaches and drops whole old
months of the audit log and delivered notifications, after writing them to an archive file
(``fengqiao partitions retention``). See docs/deploy.md.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
from pathlib import Path

from django.db import connections, transaction
from django.utils import timezone

# table -> partition column
PARTITIONED = {
    "core_auditevent": "at",
    "core_timelineentry": "at",
    "core_notification": "created_at",
    "core_deadline": "started_at",
}
# Tables whose old months may be dropped by retention (the others are case files, kept).
RETENTION = {"core_auditevent", "core_notification"}
AUDIT_FLOOR_DAYS = 180  # the append-only trigger refuses younger audit rows; retention too
APPEND_ONLY = {"core_auditevent", "core_timelineentry"}
_NAME = re.compile(r"^(?P<table>[a-z_]+)_p(?P<y>\d{4})(?P<m>\d{2})$")


def _month(d: dt.date | dt.datetime) -> dt.date:
    return dt.date(d.year, d.month, 1)


def _next(month: dt.date, n: int = 1) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y%m}"


def is_partitioned(connection, table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relkind = 'p' FROM pg_class c WHERE c.oid = to_regclass(%s)",
            [table],
        )
        row = cur.fetchone()
    return bool(row and row[0])


def partitions(connection, table: str) -> list[tuple[str, str]]:
    """(name, bound expression) of the table's partitions, oldest first; default last."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname
            """,
            [table],
        )
        rows = cur.fetchall()
    return sorted(rows, key=lambda r: (r[0].endswith("_default"), r[0]))


def _months_of(connection, table: str) -> set[dt.date]:
    found = set()
    for name, _bound in partitions(connection, table):
        m = _NAME.match(name)
        if m and m["table"] == table:
            found.add(dt.date(int(m["y"]), int(m["m"]), 1))
    return found


def _bound(month: dt.date) -> tuple[str, str]:
    # Month boundaries in UTC (timestamptz literals): every instant belongs to one month.
    return f"{month:%Y-%m-%d} 00:00:00+00", f"{_next(month):%Y-%m-%d} 00:00:00+00"


def _create_month(cur, table: str, column: str, month: dt.date) -> None:
    """Create one month's partition; rows of that month already in the default partition are
    moved into it first (PostgreSQL refuses to attach a range the default holds rows of)."""
    name = partition_name(table, month)
    lo, hi = _bound(month)
    default = f"{table}_default"
    cur.execute(
        f'SELECT count(*) FROM "{default}" WHERE "{column}" >= %s AND "{column}" < %s',  # noqa: S608
        [lo, hi],
    )
    waiting = cur.fetchone()[0]
    if not waiting:
        cur.execute(
            f'CREATE TABLE "{name}" PARTITION OF "{table}" FOR VALUES FROM (%s) TO (%s)',
            [lo, hi],
        )
        return
    # Move: detach the default, create the month, copy the rows, delete them from the default
    # (its append-only trigger is off for this one statement, inside the transaction, as the
    # owner), attach the default again. Deferred foreign-key checks of rows written earlier in
    # this transaction are run first: a table with pending trigger events cannot be altered.
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cur.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{default}"')
    cur.execute(
        f'CREATE TABLE "{name}" PARTITION OF "{table}" FOR VALUES FROM (%s) TO (%s)', [lo, hi]
    )
    cur.execute(
        f'INSERT INTO "{table}" SELECT * FROM "{default}"'  # noqa: S608
        f' WHERE "{column}" >= %s AND "{column}" < %s',
        [lo, hi],
    )
    cur.execute(f'ALTER TABLE "{default}" DISABLE TRIGGER USER')
    cur.execute(
        f'DELETE FROM "{default}" WHERE "{column}" >= %s AND "{column}" < %s',  # noqa: S608
        [lo, hi],
    )
    cur.execute(f'ALTER TABLE "{default}" ENABLE TRIGGER USER')
    cur.execute(f'ALTER TABLE "{table}" ATTACH PARTITION "{default}" DEFAULT')
    cur.execute("SET CONSTRAINTS ALL DEFERRED")


def ensure(
    using: str = "default",
    ahead: int = 3,
    now: dt.datetime | None = None,
    since: dt.date | None = None,
) -> list[str]:
    """Create the partitions of this month and ``ahead`` months after it — and, with ``since``,
    every month from ``since`` on (loading history) — idempotent. Returns the names created.
    Needs the table owner (``FENGQIAO_MIGRATE_DATABASE_URL``)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    this = _month(now or timezone.now())
    first = min(_month(since), this) if since else this
    count = (this.year - first.year) * 12 + this.month - first.month + ahead + 1
    created = []
    with transaction.atomic(using=using), connection.cursor() as cur:
        for table, column in PARTITIONED.items():
            if not is_partitioned(connection, table):
                continue
            have = _months_of(connection, table)
            for k in range(count):
                month = _next(first, k)
                if month not in have:
                    _create_month(cur, table, column, month)
                    created.append(partition_name(table, month))
    return created


def ensure_after_migrate(using="default", **kwargs):
    """post_migrate: the months ahead exist after every ``fengqiao migrate``."""
    ensure(using=using)


# -- conversion (the migration) ---------------------------------------------------------------


def _table_parts(cur, table: str):
    """Index definitions, foreign keys and check constraints of ``table`` (to rebuild them)."""
    cur.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = to_regclass(%s) AND NOT x.indisprimary
        """,
        [table],
    )
    indexes = cur.fetchall()
    cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = to_regclass(%s) AND contype = 'f'",
        [table],
    )
    fks = cur.fetchall()
    return indexes, fks


def _rebuild(schema_editor, table: str, column: str | None) -> None:
    """Rebuild ``table`` as a partitioned table by month of ``column`` (or, with ``column``
    None, back as a plain table), keeping every row, index, foreign key, identity value and the
    append-only trigger."""
    connection = schema_editor.connection
    old = f"{table}_unpartitioned" if column else f"{table}_partitioned"
    with connection.cursor() as cur:
        indexes, fks = _table_parts(cur, table)
        cur.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        tail = f' PARTITION BY RANGE ("{column}")' if column else ""
        cur.execute(
            f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING IDENTITY'
            f" INCLUDING CONSTRAINTS INCLUDING STORAGE){tail}"
        )
        if column:
            cur.execute(f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT')
            cur.execute(
                f"SELECT date_trunc('month', min(\"{column}\") AT TIME ZONE 'UTC'),"  # noqa: S608
                f" date_trunc('month', max(\"{column}\") AT TIME ZONE 'UTC') FROM \"{old}\""
            )
            first, last = cur.fetchone()
            this = _month(timezone.now())
            month = _month(first) if first else this
            end = max(_month(last), this) if last else this
            while month <= end:
                _create_month(cur, table, column, month)
                month = _next(month)
        cur.execute(
            f'INSERT INTO "{table}" OVERRIDING SYSTEM VALUE SELECT * FROM "{old}"'  # noqa: S608
        )
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'),"  # noqa: S608
            f' coalesce((SELECT max(id) FROM "{old}"), 0) + 1, false)',
            [table],
        )
        # Foreign keys *to* this table cannot survive partitioning (they would need the month);
        # the only one, Attachment.entry, has db_constraint=False.
        cur.execute(f'DROP TABLE "{old}"')
        key = f'"id", "{column}"' if column else '"id"'
        cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY ({key})')
        for _name, definition in indexes:
            cur.execute(
                re.sub(rf'ON (ONLY )?(\S+\.)?"?{re.escape(old)}"?', f'ON "{table}"', definition)
            )
        for name, definition in fks:
            cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        if table in APPEND_ONLY:
            cur.execute(
                f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}"'
                " FOR EACH ROW EXECUTE FUNCTION fengqiao_append_only()"
            )
        cur.execute(f'ANALYZE "{table}"')


# The append-only trigger function, aware of partitions: a row trigger fires on the partition,
# so TG_TABLE_NAME is ``core_auditevent_p202612`` or ``core_auditevent_default``; the parent's
# name (TG_TABLE_NAME of old) decides whether old audit rows may be purged.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION fengqiao_append_only() RETURNS trigger AS $$
DECLARE
  parent text := coalesce((SELECT p.relname FROM pg_inherits i JOIN pg_class p
                           ON p.oid = i.inhparent WHERE i.inhrelid = TG_RELID), TG_TABLE_NAME);
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION '% is append-only: UPDATE refused', parent USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF parent = 'core_auditevent' AND OLD.at < now() - interval '180 days' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only: DELETE refused', parent USING ERRCODE = 'insufficient_privilege';
END $$ LANGUAGE plpgsql;
"""


def partition_tables(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(APPEND_ONLY_FUNCTION, params=None)
    for table, column in PARTITIONED.items():
        if not is_partitioned(schema_editor.connection, table):
            _rebuild(schema_editor, table, column)


def unpartition_tables(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in PARTITIONED:
        if is_partitioned(schema_editor.connection, table):
            _rebuild(schema_editor, table, None)


# -- retention ---------------------------------------------------------------------------------


def retention(
    table: str,
    older_than_days: int,
    archive_dir: str | Path | None,
    using: str = "default",
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> list[dict]:
    """Archive and drop the whole months of ``table`` that ended more than ``older_than_days``
    ago. Each month is written first (``COPY … TO STDOUT`` as CSV with a header, gzip) to
    ``archive_dir/<partition>.csv.gz``; without an archive directory nothing is dropped unless
    ``archive_dir`` is the string ``"none"`` (explicitly no archive). Audit months are kept at
    least ``AUDIT_FLOOR_DAYS``; a notification month with a pending message is kept."""
    if table not in RETENTION:
        raise ValueError(f"{table} has no retention: only {sorted(RETENTION)}")
    if table == "core_auditevent" and older_than_days < AUDIT_FLOOR_DAYS:
        raise ValueError(f"audit rows are kept at least {AUDIT_FLOOR_DAYS} days")
    connection = connections[using]
    if not is_partitioned(connection, table):
        raise ValueError(f"{table} is not partitioned (PostgreSQL only)")
    cutoff = (now or timezone.now()) - dt.timedelta(days=older_than_days)
    done = []
    for name, _bound in partitions(connection, table):
        m = _NAME.match(name)
        if not m or m["table"] != table:
            continue
        month = dt.date(int(m["y"]), int(m["m"]), 1)
        end = dt.datetime.combine(_next(month), dt.time(), tzinfo=dt.UTC)
        if end > cutoff:
            continue
        with connection.cursor() as cur:
            cur.execute(f'SELECT count(*) FROM "{name}"')  # noqa: S608
            rows = cur.fetchone()[0]
            pending = 0
            if table == "core_notification":
                cur.execute(f"SELECT count(*) FROM \"{name}\" WHERE state = 'pending'")  # noqa: S608
                pending = cur.fetchone()[0]
        entry = {"partition": name, "rows": rows, "archive": None, "dropped": False}
        if pending:
            entry["kept"] = f"{pending} pending"
            done.append(entry)
            continue
        if dry_run:
            done.append(entry)
            continue
        if archive_dir != "none":
            if archive_dir is None:
                raise ValueError("give an archive directory (or 'none' to drop without one)")
            path = Path(archive_dir) / f"{name}.csv.gz"
            path.parent.mkdir(parents=True, exist_ok=True)
            _copy_out(connection, name, path)
            entry["archive"] = str(path)
        with transaction.atomic(using=using), connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks on the month
            cur.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{name}"')
            cur.execute(f'DROP TABLE "{name}"')
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
        entry["dropped"] = True
        done.append(entry)
    return done


def _copy_out(connection, name: str, path: Path) -> None:
    connection.ensure_connection()
    raw = connection.connection
    sql = f'COPY "{name}" TO STDOUT WITH (FORMAT csv, HEADER true)'
    with gzip.open(path, "wb") as out, raw.cursor() as cur:
        if hasattr(cur, "copy"):  # psycopg 3
            with cur.copy(sql) as copy:
                for chunk in copy:
                    out.write(bytes(chunk))
        else:  # psycopg2
            cur.copy_expert(sql, out)

"""Monthly partitions on PostgreSQL (issue 15, fengqiao.core.partitions): the audit log, the
timeline, the notifications and the deadlines are partitioned by month; rows land in their
month's partition, the migration keeps every row of a populated database (and can be undone),
months are created ahead and old months archived and dropped by retention. SQLite: plain tables."""

import datetime as dt
import gzip
import os

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from fengqiao.core import partitions
from fengqiao.core.models import AuditEvent, Deadline, Notification, TimelineEntry
from fengqiao.org.models import User

ON_PG = os.environ.get("FENGQIAO_DATABASE_URL", "").split(":")[0] in ("postgres", "postgresql")
pg_only = pytest.mark.skipif(not ON_PG, reason="declarative partitions are PostgreSQL's")
UTC = dt.UTC


def where(table, pk):
    """The partition holding row ``pk`` of ``table``."""
    with connection.cursor() as cur:
        cur.execute(f'SELECT tableoid::regclass::text FROM "{table}" WHERE id = %s', [pk])  # noqa: S608
        return cur.fetchone()[0]


def month_name(table, when):
    return partitions.partition_name(table, dt.date(when.year, when.month, 1))


@pytest.mark.django_db
def test_sqlite_keeps_plain_tables():
    if ON_PG:
        assert all(partitions.is_partitioned(connection, t) for t in partitions.PARTITIONED)
    else:
        assert not any(partitions.is_partitioned(connection, t) for t in partitions.PARTITIONED)
        assert partitions.ensure() == []


@pg_only
@pytest.mark.django_db
def test_rows_land_in_their_month():
    now = timezone.now()
    user = User.objects.create_user("p1")
    ct = ContentType.objects.get_for_model(User)
    audit = AuditEvent.objects.create(action="probe", username="p1")
    entry = TimelineEntry.objects.create(content_type=ct, object_id=user.pk, transition="t")
    note = Notification.objects.create(recipient=user, kind="k", title="t")
    deadline = Deadline.objects.create(
        content_type=ct, object_id=user.pk, kind="k", due_at=now + dt.timedelta(days=1)
    )
    assert where("core_auditevent", audit.pk) == month_name("core_auditevent", now)
    assert where("core_timelineentry", entry.pk) == month_name("core_timelineentry", now)
    assert where("core_notification", note.pk) == month_name("core_notification", now)
    assert where("core_deadline", deadline.pk) == month_name("core_deadline", now)
    # the months ahead exist (post_migrate ran ensure), a row dated next month has its place
    later = now + dt.timedelta(days=40)
    ahead = AuditEvent.objects.create(action="probe", at=later)
    assert where("core_auditevent", ahead.pk) == month_name("core_auditevent", later)
    # the application addresses rows by id as before: update and read back
    Notification.objects.filter(pk=note.pk).update(state="delivered")
    Deadline.objects.filter(pk=deadline.pk).update(next_check_at=now)
    assert Notification.objects.get(pk=note.pk).state == "delivered"
    assert list(Deadline.objects.filter(next_check_at__lte=now)) == [deadline]
    # history is still append-only on every partition
    with (
        pytest.raises((InternalError, ProgrammingError)),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("UPDATE core_timelineentry SET note = 'x' WHERE id = %s", [entry.pk])
    with (
        pytest.raises((InternalError, ProgrammingError)),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("DELETE FROM core_auditevent WHERE id = %s", [audit.pk])


@pg_only
@pytest.mark.django_db
def test_old_rows_go_to_default_and_move_when_their_month_is_made():
    old = dt.datetime(2019, 3, 15, 8, tzinfo=UTC)
    row = AuditEvent.objects.create(action="old", at=old)
    assert where("core_auditevent", row.pk) == "core_auditevent_default"
    with transaction.atomic(), connection.cursor() as cur:
        partitions._create_month(cur, "core_auditevent", "at", dt.date(2019, 3, 1))
    assert where("core_auditevent", row.pk) == "core_auditevent_p201903"
    assert AuditEvent.objects.filter(action="old").count() == 1
    # the default partition's trigger is on again after the move
    young = AuditEvent.objects.create(action="young", at=dt.datetime(2019, 9, 1, tzinfo=UTC))
    with (
        pytest.raises((InternalError, ProgrammingError)),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("UPDATE core_auditevent SET action = 'x' WHERE id = %s", [young.pk])


@pg_only
@pytest.mark.django_db
def test_ensure_creates_months_ahead_once():
    now = timezone.now()
    far = now + dt.timedelta(days=400)
    created = partitions.ensure(ahead=0, now=far)
    assert created == [month_name(t, far) for t in partitions.PARTITIONED]
    assert partitions.ensure(ahead=0, now=far) == []


@pg_only
@pytest.mark.django_db
def test_attachment_has_no_foreign_key_to_the_partitioned_timeline():
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
            " AND confrelid = 'core_timelineentry'::regclass"
        )
        assert cur.fetchone()[0] == 0
        # the timeline's own foreign keys (content type, actor) are kept
        cur.execute(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conparentid = 0"
            " AND conrelid = 'core_timelineentry'::regclass"
        )
        assert cur.fetchone()[0] == 2
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute(
            "INSERT INTO core_timelineentry (content_type_id, object_id, at, actor_name,"
            " transition, from_state, to_state, note, data)"
            " VALUES (999999, 1, now(), '', 't', '', '', '', '{}')"
        )


@pg_only
@pytest.mark.django_db
def test_retention_archives_and_drops_old_audit_months(tmp_path):
    now = timezone.now()
    old = dt.datetime(2020, 1, 10, tzinfo=UTC)
    with transaction.atomic(), connection.cursor() as cur:
        partitions._create_month(cur, "core_auditevent", "at", dt.date(2020, 1, 1))
        partitions._create_month(cur, "core_notification", "created_at", dt.date(2020, 1, 1))
    for i in range(3):
        AuditEvent.objects.create(action=f"old{i}", at=old)
    kept = AuditEvent.objects.create(action="recent")
    with pytest.raises(ValueError, match="180"):
        partitions.retention("core_auditevent", 30, tmp_path)
    with pytest.raises(ValueError):
        partitions.retention("core_timelineentry", 4000, tmp_path)
    dry = partitions.retention("core_auditevent", 400, tmp_path, dry_run=True, now=now)
    assert [(d["partition"], d["rows"], d["dropped"]) for d in dry] == [
        ("core_auditevent_p202001", 3, False)
    ]
    assert AuditEvent.objects.filter(action__startswith="old").count() == 3
    done = partitions.retention("core_auditevent", 400, tmp_path, now=now)
    assert done[0]["dropped"] and done[0]["rows"] == 3
    with gzip.open(done[0]["archive"], "rt") as f:
        lines = f.read().splitlines()
    assert lines[0].startswith("id,") and len(lines) == 4 and "old0" in "".join(lines)
    assert not AuditEvent.objects.filter(action__startswith="old").exists()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    assert "core_auditevent_p202001" not in dict(
        partitions.partitions(connection, "core_auditevent")
    )
    # a notification month with a message still pending is kept
    Notification.objects.create(kind="k", title="t", created_at=old)
    kept_month = partitions.retention("core_notification", 400, "none", now=now)
    assert kept_month[0]["kept"] == "1 pending" and not kept_month[0]["dropped"]
    assert Notification.objects.filter(created_at=old).count() == 1


@pg_only
@pytest.mark.django_db(transaction=True)
def test_migration_keeps_the_rows_of_a_populated_database():
    """Undo the partitioning (back to 0008: plain tables), fill the tables with rows over three
    years, partition again (0009): every row is kept with its id in its month, new ids follow."""
    executor = MigrationExecutor(connection)
    before = [("core", "0008_notificationtemplate")]
    after = executor.loader.graph.leaf_nodes("core")
    executor.migrate(before)
    try:
        assert not partitions.is_partitioned(connection, "core_auditevent")
        ct = ContentType.objects.get_for_model(User).pk
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO core_auditevent (at, username, request_id, action, target_type,"
                " target_id, target_repr, result, data)"
                " SELECT now() - g * interval '11 days', 'u', '', 'a' || g, '', '', '', 'success',"
                " '{}' FROM generate_series(0, 99) g"
            )
            cur.execute(
                "INSERT INTO core_timelineentry (content_type_id, object_id, at, actor_name,"
                " transition, from_state, to_state, note, data)"
                " SELECT %s, g, now() - g * interval '11 days', '', 't', '', '', 'n' || g, '{}'"
                " FROM generate_series(0, 99) g",
                [ct],
            )
            cur.execute(
                "INSERT INTO core_deadline (content_type_id, object_id, kind, policy, started_at,"
                " due_at, state, breached, level, next_check_at, place_path)"
                " SELECT %s, g, 'k', 'p', now() - g * interval '11 days', now(), 'open', false,"
                " 0, now(), '' FROM generate_series(0, 99) g",
                [ct],
            )
            snapshot = {}
            for table in ("core_auditevent", "core_timelineentry", "core_deadline"):
                cur.execute(f'SELECT array_agg(id ORDER BY id) FROM "{table}"')  # noqa: S608
                snapshot[table] = cur.fetchone()[0]
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        with connection.cursor() as cur:
            for table, ids in snapshot.items():
                assert partitions.is_partitioned(connection, table)
                cur.execute(f'SELECT array_agg(id ORDER BY id) FROM "{table}"')  # noqa: S608
                assert cur.fetchone()[0] == ids
                cur.execute(f'SELECT count(*) FROM "{table}_default"')  # noqa: S608
                assert cur.fetchone()[0] == 0  # every row found its month
                months = [n for n, _ in partitions.partitions(connection, table)]
                assert len(months) >= 36  # three years of months (+ ahead, + default)
        assert TimelineEntry.objects.filter(note="n42").count() == 1
        fresh = AuditEvent.objects.create(action="after")
        assert fresh.pk > max(snapshot["core_auditevent"])
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )

"""Lawful redaction of timeline text (PIPL Art. 47) and append-only triggers on both databases.

``core_timelineredaction`` records each redaction (append-only). The timeline's trigger refuses
every UPDATE except the one ``fengqiao.core.redaction`` makes: every column but ``note`` and
``data`` unchanged, ``data`` still an object with the same keys, each changed text (the note, or a
top-level data value) replaced by exactly the marker ``〔已删除〕``, and a redaction row of that
entry naming each changed field (``note`` / ``data.<key>``). DELETE stays refused.

On PostgreSQL the timeline is partitioned by month (0009_partitions): the trigger is created on the
partitioned table, so PostgreSQL clones it onto every partition, those made later by
``fengqiao manage partitions ensure`` included.

SQLite gets UPDATE triggers on the audit log, the timeline and the redaction record (before this,
the rule was kept by the application only). DELETE there stays the application's rule: SQLite has no
TRUNCATE, and Django's test flush empties tables with DELETE.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MARK = "〔已删除〕"

PG_SQL = """
CREATE OR REPLACE FUNCTION fengqiao_timeline_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND NEW.id = OLD.id
     AND NEW.content_type_id = OLD.content_type_id
     AND NEW.object_id = OLD.object_id
     AND NEW.at = OLD.at
     AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
     AND NEW.actor_name = OLD.actor_name
     AND NEW.transition = OLD.transition
     AND NEW.from_state = OLD.from_state
     AND NEW.to_state = OLD.to_state
     AND (NEW.note = OLD.note OR (NEW.note = '{mark}' AND EXISTS (
          SELECT 1 FROM core_timelineredaction r WHERE r.entry_id = OLD.id AND r.fields ? 'note')))
     AND jsonb_typeof(OLD.data) = 'object' AND jsonb_typeof(NEW.data) = 'object'
     AND (SELECT count(*) FROM jsonb_object_keys(NEW.data)) = (SELECT count(*) FROM jsonb_object_keys(OLD.data))
     AND NOT EXISTS (
          SELECT 1 FROM jsonb_each(NEW.data) n
          WHERE NOT (OLD.data ? n.key)
             OR (n.value IS DISTINCT FROM OLD.data -> n.key
                 AND NOT (n.value = to_jsonb('{mark}'::text) AND EXISTS (
                   SELECT 1 FROM core_timelineredaction r
                   WHERE r.entry_id = OLD.id AND r.fields ? ('data.' || n.key)))))
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS core_timelineentry_append_only ON core_timelineentry;
CREATE TRIGGER core_timelineentry_append_only BEFORE UPDATE OR DELETE ON core_timelineentry
  FOR EACH ROW EXECUTE FUNCTION fengqiao_timeline_guard();
CREATE TRIGGER core_timelineredaction_append_only BEFORE UPDATE OR DELETE ON core_timelineredaction
  FOR EACH ROW EXECUTE FUNCTION fengqiao_append_only();
""".format(mark=MARK)

PG_REVERSE = """
DROP TRIGGER IF EXISTS core_timelineredaction_append_only ON core_timelineredaction;
DROP TRIGGER IF EXISTS core_timelineentry_append_only ON core_timelineentry;
CREATE TRIGGER core_timelineentry_append_only BEFORE UPDATE OR DELETE ON core_timelineentry
  FOR EACH ROW EXECUTE FUNCTION fengqiao_append_only();
DROP FUNCTION IF EXISTS fengqiao_timeline_guard();
"""

SQLITE_SQL = [
    """
CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE ON core_auditevent
BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: UPDATE refused'); END
""",
    """
CREATE TRIGGER core_timelineredaction_append_only BEFORE UPDATE ON core_timelineredaction
BEGIN SELECT RAISE(ABORT, 'core_timelineredaction is append-only: UPDATE refused'); END
""",
    """
CREATE TRIGGER core_timelineentry_append_only BEFORE UPDATE ON core_timelineentry
WHEN NOT (
  NEW.id = OLD.id
  AND NEW.content_type_id = OLD.content_type_id
  AND NEW.object_id = OLD.object_id
  AND NEW.at = OLD.at
  AND NEW.actor_id IS OLD.actor_id
  AND NEW.actor_name = OLD.actor_name
  AND NEW.transition = OLD.transition
  AND NEW.from_state = OLD.from_state
  AND NEW.to_state = OLD.to_state
  AND (NEW.note = OLD.note OR (NEW.note = '{mark}' AND EXISTS (
       SELECT 1 FROM core_timelineredaction r, json_each(r.fields) f
       WHERE r.entry_id = OLD.id AND f.value = 'note')))
  AND json_valid(NEW.data) AND json_type(NEW.data) = 'object' AND json_type(OLD.data) = 'object'
  AND (SELECT count(*) FROM json_each(NEW.data)) = (SELECT count(*) FROM json_each(OLD.data))
  AND NOT EXISTS (
       SELECT 1 FROM json_each(NEW.data) n
       WHERE NOT EXISTS (
         SELECT 1 FROM json_each(OLD.data) o
         WHERE o.key = n.key AND (
           (o.type = n.type AND o.value IS n.value)
           OR (n.type = 'text' AND n.value = '{mark}' AND EXISTS (
               SELECT 1 FROM core_timelineredaction r, json_each(r.fields) f
               WHERE r.entry_id = OLD.id AND f.value = 'data.' || n.key)))))
)
BEGIN SELECT RAISE(ABORT, 'core_timelineentry is append-only: UPDATE refused'); END
""".format(mark=MARK),
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS core_timelineentry_append_only",
    "DROP TRIGGER IF EXISTS core_timelineredaction_append_only",
    "DROP TRIGGER IF EXISTS core_auditevent_append_only",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_SQL, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_SQL:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_partitions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TimelineRedaction",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                ("actor_name", models.CharField(blank=True, max_length=150)),
                ("reason", models.CharField(max_length=64)),
                ("fields", models.JSONField(default=list)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "entry",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="redactions",
                        to="core.timelineentry",
                    ),
                ),
            ],
            options={
                "verbose_name": "时间线删除记录",
                "verbose_name_plural": "时间线删除记录",
                "ordering": ["at", "id"],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]

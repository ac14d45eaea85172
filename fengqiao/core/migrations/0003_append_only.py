"""PostgreSQL refuses UPDATE and DELETE of the audit log and the timeline, whatever the application
does. Audit rows may be deleted only once older than 180 days (the retention floor). On SQLite the
same rule is kept by the application (fengqiao.core.models.AppendOnlyQuerySet)."""

from django.db import migrations

PG_SQL = """
CREATE OR REPLACE FUNCTION fengqiao_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION '% is append-only: UPDATE refused', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_TABLE_NAME = 'core_auditevent' AND OLD.at < now() - interval '180 days' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only: DELETE refused', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
  FOR EACH ROW EXECUTE FUNCTION fengqiao_append_only();
CREATE TRIGGER core_timelineentry_append_only BEFORE UPDATE OR DELETE ON core_timelineentry
  FOR EACH ROW EXECUTE FUNCTION fengqiao_append_only();
"""

PG_REVERSE = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP TRIGGER IF EXISTS core_timelineentry_append_only ON core_timelineentry;
DROP FUNCTION IF EXISTS fengqiao_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_SQL, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

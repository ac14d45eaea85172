"""PostgreSQL: trigram (pg_trgm) GIN indexes for substring search of addresses and unit names.

Chinese text works with pg_trgm when the database's LC_CTYPE classifies CJK characters as letters
(C.UTF-8 and zh_CN.UTF-8 do). Names are searched by prefix through the btree ``*_like`` index
Django adds for ``db_index`` character fields. Nothing happens on SQLite."""

from django.db import migrations

INDEXES = [
    ("registry_address_full_name_trgm", "registry_address", "full_name"),
    ("registry_unit_name_trgm", "registry_unit", "name"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

"""Stored place paths that a concurrent move cannot leave behind (issue 8, places that move).

Every record bound to a place keeps a copy of its path (``place_path``) for prefix scoping, and
``org.moves`` rewrites those copies when a place moves or is recoded. A record written while a move
is under way must not keep the old path: its writer may have read the place (or a cached copy of
it) before the move committed, and on PostgreSQL the move's ``UPDATE … WHERE place_path LIKE
'old%'`` does not see rows that commit after the statement started.

So the database, not the writer, decides the copy. After every migrate, each table with both
``place_id`` and ``place_path`` gets a trigger that sets ``place_path`` from ``org_place`` on
INSERT, and on an UPDATE that changes ``place_id`` or ``place_path`` (a stale copy written back by
a full save):

* PostgreSQL: ``BEFORE`` row triggers read the place's path ``FOR KEY SHARE``. ``move_place`` /
  ``recode_place`` lock the whole moved subtree of ``org_place`` ``FOR UPDATE`` first, which
  conflicts with that lock. Either the writer locked first — then the move waits for it to commit,
  and its rewrite (a later statement, a fresh snapshot) includes the new row — or the move locked
  first — then the writer waits for the move to commit and reads the new path (a locking read
  returns the row's latest version). ``tests/org/test_move_race.py`` shows both orders.
* SQLite: ``AFTER`` triggers set the path inside the writing statement. SQLite runs one writer at a
  time, so the statement sees any move that committed before it, and a move that starts later
  rewrites the row.

Copies on tables without a ``place_id`` (deadlines, supervision cards, import jobs) are taken from
a record the writer holds locked (``core.workflow.apply`` / ``locked``); ``org.moves`` rewrites
them after the tables with a ``place_id``, so a move that waited for that record's lock also sees
them.
"""

from django.db import connections

from .moves import path_copies

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION fengqiao_place_path() RETURNS trigger AS $$
BEGIN
  IF NEW.place_id IS NOT NULL THEN
    SELECT path INTO NEW.place_path FROM org_place WHERE id = NEW.place_id FOR KEY SHARE;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
"""

PG_TRIGGERS = """
DROP TRIGGER IF EXISTS {table}_place_path_ins ON {qtable};
DROP TRIGGER IF EXISTS {table}_place_path_upd ON {qtable};
CREATE TRIGGER {table}_place_path_ins BEFORE INSERT ON {qtable}
  FOR EACH ROW EXECUTE FUNCTION fengqiao_place_path();
CREATE TRIGGER {table}_place_path_upd BEFORE UPDATE OF place_id, place_path ON {qtable}
  FOR EACH ROW WHEN (NEW.place_id IS DISTINCT FROM OLD.place_id
                     OR NEW.place_path IS DISTINCT FROM OLD.place_path)
  EXECUTE FUNCTION fengqiao_place_path();
"""

SQLITE_TRIGGERS = (
    "DROP TRIGGER IF EXISTS {table}_place_path_ins",
    "DROP TRIGGER IF EXISTS {table}_place_path_upd",
    """CREATE TRIGGER {table}_place_path_ins AFTER INSERT ON {qtable}
  WHEN NEW.place_id IS NOT NULL
   AND NEW.place_path IS NOT (SELECT path FROM org_place WHERE id = NEW.place_id)
BEGIN
  UPDATE {qtable} SET place_path = (SELECT path FROM org_place WHERE id = NEW.place_id)
   WHERE {pk} = NEW.{pk};
END""",
    """CREATE TRIGGER {table}_place_path_upd AFTER UPDATE OF place_id, place_path ON {qtable}
  WHEN NEW.place_id IS NOT NULL
   AND NEW.place_path IS NOT (SELECT path FROM org_place WHERE id = NEW.place_id)
BEGIN
  UPDATE {qtable} SET place_path = (SELECT path FROM org_place WHERE id = NEW.place_id)
   WHERE {pk} = NEW.{pk};
END""",
)


def guarded_tables():
    """``(table, pk column)`` of every table holding both ``place_id`` and ``place_path``."""
    found = []
    for model, field in path_copies():
        columns = {f.column for f in model._meta.local_concrete_fields}
        if field == "place_path" and {"place_id", "place_path"} <= columns:
            found.append((model._meta.db_table, model._meta.pk.column))
    return found


def install(using="default", **kwargs):
    """post_migrate: (re)create the triggers on every guarded table (idempotent)."""
    from django.apps import apps as django_apps

    sender = kwargs.get("sender")
    if sender is not None and sender is not list(django_apps.get_app_configs())[-1]:
        return  # once, after the last app: every table exists
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
        for table, pk in guarded_tables():
            if table not in existing:
                continue
            names = {"table": table, "qtable": quote(table), "pk": quote(pk)}
            if connection.vendor == "postgresql":
                cursor.execute(PG_TRIGGERS.format(**names))
            elif connection.vendor == "sqlite":
                for statement in SQLITE_TRIGGERS:
                    cursor.execute(statement.format(**names))

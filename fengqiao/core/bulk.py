"""Bulk insert of model instances: ``COPY … FROM STDIN`` on PostgreSQL, ``bulk_create`` elsewhere.

``insert(objects)`` writes unsaved instances of one model and sets their primary keys, like
``bulk_create`` does on PostgreSQL. On PostgreSQL the keys are taken from the table's sequence first
(one ``SELECT nextval(…) FROM generate_series(…)``) and the rows go through psycopg's ``COPY``: no
SQL text per row, no parameter limit, no ``RETURNING``. Every field's value is what the ORM itself
would write — ``pre_save`` (``auto_now_add`` dates, the encrypted fields' keyed hashes) and then
``get_db_prep_save`` (encryption, JSON, dates) — so a row written by COPY is the same row the ORM
path writes (``tests/core/test_bulk.py`` compares both). SQLite keeps ``bulk_create``.

Used by the registry's Excel import and by the registry benchmark's generator (bench/).
"""

from __future__ import annotations

from django.db import connections, router

BATCH = 1000


def insert(objects, *, using=None, batch_size=BATCH):
    """Insert unsaved ``objects`` (all of one model); returns them with their primary keys set."""
    objects = list(objects)
    if not objects:
        return objects
    model = type(objects[0])
    using = using or router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return model.objects.using(using).bulk_create(objects, batch_size=batch_size)
    return _copy(model, objects, connection)


def reserve_keys(model, n, connection=None):
    """``n`` primary keys taken from ``model``'s sequence (PostgreSQL), for rows that must know their
    key before they are written (a tree path, a child row)."""
    if n <= 0:
        return []
    connection = connection or connections[router.db_for_write(model)]
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, n],
        )
        return [value for (value,) in cursor.fetchall()]


def _copy(model, objects, connection):
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.local_concrete_fields if f is not pk]
    qn = connection.ops.quote_name
    for (
        obj
    ) in objects:  # a related object saved since it was assigned: take its key (as bulk_create)
        obj._prepare_related_fields_for_save(operation_name="bulk.insert")
    need = [obj for obj in objects if obj.pk is None]
    for obj, value in zip(need, reserve_keys(model, len(need), connection), strict=True):
        setattr(obj, pk.attname, value)
    with connection.cursor() as cursor:
        columns = ", ".join(qn(f.column) for f in [pk, *fields])
        sql = f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for obj in objects:
                row = [obj.pk]
                for field in fields:
                    value = field.pre_save(obj, add=True)
                    row.append(field.get_db_prep_save(value, connection))
                copy.write_row(row)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects

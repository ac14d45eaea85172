"""core.bulk.insert: COPY on PostgreSQL writes the same rows as the ORM path (bulk_create)."""

import datetime

import pytest
from django.db import connection

from fengqiao.core import bulk, pii
from fengqiao.registry.models import Person, PersonTag
from tests.registry import helpers

pytestmark = pytest.mark.django_db


def _people(room, names):
    return [
        Person(
            name=name,
            id_number=helpers.id_number(),
            phone=f"1380000{i:04d}",
            birth_date=datetime.date(1985, 3, 12),
            sex="m",
            address=room,
            place=room.place,
            place_path=room.place.path,
            residence="floating",
            inflow_reason="务工",
            inflow_date=datetime.date(2025, 1, 2),
        )
        for i, name in enumerate(names)
    ]


def _row(person):
    """What the database holds, read back through the ORM (decrypted, hashes as stored)."""
    p = Person.objects.get(pk=person.pk)
    return {
        "name": p.name,
        "id_number": pii.clear_value(p.id_number),
        "id_hash": p.id_hash,
        "phone": pii.clear_value(p.phone),
        "phone_hash": p.phone_hash,
        "birth_date": p.birth_date,
        "residence": p.residence,
        "inflow_date": p.inflow_date,
        "place_path": p.place_path,
        "address_id": p.address_id,
    }


def test_insert_sets_keys_and_writes_what_the_orm_writes(county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    copied = bulk.insert(_people(room, ["张三", "李四", "王五"]))
    assert all(p.pk for p in copied) and len({p.pk for p in copied}) == 3
    reference = Person.objects.bulk_create(_people(room, ["赵六"]))[0]
    rows = [_row(p) for p in copied]
    ref = _row(reference)
    for row, person in zip(rows, copied, strict=True):
        assert row["id_hash"] == pii.blind_index(row["id_number"], "id_number")
        assert row["phone_hash"] == pii.blind_index(row["phone"], "phone")
        assert row["id_number"] == pii.clear_value(person.id_number)
        # every other column as the ORM writes it
        for key in ("birth_date", "residence", "inflow_date", "place_path", "address_id"):
            assert row[key] == ref[key]
    stored = Person.objects.filter(pk__in=[p.pk for p in copied])
    assert all(p.created_at and p.updated_at for p in stored)
    # the ciphertext is not the clear text
    raw = Person.objects.filter(pk=copied[0].pk).values_list("id_number", flat=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM registry_person WHERE id = %s", [copied[0].pk])
        assert cursor.fetchone()[0] != rows[0]["id_number"]
    assert raw  # read through the field: decrypted
    # rows pointing at the new keys (tags) insert too, and the sequence moved on
    tags = bulk.insert([PersonTag(person=copied[0], code="volunteer")])
    assert PersonTag.objects.get(pk=tags[0].pk).person_id == copied[0].pk
    later = Person.objects.bulk_create(_people(room, ["钱七"]))[0]
    assert later.pk > max(p.pk for p in copied)


def test_insert_nothing_is_a_no_op(db):
    assert bulk.insert([]) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_postgresql_path_uses_copy(county, users):
    from django.test.utils import CaptureQueriesContext

    room = helpers.tree(county.grid_a, users["grid_worker"])
    people = _people(room, [f"张{i}" for i in range(50)])
    with CaptureQueriesContext(connection) as ctx:
        bulk.insert(people)
    sql = [q["sql"] for q in ctx.captured_queries]
    # one query for the 50 keys; the rows themselves go through COPY, not 50 INSERTs
    assert len(sql) == 1 and "nextval" in sql[0]
    assert Person.objects.filter(address=room).count() == 50


def test_children_of_rows_inserted_in_the_same_run_point_at_them(county, users):
    """A child built before its parent had a key still points at the parent (as bulk_create)."""
    from fengqiao.registry.models import Address

    grid = county.grid_a
    road = Address(name="新路", level=2, place=grid, place_path=grid.path, full_name="新路")
    room = Address(name="101室", level=6, parent=road, place=grid, place_path=grid.path)
    road.code, room.code = "BULK-1", "BULK-2"
    bulk.insert([road])
    bulk.insert([room])
    assert Address.objects.get(code="BULK-2").parent_id == road.pk

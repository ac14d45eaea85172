"""Base-information services: addresses, people (ID checks, duplicates, labels), houses, units."""

import datetime

import pytest

from fengqiao.core.errors import Conflict, Forbidden, ServiceError
from fengqiao.core.models import AuditEvent
from fengqiao.registry import services
from fengqiao.registry.models import Address, Person, PersonTag
from tests.registry import helpers

pytestmark = pytest.mark.django_db


def test_address_tree_full_names_codes_and_paths(county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    assert room.full_name == "枫溪街道枫溪社区枫溪路12号3幢1单元201室"
    assert room.place == county.grid_a and room.place_path == county.grid_a.path
    assert [a.level for a in room.chain()] == [2, 4, 5, 6]
    assert room.code.startswith(room.parent.code)
    assert room.tree_path.startswith(room.parent.tree_path)


def test_address_outside_jurisdiction_is_refused(county, users):
    with pytest.raises(Forbidden, match="不在您的辖区内"):
        services.create_address(
            users["grid_worker"], place=county.grid_b, level=Address.Level.ROAD, name="南路1号"
        )
    assert not Address.objects.exists()


def test_address_level_must_descend_and_names_are_unique(county, users):
    gw = users["grid_worker"]
    room = helpers.tree(county.grid_a, gw)
    with pytest.raises(ServiceError, match="层级"):
        services.create_address(gw, parent=room, level=Address.Level.BUILDING, name="X")
    with pytest.raises(Conflict):
        services.create_address(gw, parent=room.parent, level=Address.Level.ROOM, name="201室")


def test_retire_address_retires_the_subtree_and_refuses_new_records(county, users):
    gw = users["grid_worker"]
    room = helpers.tree(county.grid_a, gw)
    building = room.parent.parent
    services.retire_address(gw, building, on="2026-01-01")
    room.refresh_from_db()
    assert not room.in_use and room.retired_on == datetime.date(2026, 1, 1)
    with pytest.raises(ServiceError, match="已停用"):
        helpers.person(gw, room)


def test_person_id_number_is_validated_encrypted_hashed_masked(county, users):
    gw = users["grid_worker"]
    room = helpers.tree(county.grid_a, gw)
    number = helpers.id_number(birth="19900101")
    p = helpers.person(gw, room, id_number=number, phone="13812345678")
    p = Person.objects.get(pk=p.pk)
    assert p.birth_date == datetime.date(1990, 1, 1)
    assert p.sex in ("m", "f")
    assert str(p.id_number) == number[:3] + "*" * 13 + number[-2:]
    assert str(p.phone) == "138****5678"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM registry_person WHERE id = %s", [p.pk])
        raw = cursor.fetchone()[0]
    assert number not in raw  # encrypted at rest
    assert p.id_hash and p.phone_hash


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("33990119850312001", "18位"),
        ("339901198502300011", "出生日期不存在"),
        ("339901209901010011", "出生日期不存在"),
    ],
)
def test_invalid_id_numbers_are_refused_with_a_clear_message(county, users, number, message):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    with pytest.raises(ServiceError, match=message):
        helpers.person(users["grid_worker"], room, id_number=number)


def test_wrong_check_digit(county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    good = helpers.id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ServiceError, match="校验位"):
        helpers.person(users["grid_worker"], room, id_number=bad)


def test_impossible_dates(county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    with pytest.raises(ServiceError, match="不是有效日期"):
        helpers.person(
            users["grid_worker"], room, residence="unsettled", id_number="", birth_date="2023-02-30"
        )
    with pytest.raises(ServiceError, match="不能晚于今天"):
        helpers.person(
            users["grid_worker"], room, residence="unsettled", id_number="", birth_date="2999-01-01"
        )
    with pytest.raises(ServiceError, match="不一致"):
        helpers.person(
            users["grid_worker"],
            room,
            id_number=helpers.id_number(birth="19900101"),
            birth_date="1991-01-01",
        )


def test_duplicate_person_by_id_hash(county, users, users_b):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    number = helpers.id_number()
    first = helpers.person(users["grid_worker"], room, id_number=number)
    with pytest.raises(Conflict, match="已登记") as exc:
        helpers.person(users["grid_worker"], room, name="张三二", id_number=number.lower())
    assert exc.value.details["person_id"] == first.pk
    other = helpers.tree(county.grid_b, users_b["grid_worker"], road="南路1号")
    with pytest.raises(Conflict, match="其他辖区") as exc:
        helpers.person(users_b["grid_worker"], other, id_number=number)
    assert "person_id" not in exc.value.details  # nothing about the other grid's record
    assert Person.objects.count() == 1


def test_floating_person_and_household(county, users):
    gw = users["grid_worker"]
    room = helpers.tree(county.grid_a, gw)
    head = helpers.person(gw, room, name="李四")
    p = helpers.person(gw, room, name="王五", residence="floating", inflow_reason="务工")
    assert p.inflow_date == datetime.date.today()
    services.set_household(gw, head)
    services.set_household(gw, p, head=head, relation="spouse")
    assert set(head.household.members.values_list("name", flat=True)) == {"李四", "王五"}


def test_sensitive_tags_need_the_label_and_every_view_is_audited(county, users):
    gw, officer = users["grid_worker"], users["community_officer"]
    room = helpers.tree(county.grid_a, gw)
    p = helpers.person(gw, room)
    with pytest.raises(Forbidden, match="没有“重点人员”标签的权限"):
        services.add_tag(gw, p, "key_person")
    assert AuditEvent.objects.filter(action="registry.label.set", result="denied").exists()
    services.add_tag(gw, p, "elderly_alone")  # grid worker holds the care label
    services.add_tag(gw, p, "party_member")
    services.add_tag(officer, p, "key_person")
    assert PersonTag.objects.filter(person=p).count() == 3
    seen_by_gw = {t.code for t in services.visible_tags(gw, p)}
    assert seen_by_gw == {"elderly_alone", "party_member"}
    assert {t.code for t in services.visible_tags(officer, p)} == {
        "elderly_alone",
        "party_member",
        "key_person",
    }
    views = AuditEvent.objects.filter(action="registry.label.view")
    assert any("key_person" in e.data["tags"] for e in views.filter(user=officer))
    assert views.filter(user=gw).count() == 1
    dispatcher_tags = services.visible_tags(users["dispatcher"], p)
    assert {t.code for t in dispatcher_tags} == {"party_member"}


def test_rental_house_tenants_move_in_and_out(county, users):
    gw = users["grid_worker"]
    room = helpers.tree(county.grid_a, gw)
    house = helpers.rental(gw, room, lease_filing_number="ZL-2026-001", rent="1800")
    assert house.is_rental and house.use == "rental"
    a = helpers.person(gw, room, name="租客甲", residence="floating")
    b = helpers.person(gw, room, name="租客乙", residence="floating")
    c = helpers.person(gw, room, name="租客丙", residence="floating")
    for p in (a, b, c):
        services.add_tenant(gw, house, p, moved_in="2026-10-01")
    assert services.overcrowded(house)
    with pytest.raises(Conflict):
        services.add_tenant(gw, house, a)
    tenancy = house.tenancies.get(person=c)
    with pytest.raises(ServiceError, match="早于入住"):
        services.end_tenancy(gw, tenancy, moved_out="2026-09-01")
    services.end_tenancy(gw, tenancy, moved_out="2026-11-01")
    assert not services.overcrowded(house)
    own = services.register_house(gw, address=room.parent, use="own")
    with pytest.raises(ServiceError, match="不是出租房屋"):
        services.add_tenant(gw, own, a)


def test_unit_and_bad_numbers(county, users):
    gw = users["grid_worker"]
    room = helpers.tree(county.grid_a, gw)
    unit = services.register_unit(
        gw,
        address=room.parent.parent,
        name="枫溪超市",
        kind="shop",
        staff_count="12",
        security_phone="13900001111",
        fire_level="消防安全重点单位",
    )
    assert unit.fire_level == "key" and unit.staff_count == 12
    with pytest.raises(ServiceError, match="应为整数"):
        services.register_unit(gw, address=room, name="X", staff_count="很多")
    with pytest.raises(ServiceError, match="电话号码格式"):
        services.register_unit(gw, address=room, name="X", security_phone="12")


def test_permissions_are_checked(county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    with pytest.raises(Forbidden):
        helpers.person(users["dispatcher"], room)
    with pytest.raises(Forbidden):
        services.create_address(
            users["mediator"], place=county.grid_a, level=Address.Level.ROAD, name="X"
        )

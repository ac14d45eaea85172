"""Base information in the demo county: the first grid (the printed grid worker's) gets a street
with buildings, units and rooms, houses (some let, with tenants), residents of every residence
type with tags (some labelled), units, and foreign guests; every write goes through services."""

import datetime
import random

from django.utils import timezone

from fengqiao.core import pii
from fengqiao.org.models import Place, User

from . import services
from .models import Address

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "晓燕",
    "志强",
]
REGIONS = ["339901", "339902", "330106", "340104", "410105", "510107"]


def id_number(rng, born):
    body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randint(100, 999)}"
    total = sum(int(d) * w for d, w in zip(body, pii._ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def seed(county, rng=None):
    rng = rng or random.Random(10)  # noqa: S311 — demo data
    grid = Place.objects.filter(level=Place.Level.GRID, path__startswith=county.path).first()
    gw = User.objects.get(username="gridworker")
    officer = User.objects.get(username="officer")
    today = timezone.localdate()
    road = services.create_address(
        gw,
        place=grid,
        level=Address.Level.ROAD,
        name="枫溪路",
        started_on="2015-06-01",
        centre_lat=grid.centre_lat,
        centre_lng=grid.centre_lng,
    )
    houses, rooms = [], []
    for b in range(1, 4):
        building = services.create_address(
            gw, parent=road, level=Address.Level.BUILDING, name=f"{b * 2}号{b}幢"
        )
        if b == 1:
            services.register_unit(
                gw,
                address=building,
                name="枫溪便民超市",
                kind="shop",
                staff_count=6,
                legal_representative="陈国庆",
                security_contact="陈国庆",
                security_phone="13905760001",
                protective_measures="监控4路，灭火器6具",
            )
        if b == 3:
            services.register_unit(
                gw,
                address=building,
                name="枫溪中心小学",
                kind="school",
                staff_count=58,
                fire_level="key",
                security_contact="校保卫处",
                security_phone="05767654321",
                protective_measures="一键报警、护学岗、门禁",
            )
        unit = services.create_address(gw, parent=building, level=Address.Level.UNIT, name="1单元")
        for floor in (1, 2, 3):
            for door in (1, 2):
                room = services.create_address(
                    gw, parent=unit, level=Address.Level.ROOM, name=f"{floor}0{door}室"
                )
                rooms.append(room)
    people = []
    for i, room in enumerate(rooms):
        rental = i % 4 == 1
        house = services.register_house(
            gw,
            address=room,
            use="rental" if rental else "own",
            is_rental=rental,
            area=f"{rng.randint(45, 140)}",
            rooms=rng.randint(1, 4),
            owner_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            lease_filing_number=f"ZL{today:%Y}{i:04d}" if rental else "",
            max_occupants=3 if rental else None,
            rent=f"{rng.randint(8, 30)}00" if rental else None,
            pledge_signed=rental and i % 8 == 1,
            hazard="low" if i % 9 == 4 else "none",
        )
        houses.append(house)
        size = rng.randint(1, 4)
        head = None
        for k in range(size):
            born = datetime.date(rng.randint(1940, 2018), rng.randint(1, 12), rng.randint(1, 28))
            residence = (
                "floating" if rental else ("registered" if rng.random() > 0.1 else "unsettled")
            )
            person = services.register_person(
                gw,
                address=room,
                name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                id_number=id_number(rng, born) if residence != "unsettled" else "",
                birth_date=born if residence == "unsettled" else None,
                phone=f"13{rng.randint(100000000, 999999999)}" if born.year < 2008 else "",
                residence=residence,
                inflow_reason="务工" if rental else "",
                intended_stay="一年" if rental else "",
                registered_address="安徽省合肥市" if rental else "枫溪县枫溪街道",
            )
            people.append(person)
            if rental:
                services.add_tenant(
                    gw,
                    house,
                    person,
                    moved_in=today - datetime.timedelta(days=rng.randint(10, 300)),
                )
            elif head is None:
                head = person
                services.set_household(gw, person)
            else:
                services.set_household(
                    gw, person, head=head, relation=rng.choice(["spouse", "child", "parent"])
                )
            if born.year < 1950 and size == 1:
                services.add_tag(gw, person, "elderly_alone")
            if born.year > 2010 and k and rng.random() < 0.3:
                services.add_tag(gw, person, "left_behind_child")
    services.add_tag(gw, people[0], "party_member")
    services.add_tag(officer, people[3], "key_person", note="重点关注")
    services.add_tag(officer, people[5], "community_correction")
    services.add_tag(officer, people[8], "severe_mental")
    # Foreign guests: one checked, one waiting for the on-site check, one overstaying.
    stays = []
    for n, (surname, country, days_ago, stay_days) in enumerate(
        [("SMITH", "GBR", 20, 60), ("TANAKA", "JPN", 1, 10), ("KIM", "KOR", 30, 20)]
    ):
        stays.append(
            services.report_stay(
                rooms[1 + 4 * n],
                {
                    "reporter_kind": "landlord",
                    "reporter_name": "王房东",
                    "reporter_phone": "13800576001",
                    "surname": surname,
                    "given_name": "DEMO",
                    "nationality": country,
                    "passport_number": f"E{rng.randint(1000000, 9999999)}",
                    "visa_type": "L",
                    "visa_valid_until": today + datetime.timedelta(days=5 if n == 2 else 90),
                    "arrival": today - datetime.timedelta(days=days_ago),
                    "expected_departure": today
                    - datetime.timedelta(days=days_ago)
                    + datetime.timedelta(days=stay_days),
                },
                actor=gw,
            )
        )
    services.check_stay(officer, stays[0], note="人证相符，已告知注意事项")
    return len(people)

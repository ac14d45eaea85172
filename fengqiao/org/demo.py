"""The demo county: 枫溪县 of the fictional 云湖市. Every name and code here is invented.

1 city, 1 county, 4 towns/streets, 20 villages/communities, 60 grids with polygons laid out on a
jittered lattice; a county bureau with 3 stations and their posts; the functional departments;
one printed demo account per role plus a grid worker for every grid and an officer per village.
"""

import random

from django.contrib.auth.hashers import make_password
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services
from .models import Department, Place, Station, Team, TeamMember

DEMO_PASSWORD = "Fengqiao@2026"  # noqa: S105 — printed demo password, demo mode only
# Fixed demo TOTP keys (hex) so the printed secrets stay valid across re-seeds. Demo only.
DEMO_TOTP_KEYS = {
    "leader": "3132333435363738393031323334353637383930",
    "sysadmin": "4142434445464748494a4b4c4d4e4f5051525354",
    "secadmin": "6162636465666768696a6b6c6d6e6f7071727374",
    "auditor": "5a59585756555453525150494f4e4d4c4b4a4948",
}

TOWNS = [
    ("001", "枫溪街道", ["枫溪社区", "南门社区", "学府社区", "新河社区", "滨江社区"]),
    ("002", "桥头镇", ["桥头村", "上塘村", "下塘村", "柳岸村", "石桥村"]),
    ("003", "清水镇", ["清水村", "竹园村", "茶山村", "白沙村", "溪口村"]),
    ("004", "石门乡", ["石门村", "高岭村", "云峰村", "梅坞村", "大坪村"]),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"

CENTRE = (29.80, 120.60)


def _name(rng):
    given = rng.choice(
        [
            "伟",
            "芳",
            "娜",
            "敏",
            "静",
            "丽",
            "强",
            "磊",
            "军",
            "洋",
            "勇",
            "杰",
            "涛",
            "明",
            "超",
            "霞",
            "平",
            "刚",
            "华",
            "红",
            "燕",
            "东",
            "斌",
            "琳",
            "婷",
            "鹏",
        ]
    )
    second = rng.choice(["", "建", "晓", "志", "春", "海", "文", "国", "玉", "小"])
    return rng.choice(SURNAMES) + second + given


def _cell(lat0, lng0, dlat, dlng, rng):
    """A slightly irregular quadrilateral (GeoJSON Polygon) and its centre."""

    def j():
        return rng.uniform(-0.08, 0.08)

    corners = [
        (lng0 + dlng * j(), lat0 + dlat * j()),
        (lng0 + dlng * (1 + j()), lat0 + dlat * j()),
        (lng0 + dlng * (1 + j()), lat0 + dlat * (1 + j())),
        (lng0 + dlng * j(), lat0 + dlat * (1 + j())),
    ]
    ring = [[round(x, 6), round(y, 6)] for x, y in corners] + [
        [round(corners[0][0], 6), round(corners[0][1], 6)]
    ]
    centre = (round(lat0 + dlat / 2, 6), round(lng0 + dlng / 2, 6))
    return {"type": "Polygon", "coordinates": [ring]}, centre


def _rect(lat0, lng0, dlat, dlng):
    ring = [
        [lng0, lat0],
        [lng0 + dlng, lat0],
        [lng0 + dlng, lat0 + dlat],
        [lng0, lat0 + dlat],
        [lng0, lat0],
    ]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def seed_places(rng):
    city = services.create_place(
        code="339900", name="云湖市", level=Place.Level.CITY, centre=CENTRE
    )
    county = services.create_place(
        code="339901",
        name="枫溪县",
        level=Place.Level.COUNTY,
        parent=city,
        boundary=_rect(CENTRE[0] - 0.12, CENTRE[1] - 0.2, 0.24, 0.4),
        centre=CENTRE,
    )
    towns, villages, grids = [], [], []
    for t_index, (t_code, t_name, v_names) in enumerate(TOWNS):
        t_lat = CENTRE[0] - 0.12 + 0.12 * (t_index // 2)
        t_lng = CENTRE[1] - 0.2 + 0.2 * (t_index % 2)
        town = services.create_place(
            code=f"339901{t_code}",
            name=t_name,
            level=Place.Level.TOWN,
            parent=county,
            boundary=_rect(t_lat, t_lng, 0.12, 0.2),
            centre=(t_lat + 0.06, t_lng + 0.1),
        )
        towns.append(town)
        for v_index, v_name in enumerate(v_names):
            v_lng = t_lng + 0.04 * v_index
            village = services.create_place(
                code=f"{town.code}{v_index + 1:03d}",
                name=v_name,
                level=Place.Level.VILLAGE,
                parent=town,
                boundary=_rect(t_lat, v_lng, 0.12, 0.04),
                centre=(t_lat + 0.06, v_lng + 0.02),
            )
            villages.append(village)
            for g_index in range(3):
                polygon, centre = _cell(t_lat + 0.04 * g_index, v_lng, 0.04, 0.04, rng)
                grids.append(
                    services.create_place(
                        code=f"{village.code}{g_index + 1:03d}",
                        name=f"{v_name}第{g_index + 1}网格",
                        level=Place.Level.GRID,
                        parent=village,
                        boundary=polygon,
                        centre=centre,
                    )
                )
    return county, towns, villages, grids


def seed_police(county, towns, villages):
    bureau = Station.objects.create(
        code="339901000000", name="枫溪县公安局", kind=Station.Kind.BUREAU
    )
    bureau.places.add(county)
    plan = [
        ("枫溪派出所", [towns[0]]),
        ("桥头派出所", [towns[1], towns[3]]),
        ("清水派出所", [towns[2]]),
    ]
    stations, posts = [], []
    for index, (name, covered) in enumerate(plan, start=1):
        station = Station.objects.create(
            code=f"339901{index:02d}0000", name=name, kind=Station.Kind.STATION, parent=bureau
        )
        station.places.add(*covered)
        stations.append(station)
        covered_villages = [v for v in villages if v.parent_id in {t.id for t in covered}]
        for p_index, chunk in enumerate((covered_villages[:3], covered_villages[3:6]), start=1):
            if not chunk:
                continue
            post = Station.objects.create(
                code=f"{station.code[:8]}{p_index:04d}",
                name=f"{chunk[0].name}警务室",
                kind=Station.Kind.POST,
                parent=station,
            )
            post.places.add(*chunk)
            posts.append(post)
    return bureau, stations, posts


DEPARTMENTS = [
    ("urban_management", "枫溪县综合行政执法局"),
    ("market", "枫溪县市场监督管理局"),
    ("fire", "枫溪县消防救援大队"),
    ("civil_affairs", "枫溪县民政局"),
    ("housing", "枫溪县住房和城乡建设局"),
    ("health", "枫溪县卫生健康局"),
    ("governance_centre", "枫溪县社会治理中心"),
    ("environment", "云湖市生态环境局枫溪分局"),
    ("human_resources", "枫溪县人力资源和社会保障局"),
]


def seed_departments(county, towns):
    departments = []
    for index, (kind, name) in enumerate(DEPARTMENTS, start=1):
        dept = Department.objects.create(
            code=f"D339901{index:02d}", name=name, kind=kind, place=county
        )
        dept.places.add(county)
        departments.append(dept)
    for town in towns:
        dept = Department.objects.create(
            code=f"J{town.code}", name=f"{town.name}司法所", kind="justice", place=town
        )
        dept.places.add(town)
        departments.append(dept)
    return departments


def _totp(user, key_hex):
    TOTPDevice.objects.create(user=user, name="demo", key=key_hex, confirmed=True)


def seed_staff(rng, county, towns, villages, grids, stations, posts, departments):
    """The printed accounts (one per role), then the rest of a realistic workforce."""
    first_village, first_grid = villages[0], grids[0]
    dept_by_kind = {d.kind: d for d in departments}
    printed = [
        ("gridworker", "grid_worker", "网格员 陈晓燕", {"places": [first_grid]}),
        ("officer", "community_officer", "社区民警 王建国", {"stations": [posts[0]]}),
        ("auxiliary", "auxiliary_officer", "辅警 李磊", {"stations": [posts[0]]}),
        ("assistant", "police_assistant", "警务助理 赵敏", {"places": [first_village]}),
        ("mediator", "mediator", "乡贤 周德明", {"places": [first_village]}),
        ("lawyer", "lawyer", "律师 吴静", {"places": [county]}),
        ("volunteer", "volunteer", "志愿者 孙平", {"places": [first_village]}),
        (
            "dept",
            "department_staff",
            "城管执法队员 郑强",
            {"department": dept_by_kind["urban_management"]},
        ),
        (
            "dispatcher",
            "dispatcher",
            "综治中心 许丽",
            {"places": [county], "department": dept_by_kind["governance_centre"]},
        ),
        ("leader", "leader", "县局领导 刘志强", {"places": [county]}),
        ("sysadmin", "system_admin", "系统管理员", {}),
        ("secadmin", "security_admin", "安全管理员", {}),
        ("auditor", "audit_admin", "安全审计员", {}),
    ]
    accounts = []
    for username, role, name, extra in printed:
        user = services.create_staff(
            username=username,
            password=DEMO_PASSWORD,
            display_name=name,
            roles=[role],
            places=extra.get("places", ()),
            stations=extra.get("stations", ()),
            department=extra.get("department"),
            phone=f"139{rng.randint(10000000, 99999999)}",
        )
        if username in DEMO_TOTP_KEYS:
            _totp(user, DEMO_TOTP_KEYS[username])
        accounts.append((username, role, name))
    _seed_workforce(rng, villages, grids, posts, departments)
    return accounts


_HASH = {}


def _demo_hash():
    if "value" not in _HASH:
        _HASH["value"] = make_password(DEMO_PASSWORD)
    return _HASH["value"]


def _seed_workforce(rng, villages, grids, posts, departments):
    post_for_village = {}
    for post in posts:
        for place in post.places.all():
            post_for_village[place.id] = post
    for grid in grids[1:]:
        services.create_staff(
            username=f"gw{grid.code[6:]}",
            password=DEMO_PASSWORD,
            display_name=_name(rng),
            roles=["grid_worker"],
            places=[grid],
            password_hash=_demo_hash(),
        )
    for village in villages:
        officer = services.create_staff(
            username=f"co{village.code[6:]}",
            password=DEMO_PASSWORD,
            display_name=_name(rng),
            roles=["community_officer"],
            places=[village],
            password_hash=_demo_hash(),
        )
        elder = services.create_staff(
            username=f"el{village.code[6:]}",
            password=DEMO_PASSWORD,
            display_name=_name(rng),
            roles=["mediator"],
            places=[village],
            password_hash=_demo_hash(),
        )
        team = Team.objects.create(name=f"{village.name}2+N团队", place=village)
        TeamMember.objects.create(team=team, user=officer, duty=TeamMember.Duty.COMMUNITY_OFFICER)
        TeamMember.objects.create(team=team, user=elder, duty=TeamMember.Duty.ELDER)
        for grid_worker in services.staff_for_place(village.children.first(), ["grid_worker"])[:1]:
            TeamMember.objects.create(team=team, user=grid_worker, duty=TeamMember.Duty.GRID_WORKER)
    for dept in departments:
        if dept.kind == "governance_centre":
            continue
        services.create_staff(
            username=f"dp{dept.code[-4:].lower()}",
            password=DEMO_PASSWORD,
            display_name=_name(rng),
            roles=["department_staff"],
            department=dept,
            password_hash=_demo_hash(),
        )


def seed(rng=None):
    """Seed the county; returns (county, printed accounts)."""
    rng = rng or random.Random(20261123)  # noqa: S311 — demo data, not security
    county, towns, villages, grids = seed_places(rng)
    _bureau, stations, posts = seed_police(county, towns, villages)
    departments = seed_departments(county, towns)
    accounts = seed_staff(rng, county, towns, villages, grids, stations, posts, departments)
    return county, accounts

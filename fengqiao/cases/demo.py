"""The demo county's cases: dispatch rules, then a few hundred cases over the last two months in
every state — with photos, duplicates, rework, extensions, ratings — and the overdue ones swept so
that they carry yellow/red cards and sit on the town and county review lists.

History is replayed through the workflow kernel with explicit times (``apply(..., now=…)``), so the
timelines, deadlines and figures are the same as if people had done the work on those days.
"""

import io
import random
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from fengqiao.core.workflow import apply, sweep_deadlines
from fengqiao.org.models import Department, Place, Team, User
from fengqiao.org.services import staff_for_place

from . import services, uploads
from .defaults import install
from .models import Case, Category, DispatchRule

RULES = {
    "cityscape": "urban_management",
    "illegal_building": "urban_management",
    "safety_fire": "fire",
    "safety_ebike": "fire",
    "safety_building": "housing",
    "safety_gas": "housing",
    "noise": "environment",
    "help": "civil_affairs",
}
TEXTS = {
    "dispute": ["邻居装修漏水到楼下，双方多次争吵", "宅基地边界有争议，两家人吵到村委会"],
    "public_order": ["小区门口夜间有人聚集喝酒闹事", "出租房人员进出频繁，疑似群租"],
    "safety_fire": ["楼道堆满纸箱杂物，堵塞消防通道", "沿街店铺消防栓被遮挡"],
    "safety_building": ["老房外墙开裂，有掉落风险", "围墙倾斜，靠近小学通道"],
    "safety_gas": ["闻到楼道里有燃气味", "餐馆违规使用液化气钢瓶"],
    "safety_ebike": ["电动车在楼道内充电", "地下室飞线充电"],
    "safety_other": ["河边护栏缺失", "窨井盖破损"],
    "cityscape": ["垃圾堆放多日无人清运", "占道经营摊位堵塞人行道", "小广告贴满公交站"],
    "noise": ["广场舞音响太大影响休息", "夜间工地施工噪音", "KTV深夜噪音扰民"],
    "illegal_building": ["楼顶违章搭建彩钢棚", "沿河私建杂物间"],
    "tip_off": ["发现有人在村口推销保健品，疑似诈骗", "有人收购银行卡"],
    "help": ["独居老人多日未出门，请帮忙看看", "走失老人在菜场附近"],
    "consultation": ["想咨询调解申请需要什么材料", "咨询外来人员居住登记流程"],
    "police_transfer": ["110转：邻里停车纠纷", "110转：楼上漏水无人处理"],
    "other": ["路灯不亮", "公交站台座椅损坏"],
}
PLACES = ["幸福路12号", "菜市场东门", "村委会旁", "小学门口", "3幢2单元", "河滨公园", "老街口"]

# Final state → how many cases end there.
PLAN = [
    ("reported", 30),
    ("accepted", 14),
    ("rejected", 10),
    ("merged", 10),
    ("dispatched", 28),
    ("returned", 8),
    ("claimed", 22),
    ("in_progress", 40),
    ("resolved", 22),
    ("verified", 6),
    ("closed", 110),
]


def _photo(rng):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), tuple(rng.randint(60, 200) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randint(0, 400), rng.randint(0, 300)
        draw.rectangle([x, y, x + rng.randint(20, 80), y + rng.randint(20, 60)], fill="white")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return SimpleUploadedFile("photo.jpg", out.getvalue(), "image/jpeg")


def seed_rules(county):
    departments = {d.kind: d for d in Department.objects.filter(place=county)}
    categories = {c.code: c for c in Category.objects.all()}
    for code, kind in RULES.items():
        if kind in departments and code in categories:
            DispatchRule.objects.get_or_create(
                category=categories[code],
                place=county,
                department=departments[kind],
                defaults={"auto_dispatch": code == "safety_fire"},
            )
    # Disputes go to the town's justice office; public order to the village's 2+N team.
    for town in Place.objects.filter(parent=county, level=Place.Level.TOWN):
        justice = Department.objects.filter(kind="justice", place=town).first()
        if justice:
            DispatchRule.objects.get_or_create(
                category=categories["dispute"], place=town, department=justice
            )
    for team in Team.objects.select_related("place"):
        DispatchRule.objects.get_or_create(
            category=categories["public_order"], place=team.place, team=team
        )


def seed(county, rng=None, now=None, scale=1.0):
    rng = rng or random.Random(20261124)  # noqa: S311 — demo data
    now = now or timezone.now()
    install(Category)
    seed_rules(county)
    grids = list(
        Place.objects.filter(level=Place.Level.GRID, path__startswith=county.path).order_by("code")
    )
    dispatcher = User.objects.get(username="dispatcher")
    leader = User.objects.filter(username="leader").first() or dispatcher
    leaves = services.leaf_categories()
    made = []
    jobs = [state for state, n in PLAN for _ in range(max(1, round(n * scale)))]
    rng.shuffle(jobs)
    for index, final in enumerate(jobs):
        # The printed accounts' grid gets a good share, so the demo logins see work at once.
        grid = grids[0] if index % 4 == 0 else rng.choice(grids)
        category = rng.choice(leaves)
        open_made = [m for m in made if m.is_open and m.state != "merged"]
        if final == "merged" and open_made:  # a second report of a case already in hand
            original = rng.choice(open_made)
            grid, category = original.place, original.category
        case = _seeded(rng, now, grid, category, final, dispatcher, leader, made)
        if case is not None:
            made.append(case)
    # Overdue cases get their cards: step the sweep until nothing more is due.
    for _ in range(6):
        if not sweep_deadlines(now=now):
            break
    return made


# The queue a dispatcher opens in the morning: most open work on time, some just late (a yellow
# card), a few long overdue (red, some on the review lists).
OPEN_MIX = (("on_time", 0.74), ("yellow", 0.17), ("red", 0.09))


class _Replay(Exception):
    """Roll back a first pass and replay the same case shifted in time."""

    def __init__(self, shift):
        self.shift = shift


def _colour(rng):
    pick, acc = rng.random(), 0.0
    for colour, share in OPEN_MIX:
        acc += share
        if pick < acc:
            return colour
    return OPEN_MIX[0][0]


def _target_due(rng, colour, now, span):
    if colour == "yellow":  # late by less than the first step to red (30 min)
        return now - timedelta(minutes=rng.uniform(3, 25))
    if colour == "red":
        return now - timedelta(days=rng.uniform(0.2, 9))
    return now + span * rng.uniform(0.15, 0.85)


def _seeded(rng, now, grid, category, final, dispatcher, leader, made):
    """One case. An open one is built twice: the first pass finds its nearest open deadline, the
    second replays the same history (same random draws) shifted so that deadline falls where the
    case's colour wants it — on time, just late or long overdue."""
    from fengqiao.core.models import Deadline

    colour = _colour(rng)
    state = rng.getstate()
    try:
        with transaction.atomic():
            case = _one(rng, now, grid, category, final, dispatcher, leader, made)
            if case is None or not case.is_open:
                return case
            deadline = (
                Deadline.objects.filter(
                    content_type__app_label="cases",
                    content_type__model="case",
                    object_id=case.pk,
                    state=Deadline.State.OPEN,
                )
                .order_by("due_at")
                .first()
            )
            if deadline is None:
                return case
            span = deadline.due_at - deadline.started_at
            raise _Replay(_target_due(rng, colour, now, span) - deadline.due_at)
    except _Replay as replay:
        rng.setstate(state)
        with transaction.atomic():
            return _one(rng, now, grid, category, final, dispatcher, leader, made, replay.shift)


def _actor_for_unit(case):
    users = User.objects.filter(is_active=True).order_by("id")
    if case.department_id:
        users = users.filter(department_id=case.department_id)
    elif case.team_id:
        users = users.filter(team_memberships__team_id=case.team_id)
    else:
        return None
    return next((u for u in users[:10] if u.has_perm("cases.claim_case")), None)


def _report(rng, now, grid, category, open_case, shift=timedelta(0)):
    from fengqiao.org.demo import _name

    # Open cases: mostly recent, some old enough to be overdue; closed ones: any time.
    recent = open_case and rng.random() < 0.6
    t = now - timedelta(days=rng.uniform(0.05, 3) if recent else rng.uniform(4, 60))
    t = min(t + shift, now - timedelta(minutes=1))
    centre = (grid.centre_lat or 29.8, grid.centre_lng or 120.6)
    lat = round(centre[0] + rng.uniform(-0.012, 0.012), 6) if rng.random() < 0.6 else None
    lng = round(centre[1] + rng.uniform(-0.012, 0.012), 6) if lat is not None else None
    attachments = []
    if rng.random() < 0.25:
        photos = [_photo(rng) for _ in range(rng.randint(1, 2))]
        attachments, _rejected = uploads.process_files(photos)
    anonymous = category.allow_anonymous and rng.random() < 0.3
    source = rng.choice(["resident", "resident", "resident", "grid_worker", "hotline"])
    case, _created = services.report(
        place=grid,
        category=category,
        description=rng.choice(TEXTS.get(category.code, TEXTS["other"])),
        source="transfer_110" if category.code == "police_transfer" else source,
        location_text=rng.choice(PLACES),
        lat=lat,
        lng=lng,
        reporter_name="" if anonymous else _name(rng),
        reporter_phone="" if anonymous else f"13{rng.randint(100000000, 999999999)}",
        anonymous=anonymous,
        attachments=attachments,
        now=t,
    )
    return Case.objects.get(pk=case.pk), t


def _one(rng, now, grid, category, final, dispatcher, leader, made, shift=timedelta(0)):
    is_open = final not in ("closed", "rejected", "merged")
    case, t = _report(rng, now, grid, category, is_open, shift)
    if case.state == "dispatched" and final in (
        "reported",
        "accepted",
        "rejected",
        "merged",
        "returned",
    ):
        final = "dispatched"  # an auto-dispatch rule already moved it on
    step = _clock(rng, t, case.urgency, now)

    def go(name, actor, note="", data=None, files=()):
        nonlocal case
        case, _entry = apply(
            case, name, actor, note=note, data=data or {}, attachments=files, now=next(step)
        )
        return case

    if final == "reported":
        return case
    if final == "rejected":
        return go("reject", dispatcher, note="不属于受理范围", data={"reason": "不属于受理范围"})
    if final == "merged":
        same = [m for m in reversed(made) if m.place_id == grid.pk and m.is_open]
        target = next((m for m in same if m.category_id == category.pk), None)
        target = target or (same[0] if same else None)
        if target is None:
            return case
        data = {"duplicate_of": target.pk, "number": target.number}
        return go("merge", dispatcher, note=f"与 {target.number} 为同一事件", data=data)
    if case.state == "reported":
        go("accept", dispatcher)
    if final == "accepted":
        return case
    if case.state == "accepted":
        rule = services.suggested_rule(case)
        if rule is None:  # no rule: the dispatcher gives it to the village's 2+N team
            team = Team.objects.filter(place_id=grid.parent_id).first()
            if team is None:
                return case
            data = {"department": None, "team": team.pk, "unit": team.name}
        else:
            data = {"department": rule.department_id, "team": rule.team_id, "unit": str(rule.unit)}
        go("dispatch", dispatcher, data=data)
    if final == "dispatched":
        return case
    worker = _actor_for_unit(case)
    if worker is None:
        return case
    if final == "returned":
        return go("return", worker, note="不属于本单位职责", data={"reason": "不属于本单位职责"})
    go("claim", worker)
    if final == "claimed":
        return case
    if case.urgency == "urgent" or rng.random() < 0.5:
        go("contact", worker)
        go("arrive", worker)
    go("progress", worker, note=rng.choice(["已到现场查看，正在协调处理", "已约谈当事人"]))
    if rng.random() < 0.12:
        go("request_extension", worker, note="需要协调多个部门", data={"days": rng.randint(1, 3)})
        approver = leader if leader.has_perm("cases.approve_extension") else dispatcher
        go("approve_extension", approver)
    if final == "in_progress":
        return case
    result = rng.choice(
        ["已清理完毕", "已督促整改到位", "已调解，双方达成一致", "已劝离并加强巡查"]
    )
    photos = []
    if rng.random() < 0.3:
        photos, _rejected = uploads.process_files([_photo(rng)])
    go("resolve", worker, note=result, data={"result": result}, files=photos)
    if final == "resolved":
        return case
    # Separation of duties: whoever resolved the case does not verify it.
    verifier = next((u for u in staff_for_place(grid, ["grid_worker"]) if u != worker), dispatcher)
    if rng.random() < 0.15:
        go("rework", verifier, note="现场仍未整改到位")
        go("resolve", worker, note="已再次整改", data={"result": "已再次整改"})
    go("verify", verifier)
    if final == "verified":
        return case
    go("close", verifier)
    if rng.random() < 0.75:
        satisfaction = rng.choice([5, 5, 5, 4, 4, 4, 3, 3, 2, 1])
        data = {"satisfaction": satisfaction, "comment": ""}
        go("return_visit", verifier, note="电话回访", data=data)
        if satisfaction <= 2 and rng.random() < 0.4:
            go("reopen", dispatcher, note="群众不满意，重新办理")
    return case


def _clock(rng, start, urgency, now):
    """Times of the successive steps of one case, never in the future."""
    t = start
    while True:
        gap = rng.uniform(0.3, 4) if urgency == "urgent" else rng.uniform(10, 600)
        t = min(t + timedelta(minutes=gap), now - timedelta(seconds=1))
        yield t

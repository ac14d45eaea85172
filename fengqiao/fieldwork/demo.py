"""Fieldwork in the demo county: the officer's visits this week with starred notes, a patrol
circle with teams and a 30-day rota, patrol logs, publicity activities; the community officers'
visits of the last three weeks (the weekly target page, ``/fieldwork/targets/``) with one officer's
target set to 15 households."""

import datetime
import random

from django.utils import timezone

from fengqiao.org.models import Place, User
from fengqiao.registry.models import Address

from . import services


def seed(county, rng=None):
    rng = rng or random.Random(11)  # noqa: S311 — demo data
    officer = User.objects.get(username="officer")
    gw = User.objects.get(username="gridworker")
    today = timezone.localdate()
    rooms = list(Address.objects.filter(level=Address.Level.ROOM, in_use=True).order_by("id")[:14])
    findings = [
        "家中情况正常",
        "租客信息已核对",
        "独居老人身体尚可，已留联系卡",
        "楼道堆放杂物，已提醒",
        "反诈宣传资料已发放",
        "邻里有噪音矛盾苗头",
    ]
    for i, room in enumerate(rooms):
        day = today - datetime.timedelta(days=min(i % 5, today.weekday()))
        starred = i in (2, 5, 9)
        services.record_visit(
            officer if i % 3 else gw,
            address=room,
            visited_on=day,
            purpose=rng.choice(["routine", "rental_check", "care", "anti_fraud"]),
            findings=findings[i % len(findings)],
            note="下周回访，协调物业清理楼道" if starred else "",
            starred=starred,
        )
    _past_weeks(rng, today)
    village = Place.objects.filter(level=Place.Level.VILLAGE, path__startswith=county.path).first()
    siblings = list(Place.objects.filter(parent=village.parent, level=Place.Level.VILLAGE)[:3])
    actor = User.objects.get(username="leader")  # the county organises patrol circles
    if len(siblings) >= 2:
        circle = services.create_circle(
            actor, name=f"{village.parent.name}第一巡防圈", villages=siblings
        )
        members = list(User.objects.filter(groups__name__in=["volunteer", "grid_worker"])[:30])
        services.form_teams(actor, circle, members, size=10)
        services.generate_rota(actor, circle, start=today, days=30, every=3, shifts=3)
        services.record_patrol(
            actor,
            circle,
            started_at=timezone.now() - datetime.timedelta(hours=3),
            route="枫溪路—南门路—村委",
            findings="无异常",
        )
    for topic, title, people in (
        ("anti_fraud", "反诈宣传进社区", 86),
        ("fire", "消防安全演练", 40),
        ("law", "民法典普法讲座", 55),
    ):
        services.record_activity(
            officer,
            place=village,
            topic=topic,
            title=title,
            held_on=today - datetime.timedelta(days=rng.randint(0, 20)),
            attendance=people,
            location="社区文化礼堂",
        )
    return len(rooms)


def _past_weeks(rng, today):
    """Each community officer with rooms in the jurisdiction visits some of them in each of the
    three weeks before this one — some meet the weekly target, most do not."""
    from . import targets

    leader = User.objects.get(username="leader")
    findings = ["家中情况正常", "租客信息已核对", "已发放反诈宣传资料", "出租房屋消防检查"]
    this_week = targets.Week.of(today)
    for n, officer in enumerate(targets.officers_in(leader)):
        rooms = list(
            Address.objects.restrict(officer)
            .filter(level=Address.Level.ROOM, in_use=True)
            .order_by("id")[:40]
        )
        if not rooms:
            continue
        if n == 0:
            services.set_weekly_target(leader, officer, 15)
        for back in (1, 2, 3):
            week = targets.Week(this_week.start - datetime.timedelta(days=7 * back))
            for room in rng.sample(rooms, min(len(rooms), rng.randint(6, 24))):
                services.record_visit(
                    officer,
                    address=room,
                    visited_on=week.start + datetime.timedelta(days=rng.randint(0, 6)),
                    purpose=rng.choice(["routine", "rental_check", "care", "safety"]),
                    findings=rng.choice(findings),
                )

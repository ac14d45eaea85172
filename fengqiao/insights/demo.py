"""The command centre's part of the demo county: the figures' daily roll-up, built from the cases
the other apps seeded (insights is seeded last), and 110 / 12345 alerts imported from generated
CSV files (this year and last, so 同比 has something to compare)."""

import random
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

ALERT_CATEGORIES = {
    "110": [("治安", 30), ("交通", 22), ("纠纷", 18), ("求助", 14), ("刑事", 6), ("火灾", 3)],
    "12345": [("噪音扰民", 20), ("占道经营", 16), ("物业纠纷", 14), ("环境卫生", 12), ("劳资", 6)],
}


def seed(county):
    from .rollup import rebuild

    seed_alerts(county)
    seed_villages(county)
    return rebuild()


def seed_villages(county):
    """无案村: the default criteria; this quarter, the last quarter, this year and the last three
    months evaluated for every village; the villages 达标 last quarter nominated by the dispatcher
    and the first two confirmed by the leader (through the flow, audited)."""
    from fengqiao.org.models import User

    from . import villages

    villages.install_defaults()
    today = timezone.localdate()
    day = today
    for _n in range(3):
        villages.evaluate("month", day)
        day = villages.previous_day("month", day)
    villages.evaluate("year", today)
    villages.evaluate("quarter", today)
    last = villages.evaluate("quarter", villages.previous_day("quarter", today))
    dispatcher = User.objects.filter(username="dispatcher").first()
    leader = User.objects.filter(username="leader").first()
    if dispatcher is None or leader is None:
        return
    met = [s for s in last if s.met and s.place_path.startswith(county.path)]
    for n, status in enumerate(met):
        status = villages.act(status, "nominate", dispatcher, {"note": "辖区本季度各项指标均达标"})
        if n < 2:
            villages.act(status, "confirm", leader, {"note": "经核实，确认为无案村"})


def seed_alerts(county, *, per_source=420, days=430):
    """Import ``per_source`` alerts per source over the last ``days`` days, spread over the grids
    (a fixed seed, so the demo is the same every time). Goes through the import service."""
    from fengqiao.org.models import Place, User

    from . import alerts

    leader = User.objects.filter(username="leader").first()
    grids = list(
        Place.objects.filter(path__startswith=county.path, level=Place.Level.GRID).values_list(
            "code", flat=True
        )
    )
    if leader is None or not grids:
        return
    rng = random.Random(110)
    now = timezone.localtime()
    for source, weighted in ALERT_CATEGORIES.items():
        names = [c for c, _w in weighted]
        weights = [w for _c, w in weighted]
        lines = ["报警时间,警情类别,地点,警情编号"]
        for n in range(per_source):
            when = now - timedelta(days=rng.uniform(0.1, days))
            lines.append(
                f"{when:%Y-%m-%d %H:%M},{rng.choices(names, weights)[0]},"
                f"{rng.choice(grids)},D{source}-{n:05d}"
            )
        upload = SimpleUploadedFile(f"demo-{source}.csv", "\n".join(lines).encode("utf-8-sig"))
        alerts.import_alerts(leader, place=county, source=source, upload=upload)

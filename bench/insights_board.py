"""Benchmark of the KPI board and the map layers at scale (not part of the tests).

    FENGQIAO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fq_bench \
        .venv/bin/python bench/insights_board.py --cases 10000000

Generates the cases with ``bench/generate_cases.py`` if the database has fewer than ``--cases``
(set-based SQL, the demo county), builds the daily roll-up (timed), then times, as the county
leader, the KPI board (tiles with 环比/同比, the table by town / village / department / category,
the trend) for the last 30 days and for a past quarter — from the roll-up and, with --live, from
the cases — and the map's layer queries. Aim: the board ≤ 300 ms at 10 M cases. Results go to
bench/results/insights-<time>.json.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")


def timed(fn, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "median_ms": round(statistics.median(samples), 1),
        "max_ms": round(max(samples), 1),
        "runs": repeat,
    }


def leader():
    from fengqiao.org.models import Place, User
    from fengqiao.org.services import create_staff

    user = User.objects.filter(username="bench-leader").first()
    if user is None:
        county = Place.objects.get(level=Place.Level.COUNTY)
        user = create_staff(
            username="bench-leader",
            password="Bench-Passw0rd!",
            roles=["leader", "dispatcher"],
            places=[county],
        )
    return User.objects.get(pk=user.pk)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--live", action="store_true", help="also time the live (no roll-up) path")
    parser.add_argument("--skip-rebuild", action="store_true")
    args = parser.parse_args()

    import generate_cases

    generate_cases.setup()
    from django.utils import timezone

    from fengqiao.cases.models import Case
    from fengqiao.insights import figures, maps, rollup, services
    from fengqiao.insights.figures import Period
    from fengqiao.insights.models import RollupState

    generate_cases.seed_org()
    have = Case.objects.count()
    if have < args.cases:
        print(f"generating {args.cases - have:,} cases …", flush=True)
        generate_cases.generate(args.cases - have, 10_000)
    total = Case.objects.count()
    result = {"cases": total, "at": timezone.now().isoformat()}

    if not args.skip_rebuild:
        start = time.perf_counter()
        rows = rollup.rebuild()
        result["rollup_rebuild_s"] = round(time.perf_counter() - start, 1)
        result["rollup_rows"] = rows
        print(f"roll-up: {rows:,} rows in {result['rollup_rebuild_s']} s", flush=True)

    user = leader()
    today = timezone.localdate()
    spans = {
        "last_30_days": figures.default_period(today),
        "past_quarter": Period(today - timedelta(days=200), today - timedelta(days=110)),
    }
    boards = {}
    for name, span in spans.items():
        for by in ("town", "village", "department", "category"):
            boards[f"{name}/{by}"] = timed(
                lambda span=span, by=by: services.case_board(user, span, by=by), args.repeat
            )
            print(f"board {name} by {by}: {boards[f'{name}/{by}']}", flush=True)
    result["board_rollup"] = boards

    if args.live:
        state = RollupState.objects.filter(pk=1)
        built = state.values_list("built_at", flat=True).first()
        state.update(built_at=None)
        try:
            result["board_live"] = {
                "last_30_days/town": timed(
                    lambda: services.case_board(user, spans["last_30_days"], by="town"), 1
                )
            }
            print(f"board live: {result['board_live']}", flush=True)
        finally:
            state.update(built_at=built)

    result["map_layers"] = timed(
        lambda: maps.layers(user, spans["last_30_days"]), max(1, args.repeat // 2)
    )
    print(f"map layers: {result['map_layers']}", flush=True)
    start = time.perf_counter()
    result["refresh_dirty_slices"] = rollup.refresh_dirty()
    result["refresh_s"] = round(time.perf_counter() - start, 2)

    out = HERE / "results" / f"insights-{timezone.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()

"""Registry search at a county's size (not a test): 1M people, scoped search latency and plans.

    createdb -h 127.0.0.1 -U postgres fq_registry_bench
    FENGQIAO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fq_registry_bench FENGQIAO_HOME=$(mktemp -d) \
        nice -n 19 .venv/bin/python bench/registry_search_bench.py --people 1000000

(``make bench BENCH_PEOPLE=…`` runs it with the other benchmarks.)

1. **Generator.** Seeds the demo county's org tree once (60 grids), then a standard-address tree
   per grid — roads → buildings → rooms, about one room per three people — and the people: Chinese
   names (surname + one or two given characters), valid GB 11643 ID numbers, mobile numbers,
   registered / floating residents, each at a room. Everything is written through
   ``core.bulk.insert`` (the Excel import's COPY path): the fields encrypt the ID number and phone
   and fill their keyed hashes exactly as the application does. Re-running tops the table up to
   ``--people`` (resumable); ``--search-only`` skips generation.
2. **Measurement.** After ``ANALYZE``, times ``registry.search.search`` — the function behind the
   search page and ``/api/v1/registry/search`` — for the county's officer and a grid worker (one
   grid: scoping in the plan), ``--runs`` times each over sampled people: surname (one character,
   prefix), full name, ID number (keyed hash), phone (keyed hash), a road (address substring,
   trigram), road + building, surname + road. Prints p50 / p95 in ms and ``EXPLAIN``s every SQL
   statement a search runs, listing any sequential scan on the registry tables.
   Results go to ``bench/results/registry-search-<time>.json``.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静强磊洋艳勇军杰娟涛明超秀英华慧巧美淑惠珠翠雅芝玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
ROAD_WORDS = [
    *("枫溪", "东湖", "南门", "西山", "北岸", "青石", "柳塘", "桂花", "梧桐", "竹林"),
    *("新华", "人民", "解放", "建设", "和平", "文化", "幸福", "民主", "长安", "永安"),
]
PEOPLE_PER_ROOM = 3
ROADS_PER_GRID = 10
ROOMS_PER_BUILDING = 20
BATCH = 10_000


def setup():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def id_number(rng):
    from fengqiao.core import pii

    body = (
        f"3399{rng.randint(10, 99)}{rng.randint(1940, 2020)}"
        f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    )
    total = sum(int(d) * w for d, w in zip(body, pii._ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def seed_org():
    from fengqiao.org import demo as org_demo
    from fengqiao.org.models import Place, User

    if not Place.objects.exists():
        org_demo.seed()
    leader = User.objects.filter(username="bench-officer").first()
    if leader is None:
        from fengqiao.org import services as org_services

        county = Place.objects.get(level=Place.Level.COUNTY)
        leader = org_services.create_staff(
            username="bench-officer",
            password="Bench-Passw0rd!x",
            display_name="bench",
            roles=["community_officer"],
            places=[county],
        )
    return leader


def seed_addresses(people):
    """road → building → room per grid, about one room per PEOPLE_PER_ROOM people; returns the
    rooms as (id, place_id, place_path) tuples."""
    from fengqiao.core import bulk
    from fengqiao.org.models import Place
    from fengqiao.registry.models import Address
    from fengqiao.registry.services import _place_prefix

    grids = list(Place.objects.filter(level=Place.Level.GRID).order_by("code"))
    rooms_needed = -(-people // PEOPLE_PER_ROOM)
    buildings_per_road = max(
        1, -(-rooms_needed // (len(grids) * ROADS_PER_GRID * ROOMS_PER_BUILDING))
    )
    have = Address.objects.filter(level=Address.Level.ROOM).count()
    if have < rooms_needed:
        t = time.perf_counter()
        for g, grid in enumerate(grids):
            if Address.objects.filter(code__startswith=f"B-{grid.code}-").exists():
                continue  # (a bigger run needs a fresh database: rooms are made once per grid)
            prefix = _place_prefix(grid)
            made = []

            def add(name, level, parent, _grid=grid, _prefix=prefix, _made=made):
                a = Address(
                    name=name,
                    level=level,
                    parent=parent,
                    place=_grid,
                    place_path=_grid.path,
                    full_name=(parent.full_name if parent else _prefix) + name,
                )
                _made.append(a)
                return a

            roads = [
                add(
                    f"{ROAD_WORDS[(g * 3 + j) % len(ROAD_WORDS)]}{'路街巷'[j % 3]}{g + 1}{j}号",
                    2,
                    None,
                )
                for j in range(ROADS_PER_GRID)
            ]
            buildings = [add(f"{b + 1}幢", 4, r) for r in roads for b in range(buildings_per_road)]
            for b in buildings:
                for r in range(ROOMS_PER_BUILDING):
                    add(f"{r // 4 + 1}0{r % 4 + 1}室", 6, b)
            keys = bulk.reserve_keys(Address, len(made))
            for a, pk in zip(made, keys, strict=True):
                a.pk = pk
                a.code = f"B-{grid.code}-{pk}"
                a.tree_path = (a.parent.tree_path if a.parent else "/") + f"{pk}/"
            for level in (2, 4, 6):  # parents before children (the foreign key)
                bulk.insert([a for a in made if a.level == level])
        print(
            f"addresses: {Address.objects.count()} in {time.perf_counter() - t:.0f} s", flush=True
        )
    return list(
        Address.objects.filter(level=Address.Level.ROOM).values_list("pk", "place_id", "place_path")
    )


def seed_people(total, rooms, rng):
    import psycopg
    from django.db import IntegrityError

    from fengqiao.core import bulk
    from fengqiao.registry.models import Person

    have = Person.objects.count()
    rng.seed(have)  # a top-up draws other people than the first run
    rates = []
    while have < total:
        n = min(BATCH, total - have)
        batch = []
        for _i in range(n):
            room, place_id, place_path = rng.choice(rooms)
            number = id_number(rng)
            floating = rng.random() < 0.3
            batch.append(
                Person(
                    name=rng.choice(SURNAMES)
                    + rng.choice(GIVEN)
                    + (rng.choice(GIVEN) if rng.random() < 0.7 else ""),
                    id_number=number,
                    birth_date=None,
                    sex="mf"[int(number[16]) % 2 == 0],
                    phone=f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
                    address_id=room,
                    place_id=place_id,
                    place_path=place_path,
                    residence="floating" if floating else "registered",
                    inflow_reason="务工" if floating else "",
                )
            )
        t = time.perf_counter()
        try:
            bulk.insert(batch)
        except (IntegrityError, psycopg.errors.UniqueViolation):
            continue  # a random ID number drawn twice: draw the batch again
        seconds = time.perf_counter() - t
        have += n
        rates.append(n / seconds)
        if have % 100_000 < BATCH or have == total:
            print(f"{have:>9} people  ({rates[-1]:.0f} rows/s)", flush=True)
    return rates


def explain(sql, params):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(r[0] for r in cursor.fetchall())


def time_searches(users, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fengqiao.core import pii
    from fengqiao.registry import search
    from fengqiao.registry.models import Person

    out, plans = {}, {}
    for who, user in users.items():
        sample = list(
            Person.objects.restrict(user)
            .select_related("address__parent__parent")
            .order_by("?")[:runs]
        )
        queries = {
            "surname": lambda p: p.name[0],
            "full_name": lambda p: p.name,
            "id_number": lambda p: pii.clear_value(p.id_number),
            "phone": lambda p: pii.clear_value(p.phone),
            "road": lambda p: p.address.parent.parent.name,
            "road_building": lambda p: f"{p.address.parent.parent.name} {p.address.parent.name}",
            "surname_road": lambda p: f"{p.name[0]} {p.address.parent.parent.name}",
        }
        for kind, make in queries.items():
            times, found = [], 0
            for person in sample:
                q = make(person)
                t = time.perf_counter()
                result = search.search(user, q, kind="people")
                times.append((time.perf_counter() - t) * 1000)
                found += bool(result["people"])
            times.sort()
            key = f"{who}.{kind}"
            out[key] = {
                "p50_ms": round(statistics.median(times), 2),
                "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 2),
                "found": f"{found}/{len(sample)}",
            }
            with CaptureQueriesContext(connection) as ctx:
                search.search(user, make(sample[0]), kind="people")
            seq = []
            for q in ctx.captured_queries:
                plan = explain(q["sql"], None)
                plans.setdefault(key, []).append(plan)
                seq += [
                    line.strip()
                    for line in plan.splitlines()
                    if "Seq Scan on registry_" in line or "Seq Scan on fieldwork_" in line
                ]
            out[key]["seq_scans"] = seq
            print(
                f"{who:>7} {kind:<14} p50 {out[key]['p50_ms']:>8} ms  p95 {out[key]['p95_ms']:>8} ms"
                f"  found {out[key]['found']}  {'SEQ SCAN: ' + '; '.join(seq) if seq else ''}",
                flush=True,
            )
    return out, plans


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--search-only", action="store_true")
    args = parser.parse_args()
    setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("this benchmark needs PostgreSQL (FENGQIAO_DATABASE_URL)")
    from fengqiao.org.models import User

    rng = random.Random(10)
    leader = seed_org()
    rates = []
    if not args.search_only:
        rooms = seed_addresses(args.people)
        rates = seed_people(args.people, rooms, rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    from fengqiao.registry.models import Address, Person

    users = {"county": leader, "grid": User.objects.get(username="gridworker")}
    searches, plans = time_searches(users, args.runs)
    result = {
        "people": Person.objects.count(),
        "addresses": Address.objects.count(),
        "insert_rows_per_second": round(statistics.median(rates), 1) if rates else None,
        "search": searches,
        "plans": plans,
    }
    Path(__file__).parent.joinpath("results").mkdir(exist_ok=True)
    path = (
        Path(__file__).parent / "results" / f"registry-search-{time.strftime('%Y%m%d-%H%M%S')}.json"
    )
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(path)


if __name__ == "__main__":
    main()

"""Registry benchmark (not a test): import rate and scoped search latency at a county's size.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE fq_registry_bench"
    FENGQIAO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fq_registry_bench FENGQIAO_HOME=$(mktemp -d) \
        .venv/bin/python bench/registry_bench.py --people 1000000

1. Seeds the org tree (demo county) once, then one road → building → unit → room tree per grid.
2. Generates people as xlsx files of 10,000 rows (valid GB 11643 ID numbers, phones, 2 % bad
   rows) and imports them through the real importer (``importer.run_import``), timing each file:
   the rows per second of the import path used in production.
3. Times scoped searches (a grid worker and the county leader) by surname prefix, full name,
   ID number (keyed hash), phone (keyed hash) and address words, 50 runs each, and prints
   p50 / p95 in milliseconds. Results go to bench/results/registry-<time>.json.
"""

import argparse
import io
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


def setup():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def id_number(rng, n):
    from fengqiao.core import pii

    body = f"3399{rng.randint(10, 99)}{rng.randint(1940, 2020)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, pii._ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def seed():
    from fengqiao.org import demo as org_demo
    from fengqiao.org.models import Place, User
    from fengqiao.registry import services
    from fengqiao.registry.models import Address

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
    rooms = list(Address.objects.filter(level=Address.Level.ROOM))
    if not rooms:
        for grid in Place.objects.filter(level=Place.Level.GRID):
            road = services.create_address(leader, place=grid, level=2, name=f"{grid.name}路")
            for b in range(1, 6):
                building = services.create_address(leader, parent=road, level=4, name=f"{b}幢")
                for r in range(1, 11):
                    rooms.append(
                        services.create_address(leader, parent=building, level=6, name=f"{r}0{b}室")
                    )
    return leader, rooms


def make_file(rng, rooms, start, rows=10_000):
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("people")
    ws.append(["姓名", "公民身份号码", "联系电话", "人口类型", "地址编码"])
    for i in range(start, start + rows):
        number = id_number(rng, i)
        if i % 50 == 7:
            number = number[:17] + ("0" if number[17] != "0" else "1")
        ws.append(
            [
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                number,
                f"13{rng.randint(100000000, 999999999)}",
                "户籍人口",
                rng.choice(rooms).code,
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def import_people(leader, rooms, total, rng):
    from django.core.files.base import ContentFile

    from fengqiao.registry import importer
    from fengqiao.registry.models import ImportJob, Person

    rates = []
    start = Person.objects.count()
    while Person.objects.count() < total:
        content = make_file(rng, rooms, start)
        job = ImportJob.objects.create(
            kind="people",
            dry_run=False,
            filename="bench.xlsx",
            total_rows=10_000,
            created_by=leader,
        )
        job.file.save(f"bench-{job.pk}.xlsx", ContentFile(content))
        t = time.perf_counter()
        job = importer.run_import(job.pk)
        seconds = time.perf_counter() - t
        rates.append(job.done_rows / seconds)
        start += 10_000
        print(
            f"{Person.objects.count():>9} people  {seconds:6.1f} s/10k  ({rates[-1]:.0f} rows/s)",
            flush=True,
        )
    return rates


def time_searches(users, rng, runs=50):
    from fengqiao.core import pii
    from fengqiao.registry import search
    from fengqiao.registry.models import Person

    sample = list(Person.objects.order_by("?")[:runs])
    queries = {
        "surname": lambda p: p.name[0],
        "full_name": lambda p: p.name,
        "id_number": lambda p: pii.clear_value(p.id_number),
        "phone": lambda p: pii.clear_value(p.phone),
        "address_words": lambda p: f"{p.address.parent.name} {p.name[0]}",
    }
    out = {}
    for who, user in users.items():
        for kind, make in queries.items():
            times = []
            for person in sample:
                q = make(person)
                t = time.perf_counter()
                search.search(user, q, kind="people")
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            out[f"{who}.{kind}"] = {
                "p50_ms": round(statistics.median(times), 2),
                "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
            }
            print(
                f"{who:>8} {kind:<14} p50 {out[f'{who}.{kind}']['p50_ms']:>8} ms  p95 {out[f'{who}.{kind}']['p95_ms']:>8} ms",
                flush=True,
            )
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    args = parser.parse_args()
    setup()
    from fengqiao.org.models import User

    rng = random.Random(10)
    leader, rooms = seed()
    rates = import_people(leader, rooms, args.people, rng)
    users = {"leader": leader, "grid": User.objects.get(username="gridworker")}
    result = {
        "people": args.people,
        "import_rows_per_second": round(statistics.median(rates), 1) if rates else None,
        "search": time_searches(users, rng),
    }
    Path(__file__).parent.joinpath("results").mkdir(exist_ok=True)
    path = Path(__file__).parent / "results" / f"registry-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(path)


if __name__ == "__main__":
    main()

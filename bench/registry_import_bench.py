"""Registry import benchmark (not a test): one large people sheet through the real importer.

    createdb -h 127.0.0.1 -U postgres fq_registry_bench
    FENGQIAO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fq_registry_bench FENGQIAO_HOME=$(mktemp -d) \\
        .venv/bin/python bench/registry_import_bench.py --rows 50000 [--dry-run] [--profile] [--insert orm]

Generates a people sheet of ``--rows`` rows with every column a real register has (name, GB 11643
ID number, phone, birth date, sex, residence type with inflow reason/date for floating people,
address code, registered address, tags, note) spread over the demo county's rooms, 2 % of the rows
bad in the ways the issue names (wrong check digit, impossible date, unknown address, duplicate
ID inside the file), then times ``importer.run_import`` on it, counts the SQL queries, checks the
report (every bad row listed, every good row inserted) and writes bench/results/import-<time>.json.
``--profile`` prints the top of a cProfile of the import; ``--insert orm`` inserts with the ORM's
``bulk_create`` instead of ``core.bulk``'s COPY (the before/after of docs/performance.md).
"""

import argparse
import cProfile
import io
import json
import pstats
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.registry_bench import GIVEN, SURNAMES, seed, setup  # noqa: E402

TAGS = ["", "", "", "", "", "", "", "", "独居老人", "残疾人", "留守儿童"]


def id_number(n):
    """A valid GB 11643 number, different for every n below 29 million."""
    import datetime

    from fengqiao.core import pii

    born = datetime.date(1940, 1, 1) + datetime.timedelta(days=(n // 1000) % 29_000)
    body = f"339901{born:%Y%m%d}{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, pii._ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def backend_cpu(connection):
    """CPU seconds of this connection's PostgreSQL backend (a local server), else None."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    import os

    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_sheet(rows, rooms, rng, offset=0):
    """(xlsx bytes, number of bad rows)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("people")
    ws.append(
        [
            "姓名",
            "公民身份号码",
            "联系电话",
            "出生日期",
            "性别",
            "人口类型",
            "地址编码",
            "户籍地址",
            "流入原因",
            "流入日期",
            "拟居住期限",
            "标签",
            "备注",
        ]
    )
    bad = 0
    previous = None
    for i in range(offset, offset + rows):
        number = id_number(i)
        room = rng.choice(rooms).code
        floating = i % 4 == 0
        inflow = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if floating else ""
        kind = i % 200  # 4 kinds of bad rows in 200: 2 %
        if kind == 7:  # wrong check digit
            number = number[:17] + ("0" if number[17] != "0" else "1")
            bad += 1
        elif kind == 57 and not floating:  # impossible date
            inflow = "2025-02-30"
            floating = True
            bad += 1
        elif kind == 107:  # unknown address
            room = "NO-SUCH-ROOM"
            bad += 1
        elif kind == 157 and previous:  # the ID number of an earlier row of the file
            number = previous
            bad += 1
        previous = number if kind == 3 else previous
        ws.append(
            [
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                number,
                f"13{rng.randint(100000000, 999999999)}",
                "",
                "",
                "流动人口" if floating else "户籍人口",
                room,
                "浙江省某县某镇某村" if not floating else "安徽省某县",
                "务工" if floating else "",
                inflow,
                "一年" if floating else "",
                rng.choice(TAGS),
                "",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), bad


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--insert",
        choices=["auto", "orm"],
        default="auto",
        help="orm: force the ORM's bulk_create instead of COPY on PostgreSQL (for comparison)",
    )
    args = parser.parse_args()
    setup()
    if args.insert == "orm":
        from fengqiao.core import bulk

        bulk.insert = lambda objects, batch_size=1000, **_kw: (
            type(objects[0]).objects.bulk_create(objects, batch_size=batch_size) if objects else []
        )
    from django.core.files.base import ContentFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fengqiao.registry import importer
    from fengqiao.registry.models import ImportJob, Person

    leader, rooms = seed()
    offset = 3_000_000 + ImportJob.objects.count() * 200_000  # fresh ID numbers on every run
    rng = random.Random(offset)  # another run on the same database draws other ID numbers
    t = time.perf_counter()
    content, bad = make_sheet(args.rows, rooms, rng, offset=offset)
    print(f"generated {args.rows} rows ({bad} bad) in {time.perf_counter() - t:.1f} s", flush=True)
    before = Person.objects.count()
    job = ImportJob.objects.create(
        kind="people",
        dry_run=args.dry_run,
        filename="bench.xlsx",
        total_rows=args.rows,
        created_by=leader,
    )
    job.file.save(f"bench-{job.pk}.xlsx", ContentFile(content))
    profiler = cProfile.Profile() if args.profile else None
    db_cpu = backend_cpu(connection)
    with CaptureQueriesContext(connection) as queries:
        t, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        job = importer.run_import(job.pk)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - t
        cpu = time.process_time() - cpu
    db_cpu = None if db_cpu is None else backend_cpu(connection) - db_cpu
    inserted = Person.objects.count() - before
    result = {
        "rows": args.rows,
        "bad_rows": bad,
        "dry_run": args.dry_run,
        "state": job.state,
        "ok_rows": job.ok_rows,
        "error_rows": job.error_rows,
        "inserted": inserted,
        "seconds": round(seconds, 1),
        "rows_per_second": round(args.rows / seconds, 1),
        # The machine is shared: CPU seconds of this process say more than the wall clock.
        "cpu_seconds": round(cpu, 1),
        "rows_per_cpu_second": round(args.rows / cpu, 1),
        "database_cpu_seconds": None if db_cpu is None else round(db_cpu, 1),
        "queries": len(queries),
        "database": connection.vendor,
        "insert": "bulk_create"
        if args.insert == "orm" or connection.vendor != "postgresql"
        else "copy",
    }
    print(json.dumps(result, ensure_ascii=False), flush=True)
    # Every bad row reported, every good row inserted, nothing else.
    assert job.error_rows == bad, (job.error_rows, bad)
    assert job.ok_rows == args.rows - bad
    assert inserted == (0 if args.dry_run else args.rows - bad)
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    path = Path(__file__).parent / "results" / f"import-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(path)


if __name__ == "__main__":
    main()

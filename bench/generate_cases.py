"""Generate a large case database on PostgreSQL for the cases benchmark.

    FENGQIAO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fq_bench \
        .venv/bin/python bench/generate_cases.py --cases 1000000

Creates (if empty) the demo county (places, staff, departments, rules), then with set-based SQL
(``INSERT … SELECT`` over ``generate_series`` in the server: the rows never cross the wire, which
is faster than ``COPY`` from a client that would have to make and send them):
* N cases over ``--days`` (default two years), a city's shape: reports by day time (80 % between
  08:00 and 20:00), busy and quiet grids (a quadratic skew: the busiest grid gets ≈ 15× the
  quietest), a few categories carrying most reports (cubic skew); cases older than 30 days are
  closed (96 %), rejected or merged (3 %) or still in work (1 %); younger ones in every state;
* timeline entries per case by how far it got (3 for open cases, 7 for closed ones);
* open deadlines: a ``handle`` deadline for every open case and a ``claim`` deadline for part of
  them; ``--due`` of them are due now;
* ``--uniform`` keeps the old flat shape (≈ 70 % open whatever the age: ≥ 1 M open deadlines at
  N = 1 M, the sweep's stress case).
On PostgreSQL the months of the history get their partitions first (``core.partitions``).
Prints the counts and the time taken. Re-running with ``--reset-due`` only re-arms the due ones.
``make bench SCALE=10m`` generates 10 M cases (about 12 GB; hours on a loaded 2-core machine).
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")


def setup():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed_org():
    from fengqiao.cases import demo as cases_demo
    from fengqiao.cases.defaults import install
    from fengqiao.cases.models import Category
    from fengqiao.org import demo as org_demo
    from fengqiao.org.models import Place

    if Place.objects.exists():
        return Place.objects.get(level=Place.Level.COUNTY)
    county, _accounts = org_demo.seed()
    install(Category)
    cases_demo.seed_rules(county)
    return county


def generate(n, due, batch=200_000, days=730, uniform=False):
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from fengqiao.cases.models import Case, Category
    from fengqiao.org.models import Department, Place, User

    ct = ContentType.objects.get_for_model(Case).pk
    grids = list(Place.objects.filter(level=Place.Level.GRID).values_list("id", "path"))
    cats = list(
        Category.objects.filter(parent__isnull=True, children__isnull=True).values_list(
            "id", flat=True
        )
    )
    cats += list(Category.objects.filter(parent__isnull=False).values_list("id", flat=True))
    depts = list(Department.objects.values_list("id", flat=True))
    dept_user = User.objects.get(username="dept")
    start_id = (Case.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    states = ["closed"] * 30 + ["reported"] * 8 + ["accepted"] * 5 + ["dispatched"] * 15 + \
        ["claimed"] * 12 + ["in_progress"] * 20 + ["resolved"] * 7 + ["verified"] * 3  # fmt: skip
    import datetime as dt

    from fengqiao.core import partitions

    partitions.ensure(since=dt.date.today() - dt.timedelta(days=days + 1))
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        done = 0
        while done < n:
            size = min(batch, n - done)
            lo = start_id + done
            hi = lo + size - 1
            cur.execute(
                """
                INSERT INTO cases_case (
                  id, uid, tracking_code, client_id, source, category_id, urgency, state,
                  description, location_text, lat, lng, share_location, anonymous,
                  reporter_name, reporter_phone, reporter_phone_hash, place_id, place_path,
                  department_id, assignee_id, reported_at, accepted_at, dispatched_at,
                  closed_at, next_due_at, handle_due_at, on_time, rejected_reason, result,
                  rework_count, extension_count, reopen_count, supervision_level,
                  satisfaction, satisfaction_note, reporter_email, reporter_language)
                SELECT g,
                  md5('case' || g)::uuid,
                  'B' || upper(lpad(to_hex(g), 9, '0')),
                  NULL,
                  'resident',
                  (%(cats)s::bigint[])[1 + CASE WHEN %(uniform)s
                      THEN (g * 7) %% cardinality(%(cats)s::bigint[])
                      ELSE floor(cardinality(%(cats)s::bigint[]) * power(h.u2, 3))::int END],
                  CASE WHEN g %% 10 = 0 THEN 'urgent' WHEN g %% 10 = 1 THEN 'complex' ELSE 'ordinary' END,
                  s.state,
                  '批量生成的测试事件 #' || g,
                  '测试地点' || (g %% 500),
                  29.7 + (g %% 1000) * 0.0002, 120.4 + (g %% 997) * 0.0004,
                  false, true, '', '', '',
                  (%(grid_ids)s::bigint[])[1 + h.grid],
                  (%(grid_paths)s::text[])[1 + h.grid],
                  CASE WHEN s.state IN ('reported', 'accepted') THEN NULL
                       ELSE (%(depts)s::bigint[])[1 + (g / 3) %% cardinality(%(depts)s::bigint[])] END,
                  NULL,
                  t.at, t.at + interval '20 minutes', t.at + interval '40 minutes',
                  CASE WHEN s.state IN ('closed', 'rejected', 'merged')
                       THEN t.at + interval '20 hours' END,
                  CASE WHEN s.state IN ('closed', 'rejected', 'merged') THEN NULL
                       ELSE t.at + interval '1 day' END,
                  t.at + interval '1 day',
                  CASE WHEN s.state = 'closed' THEN g %% 7 <> 0 END,
                  '', '', 0, 0, 0, 0,
                  CASE WHEN s.state = 'closed' AND g %% 3 = 0 THEN 1 + g %% 5 END, '', '', ''
                FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) g
                CROSS JOIN LATERAL (
                  -- three well-spread fractions in [0, 1) from the id (no random(): repeatable)
                  SELECT ((g * 2654435761) %% 1000003) / 1000003.0 AS u1,
                         ((g * 40503 + 17) %% 999983) / 999983.0 AS u2,
                         ((g * 69069 + 5) %% 1000) AS u3) h0
                CROSS JOIN LATERAL (
                  SELECT h0.*, CASE WHEN %(uniform)s THEN (g %% %(ngrids)s)::int
                    ELSE floor(%(ngrids)s * power(h0.u1, 2))::int END AS grid,
                    %(days)s * ((%(hi_all)s - g)::float / %(n)s) AS age) h
                CROSS JOIN LATERAL (
                  SELECT CASE
                    WHEN %(uniform)s OR h.age < 30 THEN (%(states)s::text[])[1 + (g * 13) %% 100]
                    WHEN h.u3 < 960 THEN 'closed'
                    WHEN h.u3 < 975 THEN 'rejected'
                    WHEN h.u3 < 990 THEN 'merged'
                    ELSE 'in_progress' END AS state) s
                CROSS JOIN LATERAL (
                  SELECT date_trunc('day', now() - h.age * interval '1 day')
                    + CASE WHEN %(uniform)s THEN (now() - date_trunc('day', now()))
                           -- 08:00–20:00 Beijing time (UTC+8) is 00:00–12:00 UTC
                           WHEN h.u3 < 800 THEN h.u2 * interval '12 hours'
                           ELSE h.u2 * interval '24 hours' END AS at0) t0
                CROSS JOIN LATERAL (SELECT least(t0.at0, now()) AS at) t
                """,
                {
                    "cats": cats,
                    "grid_ids": [g[0] for g in grids],
                    "grid_paths": [g[1] for g in grids],
                    "depts": depts,
                    "states": states,
                    "lo": lo,
                    "hi": hi,
                    "hi_all": start_id + n,
                    "n": n,
                    "days": days,
                    "ngrids": len(grids),
                    "uniform": uniform,
                },  # fmt: skip
            )
            # Give the printed department account its share of claimed / in-progress work.
            cur.execute(
                "UPDATE cases_case SET assignee_id = %s WHERE id BETWEEN %s AND %s"
                " AND department_id = %s AND state IN ('claimed', 'in_progress')",
                [dept_user.pk, lo, hi, dept_user.department_id],
            )
            cur.execute(
                """
                INSERT INTO core_timelineentry (content_type_id, object_id, at, actor_name,
                  transition, from_state, to_state, note, data)
                SELECT %(ct)s, c.id, c.reported_at + (k * interval '20 minutes'), '系统',
                  (ARRAY['report', 'accept', 'dispatch', 'claim', 'resolve', 'verify',
                         'close'])[k + 1],
                  (ARRAY['', 'reported', 'accepted', 'dispatched', 'claimed', 'resolved',
                         'verified'])[k + 1],
                  (ARRAY['reported', 'accepted', 'dispatched', 'claimed', 'resolved', 'verified',
                         'closed'])[k + 1],
                  CASE WHEN k = 0 THEN c.description ELSE '' END, '{}'::jsonb
                FROM cases_case c CROSS JOIN generate_series(0, 6) k
                WHERE c.id BETWEEN %(lo)s AND %(hi)s
                  AND k < CASE WHEN c.state = 'closed' THEN 7 WHEN c.state IN ('rejected',
                    'merged', 'reported') THEN 1 ELSE 3 END
                """,
                {"ct": ct, "lo": lo, "hi": hi},
            )
            cur.execute(
                """
                INSERT INTO core_deadline (content_type_id, object_id, kind, policy, started_at,
                  due_at, state, breached, level, next_check_at, place_path)
                SELECT %(ct)s, c.id, d.kind, d.policy, c.dispatched_at,
                  now() + interval '3 days' + (c.id %% 1000) * interval '1 minute',
                  'open', false, 0,
                  now() + interval '3 days' + (c.id %% 1000) * interval '1 minute', c.place_path
                FROM cases_case c
                CROSS JOIN (VALUES ('handle', 'case_handle'), ('claim', 'case_step')) d(kind, policy)
                WHERE c.id BETWEEN %(lo)s AND %(hi)s
                  AND c.state NOT IN ('closed', 'rejected', 'merged')
                  AND (d.kind = 'handle' OR c.id %% 7 < 3)
                """,
                {"ct": ct, "lo": lo, "hi": hi},
            )
            done += size
            print(f"  {done:>9,} cases", flush=True)
        for table in ("cases_case", "core_timelineentry", "core_deadline"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
        cur.execute("ANALYZE cases_case; ANALYZE core_deadline; ANALYZE core_timelineentry")
    arm_due(due)


def arm_due(due):
    """Make exactly ``due`` open deadlines due now (the rest stay days away)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "UPDATE core_deadline SET next_check_at = now() + interval '3 days', level = 0,"
            " due_at = now() + interval '3 days', breached = false"
            " WHERE next_check_at <= now() + interval '1 day'"
        )
        cur.execute(
            """
            UPDATE core_deadline SET due_at = now() - interval '1 minute',
              next_check_at = now() - interval '1 minute', level = 0
            WHERE id IN (SELECT id FROM core_deadline WHERE state = 'open'
                         ORDER BY id %% 9973, id LIMIT %s)
            """,
            [due],
        )
        cur.execute("ANALYZE core_deadline")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=730, help="history spread over DAYS")
    parser.add_argument("--uniform", action="store_true", help="flat shape, ≈70 %% open")
    parser.add_argument("--reset-due", action="store_true", help="only re-arm the due deadlines")
    args = parser.parse_args()
    setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("the cases benchmark runs on PostgreSQL (set FENGQIAO_DATABASE_URL)")
    started = time.perf_counter()
    seed_org()
    if args.reset_due:
        arm_due(args.due)
    else:
        generate(args.cases, args.due, days=args.days, uniform=args.uniform)
    from fengqiao.cases.models import Case
    from fengqiao.core.models import Deadline, TimelineEntry

    print(
        f"cases={Case.objects.count():,} timeline={TimelineEntry.objects.count():,} "
        f"open_deadlines={Deadline.objects.filter(state='open').count():,} "
        f"due={Deadline.objects.filter(next_check_at__lte=__import__('django.utils.timezone', fromlist=['now']).now()).count():,} "
        f"in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()

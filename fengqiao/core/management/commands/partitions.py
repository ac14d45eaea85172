"""``fengqiao manage partitions`` — the monthly partitions of the large tables (PostgreSQL).

    partitions list                       each partitioned table, its months and rows
    partitions ensure [--ahead N] [--since YYYY-MM-DD]
                                          create this month and the N next ones (default 3),
                                          and every month since a date (loading history)
    partitions retention --table core_auditevent --days 400 --archive DIR [--dry-run]
                                          archive (CSV, gzip) then drop whole months older than DAYS

Run as the table owner (``FENGQIAO_MIGRATE_DATABASE_URL`` with ``FENGQIAO_AS_OWNER=1``), e.g.
``ensure`` daily from cron; ``fengqiao migrate`` also runs ``ensure``. See docs/deploy.md."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from fengqiao.core import partitions


class Command(BaseCommand):
    help = "Monthly partitions of the audit log, timeline, notifications and deadlines."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="partitions and their rows")
        ensure = sub.add_parser("ensure", help="create the months ahead")
        ensure.add_argument("--ahead", type=int, default=3)
        ensure.add_argument(
            "--since", type=date.fromisoformat, help="also every month from this date on"
        )
        ret = sub.add_parser("retention", help="archive and drop old months")
        ret.add_argument("--table", required=True, choices=sorted(partitions.RETENTION))
        ret.add_argument("--days", type=int, required=True)
        ret.add_argument("--archive", required=True, help="directory, or 'none'")
        ret.add_argument("--dry-run", action="store_true")

    def handle(self, *args, action, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("not PostgreSQL: tables are not partitioned, nothing to do")
            return
        if action == "ensure":
            created = partitions.ensure(ahead=options["ahead"], since=options["since"])
            self.stdout.write(f"created {len(created)}: {' '.join(created)}".rstrip(": "))
        elif action == "list":
            for table in partitions.PARTITIONED:
                if not partitions.is_partitioned(connection, table):
                    self.stdout.write(f"{table}: not partitioned")
                    continue
                self.stdout.write(f"{table} (by {partitions.PARTITIONED[table]}):")
                with connection.cursor() as cur:
                    for name, bound in partitions.partitions(connection, table):
                        cur.execute(f'SELECT count(*) FROM "{name}"')  # noqa: S608
                        self.stdout.write(f"  {name:40} {cur.fetchone()[0]:>12,}  {bound}")
        else:
            try:
                done = partitions.retention(
                    options["table"],
                    options["days"],
                    options["archive"],
                    dry_run=options["dry_run"],
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            for entry in done:
                self.stdout.write(
                    f"{entry['partition']}: {entry['rows']} rows"
                    + (f", archived to {entry['archive']}" if entry["archive"] else "")
                    + (", dropped" if entry["dropped"] else "")
                    + (f", kept ({entry['kept']})" if entry.get("kept") else "")
                    + (", would drop" if options["dry_run"] and not entry.get("kept") else "")
                )
            if not done:
                self.stdout.write("no month old enough")

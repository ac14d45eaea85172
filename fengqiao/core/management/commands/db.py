"""``fengqiao db grant [ROLE]`` — give the application's PostgreSQL role row access only (run as the
owner: FENGQIAO_MIGRATE_DATABASE_URL; ROLE defaults to the user of FENGQIAO_DATABASE_URL);
``fengqiao db check`` — say whether the role the application connects as could truncate or
bypass the audit log (exit status 1 if it could)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fengqiao.core import dbroles


class Command(BaseCommand):
    help = "The application's database role: grant (as the owner) and check."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        grant = sub.add_parser("grant", help="grant the application role row access only")
        grant.add_argument("role", nargs="?", default="")
        sub.add_parser("check", help="can the application's role truncate or bypass the audit?")

    def handle(self, *args, action, **options):
        if action == "grant":
            role = options.get("role") or settings.APP_DATABASE_ROLE
            if not role:
                raise CommandError(
                    "name the application role, or set FENGQIAO_DATABASE_URL (the application)"
                    " and FENGQIAO_MIGRATE_DATABASE_URL (the owner)"
                )
            try:
                statements = dbroles.grant_app_role(role)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            if not statements:
                self.stdout.write("not PostgreSQL: nothing to grant")
            for sql in statements:
                self.stdout.write(sql)
            return
        result = dbroles.report()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in result.items()))
        if result.get("vendor") == "postgresql" and not result["safe"]:
            raise CommandError(
                "the application's role can truncate or bypass the audit log: connect as a"
                " non-owner role (see docs/deploy.md, PostgreSQL)"
            )

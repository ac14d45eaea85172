"""``fengqiao demo [--port N] [--no-serve]``: migrate, seed the demo county once, print the
accounts, then serve web + worker on http://127.0.0.1:PORT until Ctrl-C."""

import base64
import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from fengqiao.demo import seed_all
from fengqiao.org.demo import DEMO_PASSWORD, DEMO_TOTP_KEYS
from fengqiao.org.models import User


class Command(BaseCommand):
    help = "Prepare and run the demo (SQLite under FENGQIAO_HOME by default)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-serve", action="store_true", help="prepare the database and return"
        )

    def handle(self, *args, port, no_serve, **options):
        if not settings.DEMO_MODE:
            raise CommandError("demo accounts exist only in demo mode (FENGQIAO_DEMO=1)")
        settings.FENGQIAO_HOME.mkdir(parents=True, exist_ok=True)
        if settings.MIGRATE_DATABASE_URL:
            # PostgreSQL with the role split: migrate (and grant) as the owner, in its own
            # process; this process goes on as the application's role (docs/deploy.md).
            env = {**os.environ, "FENGQIAO_AS_OWNER": "1"}
            cmd = [sys.executable, "-m", "fengqiao.cli", "migrate", "--no-input", "-v", "0"]
            if subprocess.run(cmd, env=env, check=False).returncode != 0:
                raise CommandError("migrate as the owner (FENGQIAO_MIGRATE_DATABASE_URL) failed")
        else:
            call_command("migrate", interactive=False, verbosity=0)
        accounts = seed_all(stdout=self.stdout)
        self.stdout.write(
            "demo county seeded" if accounts else "database already seeded; kept as is"
        )
        self._print_accounts(port)
        if not no_serve:
            call_command("serve", port=port)

    def _print_accounts(self, port):
        out = self.stdout.write
        out("")
        out(f"Fengqiao demo: http://127.0.0.1:{port}/   (data in {settings.FENGQIAO_HOME})")
        out(f"All demo accounts use the password: {DEMO_PASSWORD}")
        out(f"{'username':<12} {'role':<20} name / second factor")
        printed = list(DEMO_TOTP_KEYS) + [
            "gridworker",
            "officer",
            "auxiliary",
            "assistant",
            "mediator",
            "lawyer",
            "volunteer",
            "dept",
            "dispatcher",
        ]
        users = {
            u.username: u
            for u in User.objects.filter(username__in=printed).prefetch_related("groups")
        }
        for username in sorted(printed, key=lambda u: (u in DEMO_TOTP_KEYS, u)):
            user = users.get(username)
            if user is None:
                continue
            role = ",".join(sorted(user.role_codes))
            line = f"{username:<12} {role:<20} {user.display_name}"
            if username in DEMO_TOTP_KEYS:
                secret = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEYS[username])).decode()
                line += f"  TOTP secret {secret} (add to an authenticator app)"
            out(line)
        out("Resident pages need no account. Ctrl-C stops the server and the worker.")

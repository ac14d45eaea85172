"""``fengqiao createuser USERNAME --role ROLE [--place CODE] [--station CODE]``."""

import getpass

from django.core.management.base import BaseCommand, CommandError

from fengqiao.core.errors import ServiceError
from fengqiao.org import services
from fengqiao.org.models import Department, Place, Station
from fengqiao.org.roles import ROLES


class Command(BaseCommand):
    help = "Create a staff account with roles and jurisdictions."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", action="append", required=True, choices=sorted(ROLES))
        parser.add_argument("--name", default="")
        parser.add_argument("--place", action="append", default=[], help="place code (repeatable)")
        parser.add_argument(
            "--station", action="append", default=[], help="station code (repeatable)"
        )
        parser.add_argument("--department", help="department code")
        parser.add_argument("--password", help="omit to be asked (recommended)")

    def handle(self, *args, username, role, name, place, station, department, password, **options):
        password = password or getpass.getpass("Password: ")
        try:
            places = [Place.objects.get(code=c) for c in place]
            stations = [Station.objects.get(code=c) for c in station]
            dept = Department.objects.get(code=department) if department else None
        except (Place.DoesNotExist, Station.DoesNotExist, Department.DoesNotExist) as exc:
            raise CommandError(f"unknown code: {exc}") from exc
        try:
            user = services.create_staff(
                username=username,
                password=password,
                display_name=name,
                roles=role,
                places=places,
                stations=stations,
                department=dept,
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"created {user.username} ({', '.join(role)})")

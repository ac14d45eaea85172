"""``fengqiao apikey create NAME`` (prints the key alone on the last line), ``list``, ``revoke``."""

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from fengqiao.core import services
from fengqiao.core.errors import ServiceError
from fengqiao.core.models import ApiKey
from fengqiao.org.models import Place, User


class Command(BaseCommand):
    help = "Manage integration API keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key and print it once")
        create.add_argument("name")
        create.add_argument("--user", help="service account to act as (default: integration-NAME)")
        create.add_argument(
            "--role",
            default="",
            help="the key's role (a business role code, e.g. dispatcher, grid_worker); "
            "without it the key has its account's roles (none by default: Open311 only)",
        )
        create.add_argument(
            "--place", default="", help="code of the place the key's role covers (with its subtree)"
        )
        sub.add_parser("list")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("name")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, name, user=None, role="", place="", **options):
        where = None
        if place:
            where = Place.objects.filter(code=place).first()
            if where is None:
                raise CommandError(f"no such place: {place}")
        account = self._service_account(name, user)
        api_key, key = services.create_api_key(name, account, role=role, place=where)
        scope = f" as {role}" if role else ""
        scope += f" in {where.code} {where.name}" if where else ""
        self.stdout.write(f"created key {api_key.name!r} acting as {account.username}{scope}")
        self.stdout.write(key)

    def _list(self, **options):
        for k in ApiKey.objects.select_related("user", "place").order_by("name"):
            state = "revoked" if k.revoked_at else "active"
            scope = f"{k.role or '-'}@{k.place.code if k.place else '-'}"
            self.stdout.write(f"{k.name}\t{k.prefix}…\t{k.user.username}\t{scope}\t{state}")

    def _revoke(self, name, **options):
        services.revoke_api_key(name)
        self.stdout.write(f"revoked {name}")

    def _service_account(self, name, username):
        if username:
            try:
                return User.objects.get(username=username)
            except User.DoesNotExist:
                raise CommandError(f"no such user: {username}") from None
        account, created = User.objects.get_or_create(
            username=f"integration-{name}"[:150], defaults={"display_name": f"接口：{name}"}
        )
        if created:
            account.set_unusable_password()
            account.save()
            group, _ = Group.objects.get_or_create(name="integration")
            account.groups.add(group)
        return account

"""``fengqiao place move CODE --to PARENT`` and ``fengqiao place recode CODE NEW_CODE``.

The operator on the server moves a place (with its subtree and every record in it) or gives it a
new code; paths everywhere follow in one transaction (``org.moves``), audited as done from the
command line."""

from django.core.management.base import BaseCommand, CommandError

from fengqiao.core.errors import ServiceError
from fengqiao.org import moves
from fengqiao.org.models import Place


def _place(code):
    try:
        return Place.objects.get(code=code)
    except Place.DoesNotExist as exc:
        raise CommandError(f"unknown place code: {code}") from exc


class Command(BaseCommand):
    help = "Move a place under another parent, or give it a new code (paths follow everywhere)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        move = sub.add_parser("move", help="move CODE under --to PARENT_CODE")
        move.add_argument("code")
        move.add_argument("--to", required=True, dest="parent")
        recode = sub.add_parser("recode", help="give CODE the code NEW_CODE")
        recode.add_argument("code")
        recode.add_argument("new_code")

    def handle(self, *args, verb, code, **options):
        place = _place(code)
        try:
            if verb == "move":
                place = moves.move_place(place, _place(options["parent"]), None)
            else:
                place = moves.recode_place(place, options["new_code"], None)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{place.code} {place.name}: {place.path}")

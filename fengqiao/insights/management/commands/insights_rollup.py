"""fengqiao manage insights_rollup [--rebuild]: build or refresh the figures' daily roll-up."""

from django.core.management.base import BaseCommand

from fengqiao.insights import rollup


class Command(BaseCommand):
    help = "Build (--rebuild) or refresh the daily roll-up of the case figures."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recompute every day")

    def handle(self, *args, **options):
        if options["rebuild"] or not rollup.ready():
            rows = rollup.rebuild()
            self.stdout.write(f"roll-up rebuilt: {rows} rows")
        else:
            slices = rollup.refresh_dirty()
            self.stdout.write(f"roll-up refreshed: {slices} dirty slices")

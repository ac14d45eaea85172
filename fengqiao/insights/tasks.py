"""Periodic jobs of the command centre (see ``settings.PERIODIC_JOBS``)."""

from django_tasks import task


@task()
def refresh_rollups():
    from .rollup import refresh_dirty

    return refresh_dirty()


@task()
def evaluate_villages():
    """无案村: this month, quarter and year for every village (hourly)."""
    from .villages import periodic_evaluate

    return periodic_evaluate()

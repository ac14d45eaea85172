"""Periodic jobs of the command centre (see ``settings.PERIODIC_JOBS``)."""

from django_tasks import task


@task()
def refresh_rollups():
    from .rollup import refresh_dirty

    return refresh_dirty()

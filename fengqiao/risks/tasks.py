"""Periodic jobs of the risk register (see ``settings.PERIODIC_JOBS``)."""

from django_tasks import task


@task()
def schedule_reviews():
    from .reviews import schedule_reviews as run

    return run()


@task()
def collect_suggestions():
    from .suggestions import collect

    return collect()

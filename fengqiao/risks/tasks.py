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


@task()
def link_registry_people():
    """People involved whose resident was registered later get their registry link."""
    from .services import link_registry_people as run

    return run()

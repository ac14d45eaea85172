"""Background tasks of the assistant (django-tasks, run by ``fengqiao worker``).

Staff edits and imports of standard answers, and law imports started with ``background=True``,
enqueue a rebuild here instead of building the index in the web request; the CLI stays
synchronous. Both tasks are idempotent: they rebuild from the database as it is when they run.
"""

from django_tasks import task

from . import services


@task()
def rebuild_answer_index():
    return services.rebuild_answer_index()


@task()
def rebuild_law_index():
    return services.rebuild_law_index()

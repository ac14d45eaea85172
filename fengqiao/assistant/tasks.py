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
    from . import indexing

    count = services.rebuild_law_index()
    indexing.start_law_embedding()
    return count


@task()
def embed_laws():
    """One resumable step of embedding the law articles (enqueues the next step itself)."""
    from . import indexing

    return indexing.embed_laws_step()["dense"]


@task()
def import_laws_from(directory: str):
    """Import a law corpus, index it and start embedding it (``make demo`` uses the shared one)."""
    from . import indexing

    return indexing.import_shared_laws(directory)

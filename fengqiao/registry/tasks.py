"""Background tasks of the registry (database worker)."""

from django_tasks import task


@task()
def run_import_task(job_id):
    from .importer import run_import

    job = run_import(job_id)
    return {"state": job.state, "ok": job.ok_rows, "errors": job.error_rows}

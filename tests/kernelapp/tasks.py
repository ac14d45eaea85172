"""Tasks and a notification channel for the multi-worker tests (tests/core/test_multiworker.py):
each leaves one append-only audit row naming the item and the worker process that handled it."""

import os
import time

from django_tasks import task

from fengqiao.core import audit


@task()
def probe(n, pause=0.05):
    audit.record("test.probe", data={"n": n, "pid": os.getpid()})
    time.sleep(pause)  # long enough for the other workers to be running meanwhile
    return n


class RecordingChannel:
    def send(self, notification):
        audit.record("test.delivered", data={"n": notification.pk, "pid": os.getpid()})

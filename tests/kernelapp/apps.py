import os

from django.apps import AppConfig


class KernelAppConfig(AppConfig):
    name = "tests.kernelapp"
    label = "kernelapp"

    def ready(self):
        from fengqiao.core import notifications

        from .tasks import RecordingChannel

        # A channel whose every send leaves an append-only trace (an audit row with the sending
        # process): the multi-worker test counts deliveries per notification.
        notifications.register_channel("record", RecordingChannel())
        if os.environ.get("FENGQIAO_TEST_RECORD_INAPP"):
            # the crash test (tests/ops/test_crash.py) counts deliveries of the in-app inbox
            notifications.register_channel("inapp", RecordingChannel())

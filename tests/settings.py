"""Test settings: the real settings plus a tiny app that exercises the workflow kernel."""

import os

from fengqiao.settings import *  # noqa: F403
from fengqiao.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.kernelapp"]
# Hashing cost is not what the tests are about.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}
# One process: the local-memory cache, emptied before every test (tests/conftest.py). The
# database cache is exercised by tests/core/test_throttle.py.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The dense layer (a real embedding model) is tested on its own with a small stand-in model
# (tests/assistant/test_dense.py); elsewhere it would make every answer-index rebuild slow.
os.environ.setdefault("FENGQIAO_EMBEDDINGS", "0")
# Text messages are logged in tests (tests/assistant/test_reply_sms.py points FileSender at a tmp file).
SMS_BACKEND = "fengqiao.core.sms.LogSender"

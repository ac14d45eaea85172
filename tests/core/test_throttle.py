"""core.throttle: a sliding-window counter per key in Django's cache, then a lock (429)."""

from datetime import timedelta
from threading import Thread

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from fengqiao.core.errors import Throttled
from fengqiao.core.throttle import Throttle

T0 = timezone.make_aware(timezone.datetime(2026, 11, 23, 9, 0))


def test_limit_within_the_window_locks_the_key():
    throttle = Throttle("t.lock", limit=3, window=600, lock=900)
    assert not throttle.hit("k", now=T0)
    assert not throttle.hit("k", now=T0 + timedelta(minutes=1))
    throttle.check("k", now=T0 + timedelta(minutes=1))
    assert throttle.hit("k", now=T0 + timedelta(minutes=2))
    with pytest.raises(Throttled) as err:
        throttle.check("k", now=T0 + timedelta(minutes=16, seconds=59))
    assert err.value.status == 429 and err.value.retry_after == 1
    assert err.value.details["retry_after"] == 1
    # other keys are not affected; the lock ends on time
    throttle.check("other", now=T0 + timedelta(minutes=3))
    throttle.check("k", now=T0 + timedelta(minutes=17))


def test_hits_spread_beyond_the_window_never_lock():
    throttle = Throttle("t.spread", limit=5, window=900)
    for i in range(12):  # one every 4 minutes: at most 4 in any 15 minutes
        assert not throttle.hit("k", now=T0 + timedelta(minutes=4 * i))


def test_consume_counts_every_call_and_refuses_after_the_limit():
    throttle = Throttle("t.consume", limit=2, window=60, message="慢一点（%(minutes)s分钟）")
    throttle.consume("ip", now=T0)
    throttle.consume("ip", now=T0)
    with pytest.raises(Throttled) as err:
        throttle.consume("ip", now=T0 + timedelta(seconds=1))
    assert err.value.message == "慢一点（1分钟）"


def test_cache_keys_hold_no_usable_value():
    throttle = Throttle("t.keys", limit=2, window=60)
    throttle.hit("SECRET-CODE-123", now=T0)
    cache = caches["default"]
    assert not any("SECRET-CODE-123" in key for key in cache._cache)  # local-memory cache


def test_parallel_hits_are_all_counted():
    """Slots are taken with cache.add (atomic), so no parallel hit is lost."""
    throttle = Throttle("t.parallel", limit=50, window=600)
    threads = [Thread(target=throttle.hit, args=("k",), kwargs={"now": T0}) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert throttle.count("k", now=T0) == 20


@pytest.mark.django_db
def test_database_cache_shared_by_processes():
    """The production default (FENGQIAO_CACHE=database) counts and locks the same way."""
    db_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "fengqiao_cache_test",
        }
    }
    with override_settings(CACHES=db_cache):
        call_command("createcachetable", verbosity=0)
        assert "fengqiao_cache_test" in connection.introspection.table_names()
        throttle = Throttle("t.db", limit=2, window=600)
        throttle.hit("k", now=T0)
        assert throttle.hit("k", now=T0)
        with pytest.raises(Throttled):
            throttle.check("k", now=T0)
        throttle.reset("k")
        caches["default"].clear()


def test_settings_are_read_at_call_time(settings):
    settings.MY_LIMIT = 1
    throttle = Throttle("t.settings", limit=lambda: settings.MY_LIMIT, window=timedelta(minutes=5))
    assert throttle.hit("k", now=T0)
    settings.MY_LIMIT = 3
    assert not throttle.hit("j", now=T0)


def test_pages_and_api_answer_429_with_retry_after(rf):
    from fengqiao.api import _service_error
    from fengqiao.core.middleware import ServiceErrorMiddleware

    exc = Throttled("请求过于频繁", retry_after=42)
    request = rf.get("/x")
    page = ServiceErrorMiddleware(lambda r: None).process_exception(request, exc)
    assert page.status_code == 429 and page["Retry-After"] == "42"
    assert "请求过于频繁" in page.content.decode()
    api = _service_error(rf.get("/api/v1/x"), exc)
    assert api.status_code == 429 and api["Retry-After"] == "42"
    assert b'"code": "throttled"' in api.content

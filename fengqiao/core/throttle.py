"""One throttle for public lookups (tracking codes, status checks, the assistant chat, login).

A :class:`Throttle` counts hits per key (an address, a hashed code, …) in Django's cache and,
when a key reaches ``limit`` hits within ``window`` seconds, locks that key for ``lock`` seconds:
:meth:`Throttle.check` then raises :class:`~fengqiao.core.errors.Throttled` (HTTP 429 with
``Retry-After``) until the lock ends. Two ways to use it::

    LOOKUP = Throttle("cases.track", limit=30, window=600)
    LOOKUP.consume(ip)                 # every request counts (chat, lookups)

    FAILED = Throttle("disputes.track.code", limit=5, window=900)
    FAILED.check(code)                 # refused while locked …
    if wrong: FAILED.hit(code)         # … only failures count

Counting is a sliding-window counter: hits in the current fixed window plus the previous
window's hits weighted by how much of it still overlaps the sliding window. Each hit takes a
numbered *slot* with ``cache.add``, which is atomic on every Django cache backend (local memory,
database, Redis, Memcached), so parallel requests cannot lose counts the way a get-then-set
counter would (the database cache's ``incr`` is get-then-set). Keys are keyed hashes, so the
cache never holds a usable code or address.

The cache is ``settings.THROTTLE_CACHE`` (default ``"default"``); with several web processes it
must be a shared cache (the database cache by default, see docs/deploy.md). Every call takes an
optional ``now`` so tests can move the clock; cache expiry itself follows the wall clock and is
generous (two windows), so it never shortens a window.
"""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from .errors import Throttled

PREFIX = "fq:throttle"


def _seconds(value) -> int:
    value = value() if callable(value) else value
    if isinstance(value, timedelta):
        return max(1, int(value.total_seconds()))
    return max(1, int(value))


class Throttle:
    """``limit`` hits per ``window`` seconds per key, then locked for ``lock`` seconds.

    ``limit``, ``window`` and ``lock`` may be numbers, timedeltas or callables returning one (to
    read settings at call time). ``message`` is the refusal text, formatted with ``minutes``
    and ``until`` (local HH:MM)."""

    def __init__(self, name, *, limit, window, lock=None, message=None, error=Throttled):
        self.name = name
        self._limit = limit
        self._window = window
        self._lock = lock if lock is not None else window
        self._message = message
        self.error = error

    # -- parameters ---------------------------------------------------------------------------
    @property
    def limit(self) -> int:
        value = self._limit() if callable(self._limit) else self._limit
        return max(1, int(value))

    @property
    def window(self) -> int:
        return _seconds(self._window)

    @property
    def lock(self) -> int:
        return _seconds(self._lock)

    @property
    def cache(self):
        return caches[getattr(settings, "THROTTLE_CACHE", "default")]

    def _digest(self, key) -> str:
        return salted_hmac(f"{PREFIX}:{self.name}", str(key), algorithm="sha256").hexdigest()[:32]

    def _slot(self, digest, bucket, n) -> str:
        return f"{PREFIX}:{self.name}:{digest}:{bucket}:{n}"

    def _lock_key(self, digest) -> str:
        return f"{PREFIX}:{self.name}:{digest}:lock"

    @staticmethod
    def _ts(now) -> float:
        return (now or timezone.now()).timestamp()

    # -- counting -----------------------------------------------------------------------------
    def _count(self, digest, bucket, limit) -> int:
        taken = self.cache.get_many([self._slot(digest, bucket, n) for n in range(limit)])
        return len(taken)

    def count(self, key, *, now=None) -> float:
        """The sliding-window estimate of hits for ``key`` at ``now``."""
        ts, window, limit = self._ts(now), self.window, self.limit
        bucket = int(ts // window)
        digest = self._digest(key)
        previous = self._count(digest, bucket - 1, limit)
        current = self._count(digest, bucket, limit)
        return current + previous * (1 - (ts - bucket * window) / window)

    def hit(self, key, *, now=None) -> bool:
        """Count one hit for ``key``; lock the key when the limit is reached. True if locked."""
        ts, window, limit = self._ts(now), self.window, self.limit
        bucket = int(ts // window)
        digest = self._digest(key)
        cache = self.cache
        current = self._count(digest, bucket, limit)
        while current < limit:
            # add() is atomic: a slot taken meanwhile by a parallel hit makes us try the next.
            if cache.add(self._slot(digest, bucket, current), 1, timeout=2 * window + 60):
                current += 1
                break
            current += 1
        previous = self._count(digest, bucket - 1, limit)
        estimate = current + previous * (1 - (ts - bucket * window) / window)
        if estimate >= limit:
            until = ts + self.lock
            cache.set(self._lock_key(digest), until, timeout=self.lock + 60)
            return True
        return False

    # -- locks --------------------------------------------------------------------------------
    def locked_until(self, key, *, now=None) -> datetime | None:
        until = self.cache.get(self._lock_key(self._digest(key)))
        if until is None or until <= self._ts(now):
            return None
        return datetime.fromtimestamp(until, tz=timezone.get_current_timezone())

    def check(self, key, *, now=None):
        """Raise :class:`Throttled` while ``key`` is locked. Does not count."""
        until = self.locked_until(key, now=now)
        if until is not None:
            raise self.refusal(until, now=now)

    def consume(self, key, *, now=None):
        """Check, then count this request (every request counts)."""
        self.check(key, now=now)
        self.hit(key, now=now)

    def reset(self, key):
        digest = self._digest(key)
        now = self._ts(None)
        bucket = int(now // self.window)
        keys = [self._lock_key(digest)]
        for b in (bucket - 1, bucket):
            keys += [self._slot(digest, b, n) for n in range(self.limit)]
        self.cache.delete_many(keys)

    def refusal(self, until, *, now=None) -> Throttled:
        now = now or timezone.now()
        seconds = max(1, math.ceil((until - now).total_seconds()))
        params = {
            "minutes": max(1, math.ceil(seconds / 60)),
            "until": timezone.localtime(until).strftime("%H:%M"),
        }
        message = self._message or _("请求过于频繁，请于%(minutes)s分钟后再试（%(until)s）")
        return self.error(
            str(message) % params, retry_after=seconds, details={"until": until.isoformat()}
        )


def client_ip(request) -> str:
    """The client address, read the same way as for audit rows (``core.context``)."""
    from .context import client_ip as _client_ip

    return _client_ip(request) or ""


__all__ = ["Throttle", "Throttled", "client_ip"]

"""One cache for shared lookups: Django's cache framework, invalidated by topic.

    people = caching.remember("cases.people:dispatcher", compute, timeout=60, topics=("roles",))
    caching.invalidate("roles")        # from signals: a role, a jurisdiction, a place changed

A value is stored under its key *and the current generation of each of its topics*; invalidating a
topic gives it a new generation, so every value that depends on it is missed from then on, in
every process (old entries simply expire). Topics in use:

* ``roles``  — role memberships, jurisdictions, active flags (who covers which place);
* ``places`` — the place tree and its reference data (codes, paths, boundaries);
* ``assistant.answers`` — the standard answers the assistant's engine was built from;
* ``categories`` — the case categories (intake's category check, list labels);
* ``dispatch_rules`` — the dispatch rules and the departments/teams they name.

Invalidation rides on model signals: a queryset ``update()``/``bulk_create`` bypasses them, so
code that changes reference data that way calls ``invalidate`` itself.

Each process keeps the generations and values it read for at most ``LOCAL_SECONDS`` (2 s), so
hot paths (the deadline sweep, Open311 lookups) do not pay a cache round trip per call; a change
made in another process is seen within that time, one made in this process at once.
"""

import threading
import time
import uuid

from django.core.cache import caches
from django.db import transaction

LOCAL_SECONDS = 2.0
_MISSING = object()
_lock = threading.Lock()
_local_values: dict = {}  # full key -> (expires_at, value)
_local_gens: dict = {}  # topic -> (read_at, token)


def _cache():
    return caches["default"]


def _gen_key(topic):
    return f"fq:gen:{topic}"


def generations(topics) -> tuple[str, ...]:
    now = time.monotonic()
    tokens, stale = {}, []
    with _lock:
        for topic in topics:
            hit = _local_gens.get(topic)
            if hit is not None and now - hit[0] < LOCAL_SECONDS:
                tokens[topic] = hit[1]
            else:
                stale.append(topic)
    if stale:
        found = _cache().get_many([_gen_key(t) for t in stale])
        for topic in stale:
            token = found.get(_gen_key(topic))
            if token is None:
                token = uuid.uuid4().hex[:12]
                if not _cache().add(_gen_key(topic), token, timeout=None):
                    token = _cache().get(_gen_key(topic)) or token
            tokens[topic] = token
            with _lock:
                _local_gens[topic] = (now, token)
    return tuple(tokens[t] for t in topics)


def remember(key, compute, *, timeout, topics=()):
    """The value of ``compute()`` for ``key``, shared through the cache for ``timeout`` seconds
    and dropped as soon as one of ``topics`` is invalidated."""
    full = f"fq:memo:{key}:{'.'.join(generations(topics))}"
    now = time.monotonic()
    with _lock:
        hit = _local_values.get(full)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = _cache().get(full, _MISSING)
    if value is _MISSING:
        value = compute()
        _cache().set(full, value, timeout=timeout)
    with _lock:
        if len(_local_values) > 2000:
            _local_values.clear()
        _local_values[full] = (now + min(LOCAL_SECONDS, timeout), value)
    return value


def invalidate(*topics):
    """Every value remembered under one of ``topics`` is recomputed on its next use.

    Called inside a transaction, it invalidates at once (this transaction's own reads) and again
    when the transaction commits, so a value another process computed from the data as it was
    before the commit is not kept."""
    _invalidate(topics)
    transaction.on_commit(lambda: _invalidate(topics), robust=True)


def _invalidate(topics):
    for topic in topics:
        token = uuid.uuid4().hex[:12]
        _cache().set(_gen_key(topic), token, timeout=None)
        with _lock:
            _local_gens[topic] = (time.monotonic(), token)


def clear_local():
    """Forget what this process memoised (tests; after the cache itself was cleared)."""
    with _lock:
        _local_values.clear()
        _local_gens.clear()

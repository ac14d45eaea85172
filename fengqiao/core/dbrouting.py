"""Reads that may run on a streaming replica (issue 15; docs/deploy.md "Read replica").

With ``FENGQIAO_REPLICA_DATABASE_URL`` set there is a second database alias, ``replica``. Nothing
reads from it by default: a view opts in with :func:`on_replica` (figures, the command centre,
exports, searches — pages that tolerate a second of lag). Inside such a view:

* reads go to the replica, except reads inside a transaction on the primary (read-after-write),
  ``select_for_update`` (Django asks for the write database), and the tables that must be fresh
  (sessions, the cache table, the task queue, the login lockout);
* every write goes to the primary (the audit row of an export, the session);
* if the replica does not answer, the view reads from the primary and the replica is left alone
  for ``REPLICA_RETRY_SECONDS``.

Without the setting, :func:`on_replica` does nothing and every query goes to ``default``.
"""

import contextlib
import contextvars
import logging
import time
from functools import wraps

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger("fengqiao.db")

REPLICA = "replica"
# Tables that are read back right after they are written, or guard a login: always the primary.
PRIMARY_ONLY_APPS = {"sessions", "django_cache", "django_tasks_db", "axes", "otp_totp"}

_use_replica = contextvars.ContextVar("fengqiao_use_replica", default=False)
_down_until = {"t": 0.0}


def configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            _use_replica.get()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            and not connections["default"].in_atomic_block
        ):
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"


def _replica_answers() -> bool:
    if time.monotonic() < _down_until["t"]:
        return False
    try:
        replica = connections[REPLICA]
        if replica.connection is not None and not replica.is_usable():
            replica.close()  # restarted or gone since the last request: connect again
        replica.ensure_connection()
        return True
    except DatabaseError as exc:
        _down_until["t"] = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        logger.warning("replica unavailable, reading from the primary: %s", str(exc).strip()[:200])
        with contextlib.suppress(DatabaseError):
            connections[REPLICA].close()
        return False


@contextlib.contextmanager
def replica_reads():
    """Within the block, reads go to the replica (when one is configured and answers). Yields
    the alias the reads use."""
    if not configured() or _use_replica.get() or not _replica_answers():
        yield REPLICA if _use_replica.get() else "default"
        return
    token = _use_replica.set(True)
    try:
        yield REPLICA
    finally:
        _use_replica.reset(token)


def on_replica(view):
    """Decorate a view (page or API operation; put it nearest the function) whose reads may run
    on the replica."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper

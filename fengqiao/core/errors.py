"""Errors that services raise; the web and API layers turn them into clear 4xx answers."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404


class ServiceError(Exception):
    """A business rule refused the operation. ``status`` is the HTTP status to answer with."""

    status = 400
    code = "invalid"

    def __init__(self, message, *, code=None, details=None):
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.details = details or {}


class Conflict(ServiceError):
    """The record is not in a state that allows this (e.g. claimed by someone else already)."""

    status = 409
    code = "conflict"


class NotFound(ServiceError):
    """Unknown, or outside the user's jurisdiction (never say which)."""

    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Throttled(ServiceError):
    """Too many requests or failed attempts: refused for a while (HTTP 429 with Retry-After).

    ``retry_after`` (seconds) is also in ``details``; the API and the error middleware send it as
    the ``Retry-After`` header. Raised by :mod:`fengqiao.core.throttle`."""

    status = 429
    code = "throttled"

    def __init__(self, message, *, retry_after=1, code=None, details=None):
        self.retry_after = max(1, int(retry_after))
        super().__init__(
            message, code=code, details={"retry_after": self.retry_after, **(details or {})}
        )


def status_for(exc) -> int:
    if isinstance(exc, ServiceError):
        return exc.status
    if isinstance(exc, Http404):
        return 404
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, ValidationError):
        return 400
    return 500


__all__ = [
    "Conflict",
    "Forbidden",
    "NotFound",
    "PermissionDenied",
    "ServiceError",
    "Throttled",
    "ValidationError",
]

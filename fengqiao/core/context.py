"""The current request, for audit rows written deep inside services."""

import contextvars
import uuid

_current = contextvars.ContextVar("fengqiao_request", default=None)


class RequestInfo:
    __slots__ = ("request_id", "ip", "user")

    def __init__(self, request_id="", ip=None, user=None):
        self.request_id = request_id
        self.ip = ip
        self.user = user


def client_ip(request) -> str | None:
    # Behind the reverse proxy (docs/deploy.md) the proxy sets X-Real-IP; never trust a client's
    # X-Forwarded-For chain blindly.
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR") or None


def begin(request) -> contextvars.Token:
    info = RequestInfo(request_id=uuid.uuid4().hex, ip=client_ip(request))
    request.request_id = info.request_id
    return _current.set(info)


def end(token):
    _current.reset(token)


def current() -> RequestInfo:
    return _current.get() or RequestInfo()

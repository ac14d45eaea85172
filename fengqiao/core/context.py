"""The current request, for audit rows written deep inside services."""

import contextvars
import functools
import ipaddress
import uuid

from django.conf import settings

_current = contextvars.ContextVar("fengqiao_request", default=None)


class RequestInfo:
    __slots__ = ("request_id", "ip", "user", "request")

    def __init__(self, request_id="", ip=None, user=None, request=None):
        self.request_id = request_id
        self.ip = ip
        self.user = user
        self.request = request

    def actor(self):
        """The signed-in user of the current web request (None outside requests and for
        anonymous visitors): the actor of audit rows written by signals deep inside Django."""
        if self.user is not None:
            return self.user
        user = getattr(self.request, "user", None)
        return user if getattr(user, "is_authenticated", False) else None


@functools.cache
def _trusted_networks(proxies: tuple[str, ...]):
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _parse(value):
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in net for net in networks)


def from_trusted_proxy(request) -> bool:
    """Whether the connection comes from an address in ``FENGQIAO_TRUSTED_PROXIES``."""
    remote = _parse(getattr(request, "META", {}).get("REMOTE_ADDR"))
    return _trusted(remote, _trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()))))


def client_ip(request) -> str | None:
    """The client's address for audit rows, lockout and throttles.

    Only a request that arrives from a configured proxy (``FENGQIAO_TRUSTED_PROXIES``: addresses or
    networks) may name another address, through ``X-Real-IP`` (which the proxy sets) or else
    ``X-Forwarded-For`` (the right-most address not itself a trusted proxy). Anyone else's headers are ignored: a client never
    chooses the address it is throttled, locked out or audited under.
    """
    meta = getattr(request, "META", {})
    remote = _parse(meta.get("REMOTE_ADDR"))
    networks = _trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if not _trusted(remote, networks):
        return str(remote) if remote is not None else None
    # X-Real-IP first: the documented nginx sets it (overwriting whatever the client sent) but
    # passes the client's own X-Forwarded-For through untouched, so a forged X-Forwarded-For
    # must never win over it (a client rotating it would escape the lockout and forge audit rows).
    real = _parse(meta.get("HTTP_X_REAL_IP"))
    if real is not None and not _trusted(real, networks):
        return str(real)
    for hop in reversed((meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")):
        address = _parse(hop)
        if address is None:
            break  # a malformed chain: trust nothing further left
        if not _trusted(address, networks):
            return str(address)
    return str(remote)


def begin(request) -> contextvars.Token:
    info = RequestInfo(request_id=uuid.uuid4().hex, ip=client_ip(request), request=request)
    request.request_id = info.request_id
    return _current.set(info)


def end(token):
    _current.reset(token)


def current() -> RequestInfo:
    return _current.get() or RequestInfo()

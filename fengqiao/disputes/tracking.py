"""A party follows their dispute: the tracking code and the last 4 digits of a party's phone.

Failed checks go through the one throttle (``core.throttle``): after ``TRACK_MAX_FAILURES``
failures for a code, or ``TRACK_MAX_FAILURES_PER_IP`` from one address, within
``TRACK_WINDOW_MINUTES``, checks for that code (or from that address) are refused with 429 for
the window's length, even with the right digits. Every check is still audited (``dispute.track``
success/failure/denied, ``dispute.track_locked``), with a keyed hash instead of the code.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core import pii
from fengqiao.core.errors import NotFound, Throttled
from fengqiao.core.throttle import Throttle

from .models import Dispute
from .workflow import setting


class TooManyAttempts(Throttled):
    """Too many failed checks on the party status page: refused for a while (HTTP 429)."""

    code = "too_many_attempts"


def track_limits():
    """(failures per code, failures per IP, window): DISPUTES_TRACK_* settings.

    A code is locked after 5 failures within 15 minutes. An address gets more (20) because a
    village service hall or a mobile network puts many residents behind one IP; the code itself
    is unguessable (16 random characters), so the per-IP limit only stops sweeping many codes."""
    return (
        int(setting("TRACK_MAX_FAILURES", 5)),
        int(setting("TRACK_MAX_FAILURES_PER_IP", 20)),
        timedelta(minutes=int(setting("TRACK_WINDOW_MINUTES", 15))),
    )


_MESSAGE = gettext_lazy("查询失败次数过多，请于%(minutes)s分钟后再试（%(until)s）")
BY_CODE = Throttle(
    "disputes.track.code",
    limit=lambda: track_limits()[0],
    window=lambda: track_limits()[2],
    message=_MESSAGE,
    error=TooManyAttempts,
)
BY_IP = Throttle(
    "disputes.track.ip",
    limit=lambda: track_limits()[1],
    window=lambda: track_limits()[2],
    message=_MESSAGE,
    error=TooManyAttempts,
)


def _code_hash(code):
    # The audit log keeps no usable tracking code: a keyed hash identifies the code's attempts.
    return salted_hmac("fengqiao.disputes.track", code, algorithm="sha256").hexdigest()[:32]


def _track_audit(action, result, code, code_hash, ip, now, data=None):
    """An audit row at ``now`` (tests move the clock)."""
    from fengqiao.core.context import current
    from fengqiao.core.models import AuditEvent

    return AuditEvent.objects.create(
        at=now,
        username="",
        request_id=current().request_id or "",
        ip=ip,
        action=action,
        target_type="disputes.dispute",
        target_id="",
        target_repr=code[:4] + "…" if code else "",
        result=result,
        data={"code_hash": code_hash, **(data or {})},
    )


def track_locked_until(code, *, ip=None, now=None):
    """When the status page stops refusing checks for this code or this address, or None."""
    code = (code or "").strip()[:32]
    locks = [BY_CODE.locked_until(code, now=now)]
    if ip:
        locks.append(BY_IP.locked_until(ip, now=now))
    locks = [until for until in locks if until is not None]
    return max(locks) if locks else None


def track(code, phone_last4, *, ip=None, now=None):
    """The dispute for this code whose party's phone ends in ``phone_last4``; else NotFound,
    and 429 (:class:`TooManyAttempts`) while the code or the address is locked.
    ``ip`` defaults to the request's address (core.context)."""
    from fengqiao.core.context import current

    now = now or timezone.now()
    ip = ip or current().ip
    code = (code or "").strip()[:32]
    last4 = (phone_last4 or "").strip()
    code_hash = _code_hash(code)
    until = track_locked_until(code, ip=ip, now=now)
    if until is not None:
        _track_audit("dispute.track", "denied", code, code_hash, ip, now, {"locked": True})
        raise BY_CODE.refusal(until, now=now)
    dispute = None
    if code and len(last4) == 4 and last4.isdigit():
        dispute = Dispute.objects.select_related("type", "place").filter(tracking_code=code).first()
    if dispute is not None and any(
        pii.clear_value(p.phone).endswith(last4) for p in dispute.parties.all() if p.phone
    ):
        return dispute
    _track_audit("dispute.track", "failure", code, code_hash, ip, now)
    if BY_CODE.hit(code, now=now):
        _track_audit("dispute.track_locked", "denied", code, code_hash, ip, now, {"scope": "code"})
    if ip and BY_IP.hit(ip, now=now):
        _track_audit("dispute.track_locked", "denied", code, code_hash, ip, now, {"scope": "ip"})
    raise NotFound(_("查询码或手机号后四位不正确"))

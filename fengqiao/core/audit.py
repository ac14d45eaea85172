"""Writing the audit log (the security history). Every reveal, export, login and role change."""

import logging

from .context import client_ip, current
from .models import AuditEvent

logger = logging.getLogger("fengqiao.audit")


def record(action, *, user=None, target=None, result="success", data=None, request=None):
    """Append one audit row. ``target`` may be a model instance or a ``(type, id, repr)`` triple."""
    info = current()
    if request is not None:
        ip = client_ip(request)
        request_id = getattr(request, "request_id", "")
    else:
        ip, request_id = info.ip, info.request_id
    if user is None and request is not None:
        user = getattr(request, "user", None)
    elif user is None:
        user = info.actor()  # the signed-in user of the current request: never an anonymous row
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    target_type = target_id = target_repr = ""
    if isinstance(target, tuple):
        target_type, target_id, target_repr = (str(x) for x in target)
    elif target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        target_repr = str(target)[:200]
    event = AuditEvent.objects.create(
        user=user,
        username=(user.get_username() if user else (data or {}).get("username", ""))[:150],
        request_id=request_id or "",
        ip=ip,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        result=result,
        data=data or {},
    )
    logger.debug("audit %s %s %s:%s", action, result, target_type, target_id)
    return event

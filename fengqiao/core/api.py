"""API: the caller's in-app notifications, and the audit log for audit admins."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from . import notifications
from .models import AuditEvent

router = Router(tags=["core"])


class NotificationOut(Schema):
    """Title and body rendered in the caller's language from the message key and parameters."""

    id: int
    kind: str
    message: str
    params: dict
    title: str = Field(alias="display_title")
    body: str = Field(alias="display_body")
    url: str
    created_at: datetime
    read_at: datetime | None


class MarkReadIn(Schema):
    ids: list[int] | None = None


@router.get("/notifications", response=list[NotificationOut])
@paginate(PageNumberPagination)
def list_notifications(request, unread: bool = False):
    rows = notifications.inbox(request.user)
    return rows.filter(read_at__isnull=True) if unread else rows


@router.post("/notifications/read")
def mark_notifications_read(request, payload: MarkReadIn):
    return {"marked": notifications.mark_read(request.user, payload.ids)}


class AuditEventOut(Schema):
    id: int
    at: datetime
    username: str
    ip: str | None
    action: str
    target_type: str
    target_id: str
    result: str
    request_id: str


@router.get("/audit-events", response=list[AuditEventOut])
@paginate(PageNumberPagination)
def list_audit_events(request, action: str = "", username: str = ""):
    if not request.user.has_perm("core.view_auditevent"):
        raise PermissionDenied(_("只有安全审计员可以查看审计日志"))
    rows = AuditEvent.objects.all()
    if action:
        rows = rows.filter(action=action)
    if username:
        rows = rows.filter(username=username)
    return rows

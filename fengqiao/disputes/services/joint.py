"""联席调 (L5): joint tasks dispatched to departments, each its own small flow; the minutes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import notifications
from fengqiao.core.errors import Forbidden, NotFound, ServiceError
from fengqiao.core.workflow import apply, locked, start_deadline
from fengqiao.org.models import Department, User

from ..models import (
    JointTask,
)
from ._common import _need, _parse_datetime
from .ladder import _require_level
from .registration import _current_attempt


def dispatch_joint_tasks(dispute, actor, tasks, *, now=None):
    """联席调 (L5): 派单 a task with a deadline to each department."""
    now = now or timezone.now()
    clean = []
    for raw in tasks or []:
        dept = raw.get("department")
        if not isinstance(dept, Department):
            dept = Department.objects.filter(pk=dept).first()
        text = (raw.get("task") or "").strip()
        if dept is None or not text:
            raise ServiceError(_("每项派单须有部门和任务内容"), code="invalid_task")
        due = raw.get("due_at")
        due = _parse_datetime(due, _("办理期限")) if isinstance(due, str) else due
        if due is None or due <= now:
            raise ServiceError(_("办理期限须晚于现在"), code="invalid_due")
        clean.append((dept, text, due))
    if not clean:
        raise ServiceError(_("请至少派出一项任务"), code="required")
    with locked(dispute, actor) as dispute:
        _require_level(dispute, 5, _("联席调派单"))
        dispute, _entry = apply(
            dispute,
            "dispatch_joint",
            actor,
            note=_("联席调派单：%(depts)s") % {"depts": "、".join(d.name for d, _t, _d in clean)},
            data={"departments": [d.pk for d, _t, _d in clean]},
            now=now,
        )
        attempt = _current_attempt(dispute)
        rows = JointTask.objects.bulk_create(
            JointTask(attempt=attempt, department=d, task=t, due_at=due, dispatched_at=now)
            for d, t, due in clean
        )
        for row in rows:  # each task's own deadline: an overdue task is chased by the sweep
            row.attempt = attempt
            start_deadline(row, "feedback", row.due_at, policy="joint_task", now=now)
        staff = User.objects.filter(department__in=[d for d, _t, _d in clean], is_active=True)
        notifications.notify(
            staff,
            kind="dispute.joint_task",
            message="dispute.joint_task",
            params={"number": dispute.number, "title": dispute.title},
            url="/disputes/joint/",
            target=dispute,
        )
    return rows


def visible_tasks(actor):
    """The joint tasks in ``actor``'s jurisdiction (``JointTask.objects.restrict``)."""
    return JointTask.objects.restrict(actor).select_related("department", "attempt__dispute")


def _task_for(actor, task):
    """The task (or task id) in scope, which ``actor``'s department handles (or a coordinator)."""
    task = visible_tasks(actor).filter(pk=getattr(task, "pk", task)).first()
    if task is None:
        raise NotFound(_("任务不存在或无权访问"))
    if actor.department_id != task.department_id and not actor.has_perm(
        "disputes.coordinate_joint"
    ):
        raise Forbidden(_("只有承办部门可以办理该任务"))
    return task


def claim_joint_task(task, actor, *, now=None):
    """签收 a joint task (its own small flow; ``task`` or its id): of two staff claiming at once,
    the second waits for the task's row lock and then gets a clear conflict
    (tests/disputes/test_race.py)."""
    _need(actor, "disputes.handle_joint_task")
    now = now or timezone.now()
    with transaction.atomic():
        task, _entry = apply(_task_for(actor, task), "claim", actor, system=True, now=now)
        apply(
            task.attempt.dispute,
            "joint_task",
            actor,
            note=_("%(dept)s 签收联席调任务") % {"dept": task.department},
            data={"task": task.pk, "state": task.state},
            now=now,
        )
    return task


def complete_joint_task(task, actor, *, result, now=None):
    """反馈 a joint task (``task`` or its id) with the result."""
    _need(actor, "disputes.handle_joint_task")
    now = now or timezone.now()
    result = (result or "").strip()
    if not result:
        raise ServiceError(_("请填写办理结果"), code="required")
    with transaction.atomic():
        task, _entry = apply(
            _task_for(actor, task),
            "complete",
            actor,
            system=True,
            data={"result": result},
            now=now,
        )
        apply(
            task.attempt.dispute,
            "joint_task",
            actor,
            note=_("%(dept)s 反馈：%(result)s") % {"dept": task.department, "result": result[:200]},
            data={"task": task.pk, "state": task.state, "overdue": task.overdue},
            now=now,
        )
    return task


def record_joint_minutes(dispute, actor, *, minutes, now=None):
    minutes = (minutes or "").strip()
    if not minutes:
        raise ServiceError(_("请填写联席会议纪要"), code="required")
    with locked(dispute, actor) as dispute:
        _require_level(dispute, 5, _("联席会议纪要"))
        dispute, _entry = apply(dispute, "joint_minutes", actor, note=minutes[:500], now=now)
        attempt = _current_attempt(dispute)
        attempt.minutes = minutes
        attempt.save(update_fields=["minutes"])
    return dispute

"""The workflow kernel shared by cases, disputes and risks.

A domain app declares its flow once::

    class CaseFlow(Workflow):
        model = Case
        transitions = (
            Transition("accept", source=("reported",), target="accepted",
                       permission="cases.accept_case", label=_("受理"),
                       starts=("dispatch",)),
            ...
        )

    flow = register(CaseFlow())

and changes state only through :func:`apply` (called from its ``services`` module), which in one
transaction: checks jurisdiction, state, permission, required fields and the transition's guard;
lets the workflow apply its field changes; saves; appends the timeline entry (and attachments);
stops and starts deadlines; and lets the workflow queue notifications.

Deadlines are swept by :func:`sweep_deadlines`, which reads only rows whose next escalation step
is due and applies the deadline's escalation policy, one step at a time.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from . import messages, notifications
from .errors import Conflict, Forbidden, NotFound, ServiceError
from .messages import message_data
from .models import Attachment, Deadline, DeadlineTracked, TimelineEntry

logger = logging.getLogger("fengqiao.workflow")

ANY = "*"


@dataclass(frozen=True)
class Transition:
    """One allowed move. ``target=None`` keeps the state (a progress note, a supervision …).

    ``guard(record, move)`` refuses by raising :class:`ServiceError`; ``effect(record, move)``
    changes the record's own fields (and may write related rows). Both run on the row locked by
    :func:`apply`, inside its transaction, after the state, permission and required-field checks.
    """

    name: str
    source: tuple[str, ...]
    target: str | None
    label: str = ""
    permission: str | None = None
    required: tuple[str, ...] = ()
    starts: tuple[str, ...] = ()
    stops: tuple[str, ...] = ()
    guard: object = None  # callable(record, move) raising ServiceError to refuse
    effect: object = None  # callable(record, move) changing the locked record
    # Who is told, declared on the transition (a flow's after() sends it): callable(record,
    # data) -> users, and the key of the message (core.messages) rendered in each reader's language.
    notify: object = None
    message: str = ""

    def allows_from(self, state: str) -> bool:
        return ANY in self.source or state in self.source


@dataclass
class Move:
    """What a guard and an effect know about the move being made (one per :func:`apply`)."""

    transition: Transition
    actor: object = None
    data: dict = field(default_factory=dict)
    note: str = ""
    now: object = None
    system: bool = False
    changes: dict = field(default_factory=dict)

    @property
    def name(self):
        return self.transition.name


@dataclass(frozen=True)
class Step:
    """An escalation step: ``action`` happens ``after`` the due time."""

    after: timedelta
    action: str
    label: str = ""


@dataclass(frozen=True)
class EscalationPolicy:
    name: str
    steps: tuple[Step, ...] = field(default_factory=tuple)


POLICIES: dict[str, EscalationPolicy] = {}
WORKFLOWS: dict[str, Workflow] = {}
LISTENERS: dict[str, list] = {}


def on_transition(model_label, callback):
    """Let another app follow a flow without that flow knowing it: ``callback(record, transition,
    entry, actor, data, now)`` runs inside the same transaction after every transition of
    ``model_label`` records (e.g. a case following the dispute it became). Idempotent."""
    callbacks = LISTENERS.setdefault(model_label.lower(), [])
    if callback not in callbacks:
        callbacks.append(callback)


def register_policy(policy: EscalationPolicy) -> EscalationPolicy:
    POLICIES[policy.name] = policy
    return policy


register_policy(
    EscalationPolicy("default", (Step(timedelta(0), "notify", gettext_noop("超期提醒")),))
)


def step_label(code):
    """The label of an escalation step ("policy:action"), in the active language."""
    name, _sep, action = str(code).rpartition(":")
    policy = POLICIES.get(name or "default")
    for step in policy.steps if policy is not None else ():
        if step.action == action and step.label:
            return _(str(step.label))
    return None


messages.register(
    messages.Message(
        "deadline.escalated",
        title=gettext_lazy("%(record)s 已超过时限（%(step)s）"),
        labels={"step": step_label},
    )
)


class Workflow:
    """Base class of a flow. Subclasses set ``model`` and ``transitions`` and override hooks."""

    model = None
    state_field = "state"
    transitions: tuple[Transition, ...] = ()
    # Related rows the escalation sweep loads with each batch of records (``select_related``),
    # so ``escalate`` reads them without a query per record (e.g. the dispute's mediator).
    escalation_related: tuple[str, ...] = ()

    def __init__(self):
        self._by_name = {t.name: t for t in self.transitions}

    # -- declarations -----------------------------------------------------------------
    def transition(self, name: str) -> Transition:
        try:
            return self._by_name[name]
        except KeyError:
            raise ServiceError(
                _("未知操作：%(name)s") % {"name": name}, code="unknown_transition"
            ) from None

    def available(self, record, actor) -> list[Transition]:
        """Transitions the actor may take now (for buttons); jurisdiction is checked by callers."""
        state = getattr(record, self.state_field)
        return [
            t
            for t in self.transitions
            if t.allows_from(state) and (t.permission is None or actor.has_perm(t.permission))
        ]

    def refusal(self, record, transition, actor, *, now=None):
        """Why ``actor`` may not take ``transition`` on ``record`` now (None if they may): state,
        permission and a dry run of the guard on the record as read. For buttons; :func:`apply`
        checks again on the locked row."""
        state = getattr(record, self.state_field)
        if not transition.allows_from(state):
            return Conflict(_("当前状态不允许该操作"), code="invalid_state")
        if transition.permission and not actor.has_perm(transition.permission):
            return Forbidden(_("没有权限"))
        if transition.guard is not None:
            move = Move(transition, actor, {}, "", now or timezone.now())
            try:
                transition.guard(record, move)
            except ServiceError as exc:
                return exc
        return None

    # -- hooks for the domain app ------------------------------------------------------
    def after(self, record, transition, entry, actor, data, now):
        """Inside the transaction, after the save: notifications, links to other records.
        Field changes are not made here but by the transition's ``effect``."""

    def deadline_due(self, record, kind, now):
        """When a deadline of ``kind`` started now falls due; None means no deadline."""
        return None

    def deadline_policy(self, record, kind) -> str:
        return "default"

    def responsible(self, record):
        """Users told about escalations of this record."""
        return []

    def escalate(self, record, deadline, step, now, batch):
        """Default escalation: one timeline entry and a notification to the responsible users."""
        params = {"record": str(record), "step": f"{deadline.policy}:{step.action}"}
        batch.timeline(
            record,
            "escalate",
            note=messages.render("deadline.escalated", params)[0],
            data={
                "deadline": deadline.kind,
                "action": step.action,
                **message_data("deadline.escalated", params),
            },
        )
        batch.notify(
            self.responsible(record),
            kind=f"deadline.{step.action}",
            message="deadline.escalated",
            params=params,
            target=record,
        )


def register(workflow: Workflow) -> Workflow:
    WORKFLOWS[workflow.model._meta.label_lower] = workflow
    return workflow


def workflow_for(record_or_model) -> Workflow:
    return WORKFLOWS[record_or_model._meta.label_lower]


def _actor_name(actor, actor_name):
    if actor_name:
        return actor_name
    if actor is not None and getattr(actor, "is_authenticated", False):
        return getattr(actor, "display_name", "") or actor.get_username()
    return _("系统")


def _lock_of(record):
    """The lock :func:`locked` holds on this instance, if it is still inside its transaction."""
    lock = getattr(record, "_kernel_lock", None)
    if lock is None:
        return None
    conn = transaction.get_connection(lock["using"])
    return lock if conn.in_atomic_block else None


def _check_scope(row, actor, action, lock):
    if actor is None or actor.pk in lock["scoped"]:
        return
    if not type(row).objects.restrict(actor, action).filter(pk=row.pk).exists():
        raise NotFound(_("记录不存在或无权访问"))
    lock["scoped"].add(actor.pk)


@contextmanager
def locked(record, actor=None, *, action="change"):
    """``with locked(record, actor) as row:`` — one transaction, ``SELECT … FOR UPDATE`` on the
    record's row, and (with an ``actor``) the jurisdiction check for ``action`` (404 out of scope).

    Every precondition a service checks and every write it makes belongs inside, on ``row`` (the
    freshly read, locked instance): two concurrent calls then run one after the other and the
    second sees what the first did. :func:`apply` called with ``row`` reuses the lock. Nesting
    ``locked`` on the same instance is cheap (no second query).
    """
    lock = _lock_of(record)
    if lock is not None:
        with transaction.atomic(using=lock["using"]):
            _check_scope(record, actor, action, lock)
            yield record
        return
    model = type(record)
    with transaction.atomic():
        try:
            row = model._default_manager.select_for_update().get(pk=record.pk)
        except model.DoesNotExist:
            raise NotFound(_("记录不存在或无权访问")) from None
        lock = {"using": row._state.db or "default", "scoped": set()}
        _check_scope(row, actor, action, lock)
        row._kernel_lock = lock
        try:
            yield row
        finally:
            row.__dict__.pop("_kernel_lock", None)


def apply(
    record,
    name,
    actor,
    *,
    note="",
    data=None,
    changes=None,
    attachments=(),
    actor_name="",
    system=False,
    now=None,
):
    """Take transition ``name`` on ``record`` as ``actor``. Returns (locked record, timeline entry).

    In one transaction, on the row under ``SELECT … FOR UPDATE`` (the lock of an enclosing
    :func:`locked` is reused): jurisdiction, state, permission, required fields, the transition's
    ``guard``; then the explicit ``changes`` (field → value) and the transition's ``effect``; the
    new state; save; the timeline entry; deadlines stopped and started (``next_due_at`` kept);
    the flow's ``after`` hook and the listeners.

    ``system=True`` is for callers that established authority themselves (the resident's tracking
    code, the deadline sweep): it skips the staff jurisdiction and permission checks, not the
    state and field checks.
    """
    flow = workflow_for(record)
    transition = flow.transition(name)
    data = dict(data or {})
    changes = dict(changes or {})
    now = now or timezone.now()
    model = type(record)
    with locked(record, None if system else actor) as row:
        state = getattr(row, flow.state_field)
        if not transition.allows_from(state):
            raise Conflict(
                _("当前状态“%(state)s”下不能执行“%(action)s”")
                % {"state": _state_label(row, flow), "action": transition.label or name},
                code="invalid_state",
                details={"state": state, "transition": name},
            )
        if not system and transition.permission and not actor.has_perm(transition.permission):
            raise Forbidden(
                _("您没有执行“%(action)s”的权限") % {"action": transition.label or name}
            )
        _check_required(transition, note, data)
        move = Move(transition, actor, data, note, now, system, changes)
        if transition.guard is not None:
            transition.guard(row, move)
        for field_name, value in changes.items():
            setattr(row, field_name, value)
        row._kernel_due_dirty = False  # deadline changes below refresh next_due_at once
        try:
            if transition.effect is not None:
                transition.effect(row, move)
            if transition.target:
                setattr(row, flow.state_field, transition.target)
            if transition.stops:
                stop_deadlines(row, transition.stops, now=now)
            for kind in transition.starts:
                due = flow.deadline_due(row, kind, now)
                if due is not None:
                    start_deadline(row, kind, due, policy=flow.deadline_policy(row, kind), now=now)
            if row.__dict__.get("_kernel_due_dirty"):
                refresh_next_due(row, save=False)
        finally:
            row.__dict__.pop("_kernel_due_dirty", None)
        row.save()
        entry = append_timeline(
            row,
            transition.name,
            actor=actor,
            actor_name=actor_name,
            from_state=state,
            to_state=getattr(row, flow.state_field),
            note=note,
            data=move.data,
            attachments=attachments,
            now=now,
        )
        flow.after(row, transition, entry, actor, move.data, now)
        for callback in LISTENERS.get(model._meta.label_lower, ()):
            callback(row, transition, entry, actor, move.data, now)
    return row, entry


def _state_label(record, flow):
    getter = getattr(record, f"get_{flow.state_field}_display", None)
    return getter() if getter else getattr(record, flow.state_field)


def _check_required(move, note, data):
    missing = [
        name
        for name in move.required
        if not (note.strip() if name == "note" else data.get(name) not in (None, "", [], {}))
    ]
    if missing:
        raise ServiceError(
            _("缺少必填项：%(fields)s") % {"fields": "、".join(missing)},
            code="required",
            details={"missing": missing},
        )


# Bounds of one timeline entry: the services' own text limits (4,000 characters of a description,
# 2,000 of a note) fit with room; anything past these is a bug or an attack.
MAX_ENTRY_NOTE = 20_000  # characters
MAX_ENTRY_DATA = 32_768  # bytes of JSON
MAX_ENTRY_FILES = 20


def _check_entry_size(note, data, attachments):
    size = len(json.dumps(data or {}, ensure_ascii=False, default=str).encode("utf-8"))
    files = len(attachments) if hasattr(attachments, "__len__") else 0
    if len(note or "") > MAX_ENTRY_NOTE or size > MAX_ENTRY_DATA or files > MAX_ENTRY_FILES:
        raise ServiceError(
            _("提交的内容过大，请精简后重试"),
            code="entry_too_large",
            details={"note": len(note or ""), "data_bytes": size, "files": files},
        )


def append_timeline(
    record,
    transition,
    *,
    actor=None,
    actor_name="",
    from_state="",
    to_state="",
    note="",
    data=None,
    attachments=(),
    now=None,
):
    """Append one entry (and its files) to a record's timeline. The only writer of the timeline.

    One entry is bounded (issue 14, finding 10): its note, its data (as JSON) and its number of
    files; more is refused with a 400 ``entry_too_large`` and the transaction saves nothing."""
    _check_entry_size(note, data, attachments)
    entry = TimelineEntry.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        at=now or timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=_actor_name(actor, actor_name)[:150],
        transition=transition,
        from_state=from_state,
        to_state=to_state or from_state,
        note=note,
        data=data or {},
    )
    for item in attachments:
        Attachment.objects.create(entry=entry, **item)
    return entry


def _since(record, field):
    """Rows of ``record``'s history from its ``history_since`` on (when the record says): on
    PostgreSQL the partitions of earlier months are not read at all."""
    since = getattr(record, "history_since", None)
    return {f"{field}__gte": since} if since is not None else {}


def timeline(record):
    return (
        TimelineEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(record),
            object_id=record.pk,
            **_since(record, "at"),
        )
        .select_related("actor")
        .prefetch_related("attachments")
        .order_by("at", "id")
    )


# -- deadlines ------------------------------------------------------------------------------
def start_deadline(record, kind, due_at, *, policy="default", now=None, new_record=False):
    """Start (or restart) the ``kind`` deadline of a record.

    ``new_record=True``: the record was created in this transaction and has no deadline yet, so
    there is nothing to stop; when its ``next_due_at`` was already set to this due time before
    the insert (intake does), nothing else is written — one INSERT in all."""
    now = now or timezone.now()
    if policy not in POLICIES:
        raise ServiceError(f"unknown escalation policy {policy!r}")
    if not new_record:
        stop_deadlines(record, (kind,), now=now)
    first = POLICIES[policy].steps[0].after if POLICIES[policy].steps else None
    deadline = Deadline.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        kind=kind,
        policy=policy,
        started_at=now,
        due_at=due_at,
        next_check_at=due_at + first if first is not None else None,
        place_path=getattr(record, "place_path", ""),
    )
    if not (new_record and getattr(record, "next_due_at", None) == due_at):
        _deadlines_changed(record)
    return deadline


def stop_deadlines(record, kinds, *, now=None) -> int:
    """Stop open deadlines of these kinds (``"*"`` for all): met if on time, else breached."""
    now = now or timezone.now()
    rows = Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        state=Deadline.State.OPEN,
        **_since(record, "started_at"),
    )
    if ANY not in kinds:
        rows = rows.filter(kind__in=kinds)
    stopped = list(rows)
    for deadline in stopped:
        late = now > deadline.due_at
        deadline.state = Deadline.State.BREACHED if late else Deadline.State.MET
        deadline.breached = deadline.breached or late
        deadline.stopped_at = now
        deadline.next_check_at = None
    Deadline.objects.bulk_update(stopped, ["state", "breached", "stopped_at", "next_check_at"])
    if stopped:
        _deadlines_changed(record)
    return len(stopped)


def _deadlines_changed(record):
    """Keep ``next_due_at`` of a :class:`DeadlineTracked` record: at once, or — inside
    :func:`apply` — once, just before the record is saved."""
    if not isinstance(record, DeadlineTracked):
        return
    if "_kernel_due_dirty" in record.__dict__:
        record._kernel_due_dirty = True
    else:
        refresh_next_due(record)


def next_due_for(model, ids):
    """{pk: earliest due time of its open deadlines} for records of ``model``."""
    rows = (
        Deadline.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=list(ids),
            state=Deadline.State.OPEN,
        )
        .values("object_id")
        .annotate(due=Min("due_at"))
    )
    return {row["object_id"]: row["due"] for row in rows}


def refresh_next_due(record, *, save=True):
    """Set ``record.next_due_at`` to its earliest open deadline (None without one)."""
    due = next_due_for(type(record), [record.pk]).get(record.pk)
    record.next_due_at = due
    if save:
        type(record)._default_manager.filter(pk=record.pk).update(next_due_at=due)
    return due


def open_deadlines(record):
    return Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        state=Deadline.State.OPEN,
        **_since(record, "started_at"),
    ).order_by("due_at")


class EscalationBatch:
    """Collects the timeline entries and notifications of one sweep batch for bulk writes.

    A flow that has bulk writes of its own (supervision cards …) registers them once per batch
    with :meth:`on_flush`; they run before the kernel's own writes, in the same transaction.
    ``memo`` is a per-batch scratch dict for lookups shared by many records (who to tell).
    """

    def __init__(self, now):
        self.now = now
        self.entries = []
        self.notes = []
        self.memo = {}
        self._flushers = {}

    def on_flush(self, key, callback):
        """Run ``callback()`` at flush; registering the same ``key`` again is a no-op."""
        self._flushers.setdefault(key, callback)

    def timeline(self, record, transition, *, note="", data=None):
        state_field = workflow_for(record).state_field
        state = getattr(record, state_field, "")
        self.entries.append(
            TimelineEntry(
                content_type=ContentType.objects.get_for_model(record),
                object_id=record.pk,
                at=self.now,
                actor_name=_("系统"),
                transition=transition,
                from_state=state,
                to_state=state,
                note=note,
                data=data or {},
            )
        )

    def notify(self, recipients, **kwargs):
        self.notes.append((list(recipients), kwargs))

    def flush(self):
        for callback in self._flushers.values():
            callback()
        TimelineEntry.objects.bulk_create(self.entries)
        # every notification of the batch in one insert
        notifications.Notification.objects.bulk_create(
            row
            for recipients, kwargs in self.notes
            for row in notifications.build(recipients, **kwargs)
        )
        self.entries, self.notes = [], []


def sweep_deadlines(now=None, batch_size=500) -> int:
    """Apply the next escalation step of every deadline that is due. Returns steps taken.

    Safe with several workers: rows are locked with SKIP LOCKED (PostgreSQL), so a deadline is
    escalated once; on SQLite writers are serialised by the database itself.
    """
    now = now or timezone.now()
    taken = 0
    while True:
        with transaction.atomic():
            due = list(
                Deadline.objects.select_for_update(skip_locked=True)
                .filter(next_check_at__lte=now)
                .order_by("next_check_at", "id")[:batch_size]
            )
            if not due:
                break
            _escalate_batch(due, now)
        taken += len(due)
        if len(due) < batch_size:
            break
    return taken


def _escalate_batch(due, now):
    records = _records_for(due)
    batch = EscalationBatch(now)
    for deadline in due:
        policy = POLICIES.get(deadline.policy) or POLICIES["default"]
        record = records.get((deadline.content_type_id, deadline.object_id))
        if record is not None and deadline.level < len(policy.steps):
            step = policy.steps[deadline.level]
            workflow_for(record).escalate(record, deadline, step, now, batch)
        deadline.breached = True
        deadline.level += 1
        more = deadline.level < len(policy.steps) and record is not None
        deadline.next_check_at = (
            deadline.due_at + policy.steps[deadline.level].after if more else None
        )
    batch.flush()
    _save_steps(due)


def _save_steps(deadlines):
    """One prepared UPDATE run for the whole batch (``executemany``): much cheaper than the
    CASE-per-row statement ``bulk_update`` builds, and the same on SQLite and PostgreSQL."""
    field = Deadline._meta.get_field("next_check_at")
    table = Deadline._meta.db_table
    rows = [
        (d.breached, d.level, field.get_db_prep_value(d.next_check_at, connection), d.pk)
        for d in deadlines
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET breached = %s, level = %s, next_check_at = %s WHERE id = %s",  # noqa: S608
            rows,
        )


def _records_for(deadlines):
    by_type: dict[int, set[int]] = {}
    for deadline in deadlines:
        by_type.setdefault(deadline.content_type_id, set()).add(deadline.object_id)
    found = {}
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        rows = model._default_manager.all()
        flow = WORKFLOWS.get(model._meta.label_lower)
        if flow is not None and flow.escalation_related:
            rows = rows.select_related(*flow.escalation_related)
        for pk, record in rows.in_bulk(ids).items():
            found[(type_id, pk)] = record
    return found

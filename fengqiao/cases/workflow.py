"""The case flow on the shared kernel: 采集建档 → 分流交办 → 检查督促 → 结果反馈.

reported → accepted | rejected | merged
accepted / returned → dispatched → claimed | returned
claimed → in_progress (contact, arrive, progress, extension, escalate) → resolved
resolved → verified → closed, or → in_progress again (rework, counted)
closed → return visit / rating; dissatisfied → reopened (back to the dispatcher)

Deadlines (kinds): accept, dispatch, claim, contact, arrive, handle, verify. Their lengths come from
the category (``Category.deadlines``) over the urgency defaults below. A breach issues supervision
cards: yellow at once, red later; the handling deadline of a case still open a week after the
breach puts it on the town-level review list, and a week later on the county-level list.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core import messages, notifications
from fengqiao.core.errors import Conflict, Forbidden, ServiceError
from fengqiao.core.models import Deadline
from fengqiao.core.workflow import (
    EscalationPolicy,
    Step,
    Transition,
    Workflow,
    register,
    register_policy,
    start_deadline,
)

from .models import Case, SupervisionCard
from .workdays import add_working_days

# Urgency defaults: "Nm" minutes, "Nh" hours, "Nd" working days.
DEFAULT_DEADLINES = {
    "urgent": {
        "accept": "5m",
        "dispatch": "5m",
        "claim": "1m",
        "contact": "3m",
        "arrive": "10m",
        "handle": "1d",
        "verify": "1d",
    },
    "ordinary": {"accept": "4h", "dispatch": "4h", "claim": "4h", "handle": "1d", "verify": "2d"},
    "complex": {"accept": "1d", "dispatch": "1d", "claim": "1d", "handle": "3d", "verify": "2d"},
}
STEP_KINDS = ("accept", "dispatch", "claim", "contact", "arrive", "verify")
HANDLING_KINDS = ("claim", "contact", "arrive", "handle")

register_policy(
    EscalationPolicy(
        "case_step",
        (
            Step(timedelta(0), "yellow", gettext_lazy("黄牌督办")),
            Step(timedelta(minutes=30), "red", gettext_lazy("红牌督办")),
        ),
    )
)
register_policy(
    EscalationPolicy(
        "case_handle",
        (
            Step(timedelta(0), "yellow", gettext_lazy("黄牌督办")),
            Step(timedelta(hours=4), "red", gettext_lazy("红牌督办")),
            Step(timedelta(days=7), "town_review", gettext_lazy("列入乡镇（街道）周会商")),
            Step(timedelta(days=14), "county_review", gettext_lazy("列入县级会商")),
        ),
    )
)
CARD_LEVEL = {"yellow": 1, "red": 2, "town_review": 3, "county_review": 4}


def parse_span(value: str):
    """'10m' → timedelta, '4h' → timedelta, '2d' → ('working_days', 2)."""
    value = str(value).strip().lower()
    number, unit = value[:-1], value[-1:]
    try:
        amount = int(number)
    except ValueError:
        raise ServiceError(_("时限格式不正确：%(v)s") % {"v": value}, code="invalid_span") from None
    if unit == "m":
        return timedelta(minutes=amount)
    if unit == "h":
        return timedelta(hours=amount)
    if unit == "d":
        return ("working_days", amount)
    raise ServiceError(_("时限格式不正确：%(v)s") % {"v": value}, code="invalid_span")


def due_after(start, span):
    if isinstance(span, tuple):
        return add_working_days(start, span[1])
    return start + span


def deadline_spec(category, urgency, kind, rule=None):
    """The span of deadline ``kind``: the category's override for the urgency, then a flat
    override, then the urgency default. ``rule`` (a case's ``deadline_rule``) replaces the
    category's current deadlines: a case keeps the rule version it started with."""
    deadlines = rule.get("deadlines") if isinstance(rule, dict) else None
    if deadlines is None:
        deadlines = (category.deadlines or {}) if category else {}
    override = deadlines.get(urgency, {}) if isinstance(deadlines, dict) else {}
    if not isinstance(override, dict):
        override = {}
    flat = deadlines if isinstance(deadlines, dict) else {}
    value = override.get(kind) or (flat.get(kind) if isinstance(flat.get(kind), str) else None)
    value = value or DEFAULT_DEADLINES.get(urgency, {}).get(kind)
    return parse_span(value) if value else None


# Timeline entries the reporter sees on the tracking page (internal notes stay internal).
PUBLIC_TRANSITIONS = {
    "report",
    "accept",
    "reject",
    "merge",
    "dispatch",
    "claim",
    "contact",
    "arrive",
    "resolve",
    "rework",
    "verify",
    "close",
    "reopen",
    "rate",
    "add_info",
    "confirm",
    "dispute_settled",
    "answer",
    "request_reopen",
}


def _must_belong(case, move):
    """签收 only by the department or team the case was dispatched to."""
    actor = move.actor
    if case.department_id and getattr(actor, "department_id", None) == case.department_id:
        return
    if case.team_id and actor.team_memberships.filter(team_id=case.team_id).exists():
        return
    raise Forbidden(_("该工单未派给您所在的部门或团队，不能签收"))


def _must_handle(case, move):
    actor = move.actor
    if case.assignee_id == actor.pk:
        return
    if case.department_id and getattr(actor, "department_id", None) == case.department_id:
        return
    if case.team_id and actor.team_memberships.filter(team_id=case.team_id).exists():
        return
    raise Forbidden(_("只有承办部门或承办人可以处置该工单"))


def _extension_pending(case, move):
    if not case.extension_pending:
        raise ServiceError(_("没有待审批的延期申请"), code="no_extension")


def _no_extension_pending(case, move):
    if case.extension_pending:
        raise ServiceError(_("已有待审批的延期申请"), code="extension_pending")
    _must_handle(case, move)


def _unsatisfied(case, move):
    if case.satisfaction is None or case.satisfaction > Case.Satisfaction.DISSATISFIED:
        raise ServiceError(_("只有不满意的评价才能重新办理"), code="not_dissatisfied")


# -- effects (case, move): what each transition does to the case's own fields -------------------
def _accepted(case, move):
    case.accepted_at = move.now
    if move.data.get("urgency"):
        case.urgency = move.data["urgency"]


def _rejected(case, move):
    case.rejected_reason = str(move.data["reason"])[:300]


def _merged(case, move):
    case.duplicate_of_id = move.data["duplicate_of"]


def _dispatched(case, move):
    case.department_id = move.data.get("department")
    case.team_id = move.data.get("team")
    case.assignee = None
    case.dispatched_at = move.now
    case.claimed_at = None


def _claimed(case, move):
    case.assignee = move.actor
    case.claimed_at = move.now


def _returned(case, move):
    case.assignee = None
    case.department = None
    case.team = None


def _contacted(case, move):
    case.contacted_at = case.contacted_at or move.now


def _arrived(case, move):
    case.arrived_at = case.arrived_at or move.now
    case.contacted_at = case.contacted_at or move.now


def _extension_requested(case, move):
    case.extension_pending = {
        "days": int(move.data["days"]),
        "by": getattr(move.actor, "pk", None),
        "at": move.now.isoformat(),
    }


def _extension_approved(case, move):
    """The days come from the pending request on the locked row; the handling deadline restarts."""
    days = int(case.extension_pending["days"])
    move.data["days"] = days
    base = case.handle_due_at or move.now
    case.handle_due_at = add_working_days(base, days)
    case.extension_count += 1
    case.extension_pending = None
    start_deadline(case, "handle", case.handle_due_at, policy="case_handle", now=move.now)


def _extension_denied(case, move):
    case.extension_pending = None


def _supervised(case, move):
    case.supervision_level = max(case.supervision_level, 1)
    SupervisionCard.objects.create(
        case=case,
        level=SupervisionCard.Level.YELLOW,
        deadline_kind="",
        department_id=case.department_id,
        issued_by=move.actor if getattr(move.actor, "is_authenticated", False) else None,
        note=move.note[:300],
        place_path=case.place_path,
    )


def _spawned(case, move):
    case.dispute_id = move.data["dispute"]


def _resolved(case, move):
    case.result = str(move.data["result"])
    case.resolved_at = move.now
    staff = not move.system and getattr(move.actor, "is_authenticated", False)
    case.resolved_by = move.actor if staff else None
    in_time = case.handle_due_at is None or move.now <= case.handle_due_at
    case.on_time = in_time and case.on_time is not False  # late once, late for good


def _separate_duties(case, move):
    """核查 by someone other than whoever resolved it; with the category's "role" rule, by a
    verifier holding none of the resolver's roles. Checked on the locked row; the reporter's own
    confirmation (a system move) is not a staff verification."""
    if move.system or case.resolved_by_id is None:
        return
    actor = move.actor
    if actor.pk == case.resolved_by_id:
        raise Forbidden(_("处置人不能核查自己处置的事件，请由其他人员核查"), code="same_person")
    if case.category.verification == "role":
        mine = set(actor.groups.values_list("name", flat=True))
        theirs = set(case.resolved_by.groups.values_list("name", flat=True))
        if mine & theirs:
            raise Forbidden(_("该类事件须由与处置人不同角色的人员核查"), code="same_role")


def _may_reopen(case, move):
    """The reporter's 申请重新办理: only within the configured window after closure."""
    from . import conf

    days = conf.reopen_window_days()
    if case.closed_at is None or move.now > case.closed_at + timedelta(days=days):
        raise ServiceError(
            _("已超过结案后 %(days)d 天的申请期限，不能再申请重新办理") % {"days": days},
            code="reopen_window_passed",
        )


def _reworked(case, move):
    case.rework_count += 1
    case.resolved_at = None


def _closed(case, move):
    case.closed_at = move.now


def _rated(case, move):
    case.satisfaction = int(move.data["satisfaction"])
    case.satisfaction_note = str(move.data.get("comment", ""))[:300]


def _visited(case, move):
    _rated(case, move)
    case.return_visited_at = move.now


def _reopened(case, move):
    case.reopen_count += 1
    case.closed_at = None
    case.resolved_at = None
    case.department = None
    case.team = None
    case.assignee = None
    case.on_time = None
    case.satisfaction = None
    case.satisfaction_note = ""
    case.return_visited_at = None


WORKING = ("claimed", "in_progress")
OPEN = Case.OPEN_STATES
# A 矛盾纠纷 case may be turned into a dispute once it is accepted and until it is resolved; it
# then follows the dispute (``services.follow_dispute``).
DISPUTE_CATEGORY = "dispute"
DISPUTE_OPEN = ("accepted", "returned", "dispatched", "claimed", "in_progress")
DISPUTE_PERMISSIONS = ("cases.dispatch_case", "cases.handle_case")


def _may_spawn_dispute(case, move):
    """转矛盾纠纷调解: a 矛盾纠纷 case not yet linked, by whoever dispatches or handles cases here
    and may register disputes."""
    actor = move.actor
    if case.category.code != DISPUTE_CATEGORY:
        raise ServiceError(_("只有“矛盾纠纷”类事件可以转矛盾纠纷调解"), code="not_a_dispute_case")
    if case.dispute_id is not None:
        raise Conflict(_("该事件已转矛盾纠纷调解，不能重复转入"), code="already_spawned")
    if not any(actor.has_perm(p) for p in DISPUTE_PERMISSIONS) or not actor.has_perm(
        "disputes.register_dispute"
    ):
        raise Forbidden(_("您没有将事件转为矛盾纠纷调解的权限"))


# 咨询 (a resident's question handed off by the assistant): answered by an officer, which resolves
# it; the reporter confirms on the tracking page (or a verifier checks) and it closes.
CONSULTATION_CATEGORY = "consultation"
CONSULTATION_OPEN = ("reported", "accepted", "returned", "dispatched", "claimed", "in_progress")
ANSWER_PERMISSIONS = ("cases.handle_case", "cases.accept_case")


def _may_answer(case, move):
    """答复咨询: only a 咨询 case, by whoever handles or accepts cases in its place."""
    if case.category.code != CONSULTATION_CATEGORY:
        raise ServiceError(_("只有“咨询”类事件可以直接答复"), code="not_a_consultation")
    if not move.system and not any(move.actor.has_perm(p) for p in ANSWER_PERMISSIONS):
        raise Forbidden(_("您没有答复咨询的权限"))


def _answered(case, move):
    if not case.accepted_at:
        case.accepted_at = move.now
    _resolved(case, move)


# -- who is told about a transition (declared on the transition as ``notify``) ------------------
def _to_unit(record, data):
    from . import services

    return services.unit_staff(record)


def _to_dispatchers(record, data):
    from . import services

    return services.dispatchers_for(record)


def _to_dispatchers_and_leaders(record, data):
    from . import services

    return services.dispatchers_for(record) + services.leaders_for(record)


def _to_verifiers(record, data):
    from . import services

    return services.verifiers_for(record)


def _to_handler(record, data):
    from . import services

    return [record.assignee] if record.assignee_id else services.unit_staff(record)


def _to_dispatchers_if_unhappy(record, data):
    if record.satisfaction and record.satisfaction <= 2:
        return _to_dispatchers(record, data)
    return []


class CaseFlow(Workflow):
    model = Case
    transitions = (
        Transition(
            "accept",
            ("reported",),
            "accepted",
            gettext_lazy("受理立案"),
            "cases.accept_case",
            stops=("accept",),
            starts=("dispatch",),
            effect=_accepted,
        ),
        Transition(
            "reject",
            ("reported",),
            "rejected",
            gettext_lazy("不予受理"),
            "cases.accept_case",
            required=("reason",),
            stops=("*",),
            effect=_rejected,
        ),
        Transition(
            "merge",
            ("reported", "accepted"),
            "merged",
            gettext_lazy("合并"),
            "cases.accept_case",
            required=("duplicate_of",),
            stops=("*",),
            effect=_merged,
        ),
        Transition(
            "dispatch",
            ("accepted", "returned"),
            "dispatched",
            gettext_lazy("派单"),
            "cases.dispatch_case",
            stops=("dispatch",),
            starts=HANDLING_KINDS,
            effect=_dispatched,
            notify=_to_unit,
            message="case.dispatched",
        ),
        Transition(
            "claim",
            ("dispatched",),
            "claimed",
            gettext_lazy("签收"),
            "cases.claim_case",
            stops=("claim",),
            guard=_must_belong,
            effect=_claimed,
        ),
        Transition(
            "return",
            ("dispatched", "claimed"),
            "returned",
            gettext_lazy("退单"),
            "cases.claim_case",
            required=("reason",),
            stops=HANDLING_KINDS,
            starts=("dispatch",),
            guard=_must_belong,
            effect=_returned,
            notify=_to_dispatchers,
        ),
        Transition(
            "contact",
            WORKING,
            "in_progress",
            gettext_lazy("已联系反映人"),
            "cases.handle_case",
            stops=("contact",),
            guard=_must_handle,
            effect=_contacted,
        ),
        Transition(
            "arrive",
            WORKING,
            "in_progress",
            gettext_lazy("已到达现场"),
            "cases.handle_case",
            stops=("contact", "arrive"),
            guard=_must_handle,
            effect=_arrived,
        ),
        Transition(
            "progress",
            WORKING,
            "in_progress",
            gettext_lazy("进展说明"),
            "cases.handle_case",
            required=("note",),
            guard=_must_handle,
        ),
        Transition(
            "request_extension",
            WORKING,
            None,
            gettext_lazy("申请延期"),
            "cases.handle_case",
            required=("note", "days"),
            guard=_no_extension_pending,
            effect=_extension_requested,
            notify=_to_dispatchers,
        ),
        Transition(
            "approve_extension",
            WORKING,
            None,
            gettext_lazy("批准延期"),
            "cases.approve_extension",
            guard=_extension_pending,
            effect=_extension_approved,
            notify=_to_handler,
        ),
        Transition(
            "deny_extension",
            WORKING,
            None,
            gettext_lazy("驳回延期"),
            "cases.approve_extension",
            required=("note",),
            guard=_extension_pending,
            effect=_extension_denied,
            notify=_to_handler,
        ),
        Transition(
            "escalate",
            ("dispatched", "claimed", "in_progress"),
            None,
            gettext_lazy("提请上级协调"),
            "cases.handle_case",
            required=("note",),
            guard=_must_handle,
            notify=_to_dispatchers_and_leaders,
        ),
        Transition(
            "supervise",
            OPEN,
            None,
            gettext_lazy("督办"),
            "cases.supervise_case",
            required=("note",),
            effect=_supervised,
            notify=_to_handler,
        ),
        Transition(
            "resolve",
            WORKING,
            "resolved",
            gettext_lazy("处置完毕"),
            "cases.handle_case",
            required=("result",),
            stops=HANDLING_KINDS,
            starts=("verify",),
            guard=_must_handle,
            effect=_resolved,
            notify=_to_verifiers,
        ),
        Transition(
            "verify",
            ("resolved",),
            "verified",
            gettext_lazy("核查通过"),
            "cases.verify_case",
            stops=("verify",),
            guard=_separate_duties,
        ),
        Transition(
            "rework",
            ("resolved",),
            "in_progress",
            gettext_lazy("核查不通过，返工"),
            "cases.verify_case",
            required=("note",),
            stops=("verify",),
            starts=("handle",),
            guard=_separate_duties,
            effect=_reworked,
            notify=_to_handler,
        ),
        Transition(
            "close",
            ("verified",),
            "closed",
            gettext_lazy("结案"),
            "cases.close_case",
            stops=("*",),
            effect=_closed,
        ),
        Transition(
            "return_visit",
            ("closed",),
            None,
            gettext_lazy("回访"),
            "cases.return_visit_case",
            required=("satisfaction",),
            effect=_visited,
        ),
        Transition(
            "reopen",
            ("closed",),
            "accepted",
            gettext_lazy("不满意，重新办理"),
            "cases.accept_case",
            starts=("dispatch",),
            guard=_unsatisfied,
            effect=_reopened,
            notify=_to_dispatchers,
        ),
        # The dispute link: the permission is checked by the guard (dispatchers or handlers).
        Transition(
            "spawn_dispute",
            DISPUTE_OPEN,
            None,
            gettext_lazy("转矛盾纠纷调解"),
            None,
            required=("dispute",),
            guard=_may_spawn_dispute,
            effect=_spawned,
        ),
        # The linked dispute reached an outcome (system only: applied by follow_dispute).
        Transition(
            "dispute_settled",
            DISPUTE_OPEN,
            "resolved",
            gettext_lazy("矛盾纠纷调解办结"),
            required=("result",),
            stops=("accept", "dispatch", *HANDLING_KINDS),
            starts=("verify",),
            effect=_resolved,
            notify=_to_verifiers,
        ),
        # A 咨询 answered (the assistant's hand-off reply, or from the case page).
        Transition(
            "answer",
            CONSULTATION_OPEN,
            "resolved",
            gettext_lazy("答复咨询"),
            None,
            required=("result",),
            stops=("accept", "dispatch", *HANDLING_KINDS),
            starts=("verify",),
            guard=_may_answer,
            effect=_answered,
            notify=_to_verifiers,
        ),
        # Reporter-side moves (tracking code; applied with system=True).
        Transition(
            "add_info",
            OPEN,
            None,
            gettext_lazy("补充情况"),
            required=("note",),
            notify=_to_dispatchers,
        ),
        Transition(
            "confirm",
            ("resolved",),
            "verified",
            gettext_lazy("反映人确认解决"),
            notify=_to_dispatchers,
        ),
        Transition(
            "request_reopen",
            ("closed",),
            "accepted",
            gettext_lazy("反映人申请重新办理"),
            required=("note",),
            starts=("dispatch",),
            guard=_may_reopen,
            effect=_reopened,
            notify=_to_dispatchers,
        ),
        Transition(
            "rate",
            ("closed",),
            None,
            gettext_lazy("评价"),
            required=("satisfaction",),
            effect=_rated,
            notify=_to_dispatchers_if_unhappy,
        ),
    )

    # -- deadlines -----------------------------------------------------------------------
    def deadline_due(self, record, kind, now):
        span = deadline_spec(
            record.category, record.urgency, kind, getattr(record, "deadline_rule", None)
        )
        return due_after(now, span) if span is not None else None

    def deadline_policy(self, record, kind):
        return "case_handle" if kind == "handle" else "case_step"

    def after(self, record, transition, entry, actor, data, now):
        if "handle" in transition.starts:
            keep_handle_due(record)
        self._notify(record, transition, entry, actor, data)
        if transition.name in REPLY_TRANSITIONS:
            _tell_reporter(record, transition, entry, actor)

    def _notify(self, record, transition, entry, actor, data):
        """What the transition declares: its recipients (``notify``) and its message, rendered
        in each reader's language when read (never stored as text in one language)."""
        if transition.notify is None:
            return
        recipients = [u for u in transition.notify(record, data) if u is not None and u != actor]
        if recipients:
            notifications.notify(
                recipients,
                kind=f"case.{transition.name}",
                message=transition.message or "case.moved",
                params={
                    "number": record.number,
                    "category": record.category.name,
                    "action": transition.name,
                    "note": entry.note,
                },
                url=f"/cases/{record.pk}/",
                target=record,
            )

    def responsible(self, record):
        from . import services

        return services.unit_staff(record) + services.dispatchers_for(record)

    def escalate(self, record, deadline, step, now, batch):
        """A breach: a supervision card (yellow → red → town review → county review)."""
        from . import services

        if record.state not in Case.OPEN_STATES:
            return
        level = CARD_LEVEL.get(step.action, 1)
        pending = _batch_cards(batch)
        pending.append(
            SupervisionCard(
                case_id=record.pk,
                level=level,
                deadline_kind=deadline.kind,
                department_id=record.department_id,
                issued_at=now,
                note=str(step.label),
                place_path=record.place_path,
            )
        )
        if level > record.supervision_level:
            record.supervision_level = level
            pending.levels[record.pk] = level
        title = _("%(number)s %(kind)s超期：%(label)s") % {
            "number": record.number,
            "kind": KIND_LABELS.get(deadline.kind, deadline.kind),
            "label": step.label,
        }
        batch.timeline(
            record,
            "supervise",
            note=title,
            data={"deadline": deadline.kind, "action": step.action, "level": level},
        )
        for user in services.cached_responsible(batch, record, level):
            pending.notes.setdefault(user, []).append((record, step, deadline.kind))


KIND_LABELS = {
    "accept": gettext_lazy("受理"),
    "dispatch": gettext_lazy("派单"),
    "claim": gettext_lazy("签收"),
    "contact": gettext_lazy("联系反映人"),
    "arrive": gettext_lazy("到场"),
    "handle": gettext_lazy("办结"),
    "verify": gettext_lazy("核查"),
}


class _PendingCards(list):
    def __init__(self):
        super().__init__()
        self.levels = {}
        self.notes = {}  # recipient → [(case, step, title)]


STEP_LABELS = {
    "yellow": gettext_lazy("黄牌督办"),
    "red": gettext_lazy("红牌督办"),
    "town_review": gettext_lazy("列入乡镇（街道）周会商"),
    "county_review": gettext_lazy("列入县级会商"),
}


def _transition_label(name):
    found = next((t for t in CaseFlow.transitions if t.name == name), None)
    return found.label if found is not None else None


messages.register(
    messages.Message(
        "case.moved",
        title=gettext_lazy("%(number)s %(action)s"),
        body_param="note",
        labels={"action": _transition_label},
    ),
    messages.Message(
        "case.dispatched",
        title=gettext_lazy("新派单：%(number)s %(category)s"),
        body_param="note",
    ),
    messages.Message(
        "case.reported",
        title=gettext_lazy("新事件：%(number)s %(category)s"),
        body_param="note",
    ),
    messages.Message("case.triage", title=gettext_lazy("待定位：%(category)s"), body_param="note"),
    messages.Message(
        "case.reply",
        title=gettext_lazy("【枫桥】您反映的事项 %(number)s 有了答复"),
        body=gettext_lazy("%(reply)s\n办理进度：%(link)s"),
    ),
    messages.Message(
        "case.card",
        title=gettext_lazy("%(number)s %(kind)s超期：%(level)s"),
        labels={"kind": KIND_LABELS, "level": STEP_LABELS},
    ),
    messages.Message(
        "case.cards",
        title=gettext_lazy("%(n)d 件事件超期督办"),
        lines="items",
        line=gettext_lazy("%(number)s %(kind)s超期：%(level)s"),
        labels={"kind": KIND_LABELS, "level": STEP_LABELS},
    ),
)


# The answers a reporter is sent by SMS when they left a mobile number: a 咨询 answered (the
# assistant's 转人工 included) and a report handled.
REPLY_TRANSITIONS = ("answer", "resolve")


def _tell_reporter(record, transition, entry, actor):
    """The reply to the reporter's phone through the outbox (``core.sms``), in the language they
    wrote in; nothing when they left no mobile number or reported anonymously."""
    from django.conf import settings

    from fengqiao.core import pii, sms

    phone = pii.clear_value(record.reporter_phone)
    if record.anonymous or not phone:
        return
    link = f"{settings.PUBLIC_URL.rstrip('/')}/r/t/{record.tracking_code}/"
    sms.queue(
        phone,
        kind=f"case.{transition.name}.sms",
        message="case.reply",
        params={"number": record.number, "reply": (entry.note or "")[:300], "link": link},
        language=record.reporter_language,
        url=f"/r/t/{record.tracking_code}/",
        target=record,
        actor=actor,
    )


def _notify_digest(notes):
    """One notification per recipient per sweep batch: the case itself when there is one, else a
    digest pointing at the supervision board (a sweep may breach hundreds of cases at once)."""
    for user, items in notes.items():
        if len(items) == 1:
            record, step, kind = items[0]
            notifications.notify(
                [user],
                kind=f"case.card.{step.action}",
                message="case.card",
                params={"number": record.number, "kind": kind, "level": step.action},
                url=f"/cases/{record.pk}/",
                target=record,
            )
            continue
        worst = max(items, key=lambda item: CARD_LEVEL.get(item[1].action, 1))[1]
        notifications.notify(
            [user],
            kind=f"case.card.{worst.action}",
            message="case.cards",
            params={
                "n": len(items),
                "items": [
                    {"number": record.number, "kind": kind, "level": step.action}
                    for record, step, kind in items[:200]
                ],
            },
            url="/cases/supervision/",
        )


def _batch_cards(batch):
    """Cards of one sweep batch, written in bulk when the kernel flushes the batch."""
    pending = batch.memo.get("case_cards")
    if pending is None:
        pending = batch.memo["case_cards"] = _PendingCards()

        def flush():
            if pending:
                SupervisionCard.objects.bulk_create(pending)
                by_level = {}
                for pk, level in pending.levels.items():
                    by_level.setdefault(level, []).append(pk)
                for level, ids in by_level.items():
                    Case.objects.filter(pk__in=ids, supervision_level__lt=level).update(
                        supervision_level=level
                    )
                _notify_digest(pending.notes)
                pending.clear()
                pending.levels.clear()
                pending.notes.clear()

        batch.on_flush("case_cards", flush)
    return pending


def keep_handle_due(record):
    """Copy the handling deadline onto the case (``handle_due_at``: on-time figures, extensions).
    The nearest due time of all deadlines is the kernel's ``next_due_at``."""
    handle = (
        Deadline.objects.filter(
            content_type=ContentType.objects.get_for_model(Case),
            object_id=record.pk,
            state=Deadline.State.OPEN,
            kind="handle",
        )
        .values_list("due_at", flat=True)
        .first()
    )
    if handle is not None and handle != record.handle_due_at:
        record.handle_due_at = handle
        Case.objects.filter(pk=record.pk).update(handle_due_at=handle)


flow = register(CaseFlow())

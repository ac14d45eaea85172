"""The dispute flow on the shared kernel: the ladder, the agreement and what comes after.

    registered ─start→ mediating ─next_level→ mediating (L+1) … ─agree→ agreed
    agreed ─sign_agreement→ performing ─complete_performance→ performed ─return_visit→ closed
    registered/mediating/agreed ─withdraw→ withdrawn · ─refer→ referred (court, arbitration …)

Deadlines: ``mediation`` (per type, size and level: 小事1天、大事3天), ``judicial_confirmation``
(30 days from the agreement taking effect, reminder 7 days before), ``performance`` (the agreed
date) and ``return_visit``. A mediation breach is supervised like a case: yellow card to the
mediator and the place's officers, then red card to the leaders.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import gettext_noop

from fengqiao.core import messages
from fengqiao.core.errors import Conflict
from fengqiao.core.messages import message_data
from fengqiao.core.workflow import (
    ANY,
    EscalationPolicy,
    Step,
    Transition,
    Workflow,
    register,
    register_policy,
)

from .models import Dispute, JointTask, rule_hours

OPEN = ("registered", "mediating", "agreed")
AFTER = ("performing", "performed", "closed")

JUDICIAL_WINDOW_DAYS = 30


def setting(name, default):
    return getattr(settings, f"DISPUTES_{name}", default)


register_policy(
    EscalationPolicy(
        "dispute_mediation",
        (
            Step(timedelta(0), "yellow", gettext_noop("黄牌督办")),
            Step(timedelta(days=1), "red", gettext_noop("红牌督办")),
        ),
    )
)
register_policy(
    EscalationPolicy(
        "judicial_window",
        (
            Step(timedelta(days=-7), "remind", gettext_noop("司法确认申请期限还剩7天")),
            Step(timedelta(0), "expire", gettext_noop("司法确认申请期限已届满")),
        ),
    )
)
register_policy(
    EscalationPolicy(
        "dispute_followup", (Step(timedelta(0), "notify", gettext_noop("跟踪事项已到期")),)
    )
)
register_policy(
    EscalationPolicy("joint_task", (Step(timedelta(0), "notify", gettext_noop("联席调任务超期")),))
)

T = Transition


# -- effects (record, move): what each transition does to the dispute's own fields ---------------
def _agreed(record, move):
    record.outcome = Dispute.Outcome.AGREEMENT
    record.resolved_level, record.resolved_at = record.level, move.now


def _withdrawn(record, move):
    record.outcome, record.closed_at = Dispute.Outcome.WITHDRAWN, move.now


def _referred(record, move):
    record.outcome, record.closed_at = Dispute.Outcome.REFERRED, move.now


def _supervised(record, move):
    record.supervision_count += 1


def _closed(record, move):
    record.closed_at = move.now


class DisputeFlow(Workflow):
    model = Dispute
    escalation_related = ("mediator",)  # told of every step: no query per dispute
    transitions = (
        T(
            "start",
            ("registered",),
            "mediating",
            _l("开始调解"),
            "disputes.assign_dispute",
            starts=("mediation",),
        ),
        T("assign", ("mediating",), None, _l("指派调解员"), "disputes.assign_dispute"),
        T(
            "next_level",
            ("mediating",),
            "mediating",
            _l("调解不成，转下一级"),
            "disputes.mediate_dispute",
            required=("note",),
            stops=("mediation",),
            starts=("mediation",),
        ),
        T(
            "progress",
            ("mediating",),
            None,
            _l("记录调解情况"),
            "disputes.mediate_dispute",
            ("note",),
        ),
        T("hearing", ("mediating",), None, _l("记录听证"), "disputes.hold_hearing"),
        T("dispatch_joint", ("mediating",), None, _l("联席调派单"), "disputes.coordinate_joint"),
        T("joint_minutes", ("mediating",), None, _l("联席会议纪要"), "disputes.coordinate_joint"),
        T("joint_task", ("mediating",), None, _l("联席调任务反馈"), "disputes.handle_joint_task"),
        T(
            "agree",
            ("mediating",),
            "agreed",
            _l("达成调解协议"),
            "disputes.mediate_dispute",
            required=("note",),
            stops=("mediation",),
            effect=_agreed,
        ),
        T(
            "withdraw",
            OPEN,
            "withdrawn",
            _l("当事人撤回"),
            "disputes.mediate_dispute",
            required=("note",),
            stops=(ANY,),
            effect=_withdrawn,
        ),
        T(
            "refer",
            OPEN,
            "referred",
            _l("引导至诉讼/仲裁/其他途径"),
            "disputes.mediate_dispute",
            required=("note", "referral", "guidance"),
            stops=(ANY,),
            effect=_referred,
        ),
        T(
            "draft_agreement",
            ("agreed", "performing", "performed"),
            None,
            _l("制作调解协议书"),
            "disputes.mediate_dispute",
        ),
        T(
            "sign_agreement",
            ("agreed", "performing", "performed"),
            "performing",
            _l("协议签署生效"),
            "disputes.mediate_dispute",
            stops=("judicial_confirmation", "performance", "return_visit"),
            starts=("judicial_confirmation", "performance", "return_visit"),
        ),
        T(
            "apply_confirmation",
            AFTER,
            None,
            _l("申请司法确认"),
            "disputes.follow_up_dispute",
            stops=("judicial_confirmation",),
        ),
        T(
            "record_confirmation",
            AFTER,
            None,
            _l("司法确认结果"),
            "disputes.follow_up_dispute",
        ),
        T(
            "record_performance",
            ("performing",),
            None,
            _l("记录履行"),
            "disputes.follow_up_dispute",
        ),
        T(
            "complete_performance",
            ("performing",),
            "performed",
            _l("协议履行完毕"),
            "disputes.follow_up_dispute",
            stops=("performance",),
        ),
        T(
            "return_visit",
            ("performing", "performed"),
            "closed",
            _l("回访办结"),
            "disputes.follow_up_dispute",
            required=("note",),
            stops=("performance", "return_visit"),
            effect=_closed,
        ),
        T(
            "supervise",
            OPEN,
            None,
            _l("督办"),
            "disputes.supervise_dispute",
            ("note",),
            effect=_supervised,
        ),
    )

    def deadline_due(self, record, kind, now):
        if kind == "mediation":
            rule = record.type_rule or record.type.rule()
            return now + timedelta(hours=rule_hours(rule, record.size, record.level))
        agreement = record.agreements.filter(state="signed").order_by("-version").first()
        if agreement is None:
            return None
        effective = agreement.signed_at or now
        if kind == "judicial_confirmation":
            if hasattr(agreement, "judicial_confirmation"):
                return None
            return effective + timedelta(days=JUDICIAL_WINDOW_DAYS)
        if kind == "performance":
            if agreement.performance_due is None:
                return None
            return _end_of_day(agreement.performance_due)
        if kind == "return_visit":
            visit = record.return_visits.filter(visited_at__isnull=True).order_by("due_on").first()
            return _end_of_day(visit.due_on) if visit else None
        return None

    def deadline_policy(self, record, kind):
        if kind == "mediation":
            return "dispute_mediation"
        if kind == "judicial_confirmation":
            return "judicial_window"
        return "dispute_followup"

    def responsible(self, record):
        from fengqiao.org.services import staff_for_place

        users = [record.mediator] if record.mediator_id else []
        return users + staff_for_place(record.place, ["community_officer", "police_assistant"])

    def escalate(self, record, deadline, step, now, batch):
        """One step of a dispute deadline, written in bulk with the rest of the sweep batch:
        the staff of a place are looked up once per batch, supervision counts and breached
        performances are one UPDATE each at flush."""
        url = f"/disputes/{record.pk}/"
        pending = _batch_writes(batch)
        if deadline.kind == "mediation":
            if record.state != "mediating":
                return
            key = "dispute.card"
            params = {"card": step.action, "number": record.number, "level": record.level}
            batch.timeline(
                record,
                "supervise",
                note=messages.render(key, params)[0],
                data={
                    "deadline": "mediation",
                    "card": step.action,
                    "level": record.level,
                    **message_data(key, params),
                },
            )
            pending.supervised[record.pk] = pending.supervised.get(record.pk, 0) + 1
            recipients = self._responsible(record, batch)
            if step.action == "red":
                recipients += _staff(batch, record.place_id, ("leader",))
            batch.notify(
                recipients,
                kind=f"dispute.{step.action}",
                message=key,
                params=params,
                url=url,
                target=record,
            )
            return
        params = {"number": record.number}
        if deadline.kind == "judicial_confirmation":
            key = (
                "dispute.judicial_remind" if step.action == "remind" else "dispute.judicial_expired"
            )
        elif deadline.kind == "performance":
            pending.performance_due.append(record.pk)
            key = "dispute.performance_due"
        else:
            key = "dispute.return_visit_due"
        batch.timeline(
            record,
            "remind",
            note=messages.render(key, params)[0],
            data={"deadline": deadline.kind, "action": step.action, **message_data(key, params)},
        )
        batch.notify(
            self._responsible(record, batch),
            kind=f"dispute.{deadline.kind}",
            message=key,
            params=params,
            url=url,
            target=record,
        )

    def _responsible(self, record, batch):
        users = [record.mediator] if record.mediator_id else []
        return users + _staff(batch, record.place_id, ("community_officer", "police_assistant"))

    def after(self, record, transition, entry, actor, data, now):
        from fengqiao.core import notifications

        if (
            transition.name in ("start", "next_level", "assign")
            and record.mediator_id
            and record.mediator_id != getattr(actor, "pk", None)
        ):
            notifications.notify(
                [record.mediator],
                kind="dispute.assigned",
                message="dispute.assigned",
                params={"number": record.number, "title": record.title, "level": record.level},
                url=f"/disputes/{record.pk}/",
                target=record,
            )


def _staff(batch, place_id, roles):
    """``staff_for_place`` once per place and roles in a sweep batch."""
    from fengqiao.org.models import Place
    from fengqiao.org.services import staff_for_place

    key = ("dispute_staff", place_id, roles)
    if key not in batch.memo:
        batch.memo[key] = staff_for_place(Place.objects.get(pk=place_id), list(roles))
    return list(batch.memo[key])


class _PendingWrites:
    def __init__(self):
        self.supervised = {}  # dispute pk → supervision steps in this batch
        self.performance_due = []  # dispute pks whose performance deadline passed


def _batch_writes(batch):
    pending = batch.memo.get("dispute_writes")
    if pending is None:
        pending = batch.memo["dispute_writes"] = _PendingWrites()

        def flush():
            by_count = {}
            for pk, count in pending.supervised.items():
                by_count.setdefault(count, []).append(pk)
            for count, ids in by_count.items():
                Dispute.objects.filter(pk__in=ids).update(
                    supervision_count=F("supervision_count") + count
                )
            if pending.performance_due:
                from .models import Performance

                Performance.objects.filter(
                    agreement__dispute_id__in=pending.performance_due,
                    agreement__state="signed",
                    state="pending",
                    due_on__lt=timezone.localdate(batch.now),
                ).update(state="breached")
            pending.supervised.clear()
            pending.performance_due.clear()

        batch.on_flush("dispute_writes", flush)
    return pending


# -- joint tasks (联席调): each task is a small flow of its own with its own deadline ---------------
def _claimable(task, move):
    if task.state == JointTask.State.DONE:
        raise Conflict(_("任务已反馈"), code="already_done")
    if task.state != JointTask.State.DISPATCHED:
        raise Conflict(_("任务已签收"), code="already_claimed")


def _not_done(task, move):
    if task.state == JointTask.State.DONE:
        raise Conflict(_("任务已反馈"), code="already_done")


def _claimed(task, move):
    task.claimed_by = move.actor


def _done(task, move):
    task.result, task.done_at = move.data["result"], move.now
    task.claimed_by = task.claimed_by or move.actor


TASK_STATES = tuple(JointTask.State.values)


class JointTaskFlow(Workflow):
    """dispatched ─claim→ claimed ─complete→ done (complete also straight from dispatched).
    The ``feedback`` deadline is the task's own; an overdue task is chased by the sweep."""

    model = JointTask
    escalation_related = ("department", "attempt__dispute")
    transitions = (
        T(
            "claim",
            TASK_STATES,
            "claimed",
            _l("签收联席调任务"),
            "disputes.handle_joint_task",
            guard=_claimable,
            effect=_claimed,
        ),
        T(
            "complete",
            TASK_STATES,
            "done",
            _l("反馈联席调任务"),
            "disputes.handle_joint_task",
            required=("result",),
            stops=("feedback",),
            guard=_not_done,
            effect=_done,
        ),
    )

    def deadline_policy(self, record, kind):
        return "joint_task"

    def escalate(self, record, deadline, step, now, batch):
        from fengqiao.org.models import User

        if record.state == JointTask.State.DONE:
            return
        task = record  # loaded with its department and dispute (``escalation_related``)
        dispute = task.attempt.dispute
        params = {"number": dispute.number, "dept": task.department.name}
        key = ("department_staff", task.department_id)
        if key not in batch.memo:  # a department's staff once per batch
            batch.memo[key] = list(
                User.objects.filter(department_id=task.department_id, is_active=True)
            )
        staff = list(batch.memo[key])
        batch.timeline(
            dispute,
            "remind",
            note=messages.render("dispute.joint_task_overdue", params)[0],
            data={
                "deadline": "joint_task",
                "task": task.pk,
                **message_data("dispute.joint_task_overdue", params),
            },
        )
        batch.notify(
            staff + _staff(batch, dispute.place_id, ("dispatcher",)),
            kind="dispute.joint_task_overdue",
            message="dispute.joint_task_overdue",
            params=params,
            url="/disputes/joint/",
            target=dispute,
        )


def _end_of_day(day):
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


flow = register(DisputeFlow())
task_flow = register(JointTaskFlow())


CARDS = {"yellow": _l("黄牌"), "red": _l("红牌")}

messages.register(
    messages.Message(
        "dispute.card",
        title=_l("%(card)s督办：矛盾纠纷 %(number)s 第%(level)s级调解已超时限"),
        labels={"card": CARDS},
    ),
    messages.Message(
        "dispute.judicial_remind",
        title=_l("矛盾纠纷 %(number)s：距司法确认申请期限届满还有7天"),
    ),
    messages.Message(
        "dispute.judicial_expired",
        title=_l("矛盾纠纷 %(number)s：司法确认30日申请期限已届满"),
    ),
    messages.Message(
        "dispute.performance_due",
        title=_l("矛盾纠纷 %(number)s：协议履行期限已到，请督促履行"),
    ),
    messages.Message("dispute.return_visit_due", title=_l("矛盾纠纷 %(number)s：回访已到期")),
    messages.Message("dispute.joint_task_overdue", title=_l("联席调任务超期：%(number)s %(dept)s")),
    messages.Message(
        "dispute.assigned", title=_l("新的调解任务：%(number)s %(title)s（第%(level)s级）")
    ),
    messages.Message(
        "dispute.high_risk",
        title=_l("民转刑高风险纠纷：%(number)s %(title)s（风险分%(score)s）"),
        body=_l("已列入风险清单，请关注并及时化解。"),
    ),
    messages.Message("dispute.joint_task", title=_l("联席调任务：%(number)s %(title)s")),
    messages.Message(
        "dispute.unassigned",
        title=_l("矛盾纠纷 %(number)s 已转第%(level)s级，本地调解员库无人，请指派"),
    ),
    messages.Message("dispute.supervise", title=_l("督办：%(number)s %(note)s")),
)

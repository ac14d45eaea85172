"""The risk flows on the shared kernel.

    applied ─approve→ approved ─file_city→ filed ─request_close→ closing ─approve_close→ closed
    applied ─return→ returned ─resubmit→ applied;  closing ─reject_close→ filed;  closed ─reopen→ filed
    approved/filed: propose_level · approve_level · reject_level · review · task_force · hand_over

Guards and effects are functions of the locked row and a ``move`` (actor, data, note, now,
transition): they run inside the kernel's transaction after ``SELECT … FOR UPDATE``.

Deadlines on a risk: ``city_filing`` (备案 after approval), ``review`` (the next 会商 the scheduler
put it on; a missed review is supervised like a late case), ``task_force`` (a red risk gets its
专班 within a day). A hand-over has one ``step`` deadline per step; a review action its ``action``.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from fengqiao.core import messages
from fengqiao.core.errors import Conflict, Forbidden, ServiceError
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

from .models import RANK, HandOver, Level, LevelChange, ReviewAction, Risk

ACTIVE = ("approved", "filed")


def setting(name, default):
    return getattr(settings, f"RISKS_{name}", default)


register_policy(
    EscalationPolicy(
        "risk_review",
        (
            Step(timedelta(0), "yellow", gettext_noop("会商逾期，黄牌督办")),
            Step(timedelta(days=1), "red", gettext_noop("会商逾期，红牌督办")),
        ),
    )
)
register_policy(
    EscalationPolicy(
        "risk_step",
        (
            Step(timedelta(0), "remind", gettext_noop("已到期")),
            Step(timedelta(days=1), "supervise", gettext_noop("超期督办")),
        ),
    )
)


def county_of(place):
    """The county (or the highest level below the city) above ``place``: the filing level."""
    from fengqiao.org.models import Place

    node = place
    while node.parent_id and node.level > Place.Level.COUNTY:
        node = node.parent
    return node


# -- guards (row, move) ---------------------------------------------------------------------
def at_filing_level(row, move):
    """County bureau steps: the actor's jurisdiction must cover the risk's county, not only a
    station or grid below it (审核、销号审批 at the level that filed it)."""
    actor = move.actor
    place = row.filing_place or county_of(row.place)
    if actor is None or not actor.covers(place):
        raise Forbidden(
            _("此步骤须由%(place)s一级审批（您的辖区不覆盖%(place)s）") % {"place": place.name},
            code="wrong_level",
        )


def has_open_proposal(row, move):
    if not LevelChange.objects.filter(risk=row, state="proposed").exists():
        raise Conflict(_("没有待审批的预警等级调整"), code="no_proposal")


def no_open_proposal(row, move):
    if LevelChange.objects.filter(risk=row, state="proposed").exists():
        raise Conflict(_("已有一项等级调整待审批，请先审批或撤回后再提出"), code="proposal_pending")


def has_evidence(row, move):
    if not move.data.get("evidence"):
        raise ServiceError(_("申请销号须上传化解证明材料"), code="evidence_required")


# -- effects (row, move) ----------------------------------------------------------------------
def effect_approve(row, move):
    row.approved_by = move.actor
    row.approved_at = move.now
    row.filing_place = county_of(row.place)
    row.level = move.data.get("level") or row.proposed_level


def effect_file_city(row, move):
    row.city_reference = move.data["city_reference"][:64]
    row.filed_at = move.now


def effect_propose_level(row, move):
    to_level = move.data["to_level"]
    if to_level not in RANK:
        raise ServiceError(_("预警等级不正确"), code="invalid_level")
    if to_level == row.level:
        raise ServiceError(_("新等级与当前等级相同"), code="same_level")
    move.data["from_level"] = row.level
    LevelChange.objects.create(
        risk=row,
        from_level=row.level,
        to_level=to_level,
        reason=move.note,
        proposed_by=move.actor,
        proposed_at=move.now,
    )


def effect_decide_level(row, move):
    change = LevelChange.objects.select_for_update().get(risk=row, state="proposed")
    approved = move.transition.name == "approve_level"
    change.state = "approved" if approved else "rejected"
    change.approver = move.actor
    change.decided_at = move.now
    change.decision_note = move.note
    change.save(update_fields=["state", "approver", "decided_at", "decision_note"])
    move.data.update(
        {"change": change.pk, "from_level": change.from_level, "to_level": change.to_level}
    )
    if approved:
        row.level = change.to_level


def effect_review(row, move):
    row.last_reviewed_at = move.now
    if move.data.get("to_level"):
        row.level = move.data["to_level"]


def effect_approve_close(row, move):
    row.closed_at = move.now
    row.next_review_at = None


def effect_reopen(row, move):
    row.closed_at = None
    row.recurrence_count += 1
    if move.data.get("level"):
        row.level = move.data["level"]


def effect_answer(row, move):
    row.feedback = move.data.get("feedback", "")
    row.answered_at = move.now


def effect_complete(row, move):
    row.result = move.note
    row.done_at = move.now


T = Transition


class RiskFlow(Workflow):
    model = Risk
    transitions = (
        T("resubmit", ("returned",), "applied", gettext_lazy("重新申报"), "risks.apply_risk"),
        T(
            "return",
            ("applied",),
            "returned",
            gettext_lazy("退回申报"),
            "risks.review_risk",
            required=("note",),
            guard=at_filing_level,
        ),
        T(
            "approve",
            ("applied",),
            "approved",
            gettext_lazy("县局审核通过"),
            "risks.review_risk",
            guard=at_filing_level,
            starts=("city_filing",),
            effect=effect_approve,
        ),
        T(
            "file_city",
            ("approved",),
            "filed",
            gettext_lazy("报市局备案"),
            "risks.file_risk",
            required=("city_reference",),
            guard=at_filing_level,
            stops=("city_filing",),
            effect=effect_file_city,
        ),
        T(
            "propose_level",
            ACTIVE,
            None,
            gettext_lazy("提出等级调整"),
            "risks.propose_level",
            required=("note", "to_level"),
            guard=no_open_proposal,
            effect=effect_propose_level,
        ),
        T(
            "approve_level",
            ACTIVE,
            None,
            gettext_lazy("批准等级调整"),
            "risks.approve_level",
            guard=has_open_proposal,
            effect=effect_decide_level,
        ),
        T(
            "reject_level",
            ACTIVE,
            None,
            gettext_lazy("不批准等级调整"),
            "risks.approve_level",
            required=("note",),
            guard=has_open_proposal,
            effect=effect_decide_level,
        ),
        T(
            "review",
            ACTIVE,
            None,
            gettext_lazy("会商决定"),
            "risks.run_review",
            stops=("review",),
            effect=effect_review,
        ),
        T(
            "task_force",
            ACTIVE,
            None,
            gettext_lazy("组建专班"),
            "risks.manage_task_force",
            stops=("task_force",),
        ),
        T("hand_over", ACTIVE, None, gettext_lazy("推送职能部门"), "risks.hand_over"),
        T("handover_step", ANY, None, gettext_lazy("推送进展"), None),
        T(
            "request_close",
            ("filed",),
            "closing",
            gettext_lazy("申请销号"),
            "risks.request_close",
            required=("note",),
            guard=has_evidence,
        ),
        T(
            "approve_close",
            ("closing",),
            "closed",
            gettext_lazy("批准销号"),
            "risks.review_risk",
            guard=at_filing_level,
            stops=(ANY,),
            effect=effect_approve_close,
        ),
        T(
            "reject_close",
            ("closing",),
            "filed",
            gettext_lazy("不予销号"),
            "risks.review_risk",
            required=("note",),
            guard=at_filing_level,
        ),
        T(
            "reopen",
            ("closed",),
            "filed",
            gettext_lazy("风险反弹，重新列管"),
            "risks.apply_risk",
            required=("note",),
            effect=effect_reopen,
        ),
    )

    def deadline_due(self, record, kind, now):
        if kind == "city_filing":
            return now + timedelta(days=int(setting("CITY_FILING_DAYS", 3)))
        if kind == "task_force":
            return now + timedelta(hours=int(setting("TASK_FORCE_HOURS", 24)))
        return None

    def deadline_policy(self, record, kind):
        return "risk_review" if kind in ("review", "task_force") else "risk_step"

    def responsible(self, record):
        users = [u for u in (record.responsible_person, record.responsible_leader) if u]
        return users

    def escalate(self, record, deadline, step, now, batch):
        from fengqiao.org.services import staff_for_place

        if record.state not in Risk.ON_REGISTER:
            return
        card = "red" if step.action == "red" else "yellow"
        params = {"card": card, "number": record.number, "what": deadline.kind}
        batch.timeline(
            record,
            "supervise",
            note=messages.render("risk.card", params)[0],
            data={
                "deadline": deadline.kind,
                "card": step.action,
                **message_data("risk.card", params),
            },
        )
        Risk.objects.filter(pk=record.pk).update(supervision_count=F("supervision_count") + 1)
        recipients = self.responsible(record) + staff_for_place(record.place, ["dispatcher"])
        if step.action in ("red", "supervise"):
            recipients += staff_for_place(record.place, ["leader"])
        batch.notify(
            recipients,
            kind=f"risk.{deadline.kind}",
            message="risk.card",
            params=params,
            url=f"/risks/{record.pk}/",
            target=record,
        )

    def after(self, record, transition, entry, actor, data, now):
        from . import services

        old, new = data.get("from_level"), record.level
        if transition.name in ("approve", "approve_level", "review", "reopen") and old != new:
            services.level_changed(record, old, new, actor, now)


class HandOverFlow(Workflow):
    """登记 → 审核 → 告知 → 移送 → 反馈 → 归档, each step with a deadline."""

    model = HandOver
    steps = (
        ("review", "registered", "reviewed", gettext_lazy("审核")),
        ("notify", "reviewed", "notified", gettext_lazy("告知")),
        ("transfer", "notified", "transferred", gettext_lazy("移送")),
        ("answer", "transferred", "answered", gettext_lazy("反馈")),
        ("archive", "answered", "archived", gettext_lazy("归档")),
    )
    transitions = tuple(
        T(
            name,
            (source,),
            target,
            label,
            "risks.handle_handover" if name == "answer" else "risks.hand_over",
            required=("note",) if name == "answer" else (),
            effect=effect_answer if name == "answer" else None,
            stops=("step",),
            starts=("step",) if target != "archived" else (),
        )
        for name, source, target, label in steps
    )

    def deadline_due(self, record, kind, now):
        hours = setting("HANDOVER_STEP_HOURS", {})
        default = {"reviewed": 24, "notified": 24, "transferred": 72, "answered": 48}
        state = record.state
        return now + timedelta(hours=int(hours.get(state, default.get(state, 24))))

    def deadline_policy(self, record, kind):
        return "risk_step"

    def responsible(self, record):
        from fengqiao.org.models import User

        return list(User.objects.filter(department_id=record.department_id, is_active=True))

    def escalate(self, record, deadline, step, now, batch):
        from fengqiao.org.services import staff_for_place

        if record.state == "archived":
            return
        key = "risk.handover_overdue"
        params = {
            "number": record.risk.number,
            "dept": record.department.name,
            "state": record.state,
        }
        batch.timeline(
            record,
            "supervise",
            note=messages.render(key, params)[0],
            data={"card": step.action, **message_data(key, params)},
        )
        batch.notify(
            self.responsible(record) + staff_for_place(record.place, ["dispatcher"]),
            kind="risk.handover_overdue",
            message=key,
            params=params,
            url=f"/risks/{record.risk_id}/",
            target=record,
        )

    def after(self, record, transition, entry, actor, data, now):
        """The department's feedback and every step are part of the risk's own record."""
        from fengqiao.core.workflow import append_timeline

        risk = record.risk
        params = {"dept": record.department.name, "step": transition.name, "note": entry.note}
        append_timeline(
            risk,
            "handover_step",
            actor=actor,
            from_state=risk.state,
            to_state=risk.state,
            note=messages.render("risk.handover_step", params)[0],
            data={
                "handover": record.pk,
                "step": transition.name,
                "feedback": record.feedback,
                **message_data("risk.handover_step", params),
            },
            now=now,
        )


class ActionFlow(Workflow):
    """A measure decided in a review: done by its owner (or the meeting's organisers)."""

    model = ReviewAction
    transitions = (
        T(
            "complete",
            ("open",),
            "done",
            gettext_lazy("措施已完成"),
            None,
            required=("note",),
            stops=(ANY,),
            effect=effect_complete,
        ),
    )

    def responsible(self, record):
        return [record.owner]

    def escalate(self, record, deadline, step, now, batch):
        from fengqiao.org.services import staff_for_place

        if record.state != "open":
            return
        key = "risk.action_overdue"
        params = {"title": record.title, "number": record.risk.number}
        batch.timeline(
            record,
            "supervise",
            note=messages.render(key, params)[0],
            data={"card": step.action, **message_data(key, params)},
        )
        batch.notify(
            [record.owner] + staff_for_place(record.place, ["dispatcher"]),
            kind="risk.action_overdue",
            message=key,
            params=params,
            url=f"/risks/{record.risk_id}/",
            target=record,
        )


CARDS = {"yellow": gettext_lazy("黄牌"), "red": gettext_lazy("红牌")}


def _handover_step_label(name):
    found = next((t for t in HandOverFlow.transitions if t.name == name), None)
    return found.label if found is not None else None


MISSED = {
    "review": gettext_lazy("未按时会商"),
    "city_filing": gettext_lazy("未按时报市局备案"),
    "task_force": gettext_lazy("红色风险未按时组建专班"),
}

messages.register(
    messages.Message(
        "risk.card",
        title=gettext_lazy("%(card)s督办：风险 %(number)s %(what)s"),
        labels={"card": CARDS, "what": MISSED},
    ),
    messages.Message(
        "risk.handover_overdue",
        title=gettext_lazy("推送事项超期：风险 %(number)s → %(dept)s（%(state)s）"),
        labels={"state": dict(HandOver.State.choices)},
    ),
    messages.Message(
        "risk.action_overdue", title=gettext_lazy("会商措施超期：%(title)s（风险 %(number)s）")
    ),
    messages.Message(
        "risk.action",
        title=gettext_lazy("会商措施：%(title)s（风险 %(number)s，%(due)s前完成）"),
    ),
    messages.Message("risk.applied", title=gettext_lazy("风险申报待审核：%(number)s %(title)s")),
    messages.Message(
        "risk.level_report",
        title=gettext_lazy("【三长报告】风险 %(number)s %(title)s 预警等级为%(level)s"),
        body_param="description",
        labels={"level": dict(Level.choices)},
    ),
    messages.Message("risk.task_force", title=gettext_lazy("您已加入风险 %(number)s 工作专班")),
    messages.Message(
        "risk.handover_step",
        title=gettext_lazy("推送%(dept)s：%(step)s。%(note)s"),
        labels={"step": _handover_step_label},
    ),
)


flow = register(RiskFlow())
handover_flow = register(HandOverFlow())
action_flow = register(ActionFlow())

__all__ = ["RANK", "flow", "handover_flow", "action_flow", "county_of", "setting"]

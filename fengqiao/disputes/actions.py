"""The disputes vocabulary, written once: action name = transition name → service, input schema,
permission. It drives the detail page's forms (``views.act``), the JSON API
(``POST /api/v1/disputes/{id}/actions/<name>``, one OpenAPI operation each) and the buttons.

Joint tasks (联席调) are their own small flow with their own registry, ``task_registry``: the
board's claim/complete forms (``views.joint_task``) and
``POST /api/v1/disputes/joint-tasks/{task_id}/<name>``."""

from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from ninja import Schema

from fengqiao.core.actions import Action, ActionRegistry, NoteIn, from_post
from fengqiao.core.errors import ServiceError

from . import services
from .workflow import flow, task_flow


class StartIn(Schema):
    mediator_id: int | None = None
    location: str = ""
    note: str = ""


class AssignIn(Schema):
    mediator_id: int | None = None
    note: str = ""


class NextLevelIn(Schema):
    note: str = ""
    to_level: int | None = None
    mediator_id: int | None = None
    skip_reason: str = ""
    lawyer_choice: str = ""
    location: str = ""


class ProgressIn(Schema):
    note: str = ""
    location: str = ""


class ReferIn(Schema):
    note: str = ""
    referral: str = ""
    guidance: str = ""


class MinutesIn(Schema):
    minutes: str = ""


class ConfirmationIn(Schema):
    court: str = ""
    applied_on: date | None = None
    outcome: str = "pending"
    decided_on: date | None = None
    confirmation_number: str = ""
    note: str = ""


class RulingIn(Schema):
    outcome: str
    decided_on: date | None = None
    confirmation_number: str = ""


class PerformanceIn(Schema):
    term_index: int | None = None
    performed_on: date | None = None
    note: str = ""


class ReturnVisitIn(Schema):
    note: str = ""
    satisfaction: str = ""
    method: str = ""
    performed: bool | None = None


def _form(schema):
    """The detail page names the mediator field ``mediator``; the API ``mediator_id``."""

    def read(request):
        payload = from_post(schema, request.POST)
        if request.POST.get("mediator"):
            payload["mediator_id"] = request.POST["mediator"]
        return payload

    return read


def _start(dispute, actor, p):
    return services.start_mediation(
        dispute, actor, mediator=p["mediator_id"], location=p["location"], note=p["note"]
    )


def _assign(dispute, actor, p):
    return services.assign_mediator(dispute, actor, p["mediator_id"], note=p["note"])


def _next_level(dispute, actor, p):
    return services.next_level(
        dispute,
        actor,
        note=p["note"],
        to_level=p["to_level"],
        mediator=p["mediator_id"],
        skip_reason=p["skip_reason"],
        lawyer_choice=p["lawyer_choice"],
        location=p["location"],
    )


def _progress(dispute, actor, p):
    return services.record_progress(dispute, actor, note=p["note"], location=p["location"])


def _agree(dispute, actor, p):
    return services.agree(dispute, actor, note=p["note"])


def _withdraw(dispute, actor, p):
    return services.withdraw(dispute, actor, note=p["note"])


def _refer(dispute, actor, p):
    return services.refer(
        dispute, actor, note=p["note"], referral=p["referral"], guidance=p["guidance"]
    )


def _supervise(dispute, actor, p):
    return services.supervise(dispute, actor, note=p["note"])


def _joint_minutes(dispute, actor, p):
    return services.record_joint_minutes(dispute, actor, minutes=p["minutes"])


def _apply_confirmation(dispute, actor, p):
    if p["applied_on"] is None:
        raise ServiceError(_("请填写申请日期"), code="required", details={"field": "applied_on"})
    return services.record_judicial_confirmation(
        dispute,
        actor,
        court=p["court"],
        applied_on=p["applied_on"],
        outcome=p["outcome"],
        decided_on=p["decided_on"],
        confirmation_number=p["confirmation_number"],
        note=p["note"],
    )


def _record_confirmation(dispute, actor, p):
    application = services.judicial_application(dispute)
    return services.record_judicial_confirmation(
        dispute,
        actor,
        court=application.court,
        applied_on=application.applied_on,
        outcome=p["outcome"],
        decided_on=p["decided_on"],
        confirmation_number=p["confirmation_number"],
    )


def _record_performance(dispute, actor, p):
    if p["term_index"] is None or p["performed_on"] is None:
        raise ServiceError(_("请填写条款序号和履行日期"), code="required")
    return services.record_performance(
        dispute, actor, term_index=p["term_index"], performed_on=p["performed_on"], note=p["note"]
    )


def _return_visit(dispute, actor, p):
    return services.record_return_visit(
        dispute,
        actor,
        note=p["note"],
        satisfaction=p["satisfaction"],
        method=p["method"],
        performed=p["performed"],
    )


def _at_level(level):
    return lambda dispute, actor: dispute.level == level


A = Action
# In the detail page's order (its buttons are ``registry.available(dispute, user)``).
registry = ActionRegistry(
    "disputes",
    flow=flow,
    actions=[
        A("start", _start, StartIn, "disputes.assign_dispute", from_form=_form(StartIn)),
        A("progress", _progress, ProgressIn, "disputes.mediate_dispute"),
        A("agree", _agree, NoteIn, "disputes.mediate_dispute"),
        A(
            "next_level",
            _next_level,
            NextLevelIn,
            "disputes.mediate_dispute",
            from_form=_form(NextLevelIn),
            show=lambda dispute, actor: dispute.level < 5,
        ),
        A("assign", _assign, AssignIn, "disputes.assign_dispute", from_form=_form(AssignIn)),
        A(
            "joint_minutes",
            _joint_minutes,
            MinutesIn,
            "disputes.coordinate_joint",
            show=_at_level(5),
        ),
        A("withdraw", _withdraw, NoteIn, "disputes.mediate_dispute"),
        A("refer", _refer, ReferIn, "disputes.mediate_dispute"),
        A(
            "apply_confirmation",
            _apply_confirmation,
            ConfirmationIn,
            "disputes.follow_up_dispute",
        ),
        # The page records the ruling with the application's form; API and form only.
        A(
            "record_confirmation",
            _record_confirmation,
            RulingIn,
            "disputes.follow_up_dispute",
            button=False,
        ),
        A(
            "record_performance",
            _record_performance,
            PerformanceIn,
            "disputes.follow_up_dispute",
            transitions=("record_performance", "complete_performance"),
        ),
        A("return_visit", _return_visit, ReturnVisitIn, "disputes.follow_up_dispute"),
        A("supervise", _supervise, NoteIn, "disputes.supervise_dispute"),
    ],
)


# -- joint tasks (联席调): their own small flow ---------------------------------------------------
class TaskResultIn(Schema):
    result: str = ""


def _claim(task, actor, p):
    return services.claim_joint_task(task, actor)


def _complete(task, actor, p):
    return services.complete_joint_task(task, actor, result=p["result"])


task_registry = ActionRegistry(
    "disputes_joint_task",
    flow=task_flow,
    api_path="/joint-tasks/{id}/{name}",
    actions=[
        A("claim", _claim, NoteIn, "disputes.handle_joint_task", _l("签收")),
        A("complete", _complete, TaskResultIn, "disputes.handle_joint_task", _l("反馈")),
    ],
)

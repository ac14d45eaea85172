"""The cases vocabulary, written once: one action per staff transition (name = transition name) →
service, input schema, permission. It drives the detail page's forms (``views.act``), the JSON API
(``POST /api/v1/cases/{id}/actions/<name>``, one OpenAPI operation each) and the buttons
(``services.allowed_actions``). The body keeps the shape ``{"note": …, "data": {…}}``."""

from django.utils.translation import gettext as _
from ninja import Schema

from fengqiao.core.actions import Action, ActionRegistry
from fengqiao.core.workflow import apply

from . import services
from .workflow import flow


class NoData(Schema):
    pass


class AcceptData(Schema):
    urgency: str = ""


class ReasonData(Schema):
    reason: str = ""


class MergeData(Schema):
    duplicate_of: int | None = None


class DispatchData(Schema):
    department: int | None = None
    team: int | None = None


class ExtensionData(Schema):
    days: int | None = None


class ResultData(Schema):
    result: str = ""


class VerifyData(Schema):
    passed: str = "1"  # "0", "false", "no" or empty: not passed → rework


class SatisfactionData(Schema):
    satisfaction: int | None = None


class SpawnData(Schema):
    type: str = ""
    parties: list[dict] = []  # {name, kind: person|organisation, phone, id_number, address}


def _body(name, data_schema):
    return type(
        f"Case{name.title().replace('_', '')}In",
        (Schema,),
        {"__annotations__": {"note": str, "data": data_schema}, "note": "", "data": data_schema()},
    )


def _service(function):
    """A ``services`` function ``f(case, actor, *, note, data, attachments)`` as an action."""

    def run(case, actor, payload, attachments=()):
        data = {k: v for k, v in payload["data"].items() if v not in (None, "")}
        note = services.clean_text(payload["note"], field=_("说明"))
        return function(case, actor, note=note, data=data, attachments=attachments)

    return run


def _transition(name):
    def run(case, actor, payload, attachments=()):
        note = services.clean_text(payload["note"], field=_("说明"))
        case, _entry = apply(case, name, actor, note=note, attachments=attachments)
        return case

    return run


def _claim(case, actor, payload, attachments=()):
    return services.claim(case, actor)


def _not_visited_yet(case, actor):
    return not (case.state == "closed" and case.return_visited_at)


SERVICES = {
    "accept": (_service(services.accept), AcceptData),
    "reject": (_service(services.reject), ReasonData),
    "merge": (_service(services.merge), MergeData),
    "dispatch": (_service(services.dispatch), DispatchData),
    "claim": (_claim, NoData),
    "return": (_service(services.return_case), ReasonData),
    "request_extension": (_service(services.request_extension), ExtensionData),
    "resolve": (_service(services.resolve), ResultData),
    "verify": (_service(services.verify), VerifyData),
    "return_visit": (_service(services.return_visit), SatisfactionData),
    "spawn_dispute": (_service(services.spawn_action), SpawnData),
    "answer": (_service(services.answer_consultation), ResultData),
}
# Moves the resident makes with the tracking code, and the one the dispute link makes.
NOT_STAFF = {"add_info", "confirm", "rate", "request_reopen", "dispute_settled"}

registry = ActionRegistry("cases", flow=flow)
for transition in flow.transitions:
    if transition.name in NOT_STAFF:
        continue
    service, data = SERVICES.get(transition.name, (_transition(transition.name), NoData))
    registry.add(
        Action(
            transition.name,
            service,
            _body(transition.name, data),
            label=transition.label,
            show=_not_visited_yet if transition.name == "return_visit" else None,
        )
    )

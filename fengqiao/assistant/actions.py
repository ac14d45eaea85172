"""The assistant's staff vocabulary, written once (``core.actions``): action name → service, input
schema, permission. One registry for both kinds of record the staff act on:

* a hand-off (转人工): ``answer`` — the officer's reply, which also answers the 咨询 case;
* an alert (a flagged group message): ``to_case`` (一键转为事件) and ``dismiss`` (忽略).

It drives the detail pages' forms and buttons (``views.handoff_act`` / ``views.alert_act``,
``registry.available``), the JSON API (``POST /api/v1/assistant/handoffs/{handoff_id}/actions/
answer``, ``POST /api/v1/assistant/alerts/{alert_id}/actions/<name>``, one OpenAPI operation
each) and the permission shown on each. The services check permission and jurisdiction again, on
the locked row (``services.answer_handoff``, ``alert_to_case``, ``dismiss_alert``).
"""

from django.utils.translation import gettext_lazy as _l
from ninja import Field, Schema

from fengqiao.core.actions import Action, ActionRegistry, NoteIn

from . import services
from .models import Alert, Handoff

HANDOFF_PATH = "/handoffs/{id}/actions/{name}"
ALERT_PATH = "/alerts/{id}/actions/{name}"


class AnswerIn(Schema):
    reply: str = Field("", max_length=services.MAX_TEXT, description="答复（群众在查询页看到）")


class ToCaseIn(Schema):
    """Nothing to give: the case takes the alert's grid, message and category (by label code)."""


def _answer(handoff, actor, payload):
    return services.answer_handoff(handoff, payload["reply"], actor=actor)


def _to_case(alert, actor, payload):
    return services.alert_to_case(alert, actor=actor)


def _dismiss(alert, actor, payload):
    return services.dismiss_alert(alert, actor=actor, note=payload["note"])


def _open(record, actor):
    return record.status == "open"


registry = ActionRegistry(
    "assistant",
    actions=[
        Action(
            "answer",
            _answer,
            AnswerIn,
            "assistant.change_handoff",
            _l("答复"),
            show=_open,
            model=Handoff,
        ),
        Action(
            "to_case",
            _to_case,
            ToCaseIn,
            "assistant.change_alert",
            _l("一键转为事件"),
            show=_open,
            model=Alert,
        ),
        Action(
            "dismiss",
            _dismiss,
            NoteIn,
            "assistant.change_alert",
            _l("忽略"),
            show=_open,
            model=Alert,
        ),
    ],
)

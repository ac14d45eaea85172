"""Fieldwork's staff vocabulary, written once (``core.actions``): action name → service, input
schema, permission. One registry for the two kinds of existing record staff act on:

* a starred field note (民情笔记): ``done`` — the follow-up done, with what was done;
* a patrol log (巡防日志): ``to_case`` — its finding becomes a case (source: patrol).

It drives the pages' forms (``views.note_act`` / ``views.patrol_act``, ``registry.available`` for
the buttons), the JSON API (``POST /api/v1/fieldwork/follow-ups/{note_id}/actions/done``, ``POST
/api/v1/fieldwork/patrols/{log_id}/actions/to_case``, one OpenAPI operation each) and the
permission shown on each. Visits, notes, patrol logs and activities are created, not acted on:
their ``POST`` collections stay plain service calls. The services check again on the locked row
(``core.workflow.locked``): a second ``done`` or ``to_case`` is a 409.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from ninja import Field, Schema

from fengqiao.core.actions import Action, ActionRegistry
from fengqiao.core.errors import NotFound
from fengqiao.org.models import Place

from . import services
from .models import FieldNote, PatrolLog

NOTE_PATH = "/follow-ups/{id}/actions/{name}"
PATROL_PATH = "/patrols/{id}/actions/{name}"


class DoneIn(Schema):
    result: str = Field("", max_length=2000, description="跟进结果（必填）")


class LogCaseIn(Schema):
    place_id: int = Field(description="案事件所在地点（本人辖区内的网格）")
    category: str = Field(description="事件类别代码")
    description: str = Field("", max_length=4000)


def _done(note, actor, payload):
    return services.close_follow_up(actor, note, result=payload["result"])


def _to_case(log, actor, payload):
    place = Place.objects.restrict(actor).filter(pk=payload["place_id"]).first()
    if place is None:
        raise NotFound(_("地点不存在或无权访问"))
    return services.patrol_to_case(
        actor, log, place=place, category=payload["category"], description=payload["description"]
    )


def _case_form(request):
    """The patrol page's form names the grid ``place``."""
    post = request.POST
    payload = {"category": post.get("category", ""), "description": post.get("description", "")}
    place = post.get("place_id") or post.get("place")
    if place not in (None, ""):
        payload["place_id"] = place
    return payload


def _follow_up_open(note, actor):
    return note.starred and note.followed_up_at is None


def _not_reported(log, actor):
    return not log.case_id


registry = ActionRegistry(
    "fieldwork",
    actions=[
        Action(
            "done",
            _done,
            DoneIn,
            "fieldwork.change_fieldnote",
            _l("完成跟进"),
            transitions=(),
            show=_follow_up_open,
            model=FieldNote,
        ),
        Action(
            "to_case",
            _to_case,
            LogCaseIn,
            "cases.add_case",
            _l("转为案事件"),
            transitions=(),
            show=_not_reported,
            from_form=_case_form,
            model=PatrolLog,
        ),
    ],
)

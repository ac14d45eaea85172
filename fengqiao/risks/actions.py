"""The risk actions, written once (``core.actions``): the detail page's forms and buttons and the
API's ``POST /api/v1/risks/{risk_id}/actions/<name>`` operations both go through ``registry``."""

from datetime import date

from django.utils.translation import gettext_lazy
from ninja import Schema

from fengqiao.core.actions import Action, ActionRegistry, NoteIn

from . import services
from .workflow import flow


class ApproveIn(Schema):
    level: str = ""
    note: str = ""


class CityIn(Schema):
    city_reference: str = ""
    note: str = ""


class LevelIn(Schema):
    to_level: str = ""
    note: str = ""


class HandOverIn(Schema):
    department_id: int | None = None
    matter: str = ""


class ReopenIn(Schema):
    level: str = ""
    note: str = ""


class TaskForceIn(Schema):
    leader_id: int | None = None
    member_ids: list[int] = []
    plan: str = ""


class RiskLogIn(Schema):
    text: str = ""
    day: date | None = None


def _plain(name):
    def run(risk, actor, p, **context):
        return services.act(risk, name, actor, note=p.get("note", ""))

    return run


registry = ActionRegistry(
    "risks",
    flow=flow,
    actions=[
        Action(
            "approve",
            lambda r, a, p, **c: services.approve(r, a, level=p["level"], note=p["note"]),
            ApproveIn,
            "risks.review_risk",
        ),
        Action("return", _plain("return"), NoteIn, "risks.review_risk"),
        Action("resubmit", _plain("resubmit"), NoteIn, "risks.apply_risk"),
        Action(
            "file_city",
            lambda r, a, p, **c: services.file_city(
                r, a, city_reference=p["city_reference"], note=p["note"]
            ),
            CityIn,
            "risks.file_risk",
        ),
        Action(
            "propose_level",
            lambda r, a, p, **c: services.propose_level(
                r, a, to_level=p["to_level"], reason=p["note"]
            ),
            LevelIn,
            "risks.propose_level",
        ),
        Action(
            "change_level",
            lambda r, a, p, **c: services.change_level(
                r, a, to_level=p["to_level"], reason=p["note"]
            ),
            LevelIn,
            "risks.approve_level",
            gettext_lazy("直接调整预警等级"),
            transitions=("propose_level",),
            button=False,
        ),
        Action(
            "approve_level",
            lambda r, a, p, **c: services.decide_level(r, a, approve=True, note=p["note"]),
            NoteIn,
            "risks.approve_level",
        ),
        Action(
            "reject_level",
            lambda r, a, p, **c: services.decide_level(r, a, approve=False, note=p["note"]),
            NoteIn,
            "risks.approve_level",
        ),
        Action(
            "task_force",
            lambda r, a, p, **c: services.create_task_force(
                r, a, leader=p["leader_id"], members=p["member_ids"], plan=p["plan"]
            ),
            TaskForceIn,
            "risks.manage_task_force",
            button=False,
        ),
        Action(
            "task_force_log",
            lambda r, a, p, **c: services.log_task_force(r, a, text=p["text"], day=p["day"]),
            RiskLogIn,
            "risks.log_task_force",
            gettext_lazy("专班日志"),
            transitions=(),
            button=False,
        ),
        Action(
            "hand_over",
            lambda r, a, p, **c: services.hand_over(
                r, a, department=p["department_id"], matter=p["matter"]
            ),
            HandOverIn,
            "risks.hand_over",
        ),
        Action(
            "request_close",
            lambda r, a, p, files=(), **c: services.request_close(
                r, a, note=p["note"], files=files
            ),
            NoteIn,
            "risks.request_close",
            # The evidence guard needs the files: the button follows the state alone.
            transitions=(),
            show=lambda r, a: r.state == "filed",
        ),
        Action("approve_close", _plain("approve_close"), NoteIn, "risks.review_risk"),
        Action("reject_close", _plain("reject_close"), NoteIn, "risks.review_risk"),
        Action(
            "reopen",
            lambda r, a, p, **c: services.reopen(r, a, note=p["note"], level=p["level"]),
            ReopenIn,
            "risks.apply_risk",
        ),
    ],
)

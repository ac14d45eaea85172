"""The registry's staff vocabulary, written once (``core.actions``): the foreigners' stays.

A stay is on the kernel (``registry.workflow.StayFlow``): ``check`` (现场核查, stops the 3-working-day
``onsite_check`` deadline) and ``cancel`` (注销, on departure). The registry drives the stay page's
forms and buttons (``views.stay_act``, ``registry.available``), the JSON API (``POST
/api/v1/registry/stays/{stay_id}/actions/<name>``, one OpenAPI operation each) and the permission
shown on each. The services check again on the locked row (``core.workflow.apply``): a second
check, or a check after cancelling, is a 409.
"""

from django.utils.translation import gettext_lazy as _l
from ninja import Field, Schema

from fengqiao.core.actions import Action, ActionRegistry

from . import services
from .workflow import flow

STAY_PATH = "/stays/{id}/actions/{name}"


class StayCheckIn(Schema):
    note: str = Field("", max_length=2000, description="核查情况（必填）")


class StayCancelIn(Schema):
    departed_on: str | None = Field(None, description="离开日期 YYYY-MM-DD（默认今天）")
    note: str = Field("", max_length=2000)


def _check(stay, actor, payload):
    return services.check_stay(actor, stay, note=payload["note"])


def _cancel(stay, actor, payload):
    return services.cancel_stay(
        actor, stay, departed_on=payload["departed_on"], note=payload["note"]
    )


registry = ActionRegistry(
    "registry",
    flow=flow,
    api_path=STAY_PATH,
    actions=[
        Action("check", _check, StayCheckIn, "registry.check_foreignerstay", _l("现场核查")),
        Action(
            "cancel", _cancel, StayCancelIn, "registry.change_foreignerstay", _l("注销（离开）")
        ),
    ],
)

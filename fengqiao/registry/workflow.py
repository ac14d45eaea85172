"""The foreigners' accommodation registration flow on the kernel.

reported → checked (the station's on-site check of a scattered registration, due within 3
working days: the ``onsite_check`` deadline) → cancelled on departure (also straight from
reported). Effects run on the locked row (``effect(row, move)``)."""

from django.utils.translation import gettext_lazy as _

from fengqiao.core.workflow import Transition, Workflow, register

from .models import ForeignerStay

CHECK_WORKING_DAYS = 3


def effect_check(row, move):
    row.checked_at = move.now
    row.checked_by = move.actor
    row.check_note = move.note


class StayFlow(Workflow):
    model = ForeignerStay
    transitions = (
        Transition(
            "check",
            source=("reported",),
            target="checked",
            label=_("现场核查"),
            permission="registry.check_foreignerstay",
            stops=("onsite_check",),
            effect=effect_check,
        ),
        Transition(
            "cancel",
            source=("reported", "checked"),
            target="cancelled",
            label=_("注销（离开）"),
            permission="registry.change_foreignerstay",
            stops=("onsite_check",),
        ),
    )

    def responsible(self, record):
        from fengqiao.org.services import staff_for_place

        return staff_for_place(record.place, ["community_officer"])


flow = register(StayFlow())

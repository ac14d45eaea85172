"""A minimal flow that exercises the kernel exactly as domain apps use it."""

from datetime import timedelta

from django.db import models

from fengqiao.core import workflow
from fengqiao.core.errors import ServiceError
from fengqiao.core.pii import EncryptedField
from fengqiao.core.scoping import ScopedModel
from fengqiao.core.workflow import EscalationPolicy, Step, Transition


class Ticket(ScopedModel):
    title = models.CharField(max_length=100)
    state = models.CharField(max_length=20, default="new")
    assignee = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.SET_NULL)
    result = models.TextField(blank=True)
    phone = EncryptedField(kind="phone", hash_field="phone_hash")
    phone_hash = models.CharField(max_length=64, blank=True)
    id_number = EncryptedField(kind="id_number")

    class Meta:
        app_label = "kernelapp"
        permissions = [("work_ticket", "work on tickets")]

    def __str__(self):
        return self.title

    @classmethod
    def scope_assignment_q(cls, user, action):
        return models.Q(assignee=user)


def _no_self_review(record, actor, data):
    if record.assignee_id == getattr(actor, "pk", None):
        raise ServiceError("no self review", code="self_review")


workflow.register_policy(
    EscalationPolicy(
        "ticket",
        (
            Step(timedelta(0), "yellow", "黄牌"),
            Step(timedelta(hours=1), "red", "红牌"),
        ),
    )
)


class TicketFlow(workflow.Workflow):
    model = Ticket
    transitions = (
        Transition(
            "claim",
            ("new",),
            "claimed",
            "签收",
            permission="kernelapp.work_ticket",
            starts=("resolve",),
        ),
        Transition("note", ("claimed",), None, "备注", required=("note",)),
        Transition(
            "resolve",
            ("claimed",),
            "resolved",
            "办结",
            permission="kernelapp.work_ticket",
            required=("result",),
            stops=("resolve",),
        ),
        Transition("review", ("resolved",), "closed", "核查", guard=_no_self_review),
    )

    def effects(self, record, transition, actor, data, now):
        if transition.name == "claim":
            record.assignee = actor
        if transition.name == "resolve":
            record.result = data["result"]

    def deadline_due(self, record, kind, now):
        return now + timedelta(hours=2)

    def deadline_policy(self, record, kind):
        return "ticket"

    def responsible(self, record):
        return [record.assignee] if record.assignee else []


flow = workflow.register(TicketFlow())

"""A minimal flow that exercises the kernel exactly as domain apps use it."""

from datetime import timedelta

from django.db import models

from fengqiao.core import workflow
from fengqiao.core.errors import Conflict, ServiceError
from fengqiao.core.models import DeadlineTracked
from fengqiao.core.pii import EncryptedField
from fengqiao.core.scoping import ScopedModel
from fengqiao.core.workflow import EscalationPolicy, Step, Transition


class Ticket(DeadlineTracked, ScopedModel):
    title = models.CharField(max_length=100)
    state = models.CharField(max_length=20, default="new")
    assignee = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.SET_NULL)
    result = models.TextField(blank=True)
    phone = EncryptedField(kind="phone", hash_field="phone_hash")
    phone_hash = models.CharField(max_length=64, blank=True)
    id_number = EncryptedField(kind="id_number")
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "kernelapp"
        permissions = [("work_ticket", "work on tickets")]

    def __str__(self):
        return self.title

    @classmethod
    def scope_assignment_q(cls, user, action):
        return models.Q(assignee=user)


def _no_self_review(record, move):
    if record.assignee_id == getattr(move.actor, "pk", None):
        raise ServiceError("no self review", code="self_review")


def _claim(record, move):
    record.assignee = move.actor


def _resolve(record, move):
    record.result = move.data["result"]


def _under_three_attempts(record, move):
    if record.attempts >= 3:
        raise Conflict("three attempts already", code="too_many_attempts")


def _count_attempt(record, move):
    record.attempts += 1


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
            effect=_claim,
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
            effect=_resolve,
        ),
        Transition("review", ("resolved",), "closed", "核查", guard=_no_self_review),
        # A move that may happen at most three times (the shape of a dispute's next level).
        Transition(
            "attempt",
            ("claimed",),
            None,
            "再试一次",
            guard=_under_three_attempts,
            effect=_count_attempt,
            stops=("resolve",),
            starts=("resolve",),
        ),
    )

    def deadline_due(self, record, kind, now):
        return now + timedelta(hours=2)

    def deadline_policy(self, record, kind):
        return "ticket"

    def responsible(self, record):
        return [record.assignee] if record.assignee else []


flow = workflow.register(TicketFlow())

"""Shared by the disputes pages: the querysets ``core.authz.authorize`` scopes (404 out of scope)."""

from ..models import Agreement, Dispute, Hearing, JointTask

DISPUTES = Dispute.objects.select_related("type", "place", "mediator")
AGREEMENTS = Agreement.objects.select_related("dispute")
HEARINGS = Hearing.objects.select_related("attempt__dispute__place", "chair")
TASKS = JointTask.objects.select_related("department", "attempt__dispute")

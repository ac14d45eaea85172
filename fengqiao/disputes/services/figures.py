"""Dispute figures."""

from __future__ import annotations

from ..models import (
    Dispute,
)
from ._common import _need


# -- figures ----------------------------------------------------------------------------------
def figures(actor, *, start=None, end=None):
    """Dispute figures over what ``actor`` may see (optionally registered in [start, end))."""
    _need(actor, "disputes.view_dispute_figures")
    rows = Dispute.objects.restrict(actor)
    if start:
        rows = rows.filter(registered_at__gte=start)
    if end:
        rows = rows.filter(registered_at__lt=end)
    return compute_figures(rows)


def compute_figures(rows):
    """The dispute figures live in the one figures module (``insights.figures``)."""
    from fengqiao.insights.figures import dispute_figures

    return dispute_figures(rows)


def _ratio(a, b):
    return round(a / b, 4) if b else None

"""Dispute labels in the reader's language (no bare level codes such as "L3" on a page)."""

from django import template

from ..models import LEVEL_SHORT

register = template.Library()


@register.filter
def level_label(level):
    """A ladder level → its short name (跟上调 / Follow-up mediation), or "—"."""
    try:
        return LEVEL_SHORT[int(level)]
    except (KeyError, TypeError, ValueError):
        return "—"

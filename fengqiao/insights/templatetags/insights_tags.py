"""Percentages as percentages, changes with their sign."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


def fmt_value(value, kind="rate"):
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "hours":
        return f"{value:.1f}"
    return str(value)


def fmt_change(value, kind="count"):
    """+5.0 个百分点 for rates, +25.0% for counts and hours, — when there is nothing to compare."""
    if value is None:
        return "—"
    if kind == "rate":
        return _("%(sign)s%(n).1f个百分点") % {"sign": "+" if value >= 0 else "", "n": value * 100}
    return f"{'+' if value >= 0 else ''}{value * 100:.1f}%"


@register.filter
def pct(value):
    return fmt_value(value, "rate")


@register.filter
def kpi(value, kind):
    return fmt_value(value, kind)


@register.filter
def delta(value, kind):
    return fmt_change(value, kind)


@register.filter
def trend_class(value):
    if value is None or value == 0:
        return "flat"
    return "up" if value > 0 else "down"


@register.filter
def get(mapping, key):
    """``mapping[key]`` in a template (None when absent)."""
    return mapping.get(key) if hasattr(mapping, "get") else None

"""Numbers as readers expect them: shares and scores as percentages, never raw decimals (0.83)."""

from django import template

register = template.Library()


@register.filter
def percent(value, digits=0):
    """0.834 → "83%" (``|percent:1`` → "83.4%"); empty for no value."""
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value) * 100:.{int(digits)}f}%"
    except (TypeError, ValueError):
        return "—"

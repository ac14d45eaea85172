"""Template filters for personal data: ``{{ value|masked }}`` — always the masked form."""

from django import template

from fengqiao.core import pii

register = template.Library()


@register.filter
def masked(value, kind=None):
    if isinstance(value, pii.Sensitive):
        return value.masked
    return pii.mask(str(value or ""), kind or "text")

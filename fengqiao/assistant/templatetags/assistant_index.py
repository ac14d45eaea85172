"""``{% assistant_index_status %}``: how far the law import and the embedding are (staff pages)."""

from django import template

register = template.Library()


@register.inclusion_tag("assistant/_index_status.html")
def assistant_index_status():
    from fengqiao.assistant import indexing

    return {"s": indexing.status()}

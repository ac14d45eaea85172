"""Shared by the case services: text and coordinate checks, categories."""

from __future__ import annotations

import math
import re

from django.utils.translation import gettext as _

from fengqiao.core.errors import ServiceError

from ..models import Category

MAX_DESCRIPTION = 4000  # Open311's limit; the same for every channel
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
# Any international number, loosely: an optional +, digits and the usual separators, 5–20 digits.
LOOSE_PHONE_RE = re.compile(
    r"^\+?(?:[\s().\-/]*\d){5,20}[\s().\-/]*(?:(?:ext\.?|x|#)\s*\d{1,6})?$", re.I
)


def clean_text(value, *, field, required=False, max_length=MAX_DESCRIPTION):
    """Trimmed text without control characters. HTML is kept as typed and escaped on output."""
    text = CONTROL_CHARS.sub("", str(value or "")).strip()
    if required and not text:
        raise ServiceError(
            _("请填写%(field)s") % {"field": field}, code="required", details={"field": field}
        )
    if len(text) > max_length:
        raise ServiceError(
            _("%(field)s不能超过 %(n)d 个字") % {"field": field, "n": max_length},
            code="too_long",
            details={"field": field},
        )
    return text


def _coord(value, low, high, field):
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ServiceError(
            _("坐标格式不正确"), code="invalid_location", details={"field": field}
        ) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ServiceError(_("坐标超出范围"), code="invalid_location", details={"field": field})
    return number


def category_by_code(code):
    category = Category.objects.filter(code=str(code or "").strip(), active=True).first()
    if category is None:
        raise ServiceError(
            _("未知的事件类别：%(code)s") % {"code": str(code)[:40]},
            code="unknown_category",
            details={"field": "category"},
        )
    if category.children.filter(active=True).exists():
        raise ServiceError(
            _("请选择具体的类别（%(name)s 下的小类）") % {"name": category.name},
            code="category_not_leaf",
            details={"field": "category"},
        )
    return category


def categories():
    """Active categories in tree order: [(parent, [children])] with leaves as their own group."""
    rows = list(Category.objects.filter(active=True).order_by("sort", "code"))
    children = {}
    for row in rows:
        if row.parent_id:
            children.setdefault(row.parent_id, []).append(row)
    return [(row, children.get(row.pk, [])) for row in rows if not row.parent_id]


def leaf_categories():
    rows = list(Category.objects.filter(active=True).select_related("parent"))
    parents = {row.parent_id for row in rows if row.parent_id}
    return [row for row in rows if row.pk not in parents]

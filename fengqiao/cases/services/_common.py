"""Shared by the case services: text and coordinate checks, categories."""

from __future__ import annotations

import copy
import math
import re

from django.utils.translation import gettext as _

from fengqiao.core import caching
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


CATEGORY_TTL = 300  # seconds; any change to a category drops it at once (cases.apps signals)


def _active_categories():
    """Every active category (parents selected) and the ids of those with active children."""
    rows = list(Category.objects.filter(active=True).select_related("parent"))
    parents = {row.parent_id for row in rows if row.parent_id}
    return {"rows": rows, "parents": parents}


def _category_table():
    """The active categories as reference data, through ``core.caching`` (topic ``categories``)."""
    return caching.remember(
        "cases.categories", _active_categories, timeout=CATEGORY_TTL, topics=("categories",)
    )


def category_by_code(code):
    """The active leaf category with ``code`` (a copy: callers may attach it to a new case)."""
    code = str(code or "").strip()
    table = _category_table()
    category = next((row for row in table["rows"] if row.code == code), None)
    if category is None:
        raise ServiceError(
            _("未知的事件类别：%(code)s") % {"code": str(code)[:40]},
            code="unknown_category",
            details={"field": "category"},
        )
    if category.pk in table["parents"]:
        raise ServiceError(
            _("请选择具体的类别（%(name)s 下的小类）") % {"name": category.name},
            code="category_not_leaf",
            details={"field": "category"},
        )
    return copy.copy(category)


def categories():
    """Active categories in tree order: [(parent, [children])] with leaves as their own group."""
    rows = list(Category.objects.filter(active=True).order_by("sort", "code"))
    children = {}
    for row in rows:
        if row.parent_id:
            children.setdefault(row.parent_id, []).append(row)
    return [(row, children.get(row.pk, [])) for row in rows if not row.parent_id]


def leaf_categories():
    """Active leaf categories, read fresh (pages, the Open311 catalogue and its changeset)."""
    rows = list(Category.objects.filter(active=True).select_related("parent"))
    parents = {row.parent_id for row in rows if row.parent_id}
    return [row for row in rows if row.pk not in parents]


def leaf_category(code):
    """The active leaf category with ``code`` or None, from the cached table (intake)."""
    table = _category_table()
    code = str(code or "").strip()
    for row in table["rows"]:
        if row.code == code and row.pk not in table["parents"]:
            return copy.copy(row)
    return None

"""Read side of the case lists (issue 15): one page of a queue as plain rows, at a constant cost.

A page is one ``SELECT`` of the list columns (``values()``: no model instances, no joins, no
encrypted columns); the labels every row shows — the state's label in the active language, the
category's code and name, the grid's code — come from small tables computed once per language
or remembered as reference data (``core.caching``: topics ``categories`` and ``places``), so a
row costs a few dictionary lookups, never a translation, a join or a query.

    rows = queries.page_rows(Case.objects.restrict(user).filter(...), start, stop)

Pages (the JSON API's list, the HTML queues) share :func:`queue_filter` for "my queue".
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import translation

from fengqiao.core import caching
from fengqiao.org.lookups import place_by_id

from .models import Case, Category

LIST_COLUMNS = (
    "id",
    "state",
    "source",
    "category_id",
    "urgency",
    "description",
    "location_text",
    "lat",
    "lng",
    "place_id",
    "department_id",
    "team_id",
    "assignee_id",
    "reported_at",
    "next_due_at",
    "handle_due_at",
    "supervision_level",
    "duplicate_of_id",
    "likely_duplicate_of_id",
)

_STATE_LABELS: dict[str, dict[str, str]] = {}


def state_labels() -> dict[str, str]:
    """{state: label} in the active language, translated once per language per process."""
    language = translation.get_language() or ""
    labels = _STATE_LABELS.get(language)
    if labels is None:
        labels = {value: str(label) for value, label in Case.State.choices}
        _STATE_LABELS[language] = labels
    return labels


def _all_categories():
    return {
        pk: (code, name) for pk, code, name in Category.objects.values_list("id", "code", "name")
    }


def category_labels() -> dict[int, tuple[str, str]]:
    """{category id: (code, name)} of every category (inactive ones too: old cases keep them)."""
    return caching.remember(
        "cases.category_labels", _all_categories, timeout=300, topics=("categories",)
    )


def _all_units():
    from fengqiao.org.models import Department

    return dict(Department.objects.values_list("id", "name"))


def department_names() -> dict[int, str]:
    """{department id: name}, remembered (topic ``units``: any department saved or deleted)."""
    return caching.remember("cases.department_names", _all_units, timeout=300, topics=("units",))


def queue_filter(user, team_ids=()) -> Q:
    """ "My queue": assigned to me, dispatched to my department or team, and (for place-scoped
    verifiers) everything resolved in my jurisdiction waiting for verification."""
    mine = Q(assignee_id=user.pk)
    if user.department_id:
        mine |= Q(department_id=user.department_id, state="dispatched")
    if team_ids:
        mine |= Q(team_id__in=list(team_ids), state="dispatched")
    if user.has_perm("cases.verify_case") and user.has_place_scope():
        mine |= Q(state="resolved")
    return mine


def my_queue(user, tab="mine"):
    """我的工单 (the HTML queue): open cases in ``user``'s jurisdiction — with ``tab='mine'``
    only :func:`queue_filter`'s — nearest deadline first (walks the partial index
    ``case_open_due``; EXPLAIN checked in tests/cases/test_plans.py)."""
    rows = Case.objects.restrict(user).filter(state__in=Case.OPEN_STATES)
    if tab == "mine":
        team_ids = list(user.team_memberships.values_list("team_id", flat=True))
        rows = rows.filter(queue_filter(user, team_ids))
    return rows.order_by("next_due_at", "id")


def page_rows(queryset, start, stop) -> list[dict]:
    """Rows ``start:stop`` of ``queryset`` (already scoped, filtered and ordered) as dicts with
    the list columns and their labels: ``number``, ``state_label``, ``category``,
    ``category_name``, ``place_code``, ``place_name``, ``unit`` (the department's name),
    ``due_at`` (the kernel's ``next_due_at``)."""
    rows = list(queryset.values(*LIST_COLUMNS)[start:stop])
    if not rows:
        return rows
    labels = state_labels()
    categories = category_labels()
    places: dict[int, tuple[str, str]] = {}
    units = None
    for row in rows:
        row["number"] = f"FQ{row['id']:08d}"
        row["state_label"] = labels.get(row["state"], row["state"])
        row["category"], row["category_name"] = categories.get(row["category_id"], ("", ""))
        place_id = row["place_id"]
        if place_id not in places:
            place = place_by_id(place_id)
            places[place_id] = (place.code, place.name) if place is not None else ("", "")
        row["place_code"], row["place_name"] = places[place_id]
        row["due_at"] = row["next_due_at"]
        if row["department_id"] is None:
            row["unit"] = ""
        else:
            if units is None:
                units = department_names()
            row["unit"] = units.get(row["department_id"], "")
    return rows

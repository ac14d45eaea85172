"""The place tree as reference data for hot paths (intake): places by code or id without a query.

The tree's slim columns (id, code, name, level, parent, path) are remembered through
``core.caching`` under the ``places`` topic, which every save or delete of a place invalidates
(``org.invalidation``). Places come back as real ``Place`` instances whose other columns (the
boundary, the centre) are deferred: they load on first access, like ``.only()``.
"""

from __future__ import annotations

from fengqiao.core import caching

from .models import Place

TTL = 300  # seconds; any change to a place drops it at once
_FIELDS = ("id", "code", "name", "level", "parent_id", "path")


def _rows():
    rows = Place.objects.values_list(*_FIELDS)
    return {"by_code": {r[1]: r for r in rows}}


def _tree():
    tree = caching.remember("org.places.tree", _rows, timeout=TTL, topics=("places",))
    if "by_id" not in tree:  # built once per process from the shared copy
        tree["by_id"] = {r[0]: r for r in tree["by_code"].values()}
    return tree


def _place(row):
    return Place.from_db("default", list(_FIELDS), list(row)) if row is not None else None


def place_by_code(code, level=None):
    """The place with ``code`` (and ``level``, when given), or None."""
    row = _tree()["by_code"].get(str(code or "").strip())
    if row is None or (level is not None and row[3] != level):
        return None
    return _place(row)


def place_by_id(pk):
    return _place(_tree()["by_id"].get(pk))


def ancestor_at(place, level):
    """The nearest of ``place`` and its ancestors whose level is ``level`` or above (a county for
    a grid; the city where a place has no county above it), or None; from the cache."""
    by_id = _tree()["by_id"]
    row = by_id.get(place.pk)
    while row is not None and row[3] > level:
        row = by_id.get(row[4])
    return _place(row)

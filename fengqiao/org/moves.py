"""Places that move: a new parent (``move_place``) or a new code (``recode_place``).

A place's ``path`` is the chain of codes from the root, and every scoped record keeps a copy of
its place's path (``place_path``) for fast prefix scoping. A move or a recode therefore rewrites,
in one transaction, the paths of the whole subtree *and* every stored copy: one bulk
``UPDATE … SET f = new || substr(f, len(old) + 1) WHERE f LIKE 'old%'`` per table, the same on
SQLite and PostgreSQL. The tables are found, not listed: every concrete model field named
``place_path`` (see :func:`path_copies`), so a new app's records follow without being registered.
"""

import re

from django.apps import apps
from django.db import transaction
from django.db.models import CharField, F, Max, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.translation import gettext as _

from fengqiao.core import audit, caching
from fengqiao.core.errors import Conflict, Forbidden, ServiceError

from .models import Place

CODE_RE = re.compile(r"^[0-9A-Za-z_-]{1,24}$")
PATH_LENGTH = Place._meta.get_field("path").max_length


def path_copies():
    """``(model, field name)`` of every stored place path: ``Place.path`` first, then every
    concrete field named ``place_path`` in any installed model — those of tables with a
    ``place_id`` before those without (copies taken from another record: deadlines, supervision
    cards, import jobs), so a move that waited for a record's lock sees what was written with it
    (``org.pathguard``)."""
    bound, derived = [], []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        columns = {f.column for f in model._meta.local_concrete_fields}
        for f in model._meta.local_concrete_fields:
            if f.name == "place_path":
                (bound if "place_id" in columns else derived).append((model, f.name))
    return [(Place, "path"), *bound, *derived]


def move_place(place, new_parent, actor):
    """Put ``place`` (with its subtree and every record in it) under ``new_parent``."""
    with transaction.atomic():
        place, new_parent = _lock(place), _lock(new_parent)
        _check_actor(actor)
        if new_parent.path.startswith(place.path):
            raise ServiceError(_("不能移到自身或其下级之下"), code="invalid_parent")
        if new_parent.level != place.level - 1:
            raise ServiceError(_("上级必须比本级高一级"), code="invalid_level")
        if new_parent.pk == place.parent_id:
            raise ServiceError(_("已在该上级之下"), code="unchanged")
        return _relocate(place, actor, "place.move", parent=new_parent, code=place.code)


def recode_place(place, new_code, actor):
    """Give ``place`` a new code; the paths of its subtree and records follow."""
    new_code = (new_code or "").strip()
    with transaction.atomic():
        place = _lock(place)
        _check_actor(actor)
        if not CODE_RE.match(new_code):
            raise ServiceError(_("代码只能由字母、数字、-、_ 组成（1–24 位）"), code="invalid_code")
        if new_code == place.code:
            raise ServiceError(_("代码未改变"), code="unchanged")
        if Place.objects.filter(code=new_code).exists():
            raise Conflict(_("代码已被占用：%(code)s") % {"code": new_code}, code="code_taken")
        return _relocate(place, actor, "place.recode", parent=place.parent, code=new_code)


def _lock(place):
    return Place.objects.select_for_update().get(pk=place.pk)


def _check_actor(actor):
    """``actor=None`` is the operator on the server's command line (``fengqiao place``)."""
    if actor is not None and not actor.has_perm("org.change_place"):
        raise Forbidden(_("无权调整行政区划/网格"))


def _relocate(place, actor, action, *, parent, code):
    old = place.path
    # Lock the whole subtree: a record being written in it right now holds a KEY SHARE lock on
    # its place (org.pathguard's trigger), so the move waits for it to commit and then rewrites it
    # too; one written after this waits for the move and takes the new path.
    list(Place.objects.select_for_update().filter(path__startswith=old).values_list("pk"))
    new = f"{parent.path if parent else '/'}{code}/"
    deepest = Place.objects.filter(path__startswith=old).aggregate(n=Max(Length("path")))["n"]
    if deepest - len(old) + len(new) > PATH_LENGTH:
        raise ServiceError(_("层级路径过长"), code="path_too_long")
    Place.objects.filter(pk=place.pk).update(parent=parent, code=code)
    rows = _rewrite(old, new)
    audit.record(
        action,
        user=actor,
        target=place,
        data={"from": old, "to": new, "rows": rows, "via": "web" if actor else "cli"},
    )
    caching.invalidate("places", "roles")
    # Again after the commit: a reader that refilled the cache from the old paths while the move
    # was under way must not keep them.
    transaction.on_commit(lambda: caching.invalidate("places", "roles"))
    place.refresh_from_db()
    return place


def _rewrite(old, new):
    """Replace the prefix ``old`` by ``new`` in every stored path; ``{table.field: rows}``."""
    counts = {}
    for model, field in path_copies():
        value = Concat(Value(new), Substr(F(field), len(old) + 1), output_field=CharField())
        rows = model._base_manager.filter(**{f"{field}__startswith": old}).update(**{field: value})
        if rows:
            counts[f"{model._meta.label_lower}.{field}"] = rows
    return counts

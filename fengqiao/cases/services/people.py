"""Who is told: the unit, dispatchers, leaders, verifiers (cached for the sweep)."""

from __future__ import annotations

from fengqiao.core import caching
from fengqiao.org.models import Place, User
from fengqiao.org.services import staff_for_place


# -- people to tell ---------------------------------------------------------------------------
def unit_staff(case):
    if case.department_id:
        return list(
            User.objects.filter(department_id=case.department_id, is_active=True).order_by("id")
        )
    if case.team_id:
        return list(
            User.objects.filter(team_memberships__team_id=case.team_id, is_active=True).order_by(
                "id"
            )
        )
    return []


def _place(case):
    return (
        case.place if "place" in case._state.fields_cache else Place.objects.get(pk=case.place_id)
    )


def dispatchers_for(case):
    return staff_for_place(_place(case), ["dispatcher"])


def leaders_for(case):
    return staff_for_place(_place(case), ["leader"])


def verifiers_for(case):
    return staff_for_place(_place(case), ["grid_worker"])


PEOPLE_TTL = 60  # seconds; role, jurisdiction and place changes drop it at once (core.caching)


def _remember(key, compute):
    name = ":".join(str(part) for part in key)
    return caching.remember(
        f"cases.people:{name}", compute, timeout=PEOPLE_TTL, topics=("roles", "places")
    )


def _role_people(role):
    """(user id, jurisdiction paths) of every active user holding ``role``."""
    users = User.objects.filter(groups__name=role, is_active=True).distinct().order_by("id")
    return [(user.pk, user.scope_paths()) for user in users]


def _covering_ids(case, role):
    people = _remember(("role", role), lambda: _role_people(role))
    return [pk for pk, paths in people if any(case.place_path.startswith(p) for p in paths)]


def covering(case, role):
    """Active users with ``role`` whose jurisdiction covers the case's place. Who holds the role
    where is cached for a minute; the users themselves are re-read (one primary-key query)."""
    ids = _covering_ids(case, role)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("id")) if ids else []


def cached_responsible(batch, case, level):
    """Recipients of a supervision card: the unit, the dispatchers covering the place and, from
    red on, its leaders — looked up once per unit and role per sweep batch, not once per case."""
    memo = batch.memo.setdefault("case_people", {})
    key = ("unit", case.department_id, case.team_id)
    if key not in memo:
        memo[key] = unit_staff(case)
    people = list(memo[key])
    for role in ("dispatcher", "leader") if level >= 2 else ("dispatcher",):
        ids = _covering_ids(case, role)
        missing = [pk for pk in ids if ("user", pk) not in memo]
        if missing:
            found = {u.pk: u for u in User.objects.filter(pk__in=missing, is_active=True)}
            for pk in missing:
                memo[("user", pk)] = found.get(pk)
        people += [memo[("user", pk)] for pk in ids if memo[("user", pk)] is not None]
    return people

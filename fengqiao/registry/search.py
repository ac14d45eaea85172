"""Scoped search over base information by name, ID number, phone or address.

* An ID number (18 characters, or the last 4+ characters never: no partial ID search) or a phone
  number is looked up by its keyed hash (``core.pii.blind_index``): exact, indexed, no clear text.
* Names and addresses: Chinese text, normalised (NFKC: full-width digits and letters become
  ASCII). A person's name matches by prefix (``LIKE '张%'`` on the btree pattern index: surname or
  full name); an address or unit name by substring (two characters or more), served on
  PostgreSQL by pg_trgm GIN indexes (migration 0002). People and units at a matching address are
  found by address id, so no query joins a LIKE across tables. Several words must all match,
  e.g. ``张 枫溪路12号`` (a 张 living at that address).
Everything goes through ``restrict(user)``: a search never finds a record out of scope.
"""

import re
import unicodedata

from django.db.models import Q

from fengqiao.core import pii

from .models import Address, House, Person, Unit

LIMIT = 50
ADDRESS_FANOUT = 500
ID_LIKE = re.compile(r"^\d{17}[\dXx]$")
PHONE_LIKE = re.compile(r"^(\+?86)?1\d{10}$|^0\d{2,3}-?\d{7,8}$")


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _text_q(field, term):
    return (
        Q(**{f"{field}__startswith": term}) if len(term) < 2 else Q(**{f"{field}__contains": term})
    )


def search(user, query, *, kind="all", limit=LIMIT):
    query = normalise(query)[:100]
    out = {"people": [], "houses": [], "units": [], "addresses": [], "by": "text"}
    if not query:
        return out
    compact = query.replace(" ", "")
    people = Person.objects.restrict(user).select_related("address")
    units = Unit.objects.restrict(user).select_related("address")
    houses = House.objects.restrict(user).select_related("address")
    addresses = Address.objects.restrict(user)
    if ID_LIKE.match(compact):
        out["by"] = "id_number"
        out["people"] = list(people.filter(id_hash=pii.blind_index(compact, "id_number"))[:limit])
        return out
    if PHONE_LIKE.match(compact):
        out["by"] = "phone"
        digest = pii.blind_index(compact, "phone")
        out["people"] = list(people.filter(phone_hash=digest)[:limit])
        out["units"] = list(units.filter(security_phone_hash=digest)[:limit])
        return out
    terms = [t for t in query.split() if t][:4]
    person_q, unit_q, house_q, address_q = Q(), Q(), Q(), Q()
    all_words = Q()
    for term in terms:
        # Addresses matching the term (cumulative full names: a building's rooms match too),
        # found once through the trigram index; people and units then join by address id.
        address_ids = list(
            addresses.filter(_text_q("full_name", term) | Q(code=term)).values_list(
                "pk", flat=True
            )[:ADDRESS_FANOUT]
        )
        person_q &= Q(name__startswith=term) | Q(address_id__in=address_ids)
        unit_q &= _text_q("name", term) | Q(address_id__in=address_ids)
        house_q &= Q(address_id__in=address_ids)
        address_q &= Q(pk__in=address_ids)
        all_words &= _text_q("full_name", term) | Q(code=term)
    if len(terms) > 1:
        # Each word alone may match more addresses than the fan-out keeps (a road's hundreds of
        # rooms): the addresses matching every word, found in one query, are never cut short.
        whole = list(addresses.filter(all_words).values_list("pk", flat=True)[:ADDRESS_FANOUT])
        person_q |= Q(address_id__in=whole)
        unit_q |= Q(address_id__in=whole)
        house_q |= Q(address_id__in=whole)
        address_q |= Q(pk__in=whole)
    if kind in ("all", "people"):
        out["people"] = list(people.filter(person_q).order_by("name", "id")[:limit])
    if kind in ("all", "units"):
        out["units"] = list(units.filter(unit_q).order_by("name", "id")[:limit])
    if kind in ("all", "houses"):
        out["houses"] = list(houses.filter(house_q).order_by("id")[:limit])
    if kind in ("all", "addresses"):
        out["addresses"] = list(addresses.filter(address_q).order_by("full_name", "id")[:limit])
    return out

"""Builders for base-information tests: valid ID numbers, an address tree in a grid, people."""

import itertools

from fengqiao.core import pii
from fengqiao.registry import services
from fengqiao.registry.models import Address

_seq = itertools.count(1)


def id_number(birth="19850312", region="339901", seq=None):
    """A GB 11643 ID number with the right check digit."""
    n = next(_seq) if seq is None else seq
    body = f"{region}{birth}{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, pii._ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def tree(grid, user, road="枫溪路12号"):
    """road → building → unit → room in ``grid``; returns the room (ancestors via .parent)."""
    r = services.create_address(user, place=grid, level=Address.Level.ROAD, name=road)
    b = services.create_address(user, parent=r, level=Address.Level.BUILDING, name="3幢")
    u = services.create_address(user, parent=b, level=Address.Level.UNIT, name="1单元")
    return services.create_address(user, parent=u, level=Address.Level.ROOM, name="201室")


def person(user, address, name="张三", **extra):
    extra.setdefault("id_number", id_number())
    return services.register_person(user, address=address, name=name, **extra)


def rental(user, address, **extra):
    return services.register_house(
        user, address=address, use="rental", is_rental=True, max_occupants=2, **extra
    )

"""The generated scoping matrix's contract.

Each domain app lists its scoped endpoints in ``tests/<app>/scoping_cases.py``::

    SCOPED = [ScopedEndpoint(name=..., make=..., list_urls=[...], detail_urls=..., marker=...,
                             url_names=[...])]

``make(grid, users)`` creates one record in ``grid`` through the app's services; ``users`` maps
role code → a user whose jurisdiction is that grid (so assignments stay inside the grid).
``level="village"`` entries are made in two sibling villages for users of each village.
``marker(record)`` is a string that shows in a list response exactly when the record is listed.
``url_names`` are the Django URL names (``"cases:detail"``) and API paths (``"/api/v1/cases/{case_id}"``)
that the entry covers: the matrix fails if a URL with a path parameter is covered by nobody.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ScopedEndpoint:
    name: str
    make: Callable[[Any, dict], Any]
    list_urls: list[str] = field(default_factory=list)
    detail_urls: Callable[[Any], list[str]] = lambda record: []
    marker: Callable[[Any], str] = lambda record: str(record.pk)
    url_names: list[str] = field(default_factory=list)
    # "grid" (default): records of two sibling grids, users of each grid. "village": records that
    # belong to a village as a whole (无案村 status), made in two sibling villages for users whose
    # jurisdiction is each village (``make`` also accepts a grid: its village).
    level: str = "grid"


# URLs (by name or route prefix) with path parameters that are not scoped-record endpoints, and why.
EXEMPT = {
    "admin/": "Django admin: only the admin roles, who have no business-data permissions",
    "web:reveal": "generic reveal; scope is checked by core.services.reveal (tests/core/test_pii.py)",
    "set_language": "no record",
    "registry:public_place": "public door-plate page: authority is the unguessable QR token; it shows only the address (tests/registry/test_stays.py)",
    "registry:public_stay": "public landlord/hotel report form of a door plate: token-addressed, throttled, shows no records (tests/registry/test_stays.py)",
    "web:role_request_decide": "role requests are account administration, not place records; the approver's coverage of every requested place is checked by org.services.decide_role_request (tests/security/test_separation.py)",
    "web:settings_list": "settings are county-wide reference data (categories, dispatch rules, dispute types, holidays), not place records; each section needs its model's view permission (tests/core/test_settings.py)",
    "web:settings_add": "settings are county-wide reference data; adding needs the model's add permission (tests/core/test_settings.py)",
    "web:settings_edit": "settings are county-wide reference data, not place records; editing needs the model's change permission (tests/core/test_settings.py)",
    "web:settings_delete": "settings are county-wide reference data; delete needs the model's delete permission (tests/core/test_settings.py)",
    "assistant:answer_edit": "standard answers are county-wide reference content, not per-grid records; edit needs assistant.change_standardanswer (tests/assistant/test_http.py)",
    "assistant:answer_delete": "standard answers are county-wide reference content, not per-grid records; delete needs assistant.delete_standardanswer (tests/assistant/test_http.py)",
}

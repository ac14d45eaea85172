"""The generated scoping matrix: every staff role × two sibling grids × every scoped endpoint.

A user whose jurisdiction is grid A must never see grid B's record in a list (nor in a list's
xlsx export: ``?format=xlsx`` URLs are read cell by cell), and must get 404
(or, without any permission for the page, 403) for its detail. A second test proves that every URL
and API path with a path parameter is covered by some app's ``scoping_cases.py`` or exempted.
"""

import importlib
import io
import pkgutil
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import load_workbook

import tests
from fengqiao.api import api
from fengqiao.core.exports import XLSX_TYPE
from fengqiao.org.roles import ROLES
from tests.conftest import login
from tests.scoping import EXEMPT


def _collect():
    endpoints = []
    for module in pkgutil.iter_modules(tests.__path__):
        if not module.ispkg:
            continue
        try:
            cases = importlib.import_module(f"tests.{module.name}.scoping_cases")
        except ModuleNotFoundError:
            continue
        endpoints.extend(cases.SCOPED)
    return endpoints


ENDPOINTS = _collect()


def sides(endpoint, county, users, users_b, make_user):
    """(place A, users of A, place B, users of B): two sibling grids, or two sibling villages for
    an endpoint of ``level="village"``."""
    if endpoint.level == "village":
        from tests.conftest import users_for_grid

        return (
            county.village,
            users_for_grid(make_user, county, county.village, "va"),
            county.other_village,
            users_for_grid(make_user, county, county.other_village, "vb"),
        )
    return county.grid_a, users, county.grid_b, users_b


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_no_record_leaks_to_a_sibling_grid(
    client, county, users, users_b, make_user, endpoint, role
):
    place_a, users_a, place_b, users_of_b = sides(endpoint, county, users, users_b, make_user)
    record_a = endpoint.make(place_a, users_a)
    record_b = endpoint.make(place_b, users_of_b)
    assert_b_hidden_from(client, users_a[role], role, endpoint, record_a, record_b)


def text_of(response):
    """A page's text, or every cell of an .xlsx export (the lists' ``?format=xlsx``)."""
    if response.get("Content-Type", "").startswith(XLSX_TYPE):
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return response.content.decode()


def assert_b_hidden_from(client, user, role, endpoint, record_a, record_b):
    """``user`` (jurisdiction grid A) sees B's record in no list and gets 404 for its details.
    Also used after places moved (tests/org/test_moves.py)."""
    login(client, user)
    for url in endpoint.list_urls:
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code == 200:
            assert endpoint.marker(record_b) not in text_of(response), f"{role} sees B in {url}"
    for url_a, url_b in zip(
        endpoint.detail_urls(record_a), endpoint.detail_urls(record_b), strict=True
    ):
        seen_a = client.get(url_a).status_code
        status_b = client.get(url_b).status_code
        assert status_b != 200, f"{role} opened {url_b}"
        if seen_a == 200:
            assert status_b == 404, f"{role}: out-of-scope {url_b} answered {status_b}, not 404"
        else:
            assert status_b in (302, 403, 404), f"{role}: {url_b} answered {status_b}"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_someone_in_grid_a_does_see_the_record(client, county, users, users_b, make_user, endpoint):
    """Guards the matrix itself: a marker that never shows would prove nothing."""
    place_a, users_a, _b, _users_b = sides(endpoint, county, users, users_b, make_user)
    record_a = endpoint.make(place_a, users_a)
    if not someone_lists(client, users_a, endpoint, record_a):
        pytest.fail(f"{endpoint.name}: no place-scoped role sees its own grid's record in any list")


def someone_lists(client, users, endpoint, record):
    """A place-scoped role of ``users`` sees ``record`` in one of the endpoint's lists."""
    for role in ("grid_worker", "community_officer", "dispatcher", "leader"):
        login(client, users[role])
        if any(endpoint.marker(record) in text_of(client.get(url)) for url in endpoint.list_urls):
            return True
    return False


def _django_routes(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _django_routes(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}" if entry.name else ""


def test_every_parameterised_route_is_covered():
    covered = {name for e in ENDPOINTS for name in e.url_names}
    missing = []
    for route, name in _django_routes():
        if not re.search(r"<[^>]+>|\(\?P<", route) or route.startswith("api/v1/"):
            continue
        if name in covered or any(name == x or route.startswith(x) for x in EXEMPT):
            continue
        missing.append(f"{route} ({name})")
    for path in api.get_openapi_schema()["paths"]:
        if "{" in path and path not in covered and path not in EXEMPT:
            missing.append(path)
    assert not missing, "routes with ids not in any scoping_cases.py: " + ", ".join(missing)

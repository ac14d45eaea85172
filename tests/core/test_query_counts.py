"""Pinned query counts of the foundation's pages and API lists: an N+1 regression fails here.

Each page is measured with several rows present so that a per-row query would show.
"""

import pytest

from fengqiao.core import audit, notifications
from tests.conftest import login


@pytest.fixture
def busy(users):
    for i in range(5):
        notifications.notify([users["grid_worker"], users["audit_admin"]], kind="t", title=f"n{i}")
        audit.record("test.event", user=users["grid_worker"])
    return users


PAGES = [
    ("grid_worker", "/", 15),  # + the fieldwork panel: weekly visit progress and open follow-ups
    ("grid_worker", "/inbox/", 12),
    ("audit_admin", "/audit/", 13),  # the shared list: rows + two facets, no count
    ("grid_worker", "/api/v1/places", 11),
    ("grid_worker", "/api/v1/notifications", 9),
    ("audit_admin", "/api/v1/audit-events", 11),
]


@pytest.mark.parametrize(("role", "url", "queries"), PAGES)
def test_query_count(client, busy, django_assert_num_queries, role, url, queries):
    login(client, busy[role])
    client.get(url)  # warm per-process caches (content types, permissions of the session)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200

"""Malformed or hostile input to the foundation's forms and API: a clear 4xx, never a 500."""

import pytest

from tests.conftest import login

HOSTILE = [
    "",
    "x" * 10000,
    "\x00\x01",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "９９",
    "-1",
    "1e309",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_login_form(client, db, value):
    response = client.post("/login/", {"username": value, "password": value})
    assert response.status_code in (200, 400, 403)
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_login_with_oversized_headers(client, db):
    response = client.post(
        "/login/", {"username": "nobody", "password": "x"}, HTTP_USER_AGENT="A" * 5000
    )
    assert response.status_code in (200, 403)


@pytest.mark.parametrize("value", HOSTILE)
def test_second_factor_form(client, users, value):
    client.force_login(users["leader"])
    response = client.post("/login/second-factor/", {"token": value})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/places/99999999999999999999999",
        "/api/v1/places/-1",
        "/api/v1/places/abc",
        "/api/v1/places?level=99",
        "/api/v1/places?page=0",
        "/api/v1/places?page=999999",
        "/api/v1/notifications?unread=maybe",
        "/api/v1/audit-events?action=%00",
    ],
)
def test_api_reads(client, users, url):
    login(client, users["grid_worker"])
    response = client.get(url)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize(
    "body",
    [
        '{"ids": ["x"]}',
        '{"ids": 5}',
        "[]",
        "null",
        '{"ids": [1e400]}',
        "\x00",
        '{"ids": [' + "1," * 5000 + "1]}",
    ],
)
def test_api_writes(client, users, body):
    login(client, users["grid_worker"])
    response = client.post("/api/v1/notifications/read", body, content_type="application/json")
    assert response.status_code < 500
    if response.status_code >= 400:
        assert "error" in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/reveal/org.Place/99999999999999999999/phone/",
        "/reveal/../../etc/1/x/",
        "/reveal/org.User/1/password/",
        "/reveal/core.AuditEvent/1/data/",
    ],
)
def test_reveal_paths(client, users, url):
    login(client, users["community_officer"])
    response = client.post(url, {"reason": "核实信息测试"})
    assert response.status_code in (400, 403, 404)


def test_unknown_pages_are_friendly_404(client, users):
    login(client, users["grid_worker"])
    response = client.get("/no/such/page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()

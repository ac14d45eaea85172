"""Hostile input (issue 14, finding 8) and the body cap (finding 10): a clear 4xx in the request's
format for NUL bytes in query strings and bodies, huge page numbers, ``../`` in tracking codes and
oversized bodies — never a 500 (on PostgreSQL a NUL in a text parameter used to be one)."""

import json

import pytest
from django.test import Client

from tests.conftest import login

NUL_QUERIES = [
    "/cases/?q=%00",
    "/cases/?status=a%00b",
    "/disputes/?q=%00",
    "/audit/?action=auth%00",
    "/assistant/answers/?q=%00",
    "/r/t/?code=%00",
    "/api/v1/cases/?q=%00",
    "/api/v1/audit-events?action=%00",
]


def _client_for(users, url):
    client = Client(raise_request_exception=False)
    role = "audit_admin" if "audit" in url else "dispatcher"
    if url.startswith("/assistant/"):
        role = "community_officer"
    return login(client, users[role])


@pytest.mark.parametrize("url", NUL_QUERIES)
def test_nul_in_query_strings_is_a_clear_400(users, url):
    response = _client_for(users, url).get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_nul_in_open311_queries_answers_open311_errors(db, fmt):
    response = Client(raise_request_exception=False).get(
        f"/open311/v2/requests.{fmt}?service_code=%00"
    )
    assert response.status_code == 400
    if fmt == "json":
        assert response.json()[0]["code"] == 400
    else:
        assert "<code>400</code>" in response.content.decode()


@pytest.mark.parametrize(
    "body",
    [
        {"description": "垃圾\u0000堆放", "category": "cityscape"},
        {"description": "ok", "attributes": {"x": "\u0000"}},
    ],
)
def test_nul_in_json_bodies_is_a_clear_400(users, body):
    client = _client_for(users, "/api/")
    response = client.post("/api/v1/cases/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_nul_in_a_resident_form_is_refused(client, county):
    response = client.post(
        f"/r/g/{county.grid_a.code}/", {"description": "楼下\x00垃圾", "consent": "on"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cases/?page=99999999999999999999",
        "/api/v1/places?page=9223372036854775807",
        "/api/v1/places?offset=99999999999999999999",
        "/cases/?page=99999999999999999999",
        "/audit/?page=-99999999999999999999",
    ],
)
def test_huge_page_numbers_are_a_clear_400(users, url):
    response = _client_for(users, url).get(url)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    ["/r/t/..%2F..%2Fetc%2Fpasswd/", "/r/t/../", "/r/t/%2E%2E/do/confirm/", "/r/t/a%2Fb/files/1/"],
)
def test_path_tricks_in_tracking_codes_are_404(db, url):
    client = Client(raise_request_exception=False)
    response = client.post(url) if "/do/" in url else client.get(url)
    assert response.status_code in (400, 404)


def test_oversized_bodies_are_refused_by_the_app(users, settings):
    settings.MAX_REQUEST_BYTES = 1024
    client = _client_for(users, "/api/")
    response = client.post(
        "/api/v1/cases/", json.dumps({"description": "x" * 4000}), content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"

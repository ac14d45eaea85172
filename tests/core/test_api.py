"""The API shell: authentication by session or key, one error format, the OpenAPI document."""

import json

import pytest
from django.core.management import call_command

from fengqiao.core import notifications
from fengqiao.core.models import ApiKey
from tests.conftest import login


@pytest.fixture
def api_key(db, capsys):
    call_command("apikey", "create", "hotline")
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_apikey_create_prints_the_key_last_and_stores_only_a_hash(api_key):
    row = ApiKey.objects.get(name="hotline")
    assert api_key.startswith("fq_") and api_key not in (row.key_hash, row.prefix)
    assert row.user.username == "integration-hotline" and not row.user.has_usable_password()


@pytest.mark.parametrize("header", ["HTTP_AUTHORIZATION", "HTTP_X_API_KEY"])
def test_key_authenticates(client, api_key, header):
    value = f"Bearer {api_key}" if header == "HTTP_AUTHORIZATION" else api_key
    response = client.get("/api/v1/me", **{header: value})
    assert response.status_code == 200
    assert response.json()["username"] == "integration-hotline"


def test_bad_or_revoked_key_is_401_in_the_one_error_format(client, api_key):
    for value in ("Bearer nonsense", f"Bearer {api_key}x"):
        response = client.get("/api/v1/me", HTTP_AUTHORIZATION=value)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"
    call_command("apikey", "revoke", "hotline")
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {api_key}").status_code == 401


def test_a_wrong_credential_is_not_rescued_by_a_right_one(client, api_key, users):
    """A valid X-API-Key beside a wrong Bearer token (or a wrong key beside a signed-in session) is
    refused: the request presents a bad credential (Schemathesis ST401)."""
    both = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer nonsense", HTTP_X_API_KEY=api_key)
    assert both.status_code == 401
    same = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {api_key}", HTTP_X_API_KEY=api_key)
    assert same.status_code == 200
    login(client, users["grid_worker"])
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", HTTP_X_API_KEY="fq_wrong").status_code == 401
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Basic eDp5").status_code == 200


def test_errors_share_one_format(client, users, county):
    login(client, users["grid_worker"])
    not_found = client.get(f"/api/v1/places/{county.grid_b.pk}")
    assert not_found.status_code == 404 and set(not_found.json()["error"]) == {
        "code",
        "message",
        "details",
    }
    invalid = client.get("/api/v1/places?level=notanumber")
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "validation_error"
    bad_body = client.post(
        "/api/v1/notifications/read", "{not json", content_type="application/json"
    )
    assert 400 <= bad_body.status_code < 500 and "error" in bad_body.json()


def test_session_posts_need_csrf(users):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    login(strict, users["grid_worker"])
    response = strict.post("/api/v1/notifications/read", "{}", content_type="application/json")
    assert response.status_code in (401, 403)


def test_notifications_api(client, users):
    user = users["grid_worker"]
    notifications.notify([user, user], kind="test", title="新工单")
    login(client, user)
    page = client.get("/api/v1/notifications?unread=true").json()
    assert page["count"] == 1 and page["items"][0]["title"] == "新工单"
    assert client.post(
        "/api/v1/notifications/read", json.dumps({}), content_type="application/json"
    ).json() == {"marked": 1}
    assert client.get("/api/v1/notifications?unread=true").json()["count"] == 0


def test_openapi_document_lists_the_api(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Fengqiao API"
    assert "/api/v1/places" in schema["paths"] and "/api/v1/me" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_openapi_document_passes_an_independent_validator(client):
    """openapi-spec-validator (not ours) checks the document against the OpenAPI 3 specification."""
    from openapi_spec_validator import validate

    validate(client.get("/api/v1/openapi.json").json())


def test_openapi_component_names_are_not_shared_by_two_schemas(client):
    """The OpenAPI names a component by its class name: two schemas with one name would show one of them twice."""
    from ninja import Schema

    client.get("/api/v1/openapi.json")  # builds every router's schemas

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    modules = {}
    for schema in subclasses(Schema):
        if schema.__module__.startswith("fengqiao."):
            modules.setdefault(schema.__name__, set()).add(schema.__module__)
    assert {name: mods for name, mods in modules.items() if len(mods) > 1} == {}


def test_service_errors_in_pages_become_clear_4xx(client, users, county, settings):
    """Views may let core.errors escape: the middleware answers 404/409/400, never 500."""
    from django.http import HttpResponse
    from django.urls import path

    from fengqiao.core.errors import Conflict
    from fengqiao.org.models import Place

    def detail(request, pk):
        place = Place.objects.get_scoped(request.user, pk=pk)
        return HttpResponse(place.name)

    def busy(request):
        raise Conflict("已被他人签收")

    from fengqiao import urls as real

    patterns = [path("p/<int:pk>/", detail), path("busy/", busy), *real.urlpatterns]
    urlconf = type("urls", (), {"urlpatterns": patterns})
    settings.ROOT_URLCONF = urlconf
    login(client, users["grid_worker"])
    assert client.get(f"/p/{county.grid_a.pk}/").status_code == 200
    assert client.get(f"/p/{county.grid_b.pk}/").status_code == 404
    conflict = client.get("/busy/")
    assert conflict.status_code == 409 and "已被他人签收" in conflict.content.decode()
    assert client.get("/busy/", HTTP_HX_REQUEST="true").content.decode() == "已被他人签收"


def test_openapi_document_is_built_once_per_language():
    """Anyone may fetch the document and building it is costly: it is kept per process and language."""
    from django.utils import translation

    from fengqiao.api import api

    first = api.get_openapi_schema(path_prefix="/api/v1/")
    assert api.get_openapi_schema(path_prefix="/api/v1/") is first
    with translation.override("en"):
        english = api.get_openapi_schema(path_prefix="/api/v1/")
    assert english is not first and english["paths"].keys() == first["paths"].keys()


def test_a_wrong_method_on_an_api_path_answers_the_api_error_format(client):
    """Found by the live fuzz (`POST /api/v1/disputes/0#/agreements` reaches `/api/v1/disputes/0`):
    the framework's HTML "Method not allowed" becomes the API's JSON error, Allow kept."""
    response = client.post("/api/v1/me")
    assert response.status_code == 405 and response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]
    english = client.post("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["error"]["message"] == "Method not allowed"

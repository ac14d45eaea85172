"""The OpenAPI lists the 4xx responses each operation can give (issue 14, finding 10), with the
one error body, and the answers really have that shape."""

import pytest

from tests.conftest import login


@pytest.fixture
def schema(client, users):
    login(client, users["dispatcher"])
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "responses" in op:
                yield path, method, op


def test_every_operation_lists_its_error_responses(schema):
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    count = 0
    for path, method, op in operations(schema):
        count += 1
        codes = set(op["responses"])
        expected = {"400", "404", "429", "503"}
        if op.get("security"):
            expected |= {"401", "403"}
        if op.get("requestBody") or op.get("parameters"):
            expected.add("422")
        if op.get("requestBody"):
            expected.add("413")
        if method in ("post", "put", "patch", "delete"):
            expected |= {"409", "422"}
        assert expected <= codes, (method, path, sorted(expected - codes))
        for code in expected:
            body = op["responses"][code]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, (method, path, code)
    assert count > 50


def test_the_listed_errors_are_what_the_api_answers(client, county, users):
    unauthenticated = client.get("/api/v1/cases/")
    assert unauthenticated.status_code == 401
    assert set(unauthenticated.json()["error"]) >= {"code", "message"}
    login(client, users["grid_worker"])
    missing = client.get("/api/v1/cases/999999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    bad = client.post("/api/v1/cases/", "{}", content_type="application/json")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"

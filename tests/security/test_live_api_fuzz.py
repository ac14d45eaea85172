"""Property-based fuzzing of every ``/api/v1`` operation of the OpenAPI schema against a live
server (hypothesis, real HTTP): path parameters, query parameters and JSON bodies shaped like the
schema but filled with hostile values (huge and negative numbers, control and odd characters,
wrong types, extra keys, bodies that are not objects), signed in as a staff member and as
nobody. Every answer is below 500 and a JSON document. ``/open311/v2`` is fuzzed the same way by
``tests/cases/test_open311_fuzz.py``. Bounded: ``EXAMPLES`` per operation, derandomised."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fengqiao.api import api
from tests.cases.scoping_cases import make_case
from tests.security.live import Browser

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = 6
SCHEMA = api.get_openapi_schema()
CONTROL = [chr(c) for c in (*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE)]
odd_text = st.one_of(
    st.text(
        alphabet=st.one_of(
            st.characters(codec="utf-8", exclude_characters="\x00"),
            st.sampled_from(CONTROL + list("²/.%&=?#[]<>\"'\\ ,;+{}$")),
        ),
        max_size=30,
    ),
    st.sampled_from(["../", "' OR 1=1--", "\x00", "9" * 40, "-1", "NaN"]),
)
big_ints = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70), st.sampled_from([0, 1, 2, 3, -1, 2**63])
)
anything = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        big_ints,
        st.floats(allow_nan=False, allow_infinity=False),
        odd_text,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(odd_text, inner, max_size=3)
    ),
    max_leaves=6,
)


def _resolve(schema):
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def value_for(schema, depth=0):
    """A strategy of values roughly of ``schema``'s shape, often of the wrong type."""
    schema = _resolve(schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return st.one_of([value_for(s, depth + 1) for s in schema[key]])
    kind = schema.get("type")
    if "enum" in schema:
        typed = st.sampled_from(schema["enum"])
    elif kind == "integer":
        typed = big_ints
    elif kind == "number":
        typed = st.one_of(st.floats(allow_nan=False, allow_infinity=False), big_ints)
    elif kind == "boolean":
        typed = st.booleans()
    elif kind == "array" and depth < 3:
        typed = st.lists(value_for(schema.get("items", {}), depth + 1), max_size=3)
    elif (kind == "object" or "properties" in schema) and depth < 3:
        props = schema.get("properties", {})
        typed = st.fixed_dictionaries(
            {},
            optional={
                **{k: value_for(v, depth + 1) for k, v in props.items()},
                "state": odd_text,
                "place_path": odd_text,
                "id": big_ints,
            },
        )
    elif kind == "null":
        typed = st.none()
    else:
        typed = st.one_of(odd_text, st.sampled_from(["2026-12-01", "2026-12-01T08:00:00Z", ""]))
    return st.one_of(typed, typed, anything) if depth else typed


def operations():
    for path, methods in SCHEMA["paths"].items():
        for method, operation in methods.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path, operation


def check(answer, what):
    assert answer.status_code < 500, (what, answer.status_code, answer.text[:300])
    if answer.status_code in (204, 301, 302, 304) or not answer.content:
        return
    kind = answer.headers.get("Content-Type", "")
    if kind.startswith("application/json"):
        json.loads(answer.content.decode("utf-8"))
    else:  # documents and spreadsheets: never an HTML error page
        assert not kind.startswith("text/html"), (what, kind, answer.text[:200])


def _fuzz(browser, anonymous, ids, method, path, operation, examples=EXAMPLES):
    params = operation.get("parameters", [])
    path_params = {p["name"]: p.get("schema", {}) for p in params if p["in"] == "path"}
    query_params = {p["name"]: p.get("schema", {}) for p in params if p["in"] == "query"}
    content = operation.get("requestBody", {}).get("content", {})
    body_schema = content.get("application/json", {}).get("schema")

    path_values = {
        name: st.one_of(st.sampled_from(ids), big_ints, odd_text)
        if _resolve(schema).get("type") == "integer"
        else st.one_of(st.sampled_from(["docx", "pdf", "xlsx", "json"]), odd_text)
        for name, schema in path_params.items()
    }
    query = st.dictionaries(
        st.one_of(st.sampled_from(sorted(query_params) or ["q"]), odd_text),
        st.one_of(odd_text, big_ints.map(str)),
        max_size=4,
    )
    body = value_for(body_schema) if body_schema else st.none()

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(
        values=st.fixed_dictionaries(path_values),
        query=query,
        body=st.one_of(body, body, anything),
        signed_in=st.booleans(),
    )
    def run(values, query, body, signed_in):
        url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]).replace("/", "%2F"), path)
        who = browser if signed_in else anonymous
        kwargs = {"params": query}
        if method != "get":
            kwargs["json"] = body
        answer = who.request(method.upper(), url, **kwargs)
        check(answer, f"{method.upper()} {url} {query} {body!r}"[:400])

    run()


def test_fuzz_every_api_operation(live_server, county, users):
    case = make_case(county.grid_a, users)
    browser = Browser.signed_in(live_server.url, users["dispatcher"])
    anonymous = Browser(live_server.url)
    ids = [case.pk, 1, 2, 99999999]
    count = 0
    for method, path, operation in operations():
        _fuzz(browser, anonymous, ids, method, path, operation)
        count += 1
    assert count > 100  # every operation of the schema

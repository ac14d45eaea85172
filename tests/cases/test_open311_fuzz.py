"""Property-based fuzzing of every Open311 endpoint against a live test server (hypothesis): any
path, method, query string and form body a client can send gets an answer below 500 whose body
parses as the JSON or XML its Content-Type declares. Bounded: a fixed number of examples per
endpoint family, no shrinking deadline, about a minute in all."""
# ruff: noqa: S314 — parsing our own server's XML answers in tests

import json
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlencode

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fengqiao.cases.defaults import install
from fengqiao.cases.models import Category
from fengqiao.core.services import create_api_key
from fengqiao.org.models import User

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

EXAMPLES = 60
FORBIDDEN = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF)]
odd_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(FORBIDDEN + list("²/.%&=?#[]<>\"'\\ ,;+")),
    ),
    max_size=40,
)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
values = st.one_of(odd_text, numbers, st.sampled_from(["", "29.72", "120.52", "noise", "open",
                                                      "2026-11-01", "2026-11-01T00:00:00Z"]))  # fmt: skip
PARAMS = ["api_key", "service_code", "lat", "long", "address_string", "address_id", "description",
          "first_name", "last_name", "email", "phone", "media_url", "client_id", "status",
          "start_date", "end_date", "service_request_id", "update_id", "updated_datetime",
          "jurisdiction_id", "attribute[grid]", "attribute[urgency]", "attribute[anonymous]",
          "attribute[contact_phone]", "token"]  # fmt: skip
fields = st.lists(st.tuples(st.one_of(st.sampled_from(PARAMS), odd_text), values), max_size=8)
formats = st.sampled_from(["json", "xml", "JSON", "Xml", "html", "", "json/", "xml.json"])
ENDPOINTS = ["discovery", "services", "requests", "servicerequestupdates", "services/{x}",
             "requests/{x}", "tokens/{x}", "media/{x}/{x}", "{x}"]  # fmt: skip


def check(response):
    assert response.status_code < 500, (response.request.method, response.url, response.content)
    kind = response.headers.get("Content-Type", "")
    if response.status_code in (301, 302) or response.request.method == "HEAD":
        return
    if kind.startswith("image/"):
        return
    if kind.startswith("text/xml"):
        ET.fromstring(response.content)
    else:
        assert kind.startswith("application/json"), (response.url, kind, response.content[:200])
        json.loads(response.content.decode("utf-8"))


@pytest.fixture
def server(live_server, county):
    install(Category)
    account = User.objects.create(username="integration-fuzz", display_name="fuzz")
    key = create_api_key("fuzz", account)[1]
    session = requests.Session()
    return live_server.url, key, session


def _url(base, endpoint, segment, fmt, slashes):
    path = endpoint.replace("{x}", quote(segment, safe="") or "x")
    suffix = f".{fmt}" if fmt and not endpoint.startswith("media") else ""
    return f"{base}/open311/{'/' * slashes}v2/{'/' * (slashes - 1)}{path}{suffix}"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)  # fmt: skip
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    segment=odd_text,
    fmt=formats,
    slashes=st.integers(1, 3),
    query=fields,
    method=st.sampled_from(["GET", "HEAD", "DELETE", "PUT"]),
)
def _fuzz_reads(server, endpoint, segment, fmt, slashes, query, method):
    base, _key, session = server
    url = _url(base, endpoint, segment, fmt, slashes)
    response = session.request(method, url + "?" + urlencode(query), timeout=10,
                               allow_redirects=False)  # fmt: skip
    check(response)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)  # fmt: skip
@given(
    endpoint=st.sampled_from(["requests", "servicerequestupdates"]),
    fmt=formats,
    body=fields,
    with_key=st.booleans(),
    valid_base=st.booleans(),
    multipart=st.booleans(),
    charset=st.sampled_from(["", "; charset=utf-8", "; charset=latin-1", "; charset=nonsense"]),
)
def _fuzz_posts(server, endpoint, fmt, body, with_key, valid_base, multipart, charset):
    base, key, session = server
    data = []
    if valid_base:
        data += [("service_code", "noise"), ("lat", "29.72"), ("long", "120.52"),
                 ("service_request_id", "1"), ("status", "OPEN"), ("update_id", "u"),
                 ("updated_datetime", "2026-11-30T10:00:00Z")]  # fmt: skip
    if with_key:
        data.append(("api_key", key))
    data += body
    url = _url(base, endpoint, "", fmt, 1)
    if multipart:
        files = {"photo": ("p.jpg", b"\xff\xd8\xffnot really a jpeg", "image/jpeg")}
        response = session.post(url, data=data, files=files, timeout=10)
    else:
        encoded = urlencode(data).encode()
        headers = {"Content-Type": f"application/x-www-form-urlencoded{charset}"}
        response = session.post(url, data=encoded, headers=headers, timeout=10)
    check(response)


def test_fuzz_every_read_endpoint(server):
    _fuzz_reads(server)


def test_fuzz_posts(server):
    _fuzz_posts(server)

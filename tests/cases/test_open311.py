"""Open311 GeoReport v2 against the spec: formats, filters, errors; and a real client library."""
# ruff: noqa: S314 — parsing our own server's XML answers in tests

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.cases.models import Case
from fengqiao.core.services import create_api_key, revoke_api_key
from fengqiao.org.models import User

from .helpers import make_case


@pytest.fixture
def api_key(county):
    account = User.objects.create(username="integration-city", display_name="city")
    return create_api_key("city", account)[1]


def post(client, key, fmt="json", **fields):
    data = {"api_key": key, "service_code": "cityscape", "lat": "29.72", "long": "120.52",
            "description": "路灯不亮，井盖缺失", "first_name": "明", "last_name": "王",
            "phone": "13512345678"}  # fmt: skip
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/open311/v2/requests.{fmt}", data)


def test_discovery_and_services(client, county):
    discovery = client.get("/open311/v2/discovery.json").json()
    endpoint = discovery["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    services = client.get("/open311/v2/services.json").json()
    codes = {s["service_code"] for s in services}
    assert {"safety_fire", "noise", "cityscape"} <= codes and "safety" not in codes
    fire = next(s for s in services if s["service_code"] == "safety_fire")
    assert fire["group"] == "安全隐患" and fire["metadata"] is True and fire["type"] == "realtime"
    root = ET.fromstring(client.get("/open311/v2/services.xml").content)
    assert root.tag == "services" and root.find("service/service_code") is not None
    assert client.get("/open311/v2/services.xml")["Content-Type"].startswith("text/xml")


def test_service_definition(client, county):
    definition = client.get("/open311/v2/services/noise.json").json()
    assert definition["service_code"] == "noise"
    urgency = next(a for a in definition["attributes"] if a["code"] == "urgency")
    assert urgency["datatype"] == "singlevaluelist" and urgency["values"][0]["key"] == "urgent"
    root = ET.fromstring(client.get("/open311/v2/services/noise.xml").content)
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key") is not None
    missing = client.get("/open311/v2/services/nope.json")
    assert missing.status_code == 404
    assert missing.json()[0]["code"] == 404 and missing.json()[0]["description"]
    xml = client.get("/open311/v2/services/nope.xml")
    assert ET.fromstring(xml.content).find("error/code").text == "404"


def test_post_request_finds_the_grid_by_point_and_answers_id(client, county, api_key):
    response = post(client, api_key)
    assert response.status_code == 201, response.content
    answer = response.json()[0]
    case = Case.objects.get(pk=int(answer["service_request_id"]))
    assert case.place == county.grid_a and case.source == "open311"
    assert case.reporter_name.clear == "王 明" and case.reporter_phone == "13512345678"
    assert "token" not in answer  # service_request_id or token, never both
    token = client.get(f"/open311/v2/tokens/{case.uid}.json").json()
    assert token[0]["service_request_id"] == answer["service_request_id"]


def test_post_xml_and_grid_attribute_and_replay(client, county, api_key):
    response = post(client, api_key, fmt="xml", lat=None, long=None, address_string="南门口",
                    **{"attribute[grid]": county.grid_c.code, "client_id": "city-req-0001"})  # fmt: skip
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    first = root.find("request/service_request_id").text
    again = post(client, api_key, lat=None, long=None, address_string="南门口",
                 **{"attribute[grid]": county.grid_c.code, "client_id": "city-req-0001"})  # fmt: skip
    assert again.status_code == 200 and again.json()[0]["service_request_id"] == first
    assert Case.objects.get(pk=int(first)).place == county.grid_c


@pytest.mark.parametrize(
    "fields, status",
    [
        ({"api_key": "fq_wrong"}, 403),
        ({"api_key": None}, 403),
        ({"service_code": "nope"}, 404),
        ({"service_code": None}, 400),
        ({"lat": None, "long": None}, 400),
        ({"lat": "abc"}, 400),
        ({"lat": "10.0", "long": "10.0"}, 400),  # no grid there
        ({"description": "长" * 4001}, 400),
        ({"phone": "12"}, 400),
        ({"attribute[urgency]": "soon"}, 400),
        ({"attribute[grid]": "nowhere"}, 400),
    ],
)
def test_post_errors_follow_the_spec(client, county, api_key, fields, status):
    response = post(client, api_key, **fields)
    assert response.status_code == status, response.content
    errors = response.json()
    assert isinstance(errors, list) and errors[0]["code"] == status and errors[0]["description"]
    assert Case.objects.count() == 0


def test_revoked_key_is_403(client, county, api_key):
    revoke_api_key("city")
    assert post(client, api_key).status_code == 403


def test_get_requests_filters(client, county, api_key):
    ids = [post(client, api_key).json()[0]["service_request_id"] for _ in range(2)]
    post(client, api_key, service_code="noise")
    make_case(county.grid_a)  # not through Open311: not listed without a scoped key
    rows = client.get("/open311/v2/requests.json").json()
    assert len(rows) == 3
    assert {"service_request_id", "status", "requested_datetime", "lat", "long"} <= set(rows[0])
    assert "13512345678" not in str(rows)
    only = client.get("/open311/v2/requests.json", {"service_request_id": ",".join(ids)}).json()
    assert sorted(r["service_request_id"] for r in only) == sorted(ids)
    noise = client.get("/open311/v2/requests.json", {"service_code": "noise"}).json()
    assert [r["service_code"] for r in noise] == ["noise"]
    assert len(client.get("/open311/v2/requests.json", {"status": "open"}).json()) == 3
    assert client.get("/open311/v2/requests.json", {"status": "closed"}).json() == []
    future = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.get("/open311/v2/requests.json", {"start_date": future}).json() == []
    bad = client.get("/open311/v2/requests.json", {"start_date": "yesterday"})
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400
    assert client.get("/open311/v2/requests.json", {"status": "lost"}).status_code == 400
    root = ET.fromstring(client.get("/open311/v2/requests.xml").content)
    assert len(root.findall("request")) == 3


def test_get_one_request(client, county, api_key):
    rid = post(client, api_key).json()[0]["service_request_id"]
    one = client.get(f"/open311/v2/requests/{rid}.json").json()
    assert len(one) == 1 and one[0]["service_request_id"] == rid and one[0]["status"] == "open"
    for missing in ("999999", "abc"):
        response = client.get(f"/open311/v2/requests/{missing}.json")
        assert response.status_code == 404 and response.json()[0]["code"] == 404
    assert client.get("/open311/v2/tokens/not-a-token.json").status_code == 404


def test_scoped_key_sees_its_jurisdiction(client, county, users, users_b):
    _k, clear = create_api_key("grid-a", users["dispatcher"])
    mine = make_case(county.grid_a)
    theirs = make_case(county.grid_b)
    rows = client.get("/open311/v2/requests.json", {"api_key": clear}).json()
    ids = {r["service_request_id"] for r in rows}
    assert str(mine.pk) in ids and str(theirs.pk) not in ids
    assert (
        client.get(f"/open311/v2/requests/{theirs.pk}.json", {"api_key": clear}).status_code == 404
    )


def test_method_not_allowed(client, county):
    response = client.put("/open311/v2/requests.json")
    assert response.status_code == 405 and response.json()[0]["code"] == 405


# The unmodified georeport client against a live server: tests/cases/test_open311_contract.py

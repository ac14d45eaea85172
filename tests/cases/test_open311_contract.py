"""Contract tests against a live server: the unmodified ``georeport`` client library, and a small
client written here the way FixMyStreet's Open311 client talks (XML only: service list and
definitions, POST with ``attribute[...]`` and a photo, the token when there is no id yet, then
polling ``servicerequestupdates.xml`` and posting an update)."""
# ruff: noqa: S314 — parsing our own server's XML answers in tests

import io
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from PIL import Image

from fengqiao.cases import services
from fengqiao.cases.defaults import install
from fengqiao.cases.models import Case, Category
from fengqiao.core.services import create_api_key
from fengqiao.org.models import User

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class FixMyStreetStyleClient:
    """XML in, XML out; ``endpoint`` ends with a slash, paths are appended to it (as FMS does)."""

    def __init__(self, endpoint, api_key, jurisdiction="fengqiao"):
        self.endpoint, self.api_key, self.jurisdiction = endpoint, api_key, jurisdiction

    def _get(self, path, **params):
        params["jurisdiction_id"] = self.jurisdiction
        response = requests.get(self.endpoint + path, params=params, timeout=10)
        return response.status_code, ET.fromstring(response.content)

    def _post(self, path, fields, files=None):
        data = {"jurisdiction_id": self.jurisdiction, "api_key": self.api_key, **fields}
        response = requests.post(self.endpoint + path, data=data, files=files, timeout=10)
        return response.status_code, ET.fromstring(response.content)

    def services(self):
        _status, root = self._get("services.xml")
        return [s.findtext("service_code") for s in root.findall("service")]

    def definition(self, code):
        _status, root = self._get(f"services/{code}.xml")
        return {
            a.findtext("code"): a.findtext("required") == "true"
            for a in root.findall("attributes/attribute")
        }

    def send_report(self, fields, photo):
        status, root = self._post("requests.xml", fields, files={"photo": photo})
        assert status in (200, 201), ET.tostring(root)
        rid = root.findtext("request/service_request_id")
        if rid:
            return rid
        token = root.findtext("request/token")
        _status, token_root = self._get(f"tokens/{token}.xml")
        return token_root.findtext("request/service_request_id") or None

    def updates(self, start, end):
        status, root = self._get(
            "servicerequestupdates.xml",
            start_date=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            end_date=end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        assert status == 200 and root.tag == "service_request_updates"
        return [
            {child.tag: (child.text or "") for child in update}
            for update in root.findall("request_update")
        ]

    def post_update(self, rid, text, status="OPEN"):
        fields = {"service_request_id": rid, "update_id": "fms-77", "status": status,
                  "updated_datetime": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "description": text, "email": "fms@example.org", "first_name": "Ada",
                  "last_name": "Lovelace", "service_request_id_ext": "123",
                  "public_anonymity_required": "FALSE"}  # fmt: skip
        code, root = self._post("servicerequestupdates.xml", fields)
        assert code == 200, ET.tostring(root)
        return root.findtext("request_update/update_id")


def _jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(buffer, "JPEG")
    return ("photo.jpg", buffer.getvalue(), "image/jpeg")


@pytest.fixture
def live_setup(live_server, county):
    install(Category)
    account = User.objects.create(username="integration-fms", display_name="fms")
    key = create_api_key("fms", account)[1]
    return live_server.url, key


def test_fixmystreet_style_client_round_trip(live_setup, county, users):
    url, key = live_setup
    client = FixMyStreetStyleClient(f"{url}/open311/v2/", key)
    assert "dispute" in client.services()
    required = [code for code, req in client.definition("dispute").items() if req]
    assert required == ["contact_phone"]
    fields = {"service_code": "dispute", "lat": "29.72", "long": "120.52",
              "description": "title: 邻里噪音\n\ndetail: 楼上装修\n\nSubmitted via FixMyStreet",
              "email": "fms@example.org", "first_name": "Ada", "last_name": "Lovelace",
              "media_url": "https://fms.example.org/photo/1.jpeg",
              "attribute[contact_phone]": "+44 20 7946 0958",
              "attribute[fixmystreet_id]": "4711", "attribute[urgency]": "ordinary"}  # fmt: skip
    start = timezone.now() - timedelta(minutes=1)
    rid = client.send_report(fields, _jpeg())
    assert rid and Case.objects.get(pk=rid).category.code == "dispute"
    services.accept(Case.objects.get(pk=rid), users["dispatcher"])
    end = timezone.now() + timedelta(minutes=1)  # W3C seconds: the window ends after "now"
    updates = [u for u in client.updates(start, end) if u["service_request_id"] == rid]
    assert [u["status"] for u in updates] == ["open", "investigating"]
    assert set(updates[0]) == {"update_id", "service_request_id", "status", "updated_datetime",
                               "description", "media_url"}  # fmt: skip
    assert updates[0]["media_url"] == "https://fms.example.org/photo/1.jpeg"
    update_id = client.post_update(rid, "还是很吵")
    later = client.updates(start, timezone.now() + timedelta(minutes=1))
    assert update_id in {u["update_id"] for u in later}


def test_a_standard_client_library_works_unmodified(live_setup):
    georeport = pytest.importorskip("georeport")
    url, key = live_setup
    created = requests.post(
        f"{url}/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "noise",
            "lat": 29.72,
            "long": 120.52,
            "description": "KTV 深夜噪音",
        },  # fmt: skip
        timeout=10,
    ).json()
    rid = created[0]["service_request_id"]
    for fmt in ("json", "xml"):
        client = georeport.GeoReport(f"{url}/open311/v2", output_format=fmt)
        assert any(s["service_code"] == "noise" for s in client.get_service_list())
        assert client.get_service_definition("noise")["service_code"] == "noise"
        one = client.get_service_request(rid)
        assert one["service_request_id"] == rid and one["status"] == "open"
        rows = client.get_service_requests(service_code="noise", status="open")
        rows = rows if isinstance(rows, list) else [rows]
        assert any(r["service_request_id"] == rid for r in rows)
        hour_ago = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows = client.get_service_requests(start_date=hour_ago)
        rows = rows if isinstance(rows, list) else [rows]
        assert any(r["service_request_id"] == rid for r in rows)

"""Anonymous pages show nothing personal: the report page lists no one else's locations."""

import pytest

from .helpers import make_case

pytestmark = pytest.mark.django_db


def test_report_page_lists_no_other_reports_locations(client, county):
    make_case(county.grid_a, location_text="和平巷7号张伟家门口")
    page = client.get(f"/r/g/{county.grid_a.code}/").content.decode()
    assert "和平巷7号" not in page and "张伟" not in page
    assert "grid-places" not in page


# -- Open311 without a key: free text masked, coordinates rounded (JSON and XML) ---------------
SECRET_BITS = ("13812345678", "330102199001011234", "张伟", "29.723456", "120.521234")


@pytest.fixture
def open311_case(client, county):
    from fengqiao.core.services import create_api_key
    from fengqiao.org.models import User

    account = User.objects.create(username="integration-privacy", display_name="city")
    key = create_api_key("city", account)[1]
    made = client.post(
        "/open311/v2/requests.json",
        {"api_key": key, "service_code": "cityscape", "lat": "29.723456", "long": "120.521234",
         "description": "张伟家门口路灯坏了，电话13812345678，身份证330102199001011234",
         "address_string": "和平巷7号张伟家门口", "phone": "13512345678"},
    )  # fmt: skip
    assert made.status_code == 201, made.content
    case_id = made.json()[0]["service_request_id"]
    update = client.post(
        "/open311/v2/servicerequestupdates.json",
        {"api_key": key, "service_request_id": case_id, "update_id": "u-1", "status": "OPEN",
         "updated_datetime": "2026-01-01T00:00:00+08:00",
         "description": "我是张伟，回电13812345678"},
    )  # fmt: skip
    assert update.status_code == 200, update.content
    return case_id


def _public_answers(client, case_id):
    for fmt in ("json", "xml"):
        for url in (
            f"/open311/v2/requests.{fmt}",
            f"/open311/v2/requests/{case_id}.{fmt}",
            f"/open311/v2/servicerequestupdates.{fmt}",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            yield url, response.content.decode()


def test_open311_without_a_key_masks_free_text_and_rounds_points(client, open311_case):
    answers = dict(_public_answers(client, open311_case))
    for url, body in answers.items():
        assert not [bit for bit in SECRET_BITS if bit in body], url
    for fmt in ("json", "xml"):
        request = answers[f"/open311/v2/requests/{open311_case}.{fmt}"]
        assert "138****5678" in request and "330*************34" in request
        assert "张*" in request and "29.723" in request and "120.521" in request
        assert "138****5678" in answers[f"/open311/v2/servicerequestupdates.{fmt}"]
    rows = client.get("/open311/v2/requests.json").json()
    assert rows[0]["lat"] == 29.723 and rows[0]["long"] == 120.521


def test_open311_with_a_key_of_the_place_shows_what_staff_see(client, users, open311_case):
    from fengqiao.core.services import create_api_key

    key = create_api_key("grid-a", users["dispatcher"])[1]
    body = client.get(f"/open311/v2/requests/{open311_case}.json", {"api_key": key}).json()[0]
    assert "13812345678" in body["description"] and body["lat"] == 29.723456

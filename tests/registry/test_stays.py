"""Foreigners' accommodation registration: online report (Chinese/English), the station's
3-working-day on-site check on the kernel, cancellation, overstay/expiring-visa flags; door plates."""

import datetime

import pytest
from django.utils import timezone

from fengqiao.core.errors import Conflict, Forbidden, ServiceError
from fengqiao.core.models import Deadline
from fengqiao.registry import services
from fengqiao.registry.models import ForeignerStay
from tests.conftest import login
from tests.registry import helpers

pytestmark = pytest.mark.django_db


def _data(**extra):
    today = timezone.localdate()
    return {
        "reporter_kind": "landlord",
        "reporter_name": "王房东",
        "reporter_phone": "13800002222",
        "surname": "SMITH",
        "given_name": "JOHN",
        "nationality": "gbr",
        "passport_number": "k1234567",
        "visa_type": "L",
        "visa_valid_until": today + datetime.timedelta(days=30),
        "arrival": today,
        "expected_departure": today + datetime.timedelta(days=10),
        **extra,
    }


def test_report_starts_the_onsite_check_and_check_stops_it(county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    stay = services.report_stay(room, _data())
    assert stay.nationality == "GBR" and str(stay.passport_number) != "K1234567"
    deadline = Deadline.objects.get(object_id=stay.pk, kind="onsite_check")
    assert deadline.state == "open" and (deadline.due_at - timezone.now()).days >= 2
    stay.refresh_from_db()
    assert stay.next_due_at == deadline.due_at
    with pytest.raises(Forbidden):
        services.check_stay(users["grid_worker"], stay, note="已核查")
    stay = services.check_stay(users["community_officer"], stay, note="人证相符")
    assert stay.state == "checked" and stay.checked_by == users["community_officer"]
    deadline.refresh_from_db()
    assert deadline.state == "met"
    stay = services.cancel_stay(users["grid_worker"], stay, departed_on=timezone.localdate())
    assert stay.state == "cancelled"
    with pytest.raises(Conflict):
        services.cancel_stay(users["grid_worker"], stay)


def test_hotel_reports_need_no_onsite_check_and_bad_input_is_refused(county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    stay = services.report_stay(room, _data(reporter_kind="hotel"))
    assert not Deadline.objects.filter(object_id=stay.pk, kind="onsite_check").exists()
    for bad, message in (
        ({"nationality": "England"}, "三位字母"),
        ({"passport_number": "??"}, "护照号码"),
        ({"expected_departure": timezone.localdate() - datetime.timedelta(days=1)}, "不能早于入住"),
        ({"visa_valid_until": "2026-02-30"}, "不是有效日期"),
    ):
        with pytest.raises(ServiceError, match=message):
            services.report_stay(room, _data(**bad))


def test_flags(county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    today = timezone.localdate()
    stay = services.report_stay(
        room,
        _data(
            arrival=today - datetime.timedelta(days=20),
            expected_departure=today - datetime.timedelta(days=1),
            visa_valid_until=today + datetime.timedelta(days=3),
        ),
    )
    assert set(stay.flags()) == {"overstay", "visa_expiring"}
    assert stay.flags(today + datetime.timedelta(days=5)) == ["visa_expired", "overstay"]


def test_public_form_from_the_door_plate_in_english(client, county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    page = client.get(f"/registry/p/{room.qr_token}/").content.decode()
    assert room.full_name in page and "13800002222" not in page
    r = client.post(
        f"/registry/p/{room.qr_token}/stay/",
        {**_data(), "nationality": "XX"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert r.status_code == 400
    r = client.post(f"/registry/p/{room.qr_token}/stay/", _data())
    assert r.status_code == 200 and ForeignerStay.objects.count() == 1
    assert client.get("/registry/p/nonsense/").status_code == 404
    login(client, users["grid_worker"])
    page = client.get(f"/registry/addresses/{room.parent.parent.pk}/doorplate/?rooms=1").content
    assert b"<svg" in page and room.full_name.encode() in page
    page = client.get("/registry/stays/").content.decode()
    assert ForeignerStay.objects.get().number in page


def test_staff_page_check(client, county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    stay = services.report_stay(room, _data())
    login(client, users["community_officer"])
    r = client.post(f"/registry/stays/{stay.pk}/act/check/", {"note": "人证相符"})
    assert r.status_code == 302
    stay.refresh_from_db()
    assert stay.state == "checked"


def test_stays_api_list_flags_detail_check_and_cancel(client, county, users, users_b):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    today = timezone.localdate()
    stay = services.report_stay(room, _data())
    services.report_stay(
        room,
        _data(
            surname="LATE",
            passport_number="k7654321",
            arrival=today - datetime.timedelta(days=20),
            expected_departure=today - datetime.timedelta(days=2),
            visa_valid_until=today + datetime.timedelta(days=3),
        ),
    )
    officer = users["community_officer"]
    login(client, officer)
    body = client.get("/api/v1/registry/stays").json()
    assert body["count"] == 2
    row = next(r for r in body["items"] if r["id"] == stay.pk)
    assert row["passport_number"] != "K1234567" and row["reporter_phone"] != "13800002222"
    assert row["next_due_at"] and row["flags"] == []
    [late] = client.get("/api/v1/registry/stays?flag=overstay").json()["items"]
    assert late["surname"] == "LATE" and set(late["flags"]) == {"overstay", "visa_expiring"}
    assert client.get("/api/v1/registry/stays?flag=visa_expiring").json()["count"] == 1
    assert client.get("/api/v1/registry/stays?flag=nope").status_code == 400
    r = client.post(
        f"/api/v1/registry/stays/{stay.pk}/actions/check",
        {"note": ""},
        content_type="application/json",
    )
    assert r.status_code == 400
    r = client.post(
        f"/api/v1/registry/stays/{stay.pk}/actions/check",
        {"note": "人证相符"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["state"] == "checked"
    assert client.get("/api/v1/registry/stays?state=checked").json()["count"] == 1
    r = client.post(
        f"/api/v1/registry/stays/{stay.pk}/actions/cancel",
        {"departed_on": (today - datetime.timedelta(days=5)).isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 400  # before the arrival
    r = client.post(
        f"/api/v1/registry/stays/{stay.pk}/actions/cancel", {}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    login(client, users["grid_worker"])
    r = client.post(
        f"/api/v1/registry/stays/{stay.pk}/actions/check",
        {"note": "x"},
        content_type="application/json",
    )
    assert r.status_code == 403
    login(client, users_b["community_officer"])
    assert client.get(f"/api/v1/registry/stays/{stay.pk}").status_code == 404
    assert client.get("/api/v1/registry/stays").json()["count"] == 0


@pytest.mark.parametrize("n", [1, 5])
def test_stays_api_list_query_count_is_flat(client, county, users, django_assert_num_queries, n):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    for i in range(n):
        services.report_stay(room, _data(passport_number=f"k{i:07d}"))
    login(client, users["community_officer"])
    client.get("/api/v1/registry/stays")
    with django_assert_num_queries(13):
        assert client.get("/api/v1/registry/stays").json()["count"] == n

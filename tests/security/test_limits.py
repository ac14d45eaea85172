"""Limits (issue 14, finding 10): one timeline entry's data is bounded; too much is a clear 400
and the transaction saves nothing."""

import pytest
from django.db import transaction

from fengqiao.core.errors import ServiceError
from fengqiao.core.models import TimelineEntry
from fengqiao.core.workflow import MAX_ENTRY_DATA, MAX_ENTRY_NOTE, append_timeline
from tests.cases.helpers import make_case


def test_a_timeline_entry_is_bounded(county, users):
    case = make_case(county.grid_a)
    before = TimelineEntry.objects.count()
    for kwargs in (
        {"data": {"blob": "x" * (MAX_ENTRY_DATA + 1)}},
        {"data": {"blob": "字" * (MAX_ENTRY_DATA // 3 + 1)}},  # bytes, not characters
        {"note": "x" * (MAX_ENTRY_NOTE + 1)},
        {"attachments": [{"name": f"{i}.jpg"} for i in range(21)]},
    ):
        with pytest.raises(ServiceError) as caught, transaction.atomic():
            append_timeline(case, "comment", actor=users["dispatcher"], **kwargs)
        assert caught.value.code == "entry_too_large" and caught.value.status == 400
    assert TimelineEntry.objects.count() == before
    ok = append_timeline(case, "comment", actor=users["dispatcher"], data={"n": "x" * 1000})
    assert ok.pk


@pytest.mark.parametrize("media_url", ["javascript:alert(1)", "ftp://x/y.jpg", "http://a b"])
def test_a_bad_media_url_is_refused_before_anything_is_saved_and_a_retry_finds_the_case(
    client, county, media_url
):
    """Finding 8: a bad ``media_url`` used to fail after the case was saved. It is now checked
    before saving (nothing saved, Open311 error); the client's retry with the same ``client_id``
    then creates the case once, and a further retry answers with the saved record's id."""
    from fengqiao.cases.models import Case
    from fengqiao.core.services import create_api_key
    from fengqiao.org.models import User

    account = User.objects.create(username="integration-limits", display_name="limits")
    key = create_api_key("limits", account)[1]
    data = {"api_key": key, "service_code": "cityscape", "lat": "29.72", "long": "120.52",
            "description": "路灯不亮", "phone": "13512345678", "client_id": "retry-0001"}  # fmt: skip
    bad = client.post("/open311/v2/requests.json", {**data, "media_url": media_url})
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400
    assert not Case.objects.exists()
    first = client.post("/open311/v2/requests.json", data)
    again = client.post("/open311/v2/requests.json", data)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert Case.objects.count() == 1

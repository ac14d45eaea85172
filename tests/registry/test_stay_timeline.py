"""Issue 16 point 7 for the registry: a stay's record shows the verb, the date and the note in the
reader's language (it showed no verb and no date before)."""

import re

import pytest

from fengqiao.registry import services
from tests.conftest import login
from tests.registry import helpers
from tests.registry.test_stays import _data

pytestmark = pytest.mark.django_db


def test_stay_record_has_verbs_and_dates_in_both_languages(client, county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    stay = services.report_stay(room, _data())
    login(client, users["community_officer"])
    assert (
        client.post(f"/registry/stays/{stay.pk}/act/check/", {"note": "人证相符"}).status_code
        == 302
    )
    zh = client.get(f"/registry/stays/{stay.pk}/").content.decode()
    assert "现场核查 人证相符" in zh
    en = client.get(f"/registry/stays/{stay.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "现场核查" not in en and "On-site check 人证相符" in en
    record = en[en.rindex('<ul class="list">') :]
    assert re.search(r"<li>\d{4}-\d{2}-\d{2} \d{2}:\d{2} ", record)

"""Issue 16 point 5: the fieldwork lists, the assistant's queues, the foreigners' stays and the audit
log are the shared list component (``web.lists``): filters that filter, a count per option that
says how many rows clicking it shows, the filtered list as xlsx."""

import datetime

import pytest
from django.utils import timezone

from fengqiao.assistant import services as assistant
from fengqiao.core import audit
from fengqiao.fieldwork import services as fieldwork
from fengqiao.registry import services as registry
from tests.conftest import login
from tests.registry import helpers
from tests.registry.test_stays import _data

pytestmark = pytest.mark.django_db


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _chip(html, facet, value):
    """The count shown on the chip ``value`` of ``facet``."""
    start = html.index(f'data-facet="{facet}"')
    chip = html.index(f'data-value="{value}"', start)
    count = html.index('class="count">', chip) + len('class="count">')
    return int(html[count : html.index("<", count)])


def test_stays_filter_by_flag_with_counts(client, county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    today = timezone.localdate()
    late = registry.report_stay(
        room, _data(arrival=today - datetime.timedelta(days=20),
                    expected_departure=today - datetime.timedelta(days=1)),
    )  # fmt: skip
    fine = registry.report_stay(room, _data(passport_number="k7654321"))
    login(client, users["community_officer"])
    html = _page(client, "/registry/stays/")
    assert f'id="stay-{late.pk}"' in html and f'id="stay-{fine.pk}"' in html
    assert _chip(html, "overstay", "1") == 1 and _chip(html, "state", "reported") == 2
    html = _page(client, "/registry/stays/?overstay=1")
    assert f'id="stay-{late.pk}"' in html and f'id="stay-{fine.pk}"' not in html
    assert f'id="stay-{fine.pk}"' not in _page(client, "/registry/stays/?flag=overstay")
    assert 'href="?overstay=1&amp;format=xlsx"' in html or "format=xlsx" in html


def test_alerts_open_by_default_and_counted_by_state(client, county, users):
    _r, first = assistant.screen_message("刷单返利兼职，先垫付后返佣金，日赚三百", county.grid_a)
    _r, second = assistant.screen_message("恭喜中奖，领奖前请先缴纳个人所得税", county.grid_a)
    assistant.dismiss_alert(second, actor=users["community_officer"])
    login(client, users["community_officer"])
    html = _page(client, "/assistant/alerts/")
    assert f'id="alert-{first.pk}"' in html and f'id="alert-{second.pk}"' not in html
    assert _chip(html, "status", "open") == 1 and _chip(html, "status", "dismissed") == 1
    html = _page(client, "/assistant/alerts/?status=all")
    assert f'id="alert-{first.pk}"' in html and f'id="alert-{second.pk}"' in html


def test_handoffs_filter_by_state(client, county, users):
    asked = assistant.request_handoff("楼道灯坏了找谁", county.grid_a, contact="")
    answered = assistant.request_handoff("老年食堂几点开饭", county.grid_a, contact="")
    assistant.answer_handoff(answered, "每天11点。", actor=users["community_officer"])
    login(client, users["community_officer"])
    html = _page(client, "/assistant/handoffs/?status=open")
    assert f'id="handoff-{asked.pk}"' in html and f'id="handoff-{answered.pk}"' not in html
    assert _chip(html, "status", "answered") == 1


def test_visits_and_follow_ups_on_the_list(client, county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    visit = fieldwork.record_visit(
        users["community_officer"], address=room, purpose="routine", findings="一切正常",
        note="门锁坏了待跟进", starred=True,
    )  # fmt: skip
    login(client, users["community_officer"])
    html = _page(client, "/fieldwork/visits/")
    assert f'id="visit-{visit.pk}"' in html and _chip(html, "purpose", "routine") == 1
    assert f'id="visit-{visit.pk}"' not in _page(client, "/fieldwork/visits/?purpose=care")
    html = _page(client, "/fieldwork/followups/")
    assert "门锁坏了待跟进" in html and 'name="result"' in html  # 完成跟进 on the row


def test_audit_log_by_domain_and_result(client, users):
    audit.record("test.alpha", user=users["grid_worker"])
    audit.record("test.beta", user=users["grid_worker"], result="failure")
    audit.record("other.gamma", user=users["grid_worker"])
    login(client, users["audit_admin"])
    html = _page(client, "/audit/?action=test.")
    assert "test.alpha" in html and "test.beta" in html and "other.gamma" not in html
    assert _chip(html, "result", "failure") == 1
    html = _page(client, "/audit/?action=test.&result=failure")
    assert "test.beta" in html and "test.alpha" not in html
    assert client.get("/audit/?action=test.&format=xlsx").status_code == 200

"""Issue 16 point 2: staff see what became of the text message the resident was sent (queued /
sent / failed) on the case page and on the hand-off page, the number masked, and can send a failed
one again (``core.sms.retry``: back into the outbox, audited; scoped, 404 outside the case)."""

import pytest
from django.test import Client

from fengqiao.assistant import services
from fengqiao.cases.models import Case
from fengqiao.core import notifications
from fengqiao.core.models import AuditEvent, Notification
from tests.conftest import login

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


class BrokenGateway:
    def send(self, phone, text):
        raise RuntimeError(f"gateway refused {phone}")


@pytest.fixture
def failed_reply(settings, county, users):
    """A hand-off answered; the gateway refuses until the outbox gives up."""
    settings.SMS_BACKEND = "tests.assistant.test_sms_status.BrokenGateway"
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a, contact=PHONE)
    services.answer_handoff(handoff, "每天11点。", actor=users["community_officer"])
    notifications.deliver_pending()
    note = Notification.objects.get(channel="sms")
    assert note.state == Notification.State.FAILED
    case = Case.objects.get(tracking_code=handoff.case_ref)
    return handoff, case, note


def _client(user):
    client = Client()
    login(client, user)
    return client


def test_case_page_shows_queued_then_sent(settings, county, users, tmp_path):
    settings.SMS_BACKEND = "fengqiao.core.sms.FileSender"
    settings.SMS_FILE = str(tmp_path / "sms.jsonl")
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a, contact=PHONE)
    services.answer_handoff(handoff, "每天11点。", actor=users["community_officer"])
    case = Case.objects.get(tracking_code=handoff.case_ref)
    client = _client(users["dispatcher"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="sms-outbox"' in page and 'data-state="pending"' in page and "待发送" in page
    assert "139****5678" in page and PHONE not in page
    notifications.deliver_pending()
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-state="delivered"' in page and "已送达" in page
    assert "sms-retry-" not in page  # only a failed message is sent again


def test_failed_sms_shows_on_both_pages_masked_and_can_be_retried(failed_reply, users):
    handoff, case, note = failed_reply
    client = _client(users["community_officer"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'id="sms-{note.pk}" data-state="failed"' in page and "发送失败" in page
    assert f'id="sms-retry-{note.pk}"' in page
    assert PHONE not in page and "139****5678" in page  # the gateway's error masked too
    hpage = client.get(f"/assistant/handoffs/{handoff.pk}/").content.decode()
    assert f'id="sms-{note.pk}" data-state="failed"' in hpage and PHONE not in hpage
    assert f'id="sms-retry-{note.pk}"' in hpage

    answer = client.post(
        f"/cases/{case.pk}/sms/{note.pk}/retry/",
        {"next": f"/assistant/handoffs/{handoff.pk}/"},
    )
    assert answer.status_code == 302 and answer["Location"] == f"/assistant/handoffs/{handoff.pk}/"
    note.refresh_from_db()
    assert note.state == Notification.State.PENDING and note.attempts == 0
    assert note.last_error == ""
    event = AuditEvent.objects.get(action="notification.retry")
    assert event.user == users["community_officer"] and event.target_id == str(note.pk)
    # a second retry of a message no longer failed: refused, nothing changes
    client.post(f"/cases/{case.pk}/sms/{note.pk}/retry/")
    assert AuditEvent.objects.filter(action="notification.retry").count() == 1


def test_retry_is_scoped_and_needs_a_replying_role(failed_reply, users, users_b):
    _handoff, case, note = failed_reply
    other = _client(users_b["community_officer"])  # a sibling grid: the case does not exist
    assert other.post(f"/cases/{case.pk}/sms/{note.pk}/retry/").status_code == 404
    leader = _client(users["leader"])  # sees the case, does not answer residents
    assert leader.post(f"/cases/{case.pk}/sms/{note.pk}/retry/").status_code == 403
    assert 'id="sms-retry-' not in leader.get(f"/cases/{case.pk}/").content.decode()
    officer = _client(users["community_officer"])
    assert officer.get(f"/cases/{case.pk}/sms/{note.pk}/retry/").status_code == 405
    # a message about another case is not reachable through this one
    other_handoff = services.request_handoff("路灯坏了", _handoff.place, contact="")
    other_case = Case.objects.get(tracking_code=other_handoff.case_ref)
    assert officer.post(f"/cases/{other_case.pk}/sms/{note.pk}/retry/").status_code == 404
    note.refresh_from_db()
    assert note.state == Notification.State.FAILED

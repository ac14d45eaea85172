"""Issue 16 point 2: the officer's reply reaches the resident where they left a contact — an SMS
through the notification outbox (``core.sms``), phone encrypted at rest, queued and sent audited,
rendered in the resident's language; the worker delivers it through the configured sender."""

import json

import pytest
from django.db import connection
from django.utils import translation

from fengqiao.assistant import services
from fengqiao.cases.models import Case
from fengqiao.core import notifications
from fengqiao.core.models import AuditEvent, Notification

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
REPLY = "老年食堂每天11点开饭。"


@pytest.fixture
def outbox_file(settings, tmp_path):
    settings.SMS_BACKEND = "fengqiao.core.sms.FileSender"
    settings.SMS_FILE = str(tmp_path / "sms.jsonl")
    settings.PUBLIC_URL = "https://fq.example.cn"
    return tmp_path / "sms.jsonl"


def _sms():
    return Notification.objects.filter(channel="sms")


def test_reply_is_queued_encrypted_audited_and_sent_by_the_worker(county, users, outbox_file):
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a, contact=PHONE)
    assert not _sms().exists()  # nothing until there is a reply
    services.answer_handoff(handoff, REPLY, actor=users["community_officer"])
    note = _sms().get()
    case = Case.objects.get(tracking_code=handoff.case_ref)
    assert note.recipient_id is None and note.address.clear == PHONE
    assert note.message == "case.reply" and note.state == Notification.State.PENDING
    assert (note.target_type, note.target_id) == ("cases.case", str(case.pk))
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM core_notification WHERE id = %s", [note.pk])
        assert PHONE not in cursor.fetchone()[0]
    queued = AuditEvent.objects.get(action="notification.queue")
    assert queued.data["to"] == "139****5678" and PHONE not in json.dumps(queued.data)
    assert queued.user == users["community_officer"]
    # not in anybody's inbox
    assert not notifications.inbox(users["community_officer"]).filter(channel="sms").exists()

    assert notifications.deliver_pending() >= 1
    note.refresh_from_db()
    assert note.state == Notification.State.DELIVERED and note.attempts == 1
    sent = [json.loads(line) for line in outbox_file.read_text().splitlines()]
    assert len(sent) == 1 and sent[0]["to"] == "139****5678"
    text = sent[0]["text"]
    assert f"您反映的事项 {case.number} 有了答复" in text and REPLY in text
    assert f"https://fq.example.cn/r/t/{case.tracking_code}/" in text
    assert PHONE not in outbox_file.read_text()
    assert AuditEvent.objects.filter(action="notification.send", target_id=str(note.pk)).exists()


def test_the_sms_is_in_the_language_the_resident_wrote_in(county, users, outbox_file):
    with translation.override("en"):
        handoff = services.request_handoff(
            "When does the canteen open?", county.grid_a, contact=PHONE
        )
    services.answer_handoff(handoff, "At 11.", actor=users["community_officer"])
    notifications.deliver_pending()
    text = json.loads(outbox_file.read_text().splitlines()[0])["text"]
    assert "has been answered" in text and "At 11." in text
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_no_contact_no_sms(county, users, outbox_file):
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a, contact="")
    services.answer_handoff(handoff, REPLY, actor=users["community_officer"])
    assert not _sms().exists()
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a, contact="微信 abc")
    services.answer_handoff(handoff, REPLY, actor=users["community_officer"])
    assert not _sms().exists()


def test_a_failing_gateway_is_retried_not_lost(county, users, settings):
    settings.SMS_BACKEND = "tests.assistant.test_reply_sms.BrokenGateway"
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a, contact=PHONE)
    services.answer_handoff(handoff, REPLY, actor=users["community_officer"])
    notifications.deliver_pending()  # the officers' in-app rows are delivered, the SMS is not
    note = _sms().get()
    assert note.state == Notification.State.PENDING and note.attempts == 1
    assert "gateway down" in note.last_error and PHONE not in note.last_error


class BrokenGateway:
    def send(self, phone, text):
        raise ConnectionError("gateway down")


def test_withdrawn_consent_takes_the_number_and_stops_the_message(county, users, outbox_file):
    from fengqiao.cases import services as cases_services

    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a, contact=PHONE)
    services.answer_handoff(handoff, REPLY, actor=users["community_officer"])
    case = Case.objects.get(tracking_code=handoff.case_ref)
    cases_services.withdraw_consent(case, contact=PHONE)
    note = _sms().get()
    assert not note.address and note.state == Notification.State.FAILED
    notifications.deliver_pending()
    assert not outbox_file.exists()

"""PIPL on the resident's side (issue 14): separate consent for sensitive personal information
(Art. 29) and withdrawal of consent with deletion of the reporter's personal data while the unit
keeps the case (Art. 15, 47); both leave a processing record."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fengqiao.cases import services
from fengqiao.cases.models import Case
from fengqiao.core.models import Attachment, AuditEvent
from fengqiao.core.workflow import timeline
from tests.cases.helpers import jpeg_bytes, wav_bytes


def report_form(**extra):
    data = {
        "client_id": "c0ffee00aa11bb22",
        "category": "cityscape",
        "description": "楼下垃圾堆放三天无人清理",
        "location_text": "幸福路12号",
        "reporter_name": "李四",
        "reporter_phone": "13812345678",
        "consent": "on",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    "sensitive",
    [
        {"lat": "29.72", "lng": "120.52"},
        {"photos": "photo"},
        {"voice": "voice"},
    ],
)
def test_sensitive_data_needs_its_own_consent(client, county, sensitive):
    files = {
        "photo": lambda: SimpleUploadedFile("p.jpg", jpeg_bytes(), content_type="image/jpeg"),
        "voice": lambda: SimpleUploadedFile("v.wav", wav_bytes(2), content_type="audio/wav"),
    }
    data = {k: files[v]() if v in files else v for k, v in sensitive.items()}
    response = client.post(f"/r/g/{county.grid_a.code}/", report_form(**data))
    assert response.status_code == 400
    assert "单独勾选同意" in response.content.decode()
    assert not Case.objects.exists()


def test_words_only_need_no_sensitive_consent_and_consents_are_recorded(client, county):
    response = client.post(f"/r/g/{county.grid_a.code}/", report_form())
    assert response.status_code == 302
    entry = timeline(Case.objects.get()).first()
    assert entry.data["consent"] == {"notice": True, "sensitive": False}


def _reported_with_everything(client, county):
    photo = SimpleUploadedFile("p.jpg", jpeg_bytes(), content_type="image/jpeg")
    voice = SimpleUploadedFile("v.wav", wav_bytes(2), content_type="audio/wav")
    response = client.post(
        f"/r/g/{county.grid_a.code}/",
        report_form(
            lat="29.72",
            lng="120.52",
            photos=[photo],
            voice=voice,
            sensitive_consent="on",
            reporter_email="",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:500]
    case = Case.objects.get()
    assert timeline(case).first().data["consent"] == {"notice": True, "sensitive": True}
    return case


def test_withdrawal_removes_personal_data_and_keeps_the_case(client, county):
    case = _reported_with_everything(client, county)
    files = list(Attachment.objects.filter(entry__object_id=case.pk))
    paths = [f.file.path for f in files]
    assert len(files) == 2
    url = f"/r/t/{case.tracking_code}/do/withdraw/"

    wrong = client.post(url, {"contact": "13900000000", "confirm": "1"})
    assert wrong.status_code == 403
    case.refresh_from_db()
    assert case.reporter_phone.clear == "13812345678"

    done = client.post(url, {"contact": "138 1234 5678", "confirm": "1"})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.reporter_name.clear == "" and case.reporter_phone.clear == ""
    assert case.reporter_phone_hash == ""
    assert case.lat is None and case.lng is None and case.anonymous
    assert not Attachment.objects.filter(pk__in=[f.pk for f in files]).exists()
    assert not any(__import__("os").path.exists(p) for p in paths)
    # the unit keeps the case: category, place, description and its timeline
    assert case.description == "楼下垃圾堆放三天无人清理" and case.place == county.grid_a
    kinds = [e.transition for e in timeline(case)]
    assert kinds[0] == "report" and kinds[-1] == "consent_withdrawn"
    row = AuditEvent.objects.get(action="resident.consent_withdrawn")
    assert set(row.data["removed"]) == {"name", "phone", "location", "files"}
    # the reporter sees it on the tracking page
    page = client.get(f"/r/t/{case.tracking_code}/").content.decode()
    assert "撤回个人信息处理同意" in page


def test_withdrawal_needs_the_confirmation(client, county):
    case = _reported_with_everything(client, county)
    response = client.post(f"/r/t/{case.tracking_code}/do/withdraw/", {"contact": "13812345678"})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.reporter_phone.clear == "13812345678"


def test_withdrawal_of_an_anonymous_report_needs_only_the_code(county):
    case, _created = services.report(
        place=county.grid_a,
        category="cityscape",
        description="路灯坏了",
        source="resident",
        lat=29.72,
        lng=120.52,
        anonymous=True,
    )
    assert services.withdraw_consent(case) == ["location"]


def test_withdrawal_masks_free_text_triage_copies_and_notifications(county, make_user):
    """The reporter's personal data also leaves the free text of the report, the triage queue's
    copy it was placed from and the staff notifications about it (issue 14)."""
    from fengqiao.cases import triage
    from fengqiao.core.models import Notification

    dispatcher = make_user("dispatcher", places=[county.county], username="dispatcher-pipl")
    words = "我是王小明，电话13812345678，身份证330102199001011234，幸福路12号路灯坏了"
    pending, _created = triage.hold(
        county=county.county,
        category="cityscape",
        description=words,
        source="open311",
        channel="o311",
        location_text="王小明家门口 13812345678",
        reporter_name="王小明",
        reporter_phone="13812345678",
        reporter_email="xiaoming@example.com",
    )
    case = triage.place(pending, dispatcher, grid=county.grid_a)
    assert Notification.objects.filter(target_id=str(case.pk)).exists()

    removed = services.withdraw_consent(case, contact="13812345678")
    assert {"name", "phone", "email", "text", "copies"} <= set(removed)

    def clean(text):
        text = str(text)
        return not any(v in text for v in ("13812345678", "330102199001011234", "小明", "xiaoming"))

    case.refresh_from_db()
    assert clean(case.description) and clean(case.location_text), case.description
    assert "路灯坏了" in case.description  # the unit keeps the report itself
    pending.refresh_from_db()
    assert pending.reporter_phone.clear == "" and pending.reporter_name.clear == ""
    assert pending.reporter_email.clear == "" and pending.anonymous
    assert clean(pending.description) and clean(pending.location_text)
    for note in Notification.objects.filter(target_id=str(case.pk)):
        assert clean(note.title) and clean(note.body) and clean(note.params), note.params

"""Lawful redaction of timeline text (PIPL Art. 47) through the append-only triggers (issue 14):
ordinary UPDATEs of the timeline, the audit log and the redaction record stay refused by the
database itself (SQLite and PostgreSQL); ``core.redaction`` replaces a text by the marker only, with
a redaction row and an audit row; a reporter's withdrawal redacts their words in the timeline."""

import pytest
from django.db import DatabaseError, connection, models, transaction

from fengqiao.cases import services
from fengqiao.core import audit
from fengqiao.core.models import REDACTED, AuditEvent, TimelineEntry, TimelineRedaction
from fengqiao.core.redaction import redact_entry
from fengqiao.core.workflow import append_timeline, timeline

PHONE = "13812345678"


def _refused(sql, params):
    """The statement fails in the database (not in the application)."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
    assert "append-only" in str(caught.value)


def _raw_update(entry, **changes):
    """An UPDATE that skips the application's guard (the base QuerySet), as a bug or an attacker
    with the application's database login would send it."""
    with transaction.atomic():
        models.QuerySet.update(TimelineEntry.objects.filter(pk=entry.pk), **changes)


@pytest.fixture
def case(county):
    case, _created = services.report(
        place=county.grid_a,
        category="cityscape",
        description="幸福路12号路灯坏了",
        source="resident",
        reporter_name="王小明",
        reporter_phone=PHONE,
    )
    return case


def _entry(case, note="我是王小明，电话13812345678", data=None):
    return append_timeline(
        case,
        "add_info",
        actor_name="反映人",
        from_state=case.state,
        note=note,
        data=data if data is not None else {"comment": "王小明的话", "digest": "abc", "n": 1},
    )


@pytest.mark.django_db
def test_ordinary_updates_of_the_timeline_are_refused_by_the_database(case):
    entry = _entry(case)
    _refused("UPDATE core_timelineentry SET note = %s WHERE id = %s", ["改写的历史", entry.pk])
    _refused("UPDATE core_timelineentry SET actor_name = %s WHERE id = %s", ["别人", entry.pk])
    # not even to the marker: no redaction row names the field
    _refused("UPDATE core_timelineentry SET note = %s WHERE id = %s", [REDACTED, entry.pk])
    with pytest.raises(DatabaseError):
        _raw_update(entry, transition="close")
    # the audit log and the redaction record: no UPDATE at all (SQLite as well as PostgreSQL)
    row = audit.record("test.event", target=case)
    _refused("UPDATE core_auditevent SET action = %s WHERE id = %s", ["x", row.pk])
    entry.refresh_from_db()
    assert entry.note == "我是王小明，电话13812345678" and entry.actor_name == "反映人"


@pytest.mark.django_db
def test_a_redaction_row_opens_only_the_named_fields_and_only_to_the_marker(case):
    entry = _entry(case)
    TimelineRedaction.objects.create(entry=entry, reason="test", fields=["note"])
    # the named field, to anything but the marker: refused
    with pytest.raises(DatabaseError):
        _raw_update(entry, note="另一段话")
    # the named field to the marker while moving the time or the step: refused
    with pytest.raises(DatabaseError):
        _raw_update(entry, note=REDACTED, transition="close")
    with pytest.raises(DatabaseError):
        _raw_update(entry, note=REDACTED, actor_name="系统")
    # a data value not named by the redaction row: refused even to the marker
    with pytest.raises(DatabaseError):
        _raw_update(entry, note=REDACTED, data={"comment": REDACTED, "digest": "abc", "n": 1})
    # adding or dropping a key of the data: refused
    with pytest.raises(DatabaseError):
        _raw_update(entry, data={"comment": "王小明的话", "digest": "abc", "n": 1, "x": REDACTED})
    with pytest.raises(DatabaseError):
        _raw_update(entry, data={"comment": "王小明的话", "digest": "abc"})
    entry.refresh_from_db()
    assert entry.note.startswith("我是王小明")
    # the one admitted change: the named field to the marker, nothing else moved
    _raw_update(entry, note=REDACTED)
    entry.refresh_from_db()
    assert entry.note == REDACTED and entry.data["comment"] == "王小明的话"
    # the redaction record itself is append-only
    redaction = TimelineRedaction.objects.get(entry=entry)
    _refused(
        "UPDATE core_timelineredaction SET reason = %s WHERE id = %s",
        ["changed", redaction.pk],
    )


@pytest.mark.django_db
def test_redact_entry_replaces_the_texts_and_keeps_the_entry_with_a_record_and_an_audit_row(case):
    entry = _entry(case)
    before = TimelineEntry.objects.get(pk=entry.pk)
    row = redact_entry(entry, note=True, keys=["comment", "digest"], reason="test", record=case)
    assert row.fields == ["note", "data.comment"]  # the replay digest is the kernel's, kept
    after = TimelineEntry.objects.get(pk=entry.pk)
    assert after.note == REDACTED and after.data == {"comment": REDACTED, "digest": "abc", "n": 1}
    for field in ("at", "actor_id", "actor_name", "transition", "from_state", "to_state"):
        assert getattr(after, field) == getattr(before, field), field
    audit = AuditEvent.objects.get(action="timeline.redact")
    assert audit.target_id == str(case.pk) and audit.data["fields"] == ["note", "data.comment"]
    assert audit.data["entry"] == entry.pk
    # nothing left to replace: no second record
    assert redact_entry(after, note=True, keys=["comment"], reason="test") is None
    assert TimelineRedaction.objects.filter(entry=entry).count() == 1


@pytest.mark.django_db
def test_withdrawal_redacts_the_reporters_words_in_the_timeline(case, county, make_user):
    officer = make_user("grid_worker", places=[county.grid_a], username="gw-redact")
    services.resident_add_info(case, note="我叫王小明，白天不在家，电话13812345678")
    services.resident_add_info(case, note="路灯杆有裂缝")  # their words too, no number in them
    staff_plain = append_timeline(case, "comment", actor=officer, note="已到现场查看")
    staff_pii = append_timeline(case, "comment", actor=officer, note="已电话联系王小明 13812345678")
    ids = {e.pk: e.transition for e in timeline(case)}

    removed = services.withdraw_consent(case, contact=PHONE)
    assert "timeline" in removed

    entries = {e.pk: e for e in timeline(case)}
    assert set(ids) <= set(entries)  # every step is still there, same step
    assert all(entries[pk].transition == t for pk, t in ids.items())
    added = [e for e in entries.values() if e.transition == "add_info"]
    assert [e.note for e in added] == [REDACTED, REDACTED]
    assert entries[staff_plain.pk].note == "已到现场查看"  # staff work without their data stays
    assert entries[staff_pii.pk].note == REDACTED
    assert entries[staff_pii.pk].actor_id == officer.pk
    text = " ".join(e.note + str(e.data) for e in entries.values())
    assert PHONE not in text and "王小明" not in text and "裂缝" not in text
    assert TimelineRedaction.objects.filter(reason="consent_withdrawn").count() == 3
    assert AuditEvent.objects.filter(action="timeline.redact").count() == 3
    # the staff page shows the marker in the reader's language, not the words
    from fengqiao.cases.presenters import full_timeline

    shown = {e.pk: e.system_note for e in full_timeline(case)}
    assert shown[staff_pii.pk]

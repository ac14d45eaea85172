"""Issue 16 point 7 for the assistant: hand-off and alert notifications are message keys rendered
in the reader's language; old rows get their key from the data migration."""

import importlib

import pytest
from django.apps import apps
from django.utils import translation

from fengqiao.assistant import services
from fengqiao.core.models import Notification

pytestmark = pytest.mark.django_db


def _in(language, note):
    with translation.override(language):
        fresh = Notification.objects.get(pk=note.pk)
        return fresh.display_title, fresh.display_body


def test_handoff_notification_in_both_languages(county, users):
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a)
    note = Notification.objects.filter(kind="assistant.handoff").first()
    assert note.message == "assistant.handoff"
    assert _in("zh-hans", note) == ("群众咨询待答复：老年食堂几点开饭", handoff.question)
    assert _in("en", note) == (
        "Resident question awaiting a reply: 老年食堂几点开饭",
        handoff.question,
    )


def test_old_handoff_rows_get_their_key(county, users):
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a)
    Notification.objects.all().delete()
    old = Notification.objects.create(
        recipient=users["community_officer"],
        kind="assistant.handoff",
        title="群众咨询待答复：老年食堂几点开饭",
        target_type="assistant.handoff",
        target_id=str(handoff.pk),
    )
    migration = importlib.import_module("fengqiao.assistant.migrations.0003_notification_messages")
    migration.forwards(apps, None)
    old.refresh_from_db()
    assert old.message == "assistant.handoff"
    assert _in("en", old)[0].startswith("Resident question awaiting a reply")

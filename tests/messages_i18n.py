"""Shared steps of the "notifications and timelines in the reader's language" tests (issue 16
point 7): render a stored notification in a language, read a record's timeline in English, build
old-format rows and run the data migration that gives them their message key."""

import importlib
import re

from django.apps import apps
from django.utils import translation

from fengqiao.core.models import Notification
from tests.conftest import login

CJK = re.compile(r"[\u4e00-\u9fff]")


def rendered(language, note):
    """(title, body) of ``note`` as a reader of ``language`` sees it (read afresh, rendered then)."""
    with translation.override(language):
        fresh = Notification.objects.get(pk=note.pk)
        return fresh.display_title, fresh.display_body


def has_chinese(text):
    return bool(CJK.search(text))


def timeline(client, user, url, language="en"):
    """The timeline part of a record's page (``id="timeline"`` onwards) as ``user`` reads it."""
    login(client, user)
    html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    return html[html.index('id="timeline"') :]


def old_rows(target, recipient, rows):
    """Notifications as they were stored before message keys (``rows``: (kind, title) pairs) about
    ``target``, every other notification deleted first."""
    Notification.objects.all().delete()
    base = {"target_type": target._meta.label_lower, "target_id": str(target.pk)}
    return [
        Notification.objects.create(recipient=recipient, kind=kind, title=title, **base)
        for kind, title in rows
    ]


def migrate_forwards(module, rows):
    """Run a data migration's ``forwards`` over the database, then reload ``rows``."""
    importlib.import_module(module).forwards(apps, None)
    for row in rows:
        row.refresh_from_db()
    return rows

"""Chinese first, English second: the language switch really changes the pages."""

from pathlib import Path

import polib
import pytest

import fengqiao

ROOT = Path(fengqiao.__file__).parent
CATALOGS = sorted(ROOT.glob("locale/en/LC_MESSAGES/django.po")) + sorted(
    ROOT.glob("*/locale/en/LC_MESSAGES/django.po")
)


def test_chinese_by_default(client, db):
    assert "工作人员登录" in client.get("/login/").content.decode()


def test_english_on_request(client, db):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Staff sign-in" in page and "工作人员登录" not in page


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_english_catalogs_are_complete(path):
    """The project catalog (core, org, web) and each app's own catalog."""
    catalog = polib.pofile(str(path))
    missing = [e.msgid for e in catalog.untranslated_entries()]
    missing += [e.msgid for e in catalog.fuzzy_entries()]
    assert not missing, f"{len(missing)} strings without English: {missing[:10]}"
    assert path.with_suffix(".mo").exists()

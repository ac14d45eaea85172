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


# Words whose English depends on where they stand (a button or a column, one row or a list);
# every other Chinese source text has one English translation across all the catalogs.
CONTEXTUAL = {
    "成功", "失败", "时限", "消息", "申请人", "说明", "矛盾纠纷", "%(p)s：类别不正确", "结案",
    "查询", "登记", "办结", "反复纠纷", "已反馈", "办理", "反馈", "范围", "问题", "重点单位", "户",
    "实有人口", "实有房屋", "境外人员住宿登记", "房屋", "单位", "走访记录", "记录", "巡防队员",
}  # fmt: skip


def test_the_same_chinese_has_the_same_english_everywhere():
    """Issue 16 point 4: one term for one thing (the inbox, a list and a form agree)."""
    seen = {}
    for path in CATALOGS:
        for entry in polib.pofile(str(path)):
            if entry.msgstr and entry.msgid not in CONTEXTUAL:
                seen.setdefault(entry.msgid, set()).add(entry.msgstr)
    different = {k: sorted(v) for k, v in seen.items() if len(v) > 1}
    assert not different, different

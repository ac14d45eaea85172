"""Chinese first, English second: the language switch really changes the pages."""

import re
from pathlib import Path

import polib
import pytest
from django.utils import translation

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
                seen.setdefault((entry.msgctxt or "", entry.msgid), set()).add(entry.msgstr)
    different = {k: sorted(v) for k, v in seen.items() if len(v) > 1}
    assert not different, different


CJK = re.compile(r"[\u4e00-\u9fff]")


def _labels_shown_by_code():
    """Labels the pages show in place of a code (issue 16 point 7): the menu's domain groups and
    the figures' group-by keys, the dispute workbench's state groups and 民转刑 risk factors, the
    live countdown's units."""
    from fengqiao.disputes.lists import STATE_CHOICES
    from fengqiao.disputes.services import RISK_FLAGS
    from fengqiao.insights.figures import GROUPS
    from fengqiao.web import context

    found = {f"menu group {k}": v for k, v in context.GROUP_LABELS.items()}
    for name, _label, _perm in context.NAVIGATION:
        namespace = name.split(":", 1)[0]
        if namespace != "web":
            found[f"menu group {namespace}"] = context._group_label(namespace)
    found.update({f"figures group {k}": v for k, v in GROUPS.items()})
    found.update({f"dispute state group {k}": v for k, v in STATE_CHOICES})
    found.update({f"risk factor {k}": label for k, (_w, label) in RISK_FLAGS.items()})
    found.update({f"countdown unit {k}": v for k, v in context.COUNTDOWN_UNITS.items()})
    return found


def test_labels_shown_by_code_are_in_english():
    """Group keys, risk-factor labels and countdown units: Chinese by default, English in English
    (a label translated once at import, e.g. ``gettext`` in a module constant, fails here)."""
    labels = _labels_shown_by_code()
    assert len(labels) > 25
    with translation.override("en"):
        english = {key: str(label) for key, label in labels.items()}
    with translation.override("zh-hans"):
        chinese = {key: str(label) for key, label in labels.items()}
    left = {key: text for key, text in english.items() if not text or CJK.search(text)}
    assert not left, left
    assert all(CJK.search(text) for text in chinese.values()), chinese


def test_risk_factor_labels_on_the_dispute_page_follow_the_reader():
    from fengqiao.disputes.services._common import risk_factor_labels

    factors = {"threats": True, "weapons": True, "people": 6, "intensity": 2}
    with translation.override("en"):
        english = risk_factor_labels(factors)
    assert len(english) == 4 and not any(CJK.search(t) for t in english), english
    with translation.override("zh-hans"):
        assert "涉及人数：6" in risk_factor_labels(factors)


def test_countdown_units_reach_the_page_in_the_readers_language(client, users):
    from tests.conftest import login

    login(client, users["dispatcher"])
    zh = client.get("/cases/").content.decode()
    en = client.get("/cases/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "data-countdown-units=" in zh and "已超时" in zh.split("data-countdown-units=")[1][:200]
    units = en.split("data-countdown-units=")[1][:200]
    assert "overdue" in units and not CJK.search(units)

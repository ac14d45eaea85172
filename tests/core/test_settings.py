"""Settings staff can change (系统设置): edited by the system administrator in the staff shell,
validated, audited, versioned; a case keeps the deadline rule it started with."""

import io
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from fengqiao.cases import workdays
from fengqiao.cases.defaults import install
from fengqiao.cases.models import Category, DispatchRule, Holiday
from fengqiao.core.models import AuditEvent, Deadline, SettingVersion
from fengqiao.disputes.models import DisputeType
from tests.cases.helpers import make_case
from tests.conftest import login


@pytest.fixture(autouse=True)
def _categories(db):
    install(Category)


def _accept_due(case):
    return Deadline.objects.get(object_id=case.pk, kind="accept", content_type__model="case").due_at


def _category_post(category, **overrides):
    data = {
        "name": category.name,
        "parent": category.parent_id or "",
        "urgency": category.urgency,
        "allow_anonymous": "on" if category.allow_anonymous else "",
        "description": category.description,
        "keywords": category.keywords,
        "active": "on",
        "sort": category.sort,
        "note": "测试修改",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def test_system_admin_changes_a_deadline_new_cases_only(client, county, users):
    noise = Category.objects.get(code="noise")
    old_case = make_case(county.grid_a, code="noise")
    assert old_case.deadline_rule == {"version": 1, "deadlines": {}}
    login(client, users["system_admin"])
    response = client.post(
        f"/settings/categories/{noise.pk}/", _category_post(noise, dl_ordinary_accept="8h")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    noise.refresh_from_db()
    assert noise.version == 2
    assert noise.deadlines == {"ordinary": {"accept": "8h"}}
    new_case = make_case(county.grid_a, code="noise")
    assert new_case.deadline_rule["version"] == 2
    assert _accept_due(new_case) - new_case.reported_at == timedelta(hours=8)
    # The older case keeps its rule: its accept deadline and every later one (dispatch: 4h).
    assert _accept_due(old_case) - old_case.reported_at == timedelta(hours=4)
    old_case.refresh_from_db()
    assert old_case.deadline_rule["version"] == 1
    # versioned and audited
    versions = list(
        SettingVersion.objects.filter(target_type="cases.category", target_id=str(noise.pk))
        .order_by("version")
        .values_list("version", flat=True)
    )
    assert versions == [1, 2]
    event = AuditEvent.objects.get(action="settings.change", target_id=str(noise.pk))
    assert event.user == users["system_admin"]
    assert event.data["changes"]["deadlines"]["to"] == {"ordinary": {"accept": "8h"}}
    page = client.get(f"/settings/categories/{noise.pk}/").content.decode()
    assert "测试修改" in page and "第2版" in page


def test_later_deadlines_of_an_old_case_follow_its_rule(county, users):
    from fengqiao.cases import services
    from fengqiao.core import versioning

    cityscape = Category.objects.get(code="cityscape")
    old_case = make_case(county.grid_a)
    before = versioning.snapshot(cityscape)
    cityscape.deadlines = {"ordinary": {"dispatch": "2d"}}
    versioning.save(users["system_admin"], cityscape, before=before)
    accepted = services.accept(old_case, users["dispatcher"])
    due = Deadline.objects.get(object_id=accepted.pk, kind="dispatch", content_type__model="case")
    assert due.due_at - due.started_at == timedelta(hours=4)  # the default of rule version 1


@pytest.mark.parametrize(
    "value, message",
    [
        ("4x", "不是有效的时限"),
        ("0h", "时限必须大于0"),
        ("999d", "时限过长"),
        ("abc", "不是有效的时限"),
    ],
)
def test_bad_deadline_is_refused_clearly(client, county, users, value, message):
    noise = Category.objects.get(code="noise")
    login(client, users["system_admin"])
    response = client.post(
        f"/settings/categories/{noise.pk}/", _category_post(noise, dl_urgent_handle=value)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    noise.refresh_from_db()
    assert noise.version == 1 and noise.deadlines == {}
    assert not AuditEvent.objects.filter(action="settings.change").exists()


def test_only_the_system_admin_edits_settings(client, county, users):
    noise = Category.objects.get(code="noise")
    for role in ("dispatcher", "leader", "security_admin", "grid_worker"):
        login(client, users[role])
        assert client.get("/settings/categories/").status_code == 403
        response = client.post(
            f"/settings/categories/{noise.pk}/", _category_post(noise, dl_urgent_handle="2d")
        )
        assert response.status_code == 403
    noise.refresh_from_db()
    assert noise.version == 1
    login(client, users["system_admin"])
    page = client.get("/settings/").content.decode()
    for title in ("事件类别与时限", "派单规则", "纠纷类型与时限", "节假日与调休"):
        assert title in page


def test_dispatch_rule_needs_exactly_one_unit(client, county, users):
    login(client, users["system_admin"])
    cityscape = Category.objects.get(code="cityscape")
    base = {"category": cityscape.pk, "place": county.county.pk}
    response = client.post("/settings/dispatch-rules/new/", base)
    assert response.status_code == 400
    assert "责任部门和责任团队请选择且只选择一个" in response.content.decode()
    response = client.post("/settings/dispatch-rules/new/", {**base, "department": county.urban.pk})
    assert response.status_code == 302
    rule = DispatchRule.objects.get()
    assert AuditEvent.objects.filter(action="settings.add", target_id=str(rule.pk)).exists()
    response = client.post("/settings/dispatch-rules/new/", {**base, "department": county.urban.pk})
    assert response.status_code == 400 and "已有派单规则" in response.content.decode()
    assert client.post(f"/settings/dispatch-rules/{rule.pk}/delete/").status_code == 302
    assert not DispatchRule.objects.exists()
    assert AuditEvent.objects.filter(action="settings.delete").exists()


def test_dispute_type_hours_validated_and_versioned(client, county, users):
    login(client, users["system_admin"])
    kind = DisputeType.objects.order_by("order").first()
    data = {
        "name": kind.name,
        "order": kind.order,
        "active": "on",
        "small_hours": 48,
        "large_hours": 24,
    }
    response = client.post(f"/settings/dispute-types/{kind.pk}/", data)
    assert response.status_code == 400
    assert "大事时限不能短于小事时限" in response.content.decode()
    data.update(large_hours=96, lv_4_large=120)
    assert client.post(f"/settings/dispute-types/{kind.pk}/", data).status_code == 302
    kind.refresh_from_db()
    assert kind.small_hours == 48 and kind.level_hours == {"4": {"large": 120}}
    assert kind.hours("large", 4) == 120
    assert SettingVersion.objects.filter(target_type="disputes.disputetype").count() == 2


def test_holiday_calendar_moves_working_day_deadlines(client, county, users):
    login(client, users["system_admin"])
    monday = date(2026, 11, 9)
    start = timezone.make_aware(datetime(2026, 11, 6, 10, 0))  # a Friday
    assert timezone.localtime(workdays.add_working_days(start, 1)).date() == monday
    response = client.post("/settings/holidays/new/", {"day": "2026-11-08", "kind": "holiday"})
    assert response.status_code == 400
    assert "周末本来就不计工作日" in response.content.decode()
    response = client.post(
        "/settings/holidays/new/", {"day": "2026-11-09", "kind": "holiday", "name": "本地休息日"}
    )
    assert response.status_code == 302
    assert timezone.localtime(workdays.add_working_days(start, 1)).date() == date(2026, 11, 10)
    holiday = Holiday.objects.get()
    client.post(f"/settings/holidays/{holiday.pk}/delete/")
    assert timezone.localtime(workdays.add_working_days(start, 1)).date() == monday


def test_national_calendar_and_the_holiday_table_overriding_it(client, county, users):
    """2026 National Day: 1–7 October off (Thursday to Wednesday), Sunday 20 September and
    Saturday 10 October make-up working days (chinese_calendar); the table still overrides."""
    login(client, users["system_admin"])
    assert [workdays.is_working_day(date(2026, 10, d)) for d in range(1, 12)] == [
        *[False] * 7,  # 1–7 Oct, National Day
        True,  # Thu 8
        True,  # Fri 9
        True,  # Sat 10, make-up working day
        False,  # Sun 11
    ]
    assert workdays.is_working_day(date(2026, 9, 20))  # a make-up Sunday
    before = timezone.make_aware(datetime(2026, 9, 30, 10, 0))  # Wednesday before the holiday
    assert timezone.localtime(workdays.add_working_days(before, 1)).date() == date(2026, 10, 8)
    assert timezone.localtime(workdays.add_working_days(before, 3)).date() == date(2026, 10, 10)
    # already so by the national calendar: refused with a reason
    response = client.post("/settings/holidays/new/", {"day": "2026-10-02", "kind": "holiday"})
    assert response.status_code == 400 and "已是休息日" in response.content.decode()
    response = client.post("/settings/holidays/new/", {"day": "2026-10-10", "kind": "workday"})
    assert response.status_code == 400 and "已是上班日" in response.content.decode()
    # the office keeps the make-up Saturday off, and opens on 7 October
    for day, kind in (("2026-10-10", "holiday"), ("2026-10-07", "workday")):
        response = client.post("/settings/holidays/new/", {"day": day, "kind": kind})
        assert response.status_code == 302
    assert not workdays.is_working_day(date(2026, 10, 10))
    assert workdays.is_working_day(date(2026, 10, 7))
    assert timezone.localtime(workdays.add_working_days(before, 1)).date() == date(2026, 10, 7)


def test_a_year_the_library_does_not_know_falls_back_to_monday_to_friday(settings):
    year = 2099
    assert workdays.national_working_day(date(year, 10, 1)) is None
    assert workdays.is_working_day(date(year, 10, 1))  # a Thursday: no national data
    assert not workdays.is_working_day(date(year, 10, 3))  # Saturday
    settings.FENGQIAO_HOLIDAYS = [f"{year}-10-01"]
    settings.FENGQIAO_WORKDAYS = [f"{year}-10-03"]
    assert not workdays.is_working_day(date(year, 10, 1))
    assert workdays.is_working_day(date(year, 10, 3))


def test_settings_list_exports_to_xlsx_audited(client, county, users):
    login(client, users["system_admin"])
    response = client.get("/settings/categories/?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "代码" and any(r[0] == "noise" for r in rows[1:])
    assert AuditEvent.objects.filter(action="settings.categories.export").exists()

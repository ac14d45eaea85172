"""Issue 16 points 3 and 4: the reporter reopens a closed case within the window (a transition,
throttled, audited); whoever resolved a case cannot verify it (per category: another person, or
another role), enforced by the flow on the locked row."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.cases import services
from fengqiao.cases.models import Case, Category
from fengqiao.core.errors import Forbidden, ServiceError
from fengqiao.core.models import AuditEvent

from .helpers import claimed, closed, resolved

pytestmark = pytest.mark.django_db


def test_resident_reopens_within_the_window(client, county, users):
    case = closed(county.grid_a, users, county)
    assert case.state == "closed"
    page = client.get(f"/r/t/{case.tracking_code}/").content.decode()
    assert 'id="reopen-box"' in page and 'id="assistant-link"' in page
    r = client.post(f"/r/t/{case.tracking_code}/do/reopen/", {"reason": "垃圾又堆回来了"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.reopen_count) == ("accepted", 1)
    assert AuditEvent.objects.filter(action="cases.resident_reopen").exists()


def test_reopen_needs_a_reason(client, county, users):
    case = closed(county.grid_a, users, county)
    r = client.post(f"/r/t/{case.tracking_code}/do/reopen/", {"reason": " "})
    assert r.status_code == 400
    case.refresh_from_db()
    assert case.state == "closed"


def test_reopen_after_the_window_is_refused(client, county, users, settings):
    settings.FENGQIAO_CASE_REOPEN_DAYS = 3
    case = closed(county.grid_a, users, county)
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=4))
    assert 'id="reopen-box"' not in client.get(f"/r/t/{case.tracking_code}/").content.decode()
    with pytest.raises(ServiceError):
        services.resident_reopen(case, reason="还是没有解决")
    case.refresh_from_db()
    assert case.state == "closed"


def test_reopen_is_throttled(client, county, users):
    case = closed(county.grid_a, users, county)
    codes = [
        client.post(f"/r/t/{case.tracking_code}/do/reopen/", {"reason": ""}).status_code
        for _ in range(4)
    ]
    assert codes[-1] == 429


def test_the_resolver_cannot_verify(county, users, make_user):
    case = claimed(county.grid_a, users, county)
    worker = users["grid_worker"]
    # a grid worker on the dispatched team? resolve as the department staff, then try to verify
    case = services.resolve(case, users["department_staff"], data={"result": "已清理"})
    assert case.resolved_by_id == users["department_staff"].pk
    staff = users["department_staff"]
    staff.user_permissions.add(*_perms("verify_case"))
    staff = type(staff).objects.get(pk=staff.pk)
    assert "verify" not in services.allowed_actions(case, staff)
    with pytest.raises(Forbidden):
        services.verify(case, staff, data={"passed": "1"})
    case.refresh_from_db()
    assert case.state == "resolved"
    services.verify(case, worker, data={"passed": "1"})
    case.refresh_from_db()
    assert case.state == "closed"


def test_the_role_rule_needs_another_role(county, users, make_user):
    Category.objects.filter(code="cityscape").update(verification="role")
    case = resolved(county.grid_a, users, county)
    other_staff = make_user("department_staff", department=county.urban)
    other_staff.user_permissions.add(*_perms("verify_case"))
    other_staff = type(other_staff).objects.get(pk=other_staff.pk)
    with pytest.raises(Forbidden):
        services.verify(case, other_staff, data={"passed": "1"})
    services.verify(case, users["grid_worker"], data={"passed": "1"})
    case.refresh_from_db()
    assert case.state == "closed"


def test_the_reporter_confirmation_is_not_blocked(county, users):
    case = resolved(county.grid_a, users, county)
    case = services.resident_confirm(case, solved=True)
    assert case.state == "closed"


def test_verify_through_the_api_refuses_the_resolver(client, county, users, login_as):
    case = resolved(county.grid_a, users, county)
    staff = users["department_staff"]
    staff.user_permissions.add(*_perms("verify_case"))
    login_as(staff)
    r = client.post(
        f"/api/v1/cases/{case.pk}/actions/verify",
        '{"note": "", "data": {"passed": "1"}}',
        content_type="application/json",
    )
    assert r.status_code == 403, r.content


def _perms(codename):
    from django.contrib.auth.models import Permission

    return list(Permission.objects.filter(codename=codename, content_type__app_label="cases"))

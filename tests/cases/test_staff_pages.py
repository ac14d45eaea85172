"""Staff consoles: queue, dispatcher console (duplicates, bulk dispatch), supervision, detail."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fengqiao.cases.models import Case
from fengqiao.core.models import AuditEvent
from fengqiao.core.workflow import sweep_deadlines
from tests.conftest import login

from .helpers import claimed, dispatched, jpeg_bytes, make_case, resolved, rule


def test_queue_sorted_by_deadline_with_countdowns(client, county, users):
    urgent = dispatched(county.grid_a, users, county, code="safety_fire")
    ordinary = dispatched(county.grid_a, users, county)
    login(client, users["department_staff"])
    html = client.get("/cases/").content.decode()
    assert html.index(urgent.number) < html.index(ordinary.number)
    assert 'class="countdown"' in html and "data-due=" in html


def test_queue_all_tab_and_worker_sees_cases_to_verify(client, county, users):
    case = resolved(county.grid_a, users, county)
    login(client, users["grid_worker"])
    assert case.number in client.get("/cases/").content.decode()
    assert case.number in client.get("/cases/?tab=all").content.decode()


def test_dispatch_console_shows_duplicates_and_merges_in_one_click(client, county, users):
    first = make_case(county.grid_a, location_text="幸福路12号")
    second = make_case(county.grid_a, location_text="幸福路12号")
    login(client, users["dispatcher"])
    html = client.get("/cases/dispatch/").content.decode()
    assert "疑似重复" in html and f'id="merge-{second.pk}"' in html
    response = client.post(f"/cases/{second.pk}/act/merge/", {"duplicate_of": first.pk})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.state == "merged" and second.duplicate_of == first


def test_bulk_dispatch_by_rule_and_to_a_unit(client, county, users):
    rule(county)
    cases = [make_case(county.grid_a) for _ in range(3)]
    login(client, users["dispatcher"])
    response = client.post("/cases/dispatch/bulk/", {"ids": [c.pk for c in cases[:2]]}, follow=True)
    assert "已派单 2 件" in response.content.decode()
    response = client.post(
        "/cases/dispatch/bulk/", {"ids": [cases[2].pk], "department": county.centre.pk}
    )
    assert Case.objects.get(pk=cases[2].pk).department == county.centre
    response = client.post("/cases/dispatch/bulk/", {}, follow=True)
    assert "请先勾选" in response.content.decode()


def test_dispatch_console_needs_permission(client, county, users):
    login(client, users["department_staff"])
    assert client.get("/cases/dispatch/").status_code == 403
    assert client.post("/cases/dispatch/bulk/", {"ids": [1]}).status_code == 403


def test_detail_shows_timeline_map_photos_and_allowed_actions(client, county, users):
    case = dispatched(county.grid_a, users, county)
    login(client, users["department_staff"])
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="timeline"' in html and "map-data" in html
    assert 'id="act-claim"' in html and 'id="act-dispatch"' not in html
    assert "139****1111" in html and "13900001111" not in html


def test_actions_through_the_page(client, county, users):
    case = dispatched(county.grid_a, users, county)
    staff = users["department_staff"]
    login(client, staff)
    assert client.post(f"/cases/{case.pk}/act/claim/").status_code == 302
    response = client.post(f"/cases/{case.pk}/act/resolve/", {"result": ""})
    assert response.status_code == 400 and "请填写处置结果" in response.content.decode()
    photo = SimpleUploadedFile("done.jpg", jpeg_bytes(), "image/jpeg")
    client.post(f"/cases/{case.pk}/act/resolve/", {"result": "已清理", "photos": [photo]})
    case.refresh_from_db()
    assert case.state == "resolved"
    # skipping a state is a clear 409
    response = client.post(f"/cases/{case.pk}/act/claim/")
    assert response.status_code == 409 and "不能执行" in response.content.decode()
    assert client.post(f"/cases/{case.pk}/act/nonsense/").status_code == 400
    login(client, users["grid_worker"])
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="act-verify"' in html and 'id="act-rework"' in html
    photo_url = html.split('<img src="')[1].split('"')[0]
    assert client.get(photo_url).status_code == 200
    client.post(f"/cases/{case.pk}/act/verify/", {"passed": "1"})
    case.refresh_from_db()
    assert case.state == "closed"


def test_other_grids_case_id_is_404(client, county, users, users_b):
    theirs = dispatched(county.grid_b, users_b, county)
    login(client, users["grid_worker"])
    assert client.get(f"/cases/{theirs.pk}/").status_code == 404
    assert client.post(f"/cases/{theirs.pk}/act/verify/").status_code == 404
    assert client.get("/cases/999999/").status_code == 404


def test_reveal_reporter_phone_is_audited(client, county, users):
    case = make_case(county.grid_a)
    login(client, users["dispatcher"])
    url = f"/reveal/cases.case/{case.pk}/reporter_phone/"
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "回访核实情况"})
    assert response.content.decode() == "13900001111"
    assert AuditEvent.objects.filter(action="pii.reveal", target_id=str(case.pk)).exists()


def test_supervision_board_after_breach(client, county, users):
    case = dispatched(county.grid_a, users, county, code="safety_fire")
    sweep_deadlines(now=timezone.now() + timedelta(minutes=5))
    login(client, users["dispatcher"])
    html = client.get("/cases/supervision/").content.decode()
    assert case.number in html and "黄牌督办" in html
    login(client, users["department_staff"])
    assert client.get("/cases/supervision/").status_code == 403


def test_staff_entry(client, county, users):
    login(client, users["grid_worker"])
    page = client.get("/cases/new/").content.decode()
    assert county.grid_a.name in page and county.grid_b.name not in page
    data = {
        "client_id": "staffentry0001",
        "source": "hotline",
        "grid": county.grid_a.pk,
        "category": "noise",
        "description": "夜间施工噪音",
        "reporter_phone": "13700001111",
    }
    response = client.post("/cases/new/", data)
    case = Case.objects.get()
    assert response.status_code == 302 and case.source == "hotline"
    assert case.created_by == users["grid_worker"]
    bad = client.post("/cases/new/", {**data, "client_id": "x2", "grid": county.grid_b.pk})
    assert bad.status_code == 400 and Case.objects.count() == 1


def test_grids_page_links_posters(client, county, users):
    login(client, users["grid_worker"])
    html = client.get("/cases/grids/").content.decode()
    assert f"/r/g/{county.grid_a.code}/poster.pdf" in html


@pytest.mark.parametrize("by", ["department", "town", "village", "category"])
def test_figures_page(client, county, users, by):
    claimed(county.grid_a, users, county)
    login(client, users["dispatcher"])
    old = client.get("/cases/figures/", {"by": by})
    assert old.status_code == 301 and old["Location"] == f"/insights/?by={by}"
    response = client.get(old["Location"])
    assert response.status_code == 200 and "立案数" in response.content.decode()


def test_navigation_has_case_entries(client, county, users):
    login(client, users["dispatcher"])
    html = client.get("/").content.decode()
    assert "/cases/dispatch/" in html and "/cases/supervision/" in html

"""One disputes vocabulary (issue 8): the action registry drives the page forms, the JSON API and
the OpenAPI; each action is named after its transition; joint tasks are their own flow; the
workbench sorts by the kernel's ``next_due_at``."""

from datetime import timedelta

from django.utils import timezone

from fengqiao.api import api
from fengqiao.core.models import Deadline
from fengqiao.disputes import services
from fengqiao.disputes.actions import registry
from fengqiao.disputes.models import Dispute, JointTask
from fengqiao.disputes.workflow import flow, task_flow
from tests.conftest import login
from tests.disputes import helpers


def test_every_action_is_named_after_a_transition():
    names = {t.name for t in flow.transitions}
    assert set(registry.names()) <= names
    assert "judicial" not in registry and "judicial_confirmation" not in registry
    assert "performance" not in registry


def test_openapi_has_one_operation_per_action_with_its_own_body():
    paths = api.get_openapi_schema()["paths"]
    for path in registry.api_paths("/api/v1/disputes", "dispute_id"):
        assert "requestBody" in paths[path]["post"], path
    body = paths["/api/v1/disputes/{dispute_id}/actions/next_level"]["post"]["requestBody"]
    assert "NextLevelIn" in str(body)
    assert "/api/v1/disputes/{dispute_id}/actions/{action}" not in paths


def test_api_actions_out_of_scope(client, county, users, users_b):
    theirs = helpers.mediating(county.grid_b, users_b)
    login(client, users["community_officer"])
    for name in ("progress", "agree", "fly"):
        response = client.post(
            f"/api/v1/disputes/{theirs.pk}/actions/{name}",
            {"note": "x"},
            content_type="application/json",
        )
        assert response.status_code == 404, name
    assert Dispute.objects.get(pk=theirs.pk).state == "mediating"


def test_api_body_is_validated_by_the_action_schema(client, county, users):
    dispute = helpers.mediating(county.grid_a, users)
    login(client, users["community_officer"])
    response = client.post(
        f"/api/v1/disputes/{dispute.pk}/actions/next_level",
        {"note": "不成", "to_level": "three"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert Dispute.objects.get(pk=dispute.pk).level == 1


def test_page_and_api_use_the_same_names_for_judicial_confirmation(client, county, users):
    agreement = helpers.signed(county.grid_a, users)
    dispute = agreement.dispute
    login(client, users["community_officer"])
    effective = timezone.localdate(agreement.signed_at).isoformat()
    response = client.post(
        f"/disputes/{dispute.pk}/act/apply_confirmation/",
        {"court": "枫溪县人民法院", "applied_on": effective, "outcome": "pending"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/api/v1/disputes/{dispute.pk}/actions/record_confirmation",
        {"outcome": "confirmed", "decided_on": effective, "confirmation_number": "（2026）浙01"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert agreement.judicial_confirmation.__class__.objects.get().outcome == "confirmed"
    timeline = [
        e["transition"] for e in client.get(f"/api/v1/disputes/{dispute.pk}/timeline").json()
    ]
    assert timeline[-2:] == ["apply_confirmation", "record_confirmation"]


def test_joint_tasks_are_their_own_flow_with_their_own_deadline(county, users):
    dispute = helpers.at_level(county.grid_a, users, 5)
    due = timezone.now() + timedelta(days=2)
    [task] = services.dispatch_joint_tasks(
        dispute,
        users["dispatcher"],
        [{"department": county.urban, "task": "拆除违建围墙", "due_at": due}],
    )
    assert task_flow.model is JointTask
    deadline = Deadline.objects.get(object_id=task.pk, kind="feedback", state="open")
    assert deadline.content_type.model == "jointtask"
    assert not Deadline.objects.filter(kind__startswith="joint:").exists()
    task.refresh_from_db()
    assert task.next_due_at == due
    services.complete_joint_task(task.pk, users["department_staff"], result="已拆除")
    task.refresh_from_db()
    deadline.refresh_from_db()
    assert task.state == "done" and task.next_due_at is None and deadline.state == "met"


def test_workbench_sorts_by_next_due_at(client, county, users):
    later = helpers.mediating(county.grid_a, users)
    sooner = helpers.mediating(county.grid_a, users)
    idle = helpers.make_dispute(county.grid_a, users)
    Dispute.objects.filter(pk=later.pk).update(next_due_at=timezone.now() + timedelta(days=3))
    Dispute.objects.filter(pk=sooner.pk).update(next_due_at=timezone.now() + timedelta(hours=1))
    login(client, users["community_officer"])
    body = client.get("/disputes/?view=all").content.decode()
    positions = [body.index(d.number) for d in (sooner, later, idle)]
    assert positions == sorted(positions)


def test_next_due_at_is_the_earliest_open_deadline(county, users):
    dispute = helpers.mediating(county.grid_a, users)
    mediation = Deadline.objects.get(object_id=dispute.pk, kind="mediation", state="open")
    assert Dispute.objects.get(pk=dispute.pk).next_due_at == mediation.due_at
    services.withdraw(dispute, users["community_officer"], note="撤回")
    assert Dispute.objects.get(pk=dispute.pk).next_due_at is None


# -- one authorization point and the registry's buttons (issue 8) -------------------------------
def _buttons(body):
    """The action forms the detail page renders (``/act/<name>/``), in page order."""
    import re

    return re.findall(r"/act/([a-z_]+)/", body)


def test_detail_buttons_are_the_registrys_available_actions(client, county, users):
    dispute = helpers.mediating(county.grid_a, users)
    for role in ("community_officer", "dispatcher", "grid_worker", "leader"):
        user = users[role]
        login(client, user)
        body = client.get(f"/disputes/{dispute.pk}/").content.decode()
        assert _buttons(body) == registry.available(dispute, user), role
    login(client, users["grid_worker"])  # sees the dispute, may do nothing on it
    assert registry.available(dispute, users["grid_worker"]) == []
    assert 'id="actions"' not in client.get(f"/disputes/{dispute.pk}/").content.decode()


def test_detail_shows_no_buttons_out_of_the_change_scope(client, county, users):
    """A mediator of an earlier level still reads the dispute but acts on it no more."""
    dispute = helpers.at_level(county.grid_a, users, 3)
    first = dispute.attempts.order_by("level", "id").first().mediator
    login(client, first)
    response = client.get(f"/disputes/{dispute.pk}/")
    assert response.status_code == 200
    assert _buttons(response.content.decode()) == []


def test_joint_minutes_button_only_at_the_joint_level(county, users):
    three = helpers.at_level(county.grid_a, users, 3)
    five = helpers.at_level(county.grid_a, users, 5)
    assert "joint_minutes" not in registry.available(three, users["dispatcher"])
    assert "joint_minutes" in registry.available(five, users["dispatcher"])


def _task(county, users):
    dispute = helpers.at_level(county.grid_a, users, 5)
    [task] = services.dispatch_joint_tasks(
        dispute,
        users["dispatcher"],
        [
            {
                "department": county.urban,
                "task": "拆除违建围墙",
                "due_at": timezone.now() + timedelta(days=2),
            }
        ],
    )
    return task


def test_joint_task_operations_come_from_the_task_registry(client, county, users, users_b):
    from fengqiao.disputes.actions import task_registry

    paths = api.get_openapi_schema()["paths"]
    assert task_registry.api_paths("/api/v1/disputes", "task_id") == [
        "/api/v1/disputes/joint-tasks/{task_id}/claim",
        "/api/v1/disputes/joint-tasks/{task_id}/complete",
    ]
    body = paths["/api/v1/disputes/joint-tasks/{task_id}/complete"]["post"]["requestBody"]
    assert "TaskResultIn" in str(body)
    assert "/api/v1/disputes/joint-tasks/{task_id}/{action}" not in paths
    task = _task(county, users)
    # out of scope: 404 for the API and the board's form, whatever the action
    login(client, users_b["dispatcher"])  # the sibling grid's coordinator
    for name in ("claim", "complete", "fly"):
        response = client.post(
            f"/api/v1/disputes/joint-tasks/{task.pk}/{name}",
            {"result": "x"},
            content_type="application/json",
        )
        assert response.status_code == 404, name
    assert client.post(f"/disputes/joint/{task.pk}/claim/").status_code == 404
    # in scope: an unknown name is a clear 400 naming the actions there are
    login(client, users["department_staff"])
    response = client.post(
        f"/api/v1/disputes/joint-tasks/{task.pk}/fly", {}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"]["allowed"] == ["claim", "complete"]
    # the board's form goes through the same registry (its permission included)
    login(client, users["grid_worker"])  # sees the task, may not handle it
    response = client.post(f"/disputes/joint/{task.pk}/claim/")
    assert response.status_code in (302, 403)
    assert JointTask.objects.get(pk=task.pk).state == "dispatched"
    login(client, users["department_staff"])
    assert client.post(f"/disputes/joint/{task.pk}/claim/").status_code == 302
    assert JointTask.objects.get(pk=task.pk).state == "claimed"


def test_department_staff_see_only_their_departments_tasks(county, users):
    from fengqiao.org.models import Department

    task = _task(county, users)
    other = Department.objects.create(
        code="DJX", name="另一部门", kind="justice", place=county.grid_a
    )
    staff = users["department_staff"]
    assert list(JointTask.objects.restrict(staff)) == [task]
    services.dispatch_joint_tasks(
        task.attempt.dispute,
        users["dispatcher"],
        [{"department": other, "task": "另一任务", "due_at": timezone.now() + timedelta(days=2)}],
    )
    assert list(services.visible_tasks(staff)) == [task]
    assert JointTask.objects.restrict(users["dispatcher"]).count() == 2


def test_mediators_qualify_by_permission_not_role_name(county, users):
    """A pick outside the pool must hold the level's ``serve_level_<n>`` permission."""
    from fengqiao.disputes.services import LEVEL_PERMISSIONS

    assert users["lawyer"].has_perm(LEVEL_PERMISSIONS[3])
    assert not users["grid_worker"].has_perm(LEVEL_PERMISSIONS[3])
    assert users["community_officer"].has_perm(LEVEL_PERMISSIONS[4])
    assert users["leader"].has_perm(LEVEL_PERMISSIONS[5])

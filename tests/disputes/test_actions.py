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

"""One cases vocabulary on core.actions (issue 8): the registry drives the page, the API and the
OpenAPI; merge is one transaction; the queue sorts by the kernel's next_due_at."""

import pytest

from fengqiao.api import api
from fengqiao.cases import services
from fengqiao.cases.actions import registry
from fengqiao.cases.models import Case
from fengqiao.cases.workflow import flow
from fengqiao.core import workflow
from fengqiao.core.errors import ServiceError
from fengqiao.core.models import Deadline

from .helpers import claimed, make_case


def test_registry_names_are_the_staff_transitions():
    staff = [t.name for t in flow.transitions]
    for name in ("add_info", "confirm", "rate", "request_reopen", "dispute_settled"):
        staff.remove(name)
    assert registry.names() == staff


def test_openapi_one_operation_per_action_with_its_own_body():
    paths = api.get_openapi_schema()["paths"]
    for path in registry.api_paths("/api/v1/cases", "case_id"):
        assert "requestBody" in paths[path]["post"], path
    assert "CaseResolveIn" in str(paths["/api/v1/cases/{case_id}/actions/resolve"]["post"])
    assert "/api/v1/cases/{case_id}/actions/{name}" not in paths


def test_merge_is_one_transaction(county, users, monkeypatch):
    first, second = make_case(county.grid_a), make_case(county.grid_a)
    real = workflow.append_timeline

    def failing(record, transition, **kwargs):
        if transition == "merged_in":
            raise ServiceError("the target's entry could not be written")
        return real(record, transition, **kwargs)

    monkeypatch.setattr("fengqiao.cases.services.staff.append_timeline", failing)
    with pytest.raises(ServiceError):
        services.merge(second, users["dispatcher"], data={"duplicate_of": first.pk})
    second.refresh_from_db()
    assert second.state == "reported" and second.duplicate_of_id is None
    assert Deadline.objects.filter(object_id=second.pk, state="open").exists()


def test_merge_checks_the_target_as_it_is_now(county, users):
    first, second = make_case(county.grid_a), make_case(county.grid_a)
    stale = Case.objects.get(pk=first.pk)
    services.merge(
        Case.objects.get(pk=first.pk), users["dispatcher"], data={"duplicate_of": second.pk}
    )
    with pytest.raises(ServiceError) as refused:
        services.merge(second, users["dispatcher"], data={"duplicate_of": stale.pk})
    assert refused.value.status == 409


def test_next_due_at_is_kept_by_the_kernel(county, users):
    case = claimed(county.grid_a, users, county)
    open_due = sorted(
        Deadline.objects.filter(object_id=case.pk, state="open").values_list("due_at", flat=True)
    )
    assert Case.objects.get(pk=case.pk).next_due_at == open_due[0]
    case = services.resolve(case, users["department_staff"], data={"result": "已处理"})
    verify = Deadline.objects.get(object_id=case.pk, state="open", kind="verify")
    assert Case.objects.get(pk=case.pk).next_due_at == verify.due_at

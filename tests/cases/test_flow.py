"""The case flow: every transition, its guards, deadlines, timeline and notifications."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.cases import services
from fengqiao.cases.models import Case, SupervisionCard
from fengqiao.cases.workdays import add_working_days
from fengqiao.cases.workflow import flow
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.core.models import Deadline, Notification
from fengqiao.core.workflow import open_deadlines, sweep_deadlines, timeline

from .helpers import category, claimed, closed, dispatched, make_case, resolved, rule


def transitions(case):
    return [e.transition for e in timeline(case)]


def test_report_creates_case_with_timeline_deadline_and_tells_dispatcher(county, users):
    case = make_case(county.grid_a)
    assert case.state == "reported"
    assert case.tracking_code and case.number.startswith("FQ")
    assert transitions(case) == ["report"]
    assert [d.kind for d in open_deadlines(case)] == ["accept"]
    assert case.next_due_at is not None
    assert Notification.objects.filter(recipient=users["dispatcher"], kind="case.report").exists()
    # personal data stored encrypted, shown masked
    assert str(case.reporter_phone) == "139****1111"
    assert str(Case.objects.get(pk=case.pk).reporter_name) == "张*"


def test_replayed_client_id_returns_the_same_case(county):
    first = make_case(county.grid_a, client_id="abc-12345678")
    again = make_case(county.grid_a, client_id="abc-12345678", description="different text")
    assert first.pk == again.pk
    assert Case.objects.count() == 1
    assert Case.objects.get().description == first.description


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"description": " "}, "required"),
        ({"lat": "91", "lng": "120"}, "invalid_location"),
        ({"lat": "29.7"}, "invalid_location"),
        ({"reporter_phone": "12345"}, "invalid_phone"),
        ({"client_id": "x"}, "invalid_client_id"),
        ({"description": "x" * 4001}, "too_long"),
    ],
)
def test_report_rejects_bad_input(county, kwargs, code):
    with pytest.raises(ServiceError) as exc:
        make_case(county.grid_a, **kwargs)
    assert exc.value.code == code
    assert Case.objects.count() == 0


def test_unknown_category_and_non_leaf(county):
    with pytest.raises(ServiceError) as exc:
        services.category_by_code("nope")
    assert exc.value.code == "unknown_category"
    with pytest.raises(ServiceError) as exc:
        services.category_by_code("safety")
    assert exc.value.code == "category_not_leaf"


def test_anonymity_follows_the_category(county):
    case = make_case(county.grid_a, code="noise", anonymous=True)
    assert case.anonymous and not case.reporter_phone
    with pytest.raises(ServiceError) as exc:
        make_case(county.grid_a, code="dispute", anonymous=True)
    assert exc.value.code == "anonymous_not_allowed"
    with pytest.raises(ServiceError) as exc:
        make_case(county.grid_a, code="dispute", reporter_phone="")
    assert exc.value.code == "phone_required"


def test_staff_entry_needs_permission_and_jurisdiction(county, users, users_b):
    case = make_case(county.grid_a, actor=users["grid_worker"])
    assert case.created_by == users["grid_worker"]
    with pytest.raises(NotFound):
        make_case(county.grid_b, actor=users["grid_worker"])
    with pytest.raises(Forbidden):
        make_case(county.grid_a, actor=users["department_staff"])


def test_accept_reject_merge(county, users):
    dispatcher = users["dispatcher"]
    case = make_case(county.grid_a)
    services.accept(case, dispatcher)
    case.refresh_from_db()
    assert case.state == "accepted" and case.accepted_at
    assert [d.kind for d in open_deadlines(case)] == ["dispatch"]

    other = make_case(county.grid_a)
    with pytest.raises(ServiceError) as exc:
        services.reject(other, dispatcher, data={"reason": ""})
    assert exc.value.code == "required"
    services.reject(other, dispatcher, data={"reason": "不属于受理范围"})
    other.refresh_from_db()
    assert other.state == "rejected" and other.rejected_reason == "不属于受理范围"
    assert not open_deadlines(other).exists()

    dup = make_case(county.grid_a)
    services.merge(dup, dispatcher, data={"duplicate_of": case.pk})
    dup.refresh_from_db()
    assert dup.state == "merged" and dup.duplicate_of_id == case.pk
    assert "merged_in" in transitions(case)
    with pytest.raises(ServiceError):
        services.merge(make_case(county.grid_a), dispatcher, data={"duplicate_of": "x"})


def test_merge_into_out_of_scope_case_is_404(county, users, users_b):
    mine = make_case(county.grid_a)
    theirs = make_case(county.grid_b)
    with pytest.raises(NotFound):
        services.merge(mine, users["dispatcher"], data={"duplicate_of": theirs.pk})


def test_likely_duplicate_is_flagged(county):
    first = make_case(county.grid_a, location_text="幸福路12号")
    second = make_case(county.grid_a, location_text="幸福路12号")
    assert second.likely_duplicate_of_id == first.pk
    near = make_case(county.grid_a, lat=29.72, lng=120.52, location_text="a")
    near2 = make_case(county.grid_a, lat=29.7201, lng=120.5201, location_text="b")
    far = make_case(county.grid_a, lat=29.73, lng=120.52, location_text="c")
    assert near2.likely_duplicate_of_id == near.pk
    assert far.likely_duplicate_of_id is None


def test_dispatch_by_rule_and_by_choice(county, users):
    dispatcher = users["dispatcher"]
    case = make_case(county.grid_a)
    with pytest.raises(ServiceError) as exc:
        services.dispatch(case, dispatcher)
    assert exc.value.code == "unit_required"
    rule(county)
    case = services.dispatch(case, dispatcher)
    assert case.state == "dispatched" and case.department == county.urban
    assert transitions(case) == ["report", "accept", "dispatch"]
    assert {d.kind for d in open_deadlines(case)} == {"claim", "handle"}
    assert Notification.objects.filter(recipient=users["department_staff"], kind="case.dispatch")
    assert case.handle_due_at is not None


def test_auto_dispatch_rule(county, users):
    rule(county, auto=True)
    case = make_case(county.grid_a)
    assert case.state == "dispatched" and case.department_id == county.urban.pk


def test_skipping_a_state_is_a_conflict(county, users):
    case = make_case(county.grid_a)
    with pytest.raises(NotFound):  # not dispatched to the department: not even visible
        services.claim(case, users["department_staff"])
    with pytest.raises(Conflict):
        services.claim(case, users["grid_worker"])
    with pytest.raises(Conflict):
        services.resolve(case, users["dispatcher"], data={"result": "x"})
    with pytest.raises(Conflict):
        services.act(case, "close", users["dispatcher"])


def test_claim_only_by_the_unit(county, users, make_user):
    case = dispatched(county.grid_a, users, county)
    with pytest.raises(Forbidden):
        services.claim(case, users["grid_worker"])
    outsider = make_user("department_staff", department=county.centre)
    with pytest.raises(NotFound):
        services.claim(case, outsider)
    case = services.claim(case, users["department_staff"])
    assert case.state == "claimed" and case.assignee == users["department_staff"]
    with pytest.raises(Conflict):
        services.claim(case, users["department_staff"])


def test_return_goes_back_to_dispatch(county, users):
    case = dispatched(county.grid_a, users, county)
    staff = users["department_staff"]
    with pytest.raises(ServiceError):
        services.return_case(case, staff, data={"reason": ""})
    case = services.return_case(case, staff, data={"reason": "不属于本部门职责"})
    assert case.state == "returned" and case.department is None
    assert [d.kind for d in open_deadlines(case)] == ["dispatch"]
    # out of the department's sight now
    assert not Case.objects.restrict(staff).filter(pk=case.pk).exists()
    case = services.dispatch(case, users["dispatcher"], data={"department": county.urban.pk})
    assert case.state == "dispatched"


def test_urgent_deadlines_and_handling(county, users):
    case = dispatched(county.grid_a, users, county, code="safety_fire")
    assert case.urgency == "urgent"
    kinds = {d.kind: d for d in open_deadlines(case)}
    assert set(kinds) == {"claim", "contact", "arrive", "handle"}
    assert kinds["claim"].due_at - kinds["claim"].started_at == timedelta(minutes=1)
    assert kinds["arrive"].due_at - kinds["arrive"].started_at == timedelta(minutes=10)
    staff = users["department_staff"]
    case = services.claim(case, staff)
    case = services.act(case, "contact", staff)
    assert case.state == "in_progress" and case.contacted_at
    case = services.act(case, "arrive", staff)
    assert case.arrived_at
    case = services.act(case, "progress", staff, note="已组织清理楼道杂物")
    with pytest.raises(ServiceError):
        services.act(case, "progress", staff, note="")
    assert [d.kind for d in open_deadlines(case)] == ["handle"]


def test_extension_request_and_approval(county, users):
    case = claimed(county.grid_a, users, county)
    staff, dispatcher = users["department_staff"], users["dispatcher"]
    before = case.handle_due_at
    with pytest.raises(ServiceError):
        services.request_extension(case, staff, note="需要协调", data={"days": 30})
    case = services.request_extension(case, staff, note="需要协调产权单位", data={"days": 2})
    with pytest.raises(ServiceError):
        services.request_extension(case, staff, note="again", data={"days": 2})
    with pytest.raises(Forbidden):
        services.act(case, "approve_extension", staff)
    case = services.act(case, "approve_extension", dispatcher)
    assert case.extension_count == 1 and case.extension_pending is None
    assert case.handle_due_at == add_working_days(before, 2)
    handle = [d for d in open_deadlines(case) if d.kind == "handle"]
    assert handle[0].due_at == case.handle_due_at
    with pytest.raises(ServiceError):
        services.act(case, "approve_extension", dispatcher)


def test_resolve_verify_close_and_rework(county, users):
    case = claimed(county.grid_a, users, county)
    staff = users["department_staff"]
    with pytest.raises(ServiceError):
        services.resolve(case, staff, data={"result": ""})
    case = services.resolve(case, staff, data={"result": "已拆除"})
    assert case.state == "resolved" and case.on_time is True
    assert [d.kind for d in open_deadlines(case)] == ["verify"]
    assert Notification.objects.filter(recipient=users["grid_worker"], kind="case.resolve")
    # department staff cannot verify their own work
    with pytest.raises(Forbidden):
        services.verify(case, staff)
    case = services.verify(case, users["grid_worker"], note="仍有残留", data={"passed": "0"})
    assert case.state == "in_progress" and case.rework_count == 1
    assert "handle" in {d.kind for d in open_deadlines(case)}
    case = services.resolve(case, staff, data={"result": "已彻底清理"})
    case = services.verify(case, users["grid_worker"], data={"passed": "1"})
    assert case.state == "closed" and case.closed_at
    assert not open_deadlines(case).exists()
    assert transitions(case)[-2:] == ["verify", "close"]


def test_return_visit_and_reopen(county, users):
    case = closed(county.grid_a, users, county)
    assert "reopen" not in services.allowed_actions(case, users["dispatcher"])
    with pytest.raises(ServiceError):
        services.return_visit(case, users["grid_worker"], data={"satisfaction": 9})
    case = services.return_visit(
        case, users["grid_worker"], note="电话回访", data={"satisfaction": 2}
    )
    assert case.satisfaction == 2 and case.return_visited_at
    assert "reopen" in services.allowed_actions(case, users["dispatcher"])
    case = services.act(case, "reopen", users["dispatcher"])
    assert case.state == "accepted" and case.reopen_count == 1 and case.satisfaction is None


def test_reopen_refused_when_satisfied(county, users):
    case = closed(county.grid_a, users, county)
    case = services.return_visit(case, users["grid_worker"], data={"satisfaction": 5})
    with pytest.raises(ServiceError) as exc:
        services.act(case, "reopen", users["dispatcher"])
    assert exc.value.code == "not_dissatisfied"


def test_resident_confirm_rate_and_add_info(county, users):
    case = make_case(county.grid_a)
    services.resident_add_info(case, note="晚上更严重")
    assert "add_info" in transitions(case)
    with pytest.raises(ServiceError):
        services.resident_rate(case, satisfaction=5)  # not closed yet
    case = resolved(county.grid_a, users, county)
    with pytest.raises(ServiceError):
        services.resident_confirm(case, solved=False, note="")
    case = services.resident_confirm(case, solved=True)
    assert case.state == "closed"
    case = services.resident_rate(case, satisfaction=4, comment="谢谢")
    assert case.satisfaction == 4
    with pytest.raises(Conflict):
        services.resident_rate(case, satisfaction=1)
    with pytest.raises(ServiceError):
        services.resident_add_info(case, note="more")


def test_tracking_code_lookup(county):
    case = make_case(county.grid_a)
    assert services.by_tracking_code(case.tracking_code.lower()).pk == case.pk
    for bad in ("", "ZZZZZZZZZZ", "<script>", "x" * 50):
        with pytest.raises(NotFound):
            services.by_tracking_code(bad)


def test_manual_supervision_card(county, users):
    case = dispatched(county.grid_a, users, county)
    services.act(case, "supervise", users["leader"], note="请加快办理")
    card = SupervisionCard.objects.get(case=case)
    assert card.level == 1 and card.issued_by == users["leader"]
    with pytest.raises(ServiceError):
        services.act(case, "supervise", users["leader"], note="")


def test_deadline_breach_gives_yellow_then_red_card_then_review_lists(county, users):
    case = dispatched(county.grid_a, users, county, code="safety_fire")
    now = timezone.now()
    taken = sweep_deadlines(now=now + timedelta(minutes=2))
    assert taken == 1  # the 1-minute claim deadline
    card = SupervisionCard.objects.get(case=case)
    assert card.level == 1 and card.deadline_kind == "claim"
    case.refresh_from_db()
    assert case.supervision_level == 1
    assert Notification.objects.filter(kind="case.card.yellow", recipient=users["dispatcher"])
    assert "supervise" in transitions(case)
    # later: claim red, contact/arrive yellow then red
    sweep_deadlines(now=now + timedelta(hours=1))
    case.refresh_from_db()
    assert case.supervision_level == 2
    assert Notification.objects.filter(kind="case.card.red", recipient=users["leader"])
    # the handle deadline: a week after its breach → town review, two → county review
    handle = Deadline.objects.get(object_id=case.pk, kind="handle", state="open")
    later = handle.due_at + timedelta(days=15)
    steps = [sweep_deadlines(now=later) for _ in range(5)]  # one step per deadline per sweep
    assert steps[-1] == 0
    levels = set(SupervisionCard.objects.filter(case=case).values_list("level", flat=True))
    assert levels == {1, 2, 3, 4}
    assert SupervisionCard.objects.filter(case=case, level=4).count() == 1


def test_stopped_deadline_is_met_or_breached(county, users):
    case = dispatched(county.grid_a, users, county)
    staff = users["department_staff"]
    services.claim(case, staff)
    claim = Deadline.objects.get(object_id=case.pk, kind="claim")
    assert claim.state == "met" and not claim.breached


def test_resolve_after_handle_deadline_is_late(county, users):
    case = claimed(county.grid_a, users, county)
    Case.objects.filter(pk=case.pk).update(handle_due_at=timezone.now() - timedelta(hours=1))
    case.refresh_from_db()
    case = services.resolve(case, users["department_staff"], data={"result": "迟办"})
    assert case.on_time is False


def test_concurrent_like_double_claim_conflicts(county, users, make_user):
    case = dispatched(county.grid_a, users, county)
    colleague = make_user("department_staff", department=county.urban)
    services.claim(case, users["department_staff"])
    with pytest.raises(Conflict):
        services.claim(case, colleague)
    case.refresh_from_db()
    assert case.assignee == users["department_staff"]


def test_bulk_dispatch_reports_each(county, users, users_b):
    rule(county)
    mine = [make_case(county.grid_a) for _ in range(3)]
    theirs = make_case(county.grid_b)
    results = services.bulk_dispatch([c.pk for c in mine] + [theirs.pk, "abc"], users["dispatcher"])
    assert [r["ok"] for r in results] == [True, True, True, False, False]
    assert results[3]["code"] == "not_found"
    assert Case.objects.filter(state="dispatched").count() == 3


def test_available_actions_per_role(county, users):
    case = dispatched(county.grid_a, users, county)
    assert services.allowed_actions(case, users["department_staff"]) == [
        "claim",
        "return",
        "escalate",
    ]
    assert "claim" not in services.allowed_actions(case, users["dispatcher"])
    assert services.allowed_actions(case, users["audit_admin"]) == []


def test_working_days_skip_weekends_and_holidays(settings):
    settings.FENGQIAO_HOLIDAYS = ["2026-11-30"]
    friday = timezone.make_aware(timezone.datetime(2026, 11, 27, 15, 0))
    assert add_working_days(friday, 1).date().isoformat() == "2026-12-01"
    saturday = timezone.make_aware(timezone.datetime(2026, 11, 28, 15, 0))
    due = add_working_days(saturday, 1)
    assert due.date().isoformat() == "2026-12-02" and due.hour == 9


def test_category_deadline_override(county, users):
    cat = category("cityscape")
    cat.deadlines = {"handle": "2d", "ordinary": {"claim": "30m"}}
    cat.save()
    case = dispatched(county.grid_a, users, county)
    kinds = {d.kind: d for d in open_deadlines(case)}
    assert kinds["claim"].due_at - kinds["claim"].started_at == timedelta(minutes=30)
    assert kinds["handle"].due_at == add_working_days(kinds["handle"].started_at, 2)


def test_every_transition_is_tested_somewhere():
    names = {t.name for t in flow.transitions}
    assert names == {
        "accept", "reject", "merge", "dispatch", "claim", "return", "contact", "arrive",
        "progress", "request_extension", "approve_extension", "deny_extension", "escalate",
        "supervise", "resolve", "verify", "rework", "close", "return_visit", "reopen",
        "add_info", "confirm", "rate",
        "spawn_dispute", "dispute_settled",  # tests/cases/test_dispute_link.py
        "answer",  # tests/assistant/test_handoff_loop.py
        "request_reopen",  # tests/cases/test_loops.py
    }  # fmt: skip


def test_deny_extension_and_escalate(county, users):
    case = claimed(county.grid_a, users, county)
    staff = users["department_staff"]
    case = services.request_extension(case, staff, note="需要时间", data={"days": 1})
    case = services.act(case, "deny_extension", users["leader"], note="不予延期")
    assert case.extension_pending is None and case.extension_count == 0
    services.act(case, "escalate", staff, note="需要住建部门协同")
    assert Notification.objects.filter(kind="case.escalate", recipient=users["leader"])


def test_a_sweep_of_many_breaches_sends_one_digest_per_person(county, users):
    cases = [dispatched(county.grid_a, users, county) for _ in range(3)]
    later = timezone.now() + timedelta(days=2)
    before = Notification.objects.filter(recipient=users["dispatcher"]).count()
    sweep_deadlines(now=later)
    notes = Notification.objects.filter(recipient=users["dispatcher"])[: notes_count(users, before)]
    digest = Notification.objects.filter(recipient=users["dispatcher"]).order_by("-id").first()
    assert digest.url == "/cases/supervision/" and cases[0].number in digest.body
    assert SupervisionCard.objects.filter(case__in=cases).count() >= 3
    assert len(notes) >= 1


def notes_count(users, before):
    return Notification.objects.filter(recipient=users["dispatcher"]).count() - before

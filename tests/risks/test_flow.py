"""The filing chain, levels with history, task force, hand-over and close-out, per transition."""

import pytest
from django.contrib.contenttypes.models import ContentType

from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.core.models import AuditEvent, Deadline, Notification
from fengqiao.core.workflow import timeline
from fengqiao.risks import services
from fengqiao.risks.models import LevelChange, Risk, RiskCategory
from tests.risks import helpers

pytestmark = pytest.mark.django_db


def _deadlines(risk, kind):
    return Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(Risk), object_id=risk.pk, kind=kind
    )


def test_fifteen_default_categories_are_reference_data():
    assert RiskCategory.objects.count() == 15
    assert RiskCategory.objects.filter(name="涉稳群体性苗头").exists()


def test_station_applies(county, users):
    risk = helpers.apply(county.grid_a, users, people=[{"name": "王五", "phone": "13900001111"}])
    assert risk.state == "applied" and risk.number.startswith("FX")
    assert risk.unit is None or risk.unit.kind == "station"
    person = risk.people.get()
    assert str(person.name) == "王*" and str(person.phone) == "139****1111"
    assert [e.transition for e in timeline(risk)] == ["apply"]


def test_apply_refuses_bad_input(county, users, users_b):
    with pytest.raises(ServiceError, match="风险名称"):
        helpers.apply(county.grid_a, users, title="  ")
    with pytest.raises(Forbidden):
        services.apply_risk(
            users["grid_worker"], place=county.grid_a, category="fire", title="t", description="d"
        )
    with pytest.raises(NotFound):
        helpers.apply(county.grid_b, users)
    with pytest.raises(ServiceError, match="绿、蓝、橙、红"):
        helpers.apply(county.grid_a, users, level="purple")
    with pytest.raises(ServiceError, match="身份证"):
        helpers.apply(county.grid_a, users, people=[{"name": "王五", "id_number": "123"}])


def test_county_reviews_and_files_with_city(county, users, county_leader):
    risk = helpers.apply(county.grid_a, users, level="orange")
    with pytest.raises(Forbidden, match="枫溪县"):
        services.approve(risk, users["leader"])  # a grid's leader is not the county bureau
    with pytest.raises(Forbidden):
        services.approve(risk, users["community_officer"])
    risk = services.approve(risk, county_leader, note="同意")
    assert risk.state == "approved" and risk.level == "orange"
    assert risk.filing_place == county.county
    history = services.level_history(risk)
    assert [(h.from_level, h.to_level, h.approver) for h in history] == [
        ("", "orange", county_leader)
    ]
    # Orange is reported to the leaders (三长报告).
    assert Notification.objects.filter(kind="risk.level_report", recipient=users["leader"]).exists()
    assert _deadlines(risk, "city_filing").get().state == "open"
    with pytest.raises(ServiceError, match="city_reference"):
        services.file_city(risk, county_leader, city_reference=" ")
    risk = services.file_city(risk, county_leader, city_reference="YH-2026-001")
    assert risk.state == "filed" and risk.city_reference == "YH-2026-001"
    assert _deadlines(risk, "city_filing").get().state == "met"
    with pytest.raises(Conflict):
        services.approve(risk, county_leader)


def test_return_needs_a_note_and_station_resubmits(county, users, county_leader):
    risk = helpers.apply(county.grid_a, users)
    with pytest.raises(ServiceError):
        services.return_risk(risk, county_leader, note="")
    risk = services.return_risk(risk, county_leader, note="补充涉及人员")
    assert risk.state == "returned"
    risk = services.resubmit(risk, users["community_officer"], note="已补充")
    assert risk.state == "applied"


def test_level_change_needs_reason_and_approver(county, users, county_leader):
    risk = helpers.filed(county.grid_a, users)
    officer = users["community_officer"]
    with pytest.raises(ServiceError, match="理由"):
        services.propose_level(risk, officer, to_level="orange", reason=" ")
    with pytest.raises(ServiceError, match="相同"):
        services.propose_level(risk, officer, to_level="blue", reason="无变化")
    risk = services.propose_level(risk, officer, to_level="orange", reason="聚集人数增加到30人")
    assert risk.level == "blue"
    with pytest.raises(Conflict, match="待审批"):
        services.propose_level(risk, officer, to_level="red", reason="again")
    with pytest.raises(Forbidden):
        services.decide_level(risk, officer, approve=True)
    risk = services.decide_level(risk, users["leader"], approve=True, note="同意升橙")
    assert risk.level == "orange"
    change = LevelChange.objects.filter(risk=risk).order_by("-id").first()
    assert (change.state, change.approver, change.reason) == (
        "approved",
        users["leader"],
        "聚集人数增加到30人",
    )
    with pytest.raises(Conflict, match="没有待审批"):
        services.decide_level(risk, users["leader"], approve=True)
    services.propose_level(risk, officer, to_level="green", reason="已化解大半")
    with pytest.raises(ServiceError):
        services.decide_level(risk, users["leader"], approve=False, note="")
    risk = services.decide_level(risk, users["leader"], approve=False, note="尚未稳定")
    assert risk.level == "orange"
    assert [h.to_level for h in services.level_history(risk)] == ["blue", "orange"]


def test_red_needs_a_task_force(county, users):
    risk = helpers.filed(county.grid_a, users)
    risk = services.change_level(risk, users["leader"], to_level="red", reason="扬言极端行为")
    assert _deadlines(risk, "task_force").get().state == "open"
    with pytest.raises(ServiceError):
        services.create_task_force(risk, users["leader"], leader=None, members=[], plan="")
    force = services.create_task_force(
        risk,
        users["leader"],
        leader=users["community_officer"],
        members=[users["police_assistant"].pk],
        plan="24小时稳控，逐户走访",
    )
    assert set(force.members.all()) == {users["community_officer"], users["police_assistant"]}
    assert _deadlines(risk, "task_force").get().state == "met"
    log = services.log_task_force(risk, users["police_assistant"], text="上门走访3户")
    assert log.task_force == force
    with pytest.raises(Conflict):
        services.create_task_force(
            risk, users["leader"], leader=users["leader"], members=[], plan="x"
        )


def test_close_out_needs_evidence_and_filing_level(county, users, county_leader):
    risk = helpers.filed(county.grid_a, users)
    officer = users["community_officer"]
    with pytest.raises(ServiceError, match="证明材料"):
        services.request_close(risk, officer, note="已化解")
    with pytest.raises(ServiceError, match="格式不支持"):
        services.request_close(risk, officer, note="已化解", files=[helpers.not_evidence()])
    risk = services.request_close(risk, officer, note="已化解", files=[helpers.pdf()])
    assert risk.state == "closing"
    entry = [e for e in timeline(risk) if e.transition == "request_close"][0]
    assert entry.attachments.get().name == "化解证明.pdf"
    with pytest.raises(Forbidden, match="枫溪县"):
        services.approve_close(risk, users["leader"])
    risk = services.approve_close(risk, county_leader, note="同意销号")
    assert risk.state == "closed" and risk.closed_at
    risk = services.reopen(risk, officer, note="业主再次聚集", level="orange")
    assert risk.state == "filed" and risk.recurrence_count == 1 and risk.level == "orange"


def test_reject_close_returns_to_register(county, users, county_leader):
    risk = helpers.filed(county.grid_a, users)
    risk = services.request_close(risk, users["community_officer"], note="x", files=[helpers.pdf()])
    with pytest.raises(ServiceError):
        services.reject_close(risk, county_leader, note="")
    risk = services.reject_close(risk, county_leader, note="证据不足")
    assert risk.state == "filed"


def test_out_of_scope_is_not_found_and_views_are_audited(county, users, users_b):
    risk = helpers.apply(county.grid_a, users)
    with pytest.raises(NotFound):
        services.get_risk(users_b["community_officer"], risk.pk)
    with pytest.raises(Forbidden):
        services.get_risk(users["grid_worker"], risk.pk)
    services.view_risk(users["community_officer"], risk.pk)
    event = AuditEvent.objects.get(action="risk.view")
    assert event.target_id == str(risk.pk) and event.user == users["community_officer"]


def test_hand_over_chain_and_feedback_on_the_risk(county, users, county_dispatcher):
    risk = helpers.filed(county.grid_a, users)
    dispatcher = users["dispatcher"]
    handover = services.hand_over(risk, dispatcher, department=county.urban, matter="违建拆除")
    dept = users["department_staff"]  # 城管 staff
    assert services.get_risk(dept, risk.pk) == risk  # they read what was handed to them
    with pytest.raises(NotFound):
        services.get_risk(dept, risk.pk, "change")
    with pytest.raises(Conflict):
        services.handover_step(handover, dispatcher, "transfer")
    for step in ("review", "notify", "transfer"):
        handover = services.handover_step(handover, dispatcher, step, note=step)
    with pytest.raises(ServiceError):
        services.handover_step(handover, dept, "answer", feedback="")
    with pytest.raises(Forbidden):
        services.handover_step(handover, dispatcher, "answer", feedback="x")
    handover = services.handover_step(handover, dept, "answer", feedback="已拆除违建")
    handover = services.handover_step(handover, dispatcher, "archive")
    assert handover.state == "archived" and handover.feedback == "已拆除违建"
    notes = [e.note for e in timeline(risk) if e.transition == "handover_step"]
    assert len(notes) == 5 and "已拆除违建" in notes[3]


def test_assessment_counts_per_unit(county, users, county_leader):
    closed = helpers.filed(county.grid_a, users)
    closed = services.request_close(
        closed, users["community_officer"], note="x", files=[helpers.pdf()]
    )
    services.approve_close(closed, county_leader)
    helpers.apply(county.grid_a, users)
    rows = services.figures(county_leader)
    total = {k: sum(r[k] for r in rows) for k in ("found", "closed", "recurrences")}
    assert total == {"found": 2, "closed": 1, "recurrences": 0}


def test_late_hand_over_step_is_supervised(county, users):
    from datetime import timedelta

    from django.utils import timezone

    from fengqiao.core.workflow import sweep_deadlines

    risk = helpers.filed(county.grid_a, users)
    handover = services.hand_over(risk, users["dispatcher"], department=county.urban, matter="整治")
    sweep_deadlines(now=timezone.now() + timedelta(days=2))
    assert any(e.transition == "supervise" for e in timeline(handover))
    assert Notification.objects.filter(
        kind="risk.handover_overdue", recipient=users["department_staff"]
    ).exists()


def test_categories_are_edited_by_the_system_admin_only(users):
    assert users["system_admin"].has_perm("risks.change_riskcategory")
    assert not users["system_admin"].has_perm("risks.view_risk")
    assert not users["leader"].has_perm("risks.change_riskcategory")

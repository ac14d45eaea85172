"""Every transition of the dispute flow, through the services, with the bad-input cases."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.core import workflow as kernel
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.core.models import Deadline, Notification, TimelineEntry
from fengqiao.core.pii import Sensitive
from fengqiao.disputes import services
from fengqiao.disputes.models import (
    Agreement,
    Attempt,
    Dispute,
    DisputeType,
    JointTask,
    Party,
    Performance,
)
from tests.disputes import helpers

pytestmark = pytest.mark.django_db


def transitions(dispute):
    return [e.transition for e in kernel.timeline(dispute)]


# -- registration ---------------------------------------------------------------------------
def test_register_encrypts_parties_and_writes_timeline(county, users):
    dispute = helpers.make_dispute(county.grid_a, users)
    assert dispute.state == "registered" and dispute.number.startswith("JF")
    assert len(dispute.tracking_code) >= 16
    party = Party.objects.get(dispute=dispute, order=0)
    assert isinstance(party.id_number, Sensitive)
    assert str(party.id_number) != helpers.ID_A and party.id_number.clear == helpers.ID_A
    assert str(party.name) == "张*"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM disputes_party WHERE id = %s", [party.pk])
        raw = cursor.fetchone()[0]
    assert helpers.ID_A not in raw
    assert transitions(dispute) == ["register"]
    assert dispute.risk_level == "low" and not dispute.on_risk_register


def test_high_risk_alerts_the_leader_and_marks_the_register(county, users):
    dispute = helpers.make_dispute(
        county.grid_a,
        users,
        risk={"threats": True, "violence": "1", "weapons": "on", "people": 6, "intensity": 3},
    )
    assert dispute.risk_level == "high" and dispute.risk_score >= 60
    assert dispute.on_risk_register
    note = Notification.objects.get(recipient=users["leader"], kind="dispute.high_risk")
    assert dispute.number in note.title
    assert "risk_alert" in transitions(dispute)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"parties": helpers.parties()[:1]}, "parties_required"),
        ({"parties": [{"name": "张三", "id_number": "123"}, {"name": "李四"}]}, "invalid_parties"),
        ({"parties": [{"name": "张三", "phone": "12"}, {"name": "李四"}]}, "invalid_parties"),
        ({"parties": [{"name": ""}, {"name": "李四"}]}, "invalid_parties"),
        ({"facts": "  "}, "required"),
        ({"type": "nonsense"}, "invalid_type"),
        ({"amount": "abc"}, "invalid_amount"),
        ({"risk": {"intensity": 9}}, "invalid_risk"),
    ],
)
def test_register_refuses_bad_input(county, users, change, code):
    with pytest.raises(ServiceError) as err:
        helpers.make_dispute(county.grid_a, users, **change)
    assert err.value.code == code and err.value.status == 400
    assert not Dispute.objects.exists()


def test_register_outside_jurisdiction_or_without_permission(county, users):
    with pytest.raises(NotFound):
        helpers.make_dispute(county.grid_c, users)
    with pytest.raises(Forbidden):
        helpers.make_dispute(county.grid_a, users, actor=users["mediator"])


def test_recurrence_between_the_same_people_is_flagged(county, users, users_b):
    first = helpers.make_dispute(county.grid_a, users)
    second = helpers.make_dispute(county.grid_b, users_b)  # same phones, other grid
    assert second.is_recurrence and second.recurrence_of == first
    other = helpers.make_dispute(
        county.grid_c,
        {"community_officer": _officer_c(county)},
        parties=helpers.parties(
            "13700003333",
            "13600004444",
            ids=(helpers.id_number("33010219900101003"), helpers.id_number("33010219910101004")),
        ),
    )
    assert not other.is_recurrence


def _officer_c(county):
    from fengqiao.org import services as org_services

    return org_services.create_staff(
        username="officer-c",
        password="x",
        roles=["community_officer"],
        places=[county.grid_c],
        skip_password_rules=True,
    )


def test_register_from_case_keeps_the_case_id(county, users):
    from fengqiao.cases import services as case_services
    from fengqiao.cases.models import Case, Category

    case, _created = case_services.report(
        place=county.grid_a,
        category=Category.objects.get(code="cityscape"),
        description="邻居楼道堆物，双方争吵",
        source=Case.Source.RESIDENT,
        reporter_phone="13512345678",
    )
    dispute = services.register_from_case(case, users["grid_worker"], parties=helpers.parties())
    assert dispute.source_case_id == case.pk and dispute.facts == case.description


# -- the ladder -----------------------------------------------------------------------------
def test_start_assigns_the_elder_and_starts_the_one_day_limit(county, users):
    helpers.pool(county.grid_a, users)
    dispute = helpers.make_dispute(county.grid_a, users)
    now = timezone.now()
    dispute = services.start_mediation(dispute, users["community_officer"], now=now)
    assert dispute.state == "mediating" and dispute.level == 1
    assert dispute.mediator == users["mediator"]  # least-loaded pool member
    deadline = Deadline.objects.get(kind="mediation", state="open")
    assert deadline.due_at == now + timedelta(hours=24)
    assert Attempt.objects.get(dispute=dispute).mediator == users["mediator"]
    assert Notification.objects.filter(
        recipient=users["mediator"], kind="dispute.assigned"
    ).exists()


def test_large_matters_get_three_days_and_levels_are_configurable(county, users):
    kind = DisputeType.objects.get(code="neighbour")
    kind.level_hours = {"1": {"large": 48}}
    kind.save()
    helpers.pool(county.grid_a, users)
    dispute = helpers.make_dispute(county.grid_a, users, size="large")
    now = timezone.now()
    services.start_mediation(dispute, users["community_officer"], now=now)
    assert Deadline.objects.get(state="open").due_at == now + timedelta(hours=48)
    dispute.refresh_from_db()
    services.next_level(dispute, users["community_officer"], note="不成", now=now)
    assert Deadline.objects.get(state="open").due_at == now + timedelta(hours=72)


def test_mediator_cannot_start_and_sees_only_their_disputes(county, users, users_b):
    helpers.pool(county.grid_a, users)
    dispute = helpers.make_dispute(county.grid_a, users)
    with pytest.raises((Forbidden, NotFound)):
        services.start_mediation(dispute, users["mediator"])
    assert not Dispute.objects.restrict(users["mediator"]).exists()
    services.start_mediation(dispute, users["community_officer"])
    assert list(Dispute.objects.restrict(users["mediator"])) == [dispute]
    assert not Dispute.objects.restrict(users_b["mediator"]).exists()
    assert not Dispute.objects.restrict(users["lawyer"]).exists()


def test_elder_moves_it_to_level_two_then_only_reads_it(county, users):
    dispute = helpers.mediating(county.grid_a, users)
    dispute = services.next_level(dispute, users["mediator"], note="拉呱调两次，双方各执一词")
    assert dispute.level == 2 and dispute.mediator == users["police_assistant"]
    first = Attempt.objects.get(dispute=dispute, level=1)
    assert first.outcome == "failed" and "各执一词" in first.summary
    assert Dispute.objects.restrict(users["mediator"]).filter(pk=dispute.pk).exists()
    assert not Dispute.objects.restrict(users["mediator"], "change").filter(pk=dispute.pk).exists()
    with pytest.raises(NotFound):
        services.next_level(dispute, users["mediator"], note="再转")


def test_skipping_a_level_needs_a_reason(county, users):
    dispute = helpers.mediating(county.grid_a, users)
    with pytest.raises(ServiceError) as err:
        services.next_level(dispute, users["community_officer"], note="不成", to_level=4)
    assert err.value.code == "skip_reason_required"
    dispute.refresh_from_db()
    assert dispute.level == 1 and Attempt.objects.filter(dispute=dispute).count() == 1
    dispute = services.next_level(
        dispute, users["community_officer"], note="不成", to_level=4, skip_reason="矛盾激化，需听证"
    )
    assert dispute.level == 4 and dispute.mediator == users["community_officer"]
    assert Attempt.objects.get(dispute=dispute, level=4).skip_reason == "矛盾激化，需听证"


def test_next_level_refuses_going_down_or_past_five(county, users):
    dispute = helpers.at_level(county.grid_a, users, 2)
    with pytest.raises(ServiceError) as err:
        services.next_level(dispute, users["community_officer"], note="x", to_level=1)
    assert err.value.code == "invalid_level"
    top = helpers.at_level(county.grid_a, users, 5)
    with pytest.raises(ServiceError) as err:
        services.next_level(top, users["community_officer"], note="不成")
    assert err.value.code == "top_level"


def test_level_three_lawyer_is_chosen_by_the_parties_from_the_roster(county, users):
    dispute = helpers.at_level(county.grid_a, users, 2)
    officer = users["community_officer"]
    with pytest.raises(ServiceError) as err:
        services.next_level(dispute, officer, note="不成", mediator=users["lawyer"])
    assert err.value.code == "lawyer_choice_required"
    with pytest.raises(ServiceError) as err:
        services.next_level(
            dispute, officer, note="不成", mediator=users["grid_worker"], lawyer_choice="双方选定"
        )
    assert err.value.code == "not_on_roster"
    dispute = services.next_level(
        dispute, officer, note="不成", mediator=users["lawyer"], lawyer_choice="双方共同选定吴律师"
    )
    assert dispute.mediator == users["lawyer"]
    attempt = Attempt.objects.get(dispute=dispute, level=3)
    assert attempt.lawyer_choice == "双方共同选定吴律师"
    entry = kernel.timeline(dispute).last()
    assert entry.data["lawyer_choice"] == "双方共同选定吴律师"
    # The lawyer now sees it and may mediate it.
    services.record_progress(dispute, users["lawyer"], note="律师释法", location="警务室")
    assert "律师释法" in Attempt.objects.get(dispute=dispute, level=3).summary


def test_assign_changes_the_mediator(county, users, make_user):
    dispute = helpers.mediating(county.grid_a, users)
    other = make_user("mediator", places=[county.grid_a])
    services.add_to_pool(other, county.grid_a, 1)
    dispute = services.assign_mediator(dispute, users["community_officer"], other.pk)
    assert dispute.mediator == other
    with pytest.raises(ServiceError):
        services.assign_mediator(dispute, users["community_officer"], users["grid_worker"].pk)


def test_progress_needs_a_note(county, users):
    dispute = helpers.mediating(county.grid_a, users)
    with pytest.raises(ServiceError) as err:
        services.record_progress(dispute, users["mediator"], note="  ")
    assert err.value.code == "required"


def test_agree_withdraw_refer(county, users):
    dispute = helpers.at_level(county.grid_a, users, 2)
    dispute = services.agree(dispute, users["police_assistant"], note="双方同意")
    assert (
        dispute.state == "agreed" and dispute.resolved_level == 2 and dispute.outcome == "agreement"
    )
    assert not Deadline.objects.filter(state="open").exists()

    second = helpers.mediating(
        county.grid_a, users, parties=helpers.parties("13700000001", "13700000002")
    )
    second = services.withdraw(second, users["mediator"], note="双方自行和解")
    assert second.state == "withdrawn" and second.closed_at

    third = helpers.at_level(
        county.grid_a, users, 5, parties=helpers.parties("13700000003", "13700000004")
    )
    with pytest.raises(ServiceError) as err:
        services.refer(third, users["dispatcher"], note="不成", referral="court", guidance="")
    assert err.value.code == "required"
    with pytest.raises(ServiceError):
        services.refer(third, users["dispatcher"], note="不成", referral="moon", guidance="x")
    third = services.refer(
        third,
        users["dispatcher"],
        note="联席调不成",
        referral="court",
        guidance="可向枫溪县人民法院起诉",
    )
    assert third.state == "referred"
    attempt = Attempt.objects.get(dispute=third, level=5)
    assert attempt.outcome == "referred" and attempt.guidance == "可向枫溪县人民法院起诉"
    with pytest.raises(Conflict):
        services.agree(third, users["dispatcher"], note="x")


def test_hearing_at_level_four(county, users):
    low = helpers.at_level(county.grid_a, users, 2)
    fields = {
        "held_at": "2026-11-20T09:30",
        "location": "枫溪社区会议室",
        "statements": "张三陈述噪音影响",
        "defence": "李四申辩已注意",
        "deliberation": "邻居代表认为确有影响",
        "decision": "李四夜间控制噪音",
        "minutes": "听证笔录全文",
        "participants": [
            {"name": "王书记", "role": "cadre"},
            {"name": "赵阿姨", "role": "neighbour"},
        ],
    }
    with pytest.raises(Conflict):
        services.record_hearing(low, users["community_officer"], **fields)
    dispute = helpers.at_level(
        county.grid_a, users, 4, parties=helpers.parties("13700000005", "13700000006")
    )
    with pytest.raises(ServiceError) as err:
        services.record_hearing(
            dispute, users["community_officer"], **{**fields, "defence": "", "participants": []}
        )
    assert err.value.code == "required" and len(err.value.details["missing"]) == 2
    with pytest.raises(Forbidden):
        services.record_hearing(dispute, users["police_assistant"], **fields)
    hearing = services.record_hearing(dispute, users["community_officer"], **fields)
    assert hearing.chair == users["community_officer"]
    assert [p.role for p in hearing.participants.all()] == ["cadre", "neighbour"]
    with pytest.raises(Conflict):
        services.record_hearing(dispute, users["community_officer"], **fields)


def test_joint_mediation_tasks(county, users):
    dispute = helpers.at_level(county.grid_a, users, 5)
    due = timezone.now() + timedelta(days=2)
    with pytest.raises(ServiceError):
        services.dispatch_joint_tasks(dispute, users["dispatcher"], [])
    with pytest.raises(ServiceError):
        services.dispatch_joint_tasks(
            dispute,
            users["dispatcher"],
            [
                {
                    "department": county.urban,
                    "task": "x",
                    "due_at": timezone.now() - timedelta(hours=1),
                }
            ],
        )
    [task, other] = services.dispatch_joint_tasks(
        dispute,
        users["dispatcher"],
        [
            {"department": county.urban, "task": "拆除违建围墙", "due_at": due},
            {"department": county.centre, "task": "组织联席会议", "due_at": due},
        ],
    )
    staff = users["department_staff"]  # 城管
    assert Dispute.objects.restrict(staff).filter(pk=dispute.pk).exists()
    assert list(services.visible_tasks(staff)) == [task]
    with pytest.raises(NotFound):
        services.claim_joint_task(other.pk, staff)
    services.claim_joint_task(task.pk, staff)
    with pytest.raises(Conflict):
        services.claim_joint_task(task.pk, staff)
    with pytest.raises(ServiceError):
        services.complete_joint_task(task.pk, staff, result=" ")
    done = services.complete_joint_task(task.pk, staff, result="已拆除")
    assert done.state == JointTask.State.DONE and not done.overdue
    services.record_joint_minutes(dispute, users["dispatcher"], minutes="联席会议纪要：各方同意")
    assert Attempt.objects.get(dispute=dispute, level=5).minutes.startswith("联席会议纪要")


def test_supervise_by_leader(county, users):
    dispute = helpers.mediating(county.grid_a, users)
    with pytest.raises(Forbidden):
        services.supervise(dispute, users["mediator"], note="加快")
    dispute = services.supervise(dispute, users["leader"], note="请今日化解")
    assert dispute.supervision_count == 1


def test_mediation_breach_is_supervised_yellow_then_red(county, users):
    dispute = helpers.mediating(county.grid_a, users)
    due = Deadline.objects.get(kind="mediation").due_at
    kernel.sweep_deadlines(now=due + timedelta(minutes=1))
    dispute.refresh_from_db()
    assert dispute.supervision_count == 1
    assert Notification.objects.filter(recipient=users["mediator"], kind="dispute.yellow").exists()
    assert not Notification.objects.filter(kind="dispute.red").exists()
    kernel.sweep_deadlines(now=due + timedelta(days=1, minutes=1))
    assert Notification.objects.filter(recipient=users["leader"], kind="dispute.red").exists()
    dispute.refresh_from_db()
    assert dispute.supervision_count == 2
    cards = [e.data.get("card") for e in kernel.timeline(dispute) if e.transition == "supervise"]
    assert cards == ["yellow", "red"]


# -- agreement ------------------------------------------------------------------------------
def test_agreement_missing_a_required_part_is_refused(county, users):
    dispute = helpers.agreed(county.grid_a, users)
    fields = {**helpers.TERMS_FIELDS, "responsibilities": "", "terms": []}
    with pytest.raises(ServiceError) as err:
        services.draft_agreement(dispute, users["community_officer"], **fields)
    assert err.value.code == "agreement_incomplete"
    assert any("责任" in m for m in err.value.details["missing"])
    assert any("协议的内容" in m for m in err.value.details["missing"])
    bad_term = {**helpers.TERMS_FIELDS, "terms": [{"text": "赔偿500元", "due_on": ""}]}
    with pytest.raises(ServiceError):
        services.draft_agreement(dispute, users["community_officer"], **bad_term)
    assert not Agreement.objects.exists()


def test_agreement_needs_parties_id_numbers_and_addresses(county, users):
    parties = helpers.parties()
    parties[1]["id_number"] = ""
    dispute = helpers.agreed(county.grid_a, users, parties=parties)
    with pytest.raises(ServiceError) as err:
        services.draft_agreement(dispute, users["community_officer"], **helpers.TERMS_FIELDS)
    assert "当事人的基本情况" in err.value.message


def test_sign_starts_window_performance_and_visit(county, users):
    agreement = helpers.signed(county.grid_a, users)
    dispute = agreement.dispute
    dispute.refresh_from_db()
    assert dispute.state == "performing" and agreement.state == "signed"
    assert agreement.number == f"TJ{timezone.localdate():%Y}-{dispute.pk:06d}"
    assert Performance.objects.filter(agreement=agreement).count() == 2
    kinds = {d.kind: d for d in Deadline.objects.filter(state="open")}
    assert set(kinds) == {"judicial_confirmation", "performance", "return_visit"}
    assert kinds["judicial_confirmation"].due_at == agreement.signed_at + timedelta(days=30)
    with pytest.raises(Conflict):
        services.sign_agreement(agreement, users["community_officer"])


def test_judicial_window_reminder_then_expiry(county, users):
    agreement = helpers.signed(county.grid_a, users)
    start = agreement.signed_at
    kernel.sweep_deadlines(now=start + timedelta(days=23, hours=1))
    notes = Notification.objects.filter(kind="dispute.judicial_confirmation")
    assert notes.exists() and all("7天" in n.title for n in notes)
    assert notes.filter(recipient=users["lawyer"]).exists()  # the mediator of the agreement
    first = notes.count()
    kernel.sweep_deadlines(now=start + timedelta(days=30, hours=1))
    assert notes.all().count() == 2 * first
    assert notes.all().filter(title__contains="已届满").count() == first


def test_signed_agreement_is_never_altered_edits_make_a_new_version(county, users):
    agreement = helpers.signed(county.grid_a, users)
    before = (agreement.content.clear, agreement.integrity_code)
    officer = users["community_officer"]
    new, is_new = services.revise_agreement(agreement, officer, performance_manner="银行转账")
    assert is_new and new.version == 2 and new.supersedes == agreement and new.state == "draft"
    assert new.number.endswith("-2")
    agreement.refresh_from_db()
    assert (agreement.content.clear, agreement.integrity_code) == before
    assert agreement.state == "signed"
    # a second edit changes the draft, not the signed one
    again, is_new = services.revise_agreement(agreement, officer, issues="另议")
    assert not is_new and again.pk == new.pk
    # the model itself refuses to change signed content
    agreement.content = Sensitive('{"x": 1}', "text")
    with pytest.raises(Exception, match="signed agreement"):
        agreement.save()
    services.sign_agreement(again, officer)
    agreement.refresh_from_db()
    assert agreement.state == "superseded"
    assert agreement.content.clear == before[0]
    with pytest.raises(Conflict):
        services.revise_agreement(agreement, officer, issues="x")


def test_verify_agreement_detects_tampering(county, users):
    agreement = helpers.signed(county.grid_a, users)
    officer = users["community_officer"]
    code = services.short_code(agreement.integrity_code)
    ok = services.verify_agreement(officer, agreement.number, code)
    assert ok["valid"] and "真实有效" in str(ok["reason"])
    bad = services.verify_agreement(officer, agreement.number, "0000-0000-0000-0000-0000-0000")
    assert not bad["valid"]
    assert not services.verify_agreement(officer, "TJ-nothing", code)["valid"]
    with pytest.raises(Forbidden):
        services.verify_agreement(users["mediator"], agreement.number, code)
    # someone edits the stored content behind the services' back
    content = services.agreement_content(agreement)
    content["terms"][1]["text"] = "李四向张三赔偿人民币5元"
    Agreement.objects.filter(pk=agreement.pk).update(content=services.canonical(content))
    tampered = services.verify_agreement(officer, agreement.number, code)
    assert not tampered["valid"] and "篡改" in str(tampered["reason"])


# -- after the agreement --------------------------------------------------------------------
def test_judicial_confirmation(county, users):
    agreement = helpers.signed(county.grid_a, users)
    dispute = agreement.dispute
    officer = users["community_officer"]
    effective = timezone.localdate(agreement.signed_at)
    with pytest.raises(ServiceError) as err:
        services.record_judicial_confirmation(
            dispute, officer, court="枫溪县人民法院", applied_on=effective + timedelta(days=31)
        )
    assert err.value.code == "window_passed"
    with pytest.raises(ServiceError):
        services.record_judicial_confirmation(
            dispute, officer, court="枫溪县人民法院", applied_on=effective, outcome="confirmed"
        )
    with pytest.raises(Forbidden):
        services.record_judicial_confirmation(
            dispute, users["mediator"], court="x", applied_on=effective
        )
    jc = services.record_judicial_confirmation(
        dispute, officer, court="枫溪县人民法院", applied_on=effective
    )
    assert jc.outcome == "pending" and jc.window_ends_on == effective + timedelta(days=30)
    assert not Deadline.objects.filter(kind="judicial_confirmation", state="open").exists()
    jc = services.record_judicial_confirmation(
        dispute,
        officer,
        court="枫溪县人民法院",
        applied_on=effective,
        outcome="confirmed",
        decided_on=effective + timedelta(days=3),
        confirmation_number="（2026）浙9901民特12号",
    )
    assert jc.outcome == "confirmed" and jc.confirmation_number.endswith("12号")
    with pytest.raises(Conflict):
        services.record_judicial_confirmation(
            dispute, officer, court="x", applied_on=effective, outcome="rejected"
        )


def test_performance_then_return_visit_closes(county, users):
    agreement = helpers.signed(county.grid_a, users)
    dispute = agreement.dispute
    officer = users["community_officer"]
    today = timezone.localdate()
    with pytest.raises(ServiceError):
        services.record_performance(
            dispute, officer, term_index=0, performed_on=today + timedelta(days=5)
        )
    with pytest.raises(NotFound):
        services.record_performance(dispute, officer, term_index=9, performed_on=today)
    services.record_performance(dispute, officer, term_index=0, performed_on=today)
    dispute.refresh_from_db()
    assert dispute.state == "performing"
    row = services.record_performance(dispute, officer, term_index=1, performed_on=today)
    dispute.refresh_from_db()
    assert dispute.state == "performed" and row.on_time
    with pytest.raises(ServiceError):
        services.record_return_visit(dispute, officer, note="电话回访", satisfaction="")
    visit = services.record_return_visit(
        dispute,
        officer,
        note="双方满意，未再发生矛盾",
        satisfaction="satisfied",
        method="电话",
        performed=True,
    )
    dispute.refresh_from_db()
    assert dispute.state == "closed" and visit.visited_at and dispute.closed_at
    # only the 30-day judicial window stays open: the parties may still apply after closure
    assert [d.kind for d in Deadline.objects.filter(state="open")] == ["judicial_confirmation"]


def test_performance_breach_is_flagged_by_the_sweep(county, users):
    agreement = helpers.signed(county.grid_a, users)
    due = Deadline.objects.get(kind="performance", state="open").due_at
    kernel.sweep_deadlines(now=due + timedelta(hours=1))
    assert Performance.objects.filter(agreement=agreement, state="breached").count() == 2
    assert Notification.objects.filter(kind="dispute.performance").exists()


# -- party tracking and figures ------------------------------------------------------------
def test_track_needs_code_and_phone_digits(county, users):
    dispute = helpers.make_dispute(county.grid_a, users)
    assert services.track(dispute.tracking_code, "1111") == dispute
    assert services.track(dispute.tracking_code, "2222") == dispute
    for code, last4 in (
        (dispute.tracking_code, "9999"),
        ("nope", "1111"),
        (dispute.tracking_code, "abcd"),
    ):
        with pytest.raises(NotFound):
            services.track(code, last4)


def test_figures(county, users):
    helpers.signed(county.grid_a, users)  # resolved at L3
    second = helpers.at_level(
        county.grid_a, users, 1, parties=helpers.parties("13700000011", "13700000012")
    )
    services.agree(second, users["mediator"], note="拉呱调成功")  # resolved at L1
    helpers.make_dispute(
        county.grid_a, users, parties=helpers.parties("13700000013", "13700000014")
    )
    f = services.figures(users["community_officer"])
    assert f["total"] == 3 and f["resolved"] == 2
    levels = {row["level"]: row for row in f["levels"]}
    assert (
        levels[1]["attempts"] == 2
        and levels[1]["agreements"] == 1
        and levels[1]["success_rate"] == 0.5
    )
    assert levels[3]["success_rate"] == 1.0
    assert levels[1]["resolved_share"] == 0.5 and levels[3]["resolved_share"] == 0.5
    assert f["resolved_in_village_share"] == 0.5
    assert f["by_type"] == [{"type": "邻里纠纷", "n": 3}]
    assert f["by_place"] == [{"place": "枫溪社区", "n": 3}]
    assert f["recurrences"] == 2 and f["recurrence_rate"] == round(2 / 3, 4)  # same place
    assert f["agreements_signed"] == 1 and f["judicial_applied"] == 0
    assert f["mean_hours_to_resolve"] is not None
    with pytest.raises(Forbidden):
        services.figures(users["mediator"])
    assert services.figures(_officer_c(county))["total"] == 0
    assert TimelineEntry.objects.exists()


def test_overdue_joint_task_is_chased_and_done_stops_it(county, users):
    dispute = helpers.at_level(county.grid_a, users, 5)
    due = timezone.now() + timedelta(hours=5)
    [late, done] = services.dispatch_joint_tasks(
        dispute,
        users["dispatcher"],
        [
            {"department": county.urban, "task": "现场核查", "due_at": due},
            {"department": county.centre, "task": "组织会议", "due_at": due},
        ],
    )
    centre_staff = helpers_user(county)
    services.complete_joint_task(done.pk, centre_staff, result="会议已开")
    kernel.sweep_deadlines(now=due + timedelta(minutes=5))
    notes = Notification.objects.filter(kind="dispute.joint_task_overdue")
    assert notes.filter(recipient=users["department_staff"]).exists()
    assert notes.filter(recipient=users["dispatcher"]).exists()
    assert notes.filter(title__contains=county.urban.name).exists()
    assert not notes.filter(title__contains=county.centre.name).exists()


def helpers_user(county):
    from fengqiao.org import services as org_services

    return org_services.create_staff(
        username="centre-staff",
        password="x",
        roles=["department_staff"],
        department=county.centre,
        skip_password_rules=True,
    )


def test_return_visit_confirming_performance_marks_the_terms(county, users):
    agreement = helpers.signed(county.grid_a, users)
    services.record_return_visit(
        agreement.dispute,
        users["community_officer"],
        note="回访",
        satisfaction="basic",
        performed=True,
    )
    assert set(Performance.objects.values_list("state", flat=True)) == {"performed"}

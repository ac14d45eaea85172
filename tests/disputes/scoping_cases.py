"""Disputes' part of the generated scoping matrix (see tests/scoping.py).

One record = a dispute in the grid that went L1 → L2 → L3 (the grid's lawyer), reached an
agreement and has a signed agreement, so every detail page, action URL, agreement preview and
download, and API path is exercised against a sibling grid's record."""

from fengqiao.disputes.actions import registry, task_registry
from tests.disputes import helpers
from tests.scoping import ScopedEndpoint


def _make(grid, users):
    agreement = helpers.signed(grid, users)
    dispute = agreement.dispute
    dispute.agreement_id = agreement.pk
    return dispute


def _details(d):
    a = d.agreement_id
    p = d.parties.order_by("pk").first().pk
    return [
        f"/disputes/{d.pk}/",
        f"/disputes/{d.pk}/act/progress/",
        f"/disputes/{d.pk}/hearing/",
        f"/disputes/{d.pk}/joint/",
        f"/disputes/{d.pk}/agreement/",
        f"/disputes/{d.pk}/parties/{p}/",
        f"/disputes/agreements/{a}/",
        f"/disputes/agreements/{a}/sign/",
        f"/disputes/agreements/{a}/download/docx/",
        f"/disputes/agreements/{a}/download/pdf/",
        f"/api/v1/disputes/{d.pk}",
        f"/api/v1/disputes/{d.pk}/timeline",
        f"/api/v1/disputes/{d.pk}/parties/{p}",
        f"/api/v1/disputes/agreements/{a}",
        f"/api/v1/disputes/agreements/{a}/download/pdf",
    ]


SCOPED = [
    ScopedEndpoint(
        name="disputes",
        make=_make,
        list_urls=[
            "/disputes/?view=all&state=any",
            "/disputes/?view=mine&state=any",
            "/disputes/?view=all&state=any&format=xlsx",
            "/api/v1/disputes/",
            "/api/v1/disputes/?mine=true",
        ],
        detail_urls=_details,
        marker=lambda d: d.number,
        url_names=[
            "disputes:detail",
            "disputes:act",
            "disputes:hearing",
            "disputes:joint_dispatch",
            "disputes:agreement_edit",
            "disputes:party_edit",
            "disputes:agreement",
            "disputes:agreement_sign",
            "disputes:agreement_download",
            # The party's public status page: authority is the tracking code + phone digits,
            # not staff scope (tests/disputes/test_pages.py, test_track_throttle.py).
            "disputes:track",
            "/api/v1/disputes/{dispute_id}",
            "/api/v1/disputes/{dispute_id}/timeline",
            "/api/v1/disputes/{dispute_id}/parties/{party_id}",
            "/api/v1/disputes/{dispute_id}/agreements",
            # POST only, one operation per action of disputes.actions.registry; out of scope →
            # 404 (tests/disputes/test_pages.py::test_api_actions_out_of_scope).
            *registry.api_paths("/api/v1/disputes", "dispute_id"),
            "/api/v1/disputes/{dispute_id}/hearing",
            "/api/v1/disputes/{dispute_id}/joint-tasks",
            "/api/v1/disputes/agreements/{agreement_id}",
            "/api/v1/disputes/agreements/{agreement_id}/sign",
            "/api/v1/disputes/agreements/{agreement_id}/download/{fmt}",
        ],
    ),
    ScopedEndpoint(
        name="disputes_hearing_minutes",
        make=lambda grid, users: _hearing(grid, users),
        list_urls=["/disputes/?view=all&state=any"],
        detail_urls=lambda h: [
            f"/disputes/hearings/{h.pk}/minutes/docx/",
            f"/disputes/hearings/{h.pk}/minutes/pdf/",
        ],
        marker=lambda h: h.attempt.dispute.number,
        url_names=["disputes:hearing_minutes"],
    ),
    ScopedEndpoint(
        name="disputes_joint_tasks",
        make=lambda grid, users: _joint(grid, users),
        list_urls=["/disputes/joint/", "/api/v1/disputes/joint-tasks"],
        detail_urls=lambda t: [f"/disputes/joint/{t.pk}/claim/"],
        marker=lambda t: t.task,
        url_names=[
            "disputes:joint_task",
            # POST only, one operation per action of disputes.actions.task_registry; out of
            # scope → 404 (tests/disputes/test_pages.py).
            *task_registry.api_paths("/api/v1/disputes", "task_id"),
        ],
    ),
]


def _joint(grid, users):
    """A joint-mediation task for a grid-specific department (so sibling grids' department
    staff, who share the county's department in the fixture, are not assigned it)."""
    from datetime import timedelta

    from django.utils import timezone

    from fengqiao.disputes import services
    from fengqiao.org.models import Department

    dispute = helpers.at_level(grid, users, 5)
    department = Department.objects.create(
        code=f"DJ{grid.code}", name=f"{grid.name}司法所", kind="justice", place=grid
    )
    department.places.add(grid)
    [task] = services.dispatch_joint_tasks(
        dispute,
        users["dispatcher"],
        [
            {
                "department": department,
                "task": f"核查{grid.code}现场情况",
                "due_at": timezone.now() + timedelta(days=2),
            }
        ],
    )
    return task


def _hearing(grid, users):
    """An L4 hearing with participants: its minutes print their clear names."""
    from fengqiao.disputes import services

    dispute = helpers.at_level(grid, users, 4)
    return services.record_hearing(
        dispute,
        users["community_officer"],
        held_at="2026-11-20T09:30",
        location=f"{grid.name}议事厅",
        statements="陈述",
        defence="申辩",
        deliberation="评议",
        decision="意见",
        minutes="笔录",
        participants=[{"name": "王书记", "role": "cadre"}],
    )

"""Risks' part of the generated scoping matrix (see tests/scoping.py).

A risk filed in the grid with a hand-over to a department and a review measure; an ad-hoc review
session of the grid; a suggestion from a high-risk dispute in the grid. Every page, action URL,
pack download and API path with an id is exercised against a sibling grid's record."""

from datetime import timedelta

from django.utils import timezone

from fengqiao.org.models import Department
from fengqiao.risks import reviews, services, suggestions
from fengqiao.risks.actions import registry
from fengqiao.risks.models import Suggestion
from tests.disputes import helpers as dispute_helpers
from tests.risks import helpers
from tests.scoping import ScopedEndpoint


def _risk(grid, users):
    risk = helpers.filed(grid, users, level="red")
    # A department of the grid's own (the fixture's 城管 serves both sibling grids).
    department, _new = Department.objects.get_or_create(
        code=f"D-{grid.code}", defaults={"name": f"{grid.name}专班", "kind": "other", "place": grid}
    )
    risk.handover_id = services.hand_over(
        risk, users["dispatcher"], department=department, matter="拆违"
    ).pk
    risk.action_id = reviews.add_action(
        risk,
        users["dispatcher"],
        title="上门走访",
        owner=users["community_officer"],
        due_at=timezone.now() + timedelta(days=1),
    ).pk
    return risk


def _risk_urls(r):
    return [
        f"/risks/{r.pk}/",
        f"/risks/{r.pk}/act/approve/",
        f"/risks/{r.pk}/task-force/",
        f"/risks/{r.pk}/people/",
        f"/risks/handovers/{r.handover_id}/review/",
        f"/risks/measures/{r.action_id}/complete/",
        f"/api/v1/risks/{r.pk}",
        f"/api/v1/risks/{r.pk}/timeline",
        f"/api/v1/risks/{r.pk}/task-force",
    ]


def _session(grid, users):
    helpers.filed(grid, users)
    return reviews.create_session(users["dispatcher"], place=grid, slot_at=None)


def _session_urls(s):
    item = s.items.first().pk
    return [
        f"/risks/reviews/{s.pk}/",
        f"/risks/reviews/{s.pk}/items/{item}/",
        f"/risks/reviews/{s.pk}/close/",
        f"/risks/reviews/{s.pk}/pack/docx/",
        f"/risks/reviews/{s.pk}/pack/pdf/",
        f"/api/v1/risks/sessions/{s.pk}",
        f"/api/v1/risks/sessions/{s.pk}/pack/pdf",
    ]


def _suggestion(grid, users):
    dispute_helpers.make_dispute(
        grid, users, risk={"threats": True, "violence": True, "weapons": True}
    )
    suggestions.collect()
    return Suggestion.objects.get(place=grid)


SCOPED = [
    ScopedEndpoint(
        name="risks",
        make=_risk,
        list_urls=[
            "/risks/",
            "/risks/list/",
            "/risks/list/?format=xlsx",
            "/api/v1/risks/",
            "/api/v1/risks/?state=open",
        ],
        detail_urls=_risk_urls,
        marker=lambda r: r.number,
        url_names=[
            "risks:detail",
            "risks:act",
            "risks:task_force",
            "risks:add_person",
            "risks:handover_step",
            "risks:complete_action",
            "/api/v1/risks/{risk_id}",
            "/api/v1/risks/{risk_id}/timeline",
            "/api/v1/risks/{risk_id}/task-force",
            *registry.api_paths("/api/v1/risks", "risk_id"),
            "/api/v1/risks/{risk_id}/close-request",
            "/api/v1/risks/{risk_id}/people",
            "/api/v1/risks/handovers/{handover_id}/{step}",
            "/api/v1/risks/review-actions/{action_id}/complete",
        ],
    ),
    ScopedEndpoint(
        name="risk_sessions",
        make=_session,
        list_urls=["/risks/reviews/", "/risks/reviews/?format=xlsx", "/api/v1/risks/sessions"],
        detail_urls=_session_urls,
        marker=lambda s: s.title,
        url_names=[
            "risks:session",
            "risks:decide",
            "risks:close_session",
            "risks:session_pack",
            "/api/v1/risks/sessions/{session_id}",
            "/api/v1/risks/sessions/{session_id}/items/{item_id}/decision",
            "/api/v1/risks/sessions/{session_id}/close",
            "/api/v1/risks/sessions/{session_id}/pack/{fmt}",
        ],
    ),
    ScopedEndpoint(
        name="risk_suggestions",
        make=_suggestion,
        list_urls=[
            "/risks/suggestions/",
            "/risks/suggestions/?state=any&format=xlsx",
            "/api/v1/risks/suggestions",
        ],
        detail_urls=lambda s: [f"/risks/suggestions/{s.pk}/"],
        marker=lambda s: s.title,
        url_names=[
            "risks:suggestion",
            "/api/v1/risks/suggestions/{suggestion_id}/accept",
            "/api/v1/risks/suggestions/{suggestion_id}/dismiss",
        ],
    ),
]

"""The demo county's disputes: every level and outcome, with agreements that generate."""

import pytest

from fengqiao.disputes import demo, services
from fengqiao.disputes.models import Agreement, Attempt, Dispute, Hearing, JointTask
from fengqiao.org import demo as org_demo
from fengqiao.org.models import User

pytestmark = pytest.mark.django_db


def test_demo_covers_every_level_and_outcome():
    county, _accounts = org_demo.seed()
    demo.seed(county)
    levels = set(Attempt.objects.values_list("level", flat=True))
    assert levels == {1, 2, 3, 4, 5}
    states = set(Dispute.objects.values_list("state", flat=True))
    assert {
        "registered",
        "mediating",
        "agreed",
        "performing",
        "closed",
        "withdrawn",
        "referred",
    } <= states
    resolved_levels = set(
        Dispute.objects.filter(outcome="agreement").values_list("resolved_level", flat=True)
    )
    assert resolved_levels == {1, 2, 3, 4, 5}
    assert Hearing.objects.exists() and JointTask.objects.filter(state="done").exists()
    assert Dispute.objects.filter(risk_level="high", on_risk_register=True).exists()
    assert Dispute.objects.filter(is_recurrence=True).exists()
    assert Dispute.objects.filter(supervision_count__gt=0).exists()
    mediator = User.objects.get(username="mediator")
    assert Dispute.objects.restrict(mediator).filter(state="mediating").exists()
    officer = User.objects.get(username="co001001")
    agreement = Agreement.objects.filter(
        state="signed", dispute__place_path__startswith="/339900/339901/339901001/339901001001/"
    ).first()
    assert services.document_for(agreement, officer, "pdf").startswith(b"%PDF")
    code = services.short_code(agreement.integrity_code)
    assert services.verify_agreement(officer, agreement.number, code)["valid"]
    figures = services.figures(User.objects.get(username="dispatcher"))
    assert figures["judicial_confirmed"] > 0 and figures["performed_on_time"] > 0

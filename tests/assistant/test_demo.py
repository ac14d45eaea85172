"""The demo county's assistant data."""

from fengqiao.assistant import demo
from fengqiao.assistant.models import Alert, AskedQuestion, Handoff, StandardAnswer
from fengqiao.org import demo as org_demo


def test_demo_seeds_answers_handoffs_alerts(db, home):
    county, _accounts = org_demo.seed()
    demo.seed(county)
    assert StandardAnswer.objects.count() >= 150
    assert Handoff.objects.count() == len(demo.HANDOFFS)
    labels = set(Alert.objects.values_list("label", flat=True))
    assert {"fraud_task", "fraud_police", "threat", "missing_person"} <= labels
    assert not Alert.objects.filter(
        text__contains="停水"
    ).exists()  # ordinary notices are not alerts
    assert AskedQuestion.objects.count() == len(demo.UNANSWERED)

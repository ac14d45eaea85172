"""The batched dispute escalation costs the same number of queries for 2 disputes as for 6
(issue 8): the mediators come with the records, the staff of a place once per batch, the
notifications in one insert."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fengqiao.core import workflow as kernel
from fengqiao.core.models import Deadline
from fengqiao.core.notifications import Notification
from fengqiao.disputes import services
from fengqiao.disputes.models import Dispute
from tests.disputes import helpers


def _sweep_queries(county, users, n, kind):
    for _ in range(n):
        if kind == "mediation":
            helpers.mediating(county.grid_a, users)
        else:
            dispute = helpers.at_level(county.grid_a, users, 5)
            services.dispatch_joint_tasks(
                dispute,
                users["dispatcher"],
                [
                    {
                        "department": county.urban,
                        "task": "现场核查",
                        "due_at": kernel.timezone.now() + timedelta(hours=1),
                    }
                ],
            )
    assert Deadline.objects.filter(kind=kind, next_check_at__isnull=False).count() == n
    later = max(d.due_at for d in Deadline.objects.filter(kind=kind)) + timedelta(minutes=1)
    Deadline.objects.exclude(kind=kind).update(next_check_at=None)
    with CaptureQueriesContext(connection) as queries:
        assert kernel.sweep_deadlines(now=later) == n
    return len(queries)


@pytest.mark.parametrize("kind", ["mediation", "feedback"])
def test_escalation_queries_do_not_grow_with_the_batch(county, users, kind):
    small = _sweep_queries(county, users, 2, kind)
    Notification.objects.all().delete()
    Deadline.objects.filter(kind=kind).update(next_check_at=None)
    large = _sweep_queries(county, users, 6, kind)
    assert large == small, f"{kind}: 2 records cost {small} queries, 6 cost {large}"


def test_mediation_escalation_still_tells_each_mediator(county, users):
    disputes = [helpers.mediating(county.grid_a, users) for _ in range(3)]
    due = max(d.due_at for d in Deadline.objects.filter(kind="mediation"))
    kernel.sweep_deadlines(now=due + timedelta(minutes=1))
    for dispute in disputes:
        assert Dispute.objects.get(pk=dispute.pk).supervision_count == 1
        assert Notification.objects.filter(
            recipient=users["mediator"], kind="dispute.yellow", target_id=str(dispute.pk)
        ).exists()

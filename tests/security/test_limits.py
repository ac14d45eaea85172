"""Limits (issue 14, finding 10): one timeline entry's data is bounded; too much is a clear 400
and the transaction saves nothing."""

import pytest
from django.db import transaction

from fengqiao.core.errors import ServiceError
from fengqiao.core.models import TimelineEntry
from fengqiao.core.workflow import MAX_ENTRY_DATA, MAX_ENTRY_NOTE, append_timeline
from tests.cases.helpers import make_case


def test_a_timeline_entry_is_bounded(county, users):
    case = make_case(county.grid_a)
    before = TimelineEntry.objects.count()
    for kwargs in (
        {"data": {"blob": "x" * (MAX_ENTRY_DATA + 1)}},
        {"data": {"blob": "字" * (MAX_ENTRY_DATA // 3 + 1)}},  # bytes, not characters
        {"note": "x" * (MAX_ENTRY_NOTE + 1)},
        {"attachments": [{"name": f"{i}.jpg"} for i in range(21)]},
    ):
        with pytest.raises(ServiceError) as caught, transaction.atomic():
            append_timeline(case, "comment", actor=users["dispatcher"], **kwargs)
        assert caught.value.code == "entry_too_large" and caught.value.status == 400
    assert TimelineEntry.objects.count() == before
    ok = append_timeline(case, "comment", actor=users["dispatcher"], data={"n": "x" * 1000})
    assert ok.pk

"""The dispatch console (issue 16, point 5): order, filters with counts, the attention panel
(extension requests, returned cases), batch actions through the action registry with a result
per case; the same list component on every case queue."""

import re
from datetime import timedelta

from django.utils import timezone

from fengqiao.cases import services
from fengqiao.cases.models import Case
from tests.conftest import login

from .helpers import claimed, dispatched, make_case, rule


def _order(html, cases):
    return sorted(cases, key=lambda c: html.index(f'id="case-{c.pk}"'))


def _chip(html, facet, value):
    """The count shown on one filter option."""
    block = re.search(rf'data-facet="{facet}".*?</div>', html, re.S).group(0)
    found = re.search(rf'data-value="{value}"[^>]*>[^<]*<span class="count">(\d+)</span>', block)
    return int(found.group(1)) if found else None


def test_new_reports_first_then_urgency_then_time_left(client, county, users):
    accepted = services.accept(make_case(county.grid_a), users["dispatcher"])
    ordinary = make_case(county.grid_a)
    urgent = make_case(county.grid_a, code="safety_fire")
    later = make_case(county.grid_a)
    Case.objects.filter(pk=later.pk).update(next_due_at=timezone.now() + timedelta(days=3))
    login(client, users["dispatcher"])
    html = client.get("/cases/dispatch/").content.decode()
    assert _order(html, [accepted, ordinary, urgent, later]) == [urgent, ordinary, later, accepted]


def test_filters_and_their_counts(client, county, users):
    a1, a2 = make_case(county.grid_a), make_case(county.grid_a, code="safety_fire")
    services.accept(a2, users["dispatcher"])
    late = make_case(county.grid_a)
    Case.objects.filter(pk=late.pk).update(next_due_at=timezone.now() - timedelta(minutes=5))
    login(client, users["dispatcher"])
    html = client.get("/cases/dispatch/").content.decode()
    assert _chip(html, "state", "reported") == 2 and _chip(html, "state", "accepted") == 1
    assert _chip(html, "urgency", "urgent") == 1 and _chip(html, "overdue", "1") == 1
    assert _chip(html, "grid", county.grid_a.pk) == 3

    html = client.get("/cases/dispatch/?state=reported").content.decode()
    assert f'id="case-{a1.pk}"' in html and f'id="case-{a2.pk}"' not in html
    # the other facets count within the chosen state; the state facet keeps its own counts
    assert _chip(html, "urgency", "urgent") is None and _chip(html, "state", "accepted") == 1
    html = client.get("/cases/dispatch/?overdue=1").content.decode()
    assert f'id="case-{late.pk}"' in html and f'id="case-{a1.pk}"' not in html
    html = client.get(f"/cases/dispatch/?category={a2.category_id}&urgency=urgent").content.decode()
    assert f'id="case-{a2.pk}"' in html and f'id="case-{a1.pk}"' not in html
    assert 'aria-current="true"' in html and 'id="clear-filters"' in html


def test_bad_filters_and_pages_are_ignored_not_500(client, county, users, users_b):
    case = make_case(county.grid_a)
    other = make_case(county.grid_b)
    login(client, users["dispatcher"])
    for query in (
        "?state=nope",
        "?category=abc",
        "?grid=99999999",
        f"?grid={county.grid_b.pk}",  # a grid outside the jurisdiction is not a choice
        "?overdue=maybe",
        "?page=99999999999999999999",
        "?page=-3&per_page=100000",
    ):
        response = client.get("/cases/dispatch/" + query)
        assert response.status_code in (200, 400), (
            query
        )  # a 20-digit number: the hostile-input guard
        html = response.content.decode()
        assert f'id="case-{other.pk}"' not in html
    assert f'id="case-{case.pk}"' in client.get("/cases/dispatch/?state=nope").content.decode()


def test_attention_panel_lists_extension_requests_and_returns(client, county, users):
    rule(county)
    asking = claimed(county.grid_a, users, county)
    services.request_extension(asking, users["department_staff"], note="需协调", data={"days": 2})
    back = dispatched(county.grid_a, users, county)
    services.return_case(back, users["department_staff"], data={"reason": "不属本部门职责"})
    login(client, users["dispatcher"])
    html = client.get("/cases/dispatch/").content.decode()
    panel = html[
        html.index('id="attention"') : html.index("</section>", html.index('id="attention"'))
    ]
    assert asking.number in panel and back.number in panel and "不属本部门职责" in panel
    assert html.index('id="attention"') < html.index('id="incoming"')


def test_batch_dispatch_reports_each_failure_and_keeps_the_rest(client, county, users, users_b):
    rule(county)
    ok = [make_case(county.grid_a) for _ in range(2)]
    done = dispatched(county.grid_a, users, county)  # already dispatched: 409 on its locked row
    theirs = make_case(county.grid_b)  # outside the jurisdiction: not found
    login(client, users["dispatcher"])
    ids = [c.pk for c in ok] + [done.pk, theirs.pk, "abc"]
    response = client.post(
        "/cases/dispatch/bulk/", {"ids": ids, "action": "dispatch", "back": "?state=reported"}
    )
    assert response.status_code == 302 and response["Location"].endswith("?state=reported")
    html = client.get(response["Location"]).content.decode()
    assert "已派单 2 件" in html and "3 件未完成" in html
    results = html[html.index('id="bulk-results"') :]
    assert done.number in results and f"#{theirs.pk}" in results and "#abc" in results
    assert theirs.number not in html
    assert all(Case.objects.get(pk=c.pk).state == "dispatched" for c in ok)
    assert Case.objects.get(pk=theirs.pk).state == "reported"


def test_batch_accept_through_the_registry(client, county, users):
    cases = [make_case(county.grid_a) for _ in range(2)]
    login(client, users["dispatcher"])
    response = client.post(
        "/cases/dispatch/bulk/", {"ids": [c.pk for c in cases], "action": "accept"}, follow=True
    )
    assert "已受理 2 件" in response.content.decode()
    assert {Case.objects.get(pk=c.pk).state for c in cases} == {"accepted"}
    response = client.post("/cases/dispatch/bulk/", {"ids": [cases[0].pk], "action": "close"})
    assert response.status_code == 302
    assert Case.objects.get(pk=cases[0].pk).state == "accepted"


def test_batch_needs_the_dispatch_permission(client, county, users):
    case = make_case(county.grid_a)
    login(client, users["grid_worker"])
    assert client.post("/cases/dispatch/bulk/", {"ids": [case.pk]}).status_code == 403
    assert Case.objects.get(pk=case.pk).state == "reported"


def test_queue_has_the_same_filters(client, county, users):
    urgent = dispatched(county.grid_a, users, county, code="safety_fire")
    ordinary = dispatched(county.grid_a, users, county)
    login(client, users["department_staff"])
    html = client.get("/cases/?urgency=urgent").content.decode()
    assert f'id="case-{urgent.pk}"' in html and f'id="case-{ordinary.pk}"' not in html
    assert _chip(html, "urgency", "ordinary") == 1
    html = client.get("/cases/?tab=all&state=dispatched").content.decode()
    assert "tab=all" in re.search(r'data-value="urgent"[^>]*', html).group(0) or (
        "tab=all" in html[html.index('data-facet="urgency"') :].split("</div>")[0]
    )

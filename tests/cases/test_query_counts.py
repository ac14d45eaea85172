"""Pinned query counts of the case pages and API lists: an N+1 regression fails here.

Each page is measured with several rows of every kind present (cases in several states, photos,
supervision cards, likely duplicates), and again after adding more rows: the count must not grow.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fengqiao.cases import services, uploads
from tests.conftest import login

from .helpers import claimed, dispatched, jpeg_bytes, make_case, resolved, rule


def populate(county, users, n=3):
    rule(county) if not hasattr(county, "_ruled") else None
    county._ruled = True
    made = []
    for i in range(n):
        made.append(make_case(county.grid_a, location_text=f"同一地点{i % 2}"))
        case = claimed(county.grid_a, users, county)
        services.act(case, "supervise", users["leader"], note="督办")
        made.append(case)
        made.append(resolved(county.grid_a, users, county))
        returned = dispatched(county.grid_a, users, county)
        services.return_case(returned, users["department_staff"], data={"reason": "不属本部门"})
    photo = SimpleUploadedFile("p.jpg", jpeg_bytes(), "image/jpeg")
    attachments, _ = uploads.process_files([photo, photo])
    services.resolve(
        made[1], users["department_staff"], data={"result": "ok"}, attachments=attachments
    )
    return made


# The lists are on the shared list component: + 5 for the filters' counts (one grouped query per
# facet: state, urgency, category, grid, overdue). The console: + 2 for the returned panel (the
# cases, the reasons of all of them in one query).
PAGES = [
    ("department_staff", "/cases/", 18),
    ("grid_worker", "/cases/?tab=all", 19),
    ("dispatcher", "/cases/dispatch/", 24),
    ("dispatcher", "/cases/dispatch/?state=reported&overdue=1&urgency=ordinary", 24),
    ("dispatcher", "/cases/supervision/", 15),
    # the board's count includes five constant risk-register queries (colour, found, closed, reviews)
    ("dispatcher", "/insights/?by=town", 37),  # + visits against target, foreigners' checks
    ("dispatcher", "/api/v1/cases/", 13),
    ("department_staff", "/api/v1/cases/?open=true", 11),
]


def count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("role", "url", "queries"), PAGES)
def test_query_count(client, county, users, django_assert_num_queries, role, url, queries):
    populate(county, users)
    login(client, users[role])
    client.get(url)  # warm per-process caches
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    populate(county, users, 2)
    assert count(client, url) == queries, "query count grows with the rows: N+1"


# One query reads the SMS sent about the case (their status beside the timeline, issue 16).
@pytest.mark.parametrize(
    ("role", "queries"), [("department_staff", 17), ("dispatcher", 19), ("grid_worker", 19)]
)
def test_detail_query_count(client, county, users, django_assert_num_queries, role, queries):
    made = populate(county, users)
    case = made[1]  # resolved with photos, a supervision card, a long timeline
    login(client, users[role])
    client.get(f"/cases/{case.pk}/")
    with django_assert_num_queries(queries):
        assert client.get(f"/cases/{case.pk}/").status_code == 200


def test_detail_api_and_timeline_query_counts(client, county, users, django_assert_num_queries):
    case = populate(county, users)[1]
    login(client, users["dispatcher"])
    client.get(f"/api/v1/cases/{case.pk}")
    with django_assert_num_queries(13):
        assert client.get(f"/api/v1/cases/{case.pk}").status_code == 200
    with django_assert_num_queries(15):
        assert client.get(f"/api/v1/cases/{case.pk}/timeline").status_code == 200


def test_open311_list_query_count(client, county, users, django_assert_num_queries):
    from fengqiao.core.services import create_api_key

    _k, key = create_api_key("scoped", users["dispatcher"])
    populate(county, users)
    client.get("/open311/v2/requests.json", {"api_key": key})
    # + 2 for the whole page: the last public change of each request, its first media
    with django_assert_num_queries(8):
        rows = client.get("/open311/v2/requests.json", {"api_key": key}).json()
    assert len(rows) == 12
    assert json.dumps(rows)


# -- intake (issue 15): at most 6 statements per report on both APIs -----------------------------
def statements(ctx):
    """The statements of a request, without the SAVEPOINT pair the test's own outer transaction
    turns the service's transaction into (a real request runs BEGIN … COMMIT instead)."""
    return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]


@pytest.fixture
def intake_key(county):
    from fengqiao.core.services import create_api_key
    from fengqiao.org.models import User

    account = User.objects.create(username="integration-intake")
    return create_api_key("intake", account, role="dispatcher", place=county.county)[1]


def api_report(client, key, n):
    body = {"client_id": f"count-{n:08d}", "category": "noise", "grid": "339901001001001",
            "description": f"广场舞音响太吵{n}", "reporter_phone": "13600001111", "source": "hotline"}  # fmt: skip
    return client.post("/api/v1/cases/", json.dumps(body), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {key}")  # fmt: skip


def open311_report(client, key, n):
    data = {"api_key": key, "service_code": "noise", "address_string": f"南门口{n}",
            "attribute[grid]": "339901001001001", "description": f"路灯不亮{n}",
            "phone": "13512345678", "client_id": f"o311-{n:08d}"}  # fmt: skip
    return client.post("/open311/v2/requests.json", data)


@pytest.mark.parametrize("send", [api_report, open311_report], ids=["json_api", "open311"])
def test_report_costs_at_most_six_statements(client, county, users, intake_key, send):
    """The key (1), the duplicate search (1), the case, its timeline entry, its accept deadline
    and the dispatchers' notifications (1 insert each). The category, the grid, the dispatch
    rules, the key's permissions and who covers the place are cached reference data."""
    from fengqiao.cases.models import Case
    from fengqiao.core.models import Deadline, Notification

    assert send(client, intake_key, 1).status_code == 201  # warms the caches
    with CaptureQueriesContext(connection) as ctx:
        response = send(client, intake_key, 2)
    assert response.status_code == 201, response.content
    sql = statements(ctx)
    assert len(sql) <= 6, "\n".join(sql)
    case = Case.objects.latest("id")
    assert case.next_due_at == Deadline.objects.get(object_id=case.pk, kind="accept").due_at
    assert Notification.objects.filter(target_id=str(case.pk), recipient=users["dispatcher"])
    # a replay answers the first case and costs no more
    with CaptureQueriesContext(connection) as ctx:
        again = send(client, intake_key, 2)
    assert again.status_code == 200 and len(statements(ctx)) <= 6
    assert Case.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("send", [api_report, open311_report], ids=["json_api", "open311"])
def test_acknowledged_only_after_commit(client, county, users, intake_key, send, monkeypatch):
    """The answer (201 with the id) is produced after the report's transaction committed: the
    case, its deadline and the outbox rows are durable before the client hears of them."""
    from fengqiao.cases.models import Case
    from fengqiao.core.models import Notification

    commits = []
    real_commit = connection.commit

    def commit():
        real_commit()
        commits.append(connection.in_atomic_block)

    monkeypatch.setattr(connection, "commit", commit)
    response = send(client, intake_key, 7)
    assert response.status_code == 201
    assert commits, "the report's transaction committed before the answer"
    assert not connection.in_atomic_block
    case = Case.objects.get()
    assert Notification.objects.filter(target_id=str(case.pk)).exists()

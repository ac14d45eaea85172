"""Staff pages, the party's status page and the JSON API: rendering, bad input, query counts."""

import pytest

from fengqiao.core.models import AuditEvent
from fengqiao.disputes.models import Agreement, Dispute
from tests.conftest import login
from tests.disputes import helpers

pytestmark = pytest.mark.django_db


def _register_post(county, **overrides):
    data = {
        "title": "邻里噪音纠纷",
        "type": "neighbour",
        "place": county.grid_a.pk,
        "size": "small",
        "facts": "楼上夜间噪音",
        "claims": "停止噪音",
        "party0_side": "applicant",
        "party0_kind": "person",
        "party0_name": "张三",
        "party0_id_number": helpers.ID_A,
        "party0_phone": "13900001111",
        "party0_address": "1幢101",
        "party1_side": "respondent",
        "party1_kind": "person",
        "party1_name": "李四",
        "party1_id_number": helpers.ID_B,
        "party1_phone": "13800002222",
        "party1_address": "1幢201",
        "risk_people": "2",
        "risk_intensity": "1",
    }
    data.update(overrides)
    return data


def test_register_page_and_bad_input_keeps_what_was_typed(client, county, users):
    login(client, users["community_officer"])
    assert client.get("/disputes/new/").status_code == 200
    response = client.post(
        "/disputes/new/",
        _register_post(
            county, party1_name="", party1_id_number="", party1_phone="", party1_address=""
        ),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "至少需要两方当事人" in body and "楼上夜间噪音" in body and helpers.ID_A in body
    response = client.post("/disputes/new/", _register_post(county, party0_id_number="123"))
    assert response.status_code == 400 and "身份证号码不正确" in response.content.decode()
    assert not Dispute.objects.exists()
    response = client.post("/disputes/new/", _register_post(county))
    dispute = Dispute.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/disputes/{dispute.pk}/"
    login(client, users["mediator"])
    assert client.get("/disputes/new/").status_code == 403


def test_detail_masks_parties_and_shows_timeline(client, county, users):
    dispute = helpers.at_level(county.grid_a, users, 3)
    login(client, users["community_officer"])
    body = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert "张*" in body and helpers.ID_A not in body and "13900001111" not in body
    assert "双方当事人共同选定该律师" in body
    assert "调解不成，转下一级" in body  # timeline labels


def test_web_actions_and_clear_errors(client, county, users):
    dispute = helpers.mediating(county.grid_a, users)
    login(client, users["community_officer"])
    url = f"/disputes/{dispute.pk}/act/"
    response = client.post(url + "next_level/", {"note": "不成", "to_level": "4"})
    assert response.status_code == 400 and "越级" in response.content.decode()
    response = client.post(url + "next_level/", {"note": "", "to_level": "2"})
    assert response.status_code == 400 and "缺少必填项" in response.content.decode()
    response = client.post(url + "agree/", {"note": "双方和解"})
    assert response.status_code == 302
    response = client.post(url + "agree/", {"note": "again"})
    assert response.status_code == 409 and "不能执行" in response.content.decode()
    assert client.get(url + "agree/").status_code == 302
    # the agreement form refuses an incomplete agreement and keeps the input
    response = client.post(
        f"/disputes/{dispute.pk}/agreement/",
        {"facts": "事实A", "issues": "", "responsibilities": "", "performance_manner": ""},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "缺少法定内容" in body and "事实A" in body
    assert not Agreement.objects.exists()


def test_agreement_web_flow_and_new_version(client, county, users):
    dispute = helpers.agreed(county.grid_a, users)
    login(client, users["community_officer"])
    f = helpers.TERMS_FIELDS
    post = {
        "facts": f["facts"],
        "issues": f["issues"],
        "responsibilities": f["responsibilities"],
        "performance_manner": f["performance_manner"],
        "term_text": [t["text"] for t in f["terms"]] + [""],
        "term_due": [t["due_on"] for t in f["terms"]] + [""],
    }
    response = client.post(f"/disputes/{dispute.pk}/agreement/", post)
    agreement = Agreement.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/disputes/agreements/{agreement.pk}/"
    )
    page = client.get(response["Location"]).content.decode()
    assert agreement.number in page and helpers.ID_A not in page
    client.post(f"/disputes/agreements/{agreement.pk}/sign/")
    agreement.refresh_from_db()
    assert agreement.state == "signed"
    before = agreement.content.clear
    response = client.post(
        f"/disputes/{dispute.pk}/agreement/", {**post, "issues": "修改后的争议事项"}
    )
    assert Agreement.objects.count() == 2
    agreement.refresh_from_db()
    assert agreement.content.clear == before and agreement.state == "signed"
    # verify page
    response = client.post(
        "/disputes/verify/", {"number": agreement.number, "code": agreement.integrity_code[:24]}
    )
    assert "真实有效" in response.content.decode()


def test_party_status_page(client, county, users):
    dispute = helpers.mediating(county.grid_a, users)
    assert client.get("/disputes/track/").status_code == 200
    assert client.get(f"/disputes/track/?code={dispute.tracking_code}").status_code == 302
    url = f"/disputes/track/{dispute.tracking_code}/"
    assert client.get(url).status_code == 200
    wrong = client.post(url, {"last4": "0000"})
    assert wrong.status_code == 404 and "不正确" in wrong.content.decode()
    ok = client.post(url, {"last4": "1111"})
    body = ok.content.decode()
    assert ok.status_code == 200 and "调解中" in body and "开始调解" in body
    assert "张" not in body and "13900001111" not in body
    assert client.post("/disputes/track/nope/", {"last4": "1111"}).status_code == 404


def test_reveal_of_a_party_is_scoped_and_audited(client, county, users, users_b):
    dispute = helpers.mediating(county.grid_a, users)
    party = dispute.parties.first()
    url = f"/reveal/disputes.Party/{party.pk}/id_number/"
    login(client, users["community_officer"])
    response = client.post(url, {"reason": "核实当事人身份"})
    assert response.status_code == 200 and response.content.decode() == helpers.ID_A
    assert AuditEvent.objects.filter(action="pii.reveal", target_id=str(party.pk)).exists()
    login(client, users_b["community_officer"])
    assert client.post(url, {"reason": "核实当事人身份"}).status_code == 404
    login(client, users["mediator"])  # sees the dispute, may not reveal
    assert client.post(url, {"reason": "核实当事人身份"}).status_code == 403


def test_pages_render_for_their_roles(client, county, users):
    helpers.signed(county.grid_a, users)
    login(client, users["dispatcher"])
    for url in (
        "/disputes/",
        "/insights/disputes/",
        "/disputes/pools/",
        "/disputes/joint/",
        "/disputes/verify/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/disputes/figures/")["Location"] == "/insights/disputes/"  # moved
    login(client, users["mediator"])
    assert client.get("/insights/disputes/").status_code == 403


def _many(county, users, n):
    helpers.pool(county.grid_a, users)
    for i in range(n):
        d = helpers.make_dispute(
            county.grid_a, users, parties=helpers.parties(f"1370000{i:04d}", f"1360000{i:04d}")
        )
        from fengqiao.disputes import services

        services.start_mediation(d, users["community_officer"], mediator=users["mediator"])


@pytest.mark.parametrize("n", [1, 6])
def test_workbench_query_count_is_flat(client, county, users, django_assert_num_queries, n):
    _many(county, users, n)
    login(client, users["community_officer"])
    client.get("/disputes/?view=all")  # warm caches (content types, session)
    # The shared list: one query for the page (no total count) and one per facet (5).
    with django_assert_num_queries(18):
        response = client.get("/disputes/?view=all")
    assert response.status_code == 200


@pytest.mark.parametrize("n", [1, 6])
def test_api_list_query_count_is_flat(client, county, users, django_assert_num_queries, n):
    _many(county, users, n)
    login(client, users["community_officer"])
    client.get("/api/v1/disputes/")
    with django_assert_num_queries(13):
        response = client.get("/api/v1/disputes/")
    assert response.json()["count"] == n


@pytest.mark.parametrize(("level", "queries"), [(3, 29), (5, 27)])
def test_detail_query_count(client, county, users, django_assert_num_queries, level, queries):
    """Fixed per level (one pool query per higher level), independent of the history's size."""
    dispute = helpers.at_level(county.grid_a, users, level)
    login(client, users["community_officer"])
    client.get(f"/disputes/{dispute.pk}/")
    with django_assert_num_queries(queries):
        assert client.get(f"/disputes/{dispute.pk}/").status_code == 200


def test_api_register_act_and_errors(client, county, users):
    login(client, users["community_officer"])
    helpers.pool(county.grid_a, users)
    payload = {
        "place_id": county.grid_a.pk,
        "type": "neighbour",
        "title": "API 登记",
        "facts": "事实",
        "parties": [{"name": "张三", "phone": "13900001111"}, {"name": "李四"}],
    }
    response = client.post("/api/v1/disputes/", payload, content_type="application/json")
    assert response.status_code == 201
    data = response.json()
    assert data["parties"][0]["name"] == "张*" and data["parties"][0]["phone"] == "139****1111"
    pk = data["id"]
    bad = client.post(
        "/api/v1/disputes/",
        {**payload, "parties": payload["parties"][:1]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "parties_required"
    r = client.post(f"/api/v1/disputes/{pk}/actions/start", {}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "mediating"
    r = client.post(
        f"/api/v1/disputes/{pk}/actions/next_level",
        {"note": "不成", "to_level": 3},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "skip_reason_required"
    r = client.post(f"/api/v1/disputes/{pk}/actions/fly", {}, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_action"
    r = client.post(
        f"/api/v1/disputes/{pk}/actions/agree", {"note": "和解"}, content_type="application/json"
    )
    assert r.json()["state"] == "agreed"
    f = helpers.TERMS_FIELDS
    r = client.post(
        f"/api/v1/disputes/{pk}/agreements", {**f, "terms": []}, content_type="application/json"
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "agreement_incomplete"
    timeline = client.get(f"/api/v1/disputes/{pk}/timeline").json()
    assert [e["transition"] for e in timeline] == ["register", "start", "agree"]
    assert client.get("/api/v1/disputes/figures").json()["total"] == 1


def test_pool_management(client, county, users, users_b):
    login(client, users["community_officer"])
    response = client.post(
        "/disputes/pools/",
        {
            "username": users["mediator"].username,
            "place": county.grid_a.pk,
            "level": "1",
            "active": "1",
        },
    )
    assert response.status_code == 302
    from fengqiao.disputes import services

    assert services.pool_for(county.grid_a, 1) == [users["mediator"]]
    bad = client.post(
        "/disputes/pools/",
        {"username": users["grid_worker"].username, "place": county.grid_a.pk, "level": "3"},
    )
    assert bad.status_code == 400 and "不能担任" in bad.content.decode()
    out = client.post(
        "/disputes/pools/",
        {"username": users["mediator"].username, "place": county.grid_c.pk, "level": "1"},
    )
    assert out.status_code == 404
    client.post(
        "/disputes/pools/",
        {
            "username": users["mediator"].username,
            "place": county.grid_a.pk,
            "level": "1",
            "active": "0",
        },
    )
    assert services.pool_for(county.grid_a, 1) == []
    login(client, users["mediator"])
    assert client.post("/disputes/pools/", {"username": "x"}).status_code == 403


def test_api_hearing_and_joint_tasks(client, county, users):
    four = helpers.at_level(county.grid_a, users, 4)
    login(client, users["community_officer"])
    hearing = {
        "held_at": "2026-11-20T09:30:00+08:00",
        "location": "议事厅",
        "statements": "陈述",
        "defence": "申辩",
        "deliberation": "评议",
        "decision": "意见",
        "minutes": "笔录",
        "participants": [{"name": "王书记", "role": "cadre"}],
    }
    bad = client.post(
        f"/api/v1/disputes/{four.pk}/hearing",
        {**hearing, "defence": ""},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["details"]["missing"]
    ok = client.post(
        f"/api/v1/disputes/{four.pk}/hearing", hearing, content_type="application/json"
    )
    assert ok.status_code == 201 and ok.json()["decision"] == "意见"
    five = helpers.at_level(
        county.grid_a, users, 5, parties=helpers.parties("13700000021", "13700000022")
    )
    login(client, users["dispatcher"])
    tasks = [
        {
            "department_id": county.urban.pk,
            "task": "拆除围墙",
            "due_at": "2030-01-01T10:00:00+08:00",
        }
    ]
    r = client.post(
        f"/api/v1/disputes/{five.pk}/joint-tasks", tasks, content_type="application/json"
    )
    assert r.status_code == 201
    task_id = r.json()[0]["id"]
    login(client, users["department_staff"])
    assert client.get("/api/v1/disputes/joint-tasks").json()["count"] == 1
    r = client.post(
        f"/api/v1/disputes/joint-tasks/{task_id}/claim", {}, content_type="application/json"
    )
    assert r.json()["state"] == "claimed"
    r = client.post(
        f"/api/v1/disputes/joint-tasks/{task_id}/complete",
        {"result": ""},
        content_type="application/json",
    )
    assert r.status_code == 400
    r = client.post(
        f"/api/v1/disputes/joint-tasks/{task_id}/complete",
        {"result": "已拆除"},
        content_type="application/json",
    )
    assert r.json()["state"] == "done"


def test_workbench_orders_by_deadline(client, county, users):
    from datetime import timedelta

    from django.utils import timezone

    from fengqiao.disputes import services

    helpers.pool(county.grid_a, users)
    late = helpers.make_dispute(county.grid_a, users, size="large")
    soon = helpers.make_dispute(
        county.grid_a, users, parties=helpers.parties("13700000031", "13700000032")
    )
    now = timezone.now()
    services.start_mediation(late, users["community_officer"], now=now)  # due in 3 days
    services.start_mediation(
        soon, users["community_officer"], now=now - timedelta(days=2)
    )  # overdue
    login(client, users["mediator"])
    body = client.get("/disputes/").content.decode()
    assert body.index(soon.number) < body.index(late.number)
    assert "已超时" in body


def test_api_agreement_versions_sign_and_verify(client, county, users):
    dispute = helpers.agreed(county.grid_a, users)
    login(client, users["community_officer"])
    f = helpers.TERMS_FIELDS
    r = client.post(f"/api/v1/disputes/{dispute.pk}/agreements", f, content_type="application/json")
    assert r.status_code == 201
    first = r.json()
    r = client.post(
        f"/api/v1/disputes/agreements/{first['id']}/sign", {}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["state"] == "signed"
    again = client.post(
        f"/api/v1/disputes/agreements/{first['id']}/sign", {}, content_type="application/json"
    )
    assert again.status_code == 409
    r = client.put(
        f"/api/v1/disputes/agreements/{first['id']}",
        {**f, "performance_manner": "银行转账"},
        content_type="application/json",
    )
    body = r.json()
    assert r.status_code == 200 and body["new_version"] and body["version"] == 2
    assert (
        client.get(f"/api/v1/disputes/agreements/{first['id']}").json()["integrity_code"]
        == first["integrity_code"]
    )
    ok = client.post(
        "/api/v1/disputes/agreements/verify",
        {"number": first["number"], "code": first["integrity_code"]},
        content_type="application/json",
    ).json()
    assert ok["valid"] and ok["state"] == "signed"
    bad = client.post(
        "/api/v1/disputes/agreements/verify",
        {"number": first["number"], "code": "FFFF-FFFF-FFFF-FFFF"},
        content_type="application/json",
    ).json()
    assert not bad["valid"]


def test_system_admin_edits_dispute_types_in_admin(client, county, users):
    admin_user = users["system_admin"]
    assert admin_user.has_perm("disputes.change_disputetype")
    assert not admin_user.has_perm("disputes.view_dispute")
    login(client, admin_user)
    assert client.get("/admin/disputes/disputetype/").status_code == 200

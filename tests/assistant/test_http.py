import json

import pytest

from fengqiao.assistant.models import Alert


def post(client, url, data, **extra):
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


def test_ask_api(loaded, client):
    r = post(client, "/api/v1/assistant/ask", {"id": "q1", "question": "孩子出生后怎么上户口"})
    assert r.status_code == 200
    body = r.json()
    assert (
        body["id"] == "q1"
        and body["kb_matches"][0]["id"] == "hj-001"
        and body["ai_generated"] is True
    )
    assert (
        body["citations"][0]["law"] == "中华人民共和国户口登记条例"
        and body["citations"][0]["article"] == 7
    )


def test_ask_api_bad_input(loaded, client):
    assert post(client, "/api/v1/assistant/ask", {"question": ""}).status_code == 400
    assert post(client, "/api/v1/assistant/ask", {"nothing": 1}).status_code == 422
    assert post(client, "/api/v1/assistant/ask", {"question": "x" * 3000}).status_code == 422
    r = client.post("/api/v1/assistant/ask", b"\xff\x00garbage", content_type="application/json")
    assert 400 <= r.status_code < 500


def test_screen_api_needs_auth_and_raises_scoped_alert(
    db, client, county, users, users_b, login_as
):
    assert post(client, "/api/v1/assistant/screen", {"text": "x"}).status_code == 401
    login_as(users["community_officer"])
    r = post(
        client,
        "/api/v1/assistant/screen",
        {"id": 7, "text": "刷单返利，先垫付后返佣金", "grid": county.grid_a.code},
    )
    assert r.status_code == 200 and r.json()["fraud"] is True and r.json()["alert_id"]
    r = post(client, "/api/v1/assistant/screen", {"text": "刷单返利", "grid": county.grid_b.code})
    assert r.status_code == 404
    assert Alert.objects.count() == 1


def test_pages(loaded, client, county, users, users_b, login_as):
    r = client.get(f"/assistant/chat/?grid={county.grid_a.code}")
    assert r.status_code == 200 and "AI" in r.content.decode()
    r = client.post(
        "/assistant/chat/ask/", {"question": "身份证丢了怎么补办", "grid": county.grid_a.code}
    )
    assert (
        r.status_code == 200 and "转人工" in r.content.decode() and "智能助手" in r.content.decode()
    )
    r = client.post(
        "/assistant/chat/handoff/", {"question": "路灯坏了", "grid": county.grid_a.code}
    )
    assert r.status_code == 200 and "社区民警" in r.content.decode()
    assert client.get("/assistant/answers/").status_code == 302  # login required
    login_as(users["community_officer"])
    assert client.get("/assistant/answers/").status_code == 200
    assert client.get("/assistant/unanswered/").status_code == 200
    export = client.get("/assistant/answers/export/?format=xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    r = client.post("/assistant/answers/import/", {"file": _upload("bad.exe", b"MZ")}, follow=True)
    assert "不支持" in r.content.decode()
    alert = Alert.objects.create(
        place=county.grid_a, text="t", label="threat", score=0.9, evidence=[]
    )
    assert client.get(f"/assistant/alerts/{alert.pk}/").status_code == 200
    login_as(users_b["community_officer"])
    assert client.get(f"/assistant/alerts/{alert.pk}/").status_code == 404


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_standard_answers_need_a_permission_not_a_jurisdiction(
    db, home, client, county, users, users_b, login_as
):
    """Answers are county-wide: an officer of grid B edits what grid A's officer wrote; a grid
    worker reads but may not edit or delete; admin roles see nothing."""
    from fengqiao.assistant import services
    from fengqiao.assistant.models import StandardAnswer

    services.save_answer(
        {"id": "t-1", "category": "测试", "question": "问", "answer": "答"},
        actor=users["community_officer"],
    )
    login_as(users["grid_worker"])
    assert client.get("/assistant/answers/").status_code == 200
    assert client.get("/assistant/answers/t-1/").status_code == 403
    assert client.post("/assistant/answers/t-1/delete/").status_code == 403
    assert StandardAnswer.objects.filter(key="t-1").exists()
    with pytest.raises(services.Forbidden):
        services.delete_answer(StandardAnswer.objects.get(key="t-1"), actor=users["grid_worker"])
    login_as(users["system_admin"])
    assert client.get("/assistant/answers/").status_code == 403
    login_as(users_b["community_officer"])
    r = client.post(
        "/assistant/answers/t-1/",
        {"id": "t-1", "category": "测试", "question": "问", "answer": "新答案", "basis": "[]"},
    )
    assert r.status_code == 302 and StandardAnswer.objects.get(key="t-1").answer == "新答案"
    assert client.post("/assistant/answers/t-1/delete/").status_code == 302
    assert not StandardAnswer.objects.filter(key="t-1").exists()

"""Chinese is the source language; the assistant's own catalog gives the pages in English."""

from fengqiao.assistant import services


def test_chat_in_english(client, home, county):
    url = f"/assistant/chat/?grid={county.grid_a.code}"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "[Automatic reply by the AI assistant, for reference only]" in page
    assert ">Ask</button>" in page and "Your grid: " in page
    assert "提问" not in page and "请勿输入身份证号" not in page
    assert ">提问</button>" in client.get(url).content.decode()  # Chinese by default

    reply = client.post(
        "/assistant/chat/ask/",
        {"question": "社区的老年食堂几点开饭", "grid": county.grid_a.code},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Sorry, I am not confident enough to answer this." in reply
    assert "No answer found: ask a person" in reply and "转人工" not in reply
    done = client.post(
        "/assistant/chat/handoff/",
        {"question": "社区的老年食堂几点开饭", "grid": county.grid_a.code},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "a person will reply to you" in done


def test_staff_pages_and_errors_in_english(client, home, county, users, login_as):
    services.request_handoff("楼道灯坏了", county.grid_a)
    services.screen_message("刷单返利兼职，先垫付后返佣金", county.grid_a)
    login_as(users["community_officer"])
    page = client.get("/assistant/handoffs/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for a reply" in page and "<h1>Hand-offs</h1>" in page
    page = client.get("/assistant/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Fraud: paid &quot;order brushing&quot; jobs" in page and "Group-message alerts" in page
    r = client.post("/assistant/chat/ask/", {"question": " "}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and "The question must not be empty" in r.content.decode()

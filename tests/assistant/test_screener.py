import pytest

from fengqiao.assistant.evaluation import evaluate_screening
from fengqiao.assistant.screener import get_screener


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("我是市公安局的，你涉嫌洗钱，请把钱转到安全账户配合调查，不要告诉家人", "fraud_police"),
        ("刷单返利，先垫付后返还本金加佣金", "fraud_task"),
        ("我不想活了，安眠药已经准备好了", "self_harm"),
        ("急寻！我家老人早上出门走失了，有老年痴呆，请大家帮忙留意", "missing_person"),
    ],
)
def test_flags_with_evidence(text, label):
    result = get_screener().screen(text)
    assert result.label == label
    assert result.score >= 0.5
    assert result.fraud == label.startswith("fraud_")
    assert result.evidence and result.warning_reply


@pytest.mark.parametrize(
    "text",
    [
        "【工商银行】您尾号1234的账户于11月20日转入工资8500元，余额12680.50元。",
        "警方提醒：凡是自称公检法要求转账到安全账户的都是诈骗，请大家提高警惕。",
        "本店新到一批时令水果，会员满100减20，欢迎光临。",
        "明天上午九点小区开展免费义诊，欢迎大家参加。",
    ],
)
def test_ordinary_messages_are_not_alarms(text):
    result = get_screener().screen(text)
    assert result.label == "normal" and not result.fraud and result.evidence == []


def test_held_out_set_quality():
    report = evaluate_screening(get_screener())
    assert report["false_alarm_rate"] <= 0.05
    assert report["precision"] >= 0.9
    assert report["recall"] >= 0.75

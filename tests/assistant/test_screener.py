"""The screener on messages that are in no training file (neither ``screen_train.tsv`` nor the
public data), and the model file: built by a command, reproducible from data + seed."""

import json

import numpy as np
import pytest

from fengqiao.assistant import screen_training
from fengqiao.assistant.evaluation import evaluate_screening
from fengqiao.assistant.screener import TRAIN_FILE, Screener, get_screener, read_tsv

NEW_ALARMS = [
    (
        "这里是区公安分局反洗钱中心，你的账户卷入一起跨省案件，今天必须把存款转入监管账户核查。",
        "fraud_police",
    ),
    (
        "客服提醒：你上月开通的直播会员将每月自动扣费800元，取消请加专员QQ并共享屏幕。",
        "fraud_refund",
    ),
    ("在家动动手指给商品点赞，一单返佣5元，先垫付100元做任务马上返还本金。", "fraud_task"),
    ("恭喜您被抽中二等奖笔记本电脑一台，领奖前需缴纳个人所得税和公证费共680元。", "fraud_prize"),
    ("我已经把遗书写好放在抽屉里了，今晚之后就再也不麻烦大家了。", "self_harm"),
    ("求扩散！我家八岁的儿子放学后走丢了，穿蓝色校服，有看到的请联系。", "missing_person"),
]
NEW_ORDINARY = [
    "【建设银行】您尾号5521的信用卡本期账单1286.40元，到期还款日12月20日。",
    "【顺丰速运】您的快件已到达幸福里小区丰巢柜，取件码62815，请及时领取。",
    "派出所温馨提醒：任何自称公检法要求转账到安全账户的都是诈骗，请大家一律挂断。",
    "周末水果店苹果特价，满五十元送一袋香蕉，欢迎街坊们来选购。",
    "三号楼电梯周四上午保养，请大家走楼梯，给您带来不便敬请谅解。",
    "【美团】您的验证码为481920，五分钟内有效，请勿泄露给他人。",
]


@pytest.mark.parametrize(("text", "label"), NEW_ALARMS)
def test_new_alarms_are_flagged_with_evidence(text, label):
    result = get_screener().screen(text)
    assert result.label == label
    assert result.score >= 0.5
    assert result.fraud == label.startswith("fraud_")
    assert result.evidence and result.warning_reply


@pytest.mark.parametrize("text", NEW_ORDINARY)
def test_bank_notices_deliveries_codes_ads_and_publicity_are_not_alarms(text):
    result = get_screener().screen(text)
    assert result.label == "normal" and not result.fraud and result.evidence == []


def test_test_messages_are_in_no_training_file():
    trained = {t for _, t in read_tsv(TRAIN_FILE)}
    for text in [t for t, _ in NEW_ALARMS] + NEW_ORDINARY:
        assert text not in trained


def test_held_out_set_quality():
    report = evaluate_screening(get_screener())
    assert report["false_alarm_rate"] <= 0.05
    assert report["precision"] >= 0.9
    assert report["recall"] >= 0.75


FRAUD_DIALOGUE = (
    "客服: 您好，我是平台客服，您的订单商品有质量问题，我们给您双倍退款。\n"
    "顾客: 好的，怎么退？\n"
    "客服: 请您下载会议App共享屏幕，打开银行卡页面，按我说的输入验证码就能退款到账户。"
)


def _tiny_data(tmp_path):
    rows = []
    for i in range(12):
        rows.append(
            {
                "text": FRAUD_DIALOGUE.replace("双倍", f"{i + 2}倍"),
                "label": "fraud",
                "kind": "chat",
                "source": "x/fraud:a.csv",
            }
        )
        rows.append(
            {
                "text": f"A: 今天天气真好{i}\nB: 是啊，出去走走吧",
                "label": "normal",
                "kind": "chat",
                "source": "x/chat:b.txt",
            }
        )
        rows.append(
            {
                "text": f"明天第{i}节课改在三楼上",
                "label": "normal",
                "kind": "sms",
                "source": "x/sms:c.json",
            }
        )
    d = tmp_path / "training"
    d.mkdir()
    with (d / "fraud.jsonl").open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    (d / "spam_sms.jsonl").write_text(
        json.dumps(
            {"text": "本店全场五折", "label": "spam", "kind": "sms", "source": "x/sms:c.json"},
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    return d


def test_the_model_file_is_reproducible_from_data_and_seed(tmp_path):
    data = _tiny_data(tmp_path)
    label_rows = read_tsv(TRAIN_FILE)[::4]
    a = screen_training.build(tmp_path / "a.npz", data, seed=3, label_rows=label_rows)
    b = screen_training.build(tmp_path / "b.npz", data, seed=3, label_rows=label_rows)
    assert a == b and a["threshold"] > 0
    with np.load(tmp_path / "a.npz") as za, np.load(tmp_path / "b.npz") as zb:
        assert za.files == zb.files
        for k in za.files:
            assert np.array_equal(za[k], zb[k])
    model = Screener(tmp_path / "a.npz")
    assert model.has_fraud_head and model.meta["seed"] == 3
    assert isinstance(model.screen("今天下午开会").label, str)

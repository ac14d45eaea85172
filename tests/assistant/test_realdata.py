"""The public-data evaluation harness on a tiny invented corpus (the full run is ``assistant eval``)."""

import json

from fengqiao.assistant import evaluation, realdata
from fengqiao.assistant.engine import Assistant

LAW = """# 中华人民共和国测试法
<!-- INFO END -->
## 第一章 总则
第一条 饲养的动物造成他人损害的，动物饲养人或者管理人应当承担侵权责任。
第二条 建筑物上的搁置物、悬挂物发生脱落、坠落造成他人损害的，所有人应当承担侵权责任。
第三条 劳动者在试用期内提前三日通知用人单位，可以解除劳动合同。
"""

ROWS = [
    {
        "question": "邻居饲养的动物咬伤了我，饲养人要承担侵权责任吗？",
        "articles": [{"law": "测试法", "article": 1}],
        "answer": "狗的饲养人应当承担侵权责任，赔偿医药费。",
    },
    {
        "question": "楼上阳台的花盆坠落砸坏了我的车，要承担侵权责任吗",
        "articles": [{"law": "中华人民共和国测试法", "article": 2}],
        "answer": "花盆坠落造成损害的，所有人应当赔偿。",
    },
    {
        "question": "试用期辞职要提前几天通知用人单位解除劳动合同？",
        "articles": [{"law": "测试法", "article": 3}],
        "answer": "试用期内提前三日通知用人单位即可解除劳动合同。",
    },
]


def test_split_is_by_question_and_fixed():
    parts = [realdata.part_of(f"问题{i}") for i in range(400)]
    assert parts == [realdata.part_of(f"问题{i}") for i in range(400)]
    assert 0.3 < parts.count("test") / 400 < 0.5
    assert realdata.part_of("问题1", seed="another") in ("test", "tuning")


def test_law_names_are_normalised():
    assert realdata.law_key("《中华人民共和国民法典》") == "民法典"
    assert (
        realdata.law_key("最高人民法院关于适用《中华人民共和国民法典》有关担保制度的解释")
        == "最高人民法院关于适用《民法典》有关担保制度的解释"
    )


def test_evaluate_all_on_a_tiny_corpus(tmp_path):
    (tmp_path / "laws" / "民法商法").mkdir(parents=True)
    (tmp_path / "laws" / "民法商法" / "测试法(2020-01-01).md").write_text(LAW, encoding="utf-8")
    (tmp_path / "training").mkdir()
    with (tmp_path / "training" / "law.jsonl").open("w", encoding="utf-8") as fh:
        for row in ROWS:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    report = {}
    for part in ("test", "tuning"):
        report[part] = evaluation.evaluate_all(
            tmp_path, tmp_path / "cache", part=part, only="citations,answers"
        )
    assert sum(r["questions"] for r in report.values()) == 3
    for r in report.values():
        if r["questions"]:
            assert r["citations"]["hit@5"] == 1.0
            assert r["answer_only"]["hit@1"] == 1.0
            shares = r["citations"]
            total = shares["answered_right"] + shares["answered_wrong"] + shares["handed_off"]
            assert abs(total - 1) < 1e-6


def test_answer_only_entries_have_no_question():
    rows = [realdata.LawQuestion(r["question"], [], r["answer"]) for r in ROWS]
    kb = realdata.answer_kb(rows, size=2)
    assert len(kb) == 2
    a = Assistant([], None)
    assert a.ask("你好").handoff

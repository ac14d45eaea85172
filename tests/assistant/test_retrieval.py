"""Standard-answer retrieval without Django: subjects, and the quality floor on both question sets."""

import json
from pathlib import Path

import pytest

from fengqiao.assistant import evaluation, text
from fengqiao.assistant.engine import Assistant
from fengqiao.assistant.retrieval import KBEntry

KB = Path(evaluation.__file__).parent / "data" / "standard_answers.jsonl"


@pytest.fixture(scope="module")
def assistant():
    rows = [json.loads(line) for line in KB.read_text(encoding="utf-8").splitlines() if line]
    entries = [
        KBEntry(
            r["id"],
            r["category"],
            r.get("question", ""),
            r.get("paraphrases", []),
            r["answer"],
            r.get("basis", []),
        )
        for r in rows
    ]
    return Assistant(entries, None)


def test_subjects():
    assert text.subjects("身份证快到期了") == {"身份证"}
    assert text.subjects("外国朋友的签证到期") == {"外国人", "签证"}
    assert text.subjects("邻居太吵") == frozenset()


def test_a_question_about_one_document_is_not_answered_about_another(assistant):
    """The synonym 到期 → 有效期 once made an ID-card question match the visa answer."""
    result = assistant.ask("身份证快到期了怎么换新的")
    assert result.source == "kb" and result.kb_key == "sfz-011"
    result = assistant.ask("护照能用几年")
    assert result.kb_key == "cr-004"
    result = assistant.ask("二十岁办的身份证有效期多久")
    assert result.kb_matches[0]["id"] == "sfz-002"


def test_function_words_do_not_make_a_match(assistant):
    """Only "怎么查" in common with an answer: not confident enough to give it."""
    result = assistant.ask("社保卡里的钱怎么查")
    assert result.source != "kb" and result.handoff


def test_quality_floor(assistant):
    """Regression gate at today's numbers (docs/assistant.md): a change that makes more confident
    wrong answers, or answers unanswerable questions, fails here."""
    tuned = evaluation.evaluate_questions(assistant)
    assert len(tuned["answered_wrongly"]) <= 3
    # e57 names an article: with the law index loaded it is quoted, here (no laws) it is not
    assert set(tuned["unanswerable_given_an_answer"]) <= {"e57"}
    assert tuned["answers"]["hit@1"] >= 0.83
    held_out = evaluation.evaluate_questions(assistant, evaluation.HELD_OUT_FILE)
    assert held_out["answers"]["n"] >= 40
    assert len(held_out["answered_wrongly"]) <= 6
    assert len(held_out["unanswerable_given_an_answer"]) <= 1
    assert held_out["refused_privacy_requests"] == "1/1"

"""jieba's dictionary as a shared memory-mapped table (``jiebadict``): the same keys, counts and
words as jieba's own dict, and a process that answers questions never builds that dict."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fengqiao.assistant import jiebadict
from fengqiao.assistant import text as textmod

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "fengqiao" / "assistant" / "data"


@pytest.fixture(scope="module")
def full():
    return jiebadict.full_tokenizer()


@pytest.fixture(scope="module")
def shared():
    return jiebadict.shared_tokenizer()


def _texts() -> list[str]:
    out = []
    for line in (DATA / "standard_answers.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out += [row.get("question", ""), *row.get("paraphrases", []), row.get("answer", "")]
    for name in ("questions.jsonl", "heldout.jsonl"):
        for line in (DATA / "eval" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
    return [textmod.normalize(t) for t in out if t]


def test_table_has_jiebas_keys_counts_and_total(full, shared):
    table = shared.FREQ
    assert shared.total == full.total
    words = list(full.FREQ.items())
    for word, freq in words[:: max(1, len(words) // 20000)]:  # words and prefix-only keys (0)
        assert word in table
        assert table[word] == freq
        assert table.get(word) == freq
    for absent in ["不存在的词语啊", "zzzq", "枫桥式治理平台之", "\u3400\u3401"]:
        assert absent not in full.FREQ
        assert absent not in table
        assert table.get(absent) is None
        with pytest.raises(KeyError):
            table[absent]


def test_same_words_as_jiebas_dict(full, shared):
    texts = _texts()
    assert len(texts) > 500
    for t in texts:
        assert shared.lcut(t, HMM=False) == full.lcut(t, HMM=False)


def test_table_is_built_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("FENGQIAO_JIEBA_CACHE", str(tmp_path))
    first = jiebadict._load_or_build()
    files = sorted(p.name for p in jiebadict.cache_dir().iterdir())
    assert files == ["jieba.freq", "jieba.json", "jieba.keys"]
    stamp = (jiebadict.cache_dir() / "jieba.keys").stat().st_mtime_ns
    second = jiebadict._load_or_build()
    assert (jiebadict.cache_dir() / "jieba.keys").stat().st_mtime_ns == stamp
    assert second.total == first.total and "民法典" in second


def test_a_question_does_not_build_jiebas_dict():
    """The asking process cuts with the shared table: jieba's default dict is never built in it
    (bulk tokenisation, e.g. a law index build, uses it in pool processes)."""
    code = (
        "import jieba\n"
        "from fengqiao.assistant import text, retrieval\n"
        "assert text.terms('邻居家的狗咬伤了我的孩子怎么办')\n"
        "assert retrieval.query_vector('被人打了怎么办')[0].size\n"
        "print(jieba.dt.initialized, type(text._init_jieba().FREQ).__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "FENGQIAO_EMBEDDINGS": "0"},
        check=True,
    )
    assert out.stdout.split() == ["False", "SharedFreq"]


def test_without_a_writable_cache_it_falls_back_to_jiebas_dict(monkeypatch, full):
    def refuse():
        raise PermissionError("read-only")

    monkeypatch.setattr(jiebadict, "_load_or_build", refuse)
    jiebadict.shared_tokenizer.cache_clear()
    try:
        assert jiebadict.shared_tokenizer() is full
    finally:
        jiebadict.shared_tokenizer.cache_clear()

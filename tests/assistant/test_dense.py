"""The dense layer with a small stand-in embedder (the real model is measured by ``assistant eval``
and bench/, not here): resumable memory-mapped article vectors, answers embedded on save, fusion."""

import numpy as np
import pytest

from fengqiao.assistant import retrieval
from fengqiao.assistant.engine import Assistant
from fengqiao.assistant.learned import Learned
from fengqiao.assistant.retrieval import DenseIndex, Embedder, KBEntry, KBIndex, LawDoc, LawIndex


class CharEmbedder(Embedder):
    """Unit-length bag of characters: texts sharing characters are close."""

    def __init__(self):
        self.calls = 0

    def _vec(self, text):
        v = np.zeros(self.DIM, np.float32)
        for ch in text:
            v[hash(ch) % self.DIM] += 1
        return v / (np.linalg.norm(v) or 1)

    def query(self, text):
        return self._vec(text)

    def passages(self, texts):
        self.calls += len(texts)
        return np.stack([self._vec(t) for t in texts])


@pytest.fixture
def embedder(monkeypatch):
    fake = CharEmbedder()
    monkeypatch.setenv("FENGQIAO_EMBEDDINGS", "1")
    monkeypatch.setattr(Embedder, "_instance", fake)
    return fake


TEXTS = [
    "饲养的动物造成他人损害",
    "建筑物上的悬挂物坠落",
    "劳动者试用期解除劳动合同",
    "夫妻共同债务",
]


def test_articles_are_embedded_in_steps_and_resume(tmp_path, embedder):
    dense = DenseIndex(tmp_path)
    order = np.array([2, 0, 3, 1])
    dense.start(4, order, "s1")
    assert dense.status() == {"total": 4, "done": 0, "ready": False, "model": Embedder.MODEL}
    assert dense.search_text("试用期") == []  # nothing embedded yet: lexical only
    dense.fill(lambda rows: [TEXTS[i] for i in rows], embedder, chunk=1, budget_s=0)
    assert dense.done == 1  # stopped after its budget, saved
    again = DenseIndex(tmp_path)  # another process, or the worker after a restart
    again.start(4, order, "s1")  # same stamp: kept, not restarted
    assert again.done == 1
    assert again.search_text("试用期解除合同")[0][0] == 2  # the first row in order
    again.fill(lambda rows: [TEXTS[i] for i in rows], embedder, chunk=2)
    assert again.status()["ready"] and embedder.calls == 4
    hits = again.search_text("动物造成损害")
    assert hits[0][0] == 0
    assert isinstance(np.load(tmp_path / "laws.dense.f16", mmap_mode="r"), np.memmap)
    again.start(4, order, "s2")  # a new law index: start over
    assert DenseIndex(tmp_path).done == 0


def test_answers_are_embedded_on_save_and_only_changed_ones(tmp_path, embedder):
    entries = [KBEntry(f"a{i}", "", "", [], t + "的处理办法", []) for i, t in enumerate(TEXTS)]
    kb = KBIndex(entries)
    kb.embed(embedder, tmp_path)
    kb.save(tmp_path, "v1")
    first = embedder.calls
    entries[1] = KBEntry("a1", "", "", [], "高空抛物砸伤人怎么赔", [])
    kb2 = KBIndex(entries)
    kb2.embed(embedder, tmp_path)
    assert embedder.calls == first + 1  # only the changed answer
    kb2.save(tmp_path, "v2")
    loaded = KBIndex.load(tmp_path, "v2")
    assert loaded.dense is not None and loaded.dense.shape == (4, Embedder.DIM)
    assert loaded.search("高空抛物砸伤人")[0][0] == 1


def test_without_the_model_it_answers_lexically(tmp_path, monkeypatch):
    monkeypatch.setenv("FENGQIAO_EMBEDDINGS", "0")
    assert Embedder.get() is None
    entries = [KBEntry("a0", "", "", [], TEXTS[0], [])]
    assert KBIndex(entries).search("动物造成损害")[0][0] == 0


def test_reranker_sees_lexical_dense_memory_and_prior(tmp_path, embedder):
    docs = [
        LawDoc(i, "中华人民共和国测试法", "2020-01-01", i + 1, 0, t, 1, "", "")
        for i, t in enumerate(TEXTS)
    ]
    index = LawIndex.build(docs, [LawIndex.doc_text(d.title, "", d.text) for d in docs], workers=1)
    dense = DenseIndex(tmp_path)
    dense.start(4, np.arange(4), "s")
    dense.fill(lambda rows: [TEXTS[i] for i in rows], embedder)
    learned = Learned(
        {
            "law_logp": {"测试法": -0.5},
            "weights": [1, 1, 1, 1, 2, 0, 0.1, 0, 0, 0],
            "bias": -1,
            "law_threshold": 0.5,
            "memory": [["狗咬人了谁负责", [["测试法", 1, 0]]]],
        }
    )
    a = Assistant([], index, learned=learned, dense=dense)
    keys, feats = a.law_candidates("邻居的狗咬人了谁负责")
    row = feats[keys.index(("测试法", 1, 0))]
    assert row[4] > 0  # the remembered question votes for article 1
    assert row[6] == pytest.approx(-0.05)  # the law prior
    answer = a.ask("邻居的狗咬人了谁负责")
    assert answer.citations[0].article == 1
    assert retrieval.Embedder.get() is embedder


def test_complete_index_is_searched_in_a_float32_copy_with_the_same_results(tmp_path, embedder):
    """Once every row is embedded, a memory-mapped float32 copy is searched (no conversion per
    question); its results are those of the half-precision rows; a new law index drops it."""
    rng = np.random.default_rng(5)
    texts = [
        "".join(rng.choice(list("动物损害建筑坠落劳动合同夫妻债务试用期"), 6)) for _ in range(300)
    ]
    order = rng.permutation(300)
    dense = DenseIndex(tmp_path)
    dense.start(300, order, "s1")
    dense.fill(lambda rows: [texts[i] for i in rows], embedder, chunk=100, budget_s=0)
    assert not dense.f32_path.exists()  # not complete yet
    partial = DenseIndex(tmp_path)
    assert partial.search_text("动物损害", 20)  # the embedded rows only
    dense.fill(lambda rows: [texts[i] for i in rows], embedder, chunk=100)
    assert dense.f32_path.exists()
    fresh = DenseIndex(tmp_path)
    questions = ["动物损害", "劳动合同试用期", "夫妻债务"]
    with_copy = [fresh.search_text(q, 30) for q in questions]
    assert isinstance(fresh._f32, np.memmap)
    fresh.f32_path.unlink()
    without = [DenseIndex(tmp_path).search_text(q, 30) for q in questions]
    assert with_copy == without
    dense.fill(lambda rows: [texts[i] for i in rows], embedder)  # a complete index: copy rewritten
    assert dense.f32_path.exists()
    dense.start(300, order, "s2")
    assert not dense.f32_path.exists()


def test_block_size_does_not_change_the_search(tmp_path, embedder, monkeypatch):
    """The product is taken in blocks of rows (small enough for one thread and the CPU cache): the
    block size changes neither the rows found, nor their order, nor their cosines."""
    rng = np.random.default_rng(7)
    texts = [
        "".join(rng.choice(list("动物损害建筑坠落劳动合同夫妻债务试用期"), 6)) for _ in range(301)
    ]
    dense = DenseIndex(tmp_path)
    dense.start(301, rng.permutation(301), "s1")
    dense.fill(lambda rows: [texts[i] for i in rows], embedder, chunk=150, budget_s=0)
    questions = ["动物损害", "劳动合同试用期", "夫妻债务", "建筑坠落"]
    for complete in (False, True):
        assert dense.f32_path.exists() is complete
        found = {}
        for block in (7, 64, 1024, 16384):
            monkeypatch.setattr(DenseIndex, "BLOCK", block)
            found[block] = [DenseIndex(tmp_path).search_text(q, 40) for q in questions]
        assert found[7] == found[64] == found[1024] == found[16384]
        assert all(len(r) == 40 for r in found[7])
        dense.fill(lambda rows: [texts[i] for i in rows], embedder)
    assert dense.f32_path.exists()  # the second round searched the float32 copy


def test_answer_only_threshold_with_and_without_the_dense_layer(tmp_path, embedder, monkeypatch):
    """An answer-only entry is given at KB_CONFIDENT_ANSWER_ONLY_DENSE when the answers are embedded
    and the model is loaded (the score includes the dense bonus), else at KB_CONFIDENT_ANSWER_ONLY."""
    from fengqiao.assistant import engine

    entries = [KBEntry(f"a{i}", "", "", [], t + "的处理办法", []) for i, t in enumerate(TEXTS)]
    plain = Assistant(entries, None)
    dense = Assistant(entries, None)
    dense.kb.embed(embedder, tmp_path)
    assert dense.kb.dense_active() and not plain.kb.dense_active()
    question = "饲养的动物造成他人损害怎么办"
    monkeypatch.setattr(engine, "KB_CONFIDENT_ANSWER_ONLY", 0.0)
    monkeypatch.setattr(engine, "KB_CONFIDENT_ANSWER_ONLY_DENSE", 1.01)
    assert plain.ask(question).kb_key == "a0"
    assert dense.ask(question).handoff
    monkeypatch.setattr(engine, "KB_CONFIDENT_ANSWER_ONLY", 1.01)
    monkeypatch.setattr(engine, "KB_CONFIDENT_ANSWER_ONLY_DENSE", 0.0)
    assert plain.ask(question).handoff
    assert dense.ask(question).kb_key == "a0"
    monkeypatch.setenv("FENGQIAO_EMBEDDINGS", "0")  # model off: the lexical threshold again
    assert not dense.kb.dense_active()

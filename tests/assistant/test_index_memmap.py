"""The law index on disk (issue 12): memory-mapped arrays shared by web workers, same answers.

Behaviour only: a loaded index maps its BM25 arrays and article texts read-only (``numpy.memmap``,
so the pages are shared between processes and not counted in a worker's USS), scores equal
scipy's product bit for bit, an index saved in the first format is converted, and the web-side
modules no longer import scikit-learn.
"""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from fengqiao.assistant import retrieval
from fengqiao.assistant import text as textmod
from fengqiao.assistant.engine import Assistant
from fengqiao.assistant.retrieval import BM25, LawDoc, LawDocs, LawIndex

ROOT = Path(__file__).resolve().parents[2]

ARTICLES = [
    ("中华人民共和国治安管理处罚法", "2012-10-26", 1, "第一条 为维护社会治安秩序，保障公共安全……"),
    (
        "中华人民共和国治安管理处罚法",
        "2012-10-26",
        43,
        "第四十三条 殴打他人的，或者故意伤害他人身体的，处五日以上十日以下拘留。",
    ),
    (
        "中华人民共和国民法典",
        "2020-05-28",
        1245,
        "第一千二百四十五条 饲养的动物造成他人损害的，动物饲养人或者管理人应当承担侵权责任。",
    ),
    (
        "中华人民共和国民法典",
        "2020-05-28",
        1165,
        "第一千一百六十五条 行为人因过错侵害他人民事权益造成损害的，应当承担侵权责任。",
    ),
    (
        "中华人民共和国居民身份证法",
        "2011-10-29",
        11,
        "第十一条 居民身份证有效期满、公民姓名变更或者证件严重损坏不能辨认的，应当换领新证。😀",
    ),
]
QUESTIONS = ["狗咬了我，谁负责", "被人打了怎么办", "身份证过期了怎么换", "民法典第一千二百四十五条"]


def _index() -> LawIndex:
    docs = [
        LawDoc(i, title, version, number, 0, text, 1 if "民法典" in title else 0, "", "")
        for i, (title, version, number, text) in enumerate(ARTICLES)
    ]
    texts = [LawIndex.doc_text(d.title, "", d.text) for d in docs]
    return LawIndex.build(docs, texts, workers=1)


def test_loaded_index_is_memory_mapped(tmp_path):
    built = _index()
    built.save(tmp_path)
    loaded = LawIndex.load(tmp_path)
    for array in (loaded.bm25.data, loaded.bm25.indices, loaded.bm25.indptr, loaded.bm25.idf):
        assert isinstance(array, np.memmap)
    assert isinstance(loaded.docs, LawDocs)
    assert isinstance(loaded.docs.text, np.memmap)
    assert isinstance(loaded.docs.number, np.memmap)
    assert [loaded.docs[i] for i in range(len(built.docs))] == list(built.docs)
    assert loaded.docs[-1].text.endswith("😀")
    assert np.array_equal(loaded.prior, built.prior)
    for q in QUESTIONS:
        assert loaded.search(q, 5) == built.search(q, 5)


def test_answers_from_the_loaded_index_are_the_built_ones(tmp_path):
    built = _index()
    built.save(tmp_path)
    loaded = LawIndex.load(tmp_path)
    cited = 0
    for q in QUESTIONS:
        a = Assistant([], built).ask(q).as_dict()
        b = Assistant([], loaded).ask(q).as_dict()
        assert a == b
        cited += bool(a["citations"])
    assert cited >= 3


def test_bm25_scores_equal_scipy_product():
    counts = retrieval._count_chunk([LawIndex.doc_text(t, "", x) for t, _, _, x in ARTICLES])
    bm25 = BM25.from_counts(counts)
    for q in QUESTIONS:
        cols, qw = retrieval.query_vector(q)
        ours, _upper = bm25.score(cols, qw)
        expected = np.asarray(bm25.weights[:, cols] @ qw).ravel()
        assert np.array_equal(ours, expected)


def test_term_hashing_equals_scikit_learn_feature_hasher():
    from sklearn.feature_extraction import FeatureHasher

    texts = [x for _, _, _, x in ARTICLES] + QUESTIONS
    hasher = FeatureHasher(
        n_features=retrieval.N_FEATURES, input_type="dict", alternate_sign=False, dtype=np.float32
    )
    expected = hasher.transform(Counter(textmod.terms(t)) for t in texts).tocsr()
    ours = retrieval._count_chunk(texts)
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(expected, part), getattr(ours, part))
    for q in QUESTIONS:
        row = hasher.transform([textmod.query_terms(q)]).tocsr()
        cols, weights = retrieval.query_vector(q)
        assert np.array_equal(row.indices, cols)
        assert np.array_equal(row.data, weights)


def test_first_format_is_converted_on_load(tmp_path):
    """An install whose index was saved before (JSON articles, an .npz matrix) keeps its citations."""
    built = _index()
    sp.save_npz(tmp_path / "laws.weights.npz", built.bm25.weights, compressed=False)
    np.save(tmp_path / "laws.idf.npy", built.bm25.idf)
    (tmp_path / "laws.docs.json").write_text(
        json.dumps(
            {
                "version": 1,
                "fields": list(LawDoc.__dataclass_fields__),
                "rows": [list(d.__dict__.values()) for d in built.docs],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    loaded = LawIndex.load(tmp_path)
    assert isinstance(loaded.bm25.data, np.memmap)
    assert not (tmp_path / "laws.weights.npz").exists()
    assert json.loads((tmp_path / "laws.docs.json").read_text())["version"] == 2
    for q in QUESTIONS:
        assert loaded.search(q, 5) == built.search(q, 5)


def test_asking_imports_no_scikit_learn(tmp_path):
    """A web worker answering questions loads numpy/scipy and jieba, not scikit-learn."""
    _index().save(tmp_path)
    code = (
        "import sys\n"
        "from fengqiao.assistant.engine import Assistant\n"
        "from fengqiao.assistant.retrieval import LawIndex\n"
        "from fengqiao.assistant import learned\n"
        f"a = Assistant([], LawIndex.load({str(tmp_path)!r}), learned=learned.default())\n"
        "assert a.ask('被人打了怎么办').citations\n"
        "print('sklearn' in sys.modules)\n"
    )
    env = {**os.environ, "FENGQIAO_EMBEDDINGS": "0"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "False"


def test_question_memory_similarities_equal_scipy_product():
    import math

    from fengqiao.assistant.learned import QuestionMemory

    memory = QuestionMemory(
        ["狗咬了我谁负责", "邻居装修太吵怎么办", "身份证丢了去哪补办", "被人打了可以报警吗"],
        [[("民法典", 1245, 0)], [], [("居民身份证法", 11, 0)], []],
    )
    for q in QUESTIONS + ["", "完全无关的话"]:
        x = retrieval._count_chunk([q]).astype(np.float32)
        x.data = (1 + np.log(x.data)) * memory.idf[x.indices]
        qt = x.T / (math.sqrt(float(x.multiply(x).sum())) or 1.0)
        expected = np.asarray((memory.matrix @ qt).todense()).ravel()
        ours = memory._similarities(qt.indices, qt.data)
        assert ours.dtype == expected.dtype
        assert np.array_equal(ours, expected)
    assert memory.neighbours("狗咬了我，谁来负责")[0][0] == 0

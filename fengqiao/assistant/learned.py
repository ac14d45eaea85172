"""What real residents' questions teach the citation search (learned from the *tuning* part only).

From the question → article pairs of ``law.jsonl`` (STARD, MIT; see ``realdata``):

* a **prior per law** — which instruments residents' questions land in (the Civil Code far more than
  a departmental rule), smoothed, as a log-probability feature;
* a **question memory** — residents' words → statute: a new question's nearest tuning questions (TF-IDF
  cosine over words and bigrams) vote for the articles that answered them. This is the learned rewrite
  from everyday words ("狗咬了我") to the articles a lawyer cites ("饲养的动物造成他人损害");
* a **reranker** — logistic regression over the candidates of the lexical index, the dense index and
  the memory, with features lexical score/rank, dense cosine, memory vote, law prior, article position,
  title named in the question and level. Its probability for the best candidate is the confidence that
  the calibrated thresholds are set on.

The result is ``data/law_learned.json`` (built by ``fengqiao assistant learn``; shippable: MIT data).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from . import realdata
from .retrieval import N_FEATURES, _count_chunk

LEARNED_FILE = Path(__file__).resolve().parent / "data" / "law_learned.json"
FEATURES = (
    "lex",  # normalised BM25 match in [0, 1]
    "lex_rank",  # 1 / (1 + rank) in the lexical list, 0 if absent
    "dense",  # cosine with the question (0 when not embedded)
    "dense_rank",
    "memory",  # summed similarity of the tuning questions that cite this article
    "memory_top",  # best single similarity among them
    "prior",  # log P(law) from the tuning questions
    "position",  # 1 / log2(2 + article number): general provisions come first
    "title_named",  # the question names the instrument
    "level_law",  # a law or the constitution (not a rule or a local regulation)
)
POOL = 50


class QuestionMemory:
    """TF-IDF cosine over the tuning questions; each remembers the articles that answered it."""

    def __init__(self, questions: list[str], articles: list[list[tuple[str, int, int]]]):
        self.questions = questions
        self.articles = articles
        counts = _count_chunk(questions) if questions else sp.csr_matrix((0, N_FEATURES))
        n = max(counts.shape[0], 1)
        df = np.bincount(counts.indices, minlength=N_FEATURES).astype(np.float32)
        self.idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
        x = counts.astype(np.float32)
        x.data = (1 + np.log(x.data)) * self.idf[x.indices]
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1
        self.matrix = (sp.diags(1 / norms) @ x).tocsr().astype(np.float32)

    def neighbours(self, question: str, k: int = 10, exclude: str = "") -> list[tuple[int, float]]:
        if not self.questions:
            return []
        q = _count_chunk([question]).astype(np.float32)
        q.data = (1 + np.log(q.data)) * self.idf[q.indices]
        qn = math.sqrt(float(q.multiply(q).sum())) or 1.0
        qt = q.T / qn
        sims = self._similarities(qt.indices, qt.data)
        order = np.argsort(-sims)[: k + 1]
        return [
            (int(i), float(sims[i])) for i in order if sims[i] > 0 and self.questions[i] != exclude
        ][:k]

    def _similarities(self, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``matrix @ q`` for a query with ``weights`` at ``cols`` (sorted): the sums scipy's
        sparse product gives (same order, same precision), without building a 2²¹-row operand for
        every question (that conversion was the slowest step of a question)."""
        m = self.matrix
        dtype = np.result_type(m.dtype, weights.dtype)
        sims = np.zeros(m.shape[0], dtype=dtype)
        pos = np.searchsorted(cols, m.indices)
        pos[pos == len(cols)] = 0
        hit = cols[pos] == m.indices if len(cols) else np.zeros(len(m.indices), bool)
        rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
        # in each row, column by column from zero, as the CSR product adds
        np.add.at(sims, rows[hit], m.data[hit].astype(dtype) * weights[pos[hit]].astype(dtype))
        return sims

    def votes(
        self, question: str, k: int = 10, exclude: str = ""
    ) -> dict[tuple, tuple[float, float]]:
        """article key → (summed similarity, best similarity)."""
        out: dict[tuple, tuple[float, float]] = {}
        for i, s in self.neighbours(question, k, exclude):
            for a in self.articles[i]:
                total, best = out.get(a, (0.0, 0.0))
                out[a] = (total + s, max(best, s))
        return out


class Learned:
    def __init__(self, data: dict):
        self.data = data
        self.law_logp: dict[str, float] = data.get("law_logp", {})
        self.unseen_logp = float(data.get("unseen_logp", -12.0))
        self.weights = np.array(data.get("weights", [0.0] * len(FEATURES)), dtype=np.float32)
        self.bias = float(data.get("bias", 0.0))
        self.law_threshold = float(data.get("law_threshold", 0.5))
        self.kb_threshold = float(data.get("kb_threshold", 0.27))
        mem = data.get("memory", [])
        self.memory = QuestionMemory([m[0] for m in mem], [[tuple(a) for a in m[1]] for m in mem])

    @classmethod
    def load(cls, path: str | Path = LEARNED_FILE) -> Learned | None:
        try:
            with Path(path).open(encoding="utf-8") as fh:
                return cls(json.load(fh))
        except (OSError, ValueError):
            return None

    def prior(self, law_key: str) -> float:
        return self.law_logp.get(law_key, self.unseen_logp)

    def score(self, feats: np.ndarray) -> np.ndarray:
        z = feats @ self.weights + self.bias
        return 1 / (1 + np.exp(-z))


@lru_cache(maxsize=1)
def default() -> Learned | None:
    """The shipped ``data/law_learned.json`` (loaded once per process)."""
    return Learned.load(LEARNED_FILE)


def law_prior_table(
    questions: list[realdata.LawQuestion], alpha: float = 0.5
) -> tuple[dict, float]:
    counts = Counter(a[0] for q in questions for a in set(q.articles))
    total = sum(counts.values())
    denom = total + alpha * (len(counts) + 1000)  # room for the instruments never cited
    table = {law: math.log((c + alpha) / denom) for law, c in counts.items()}
    return table, math.log(alpha / denom)


def build(
    data_dir: Path, assistant_factory, out: Path = LEARNED_FILE, seed: str = realdata.SPLIT_SEED
) -> dict:
    """Learn from the tuning part: prior, memory, reranker weights, thresholds; write ``out``."""
    from sklearn.linear_model import LogisticRegression

    rows = realdata.load_law_questions(Path(data_dir) / "law.jsonl", seed)
    tuning, _test = realdata.split_questions(rows)
    law_logp, unseen = law_prior_table(tuning)
    data = {
        "source": "law.jsonl (STARD / LeCoQA, MIT), tuning part only",
        "seed": seed,
        "features": list(FEATURES),
        "law_logp": law_logp,
        "unseen_logp": unseen,
        "memory": [[q.question, [list(a) for a in q.articles]] for q in tuning],
    }
    learned = Learned(data)
    assistant = assistant_factory([], learned)
    xs, ys, groups = [], [], []
    for g, q in enumerate(tuning):
        cands, feats = assistant.law_candidates(q.question, exclude=q.question)
        gold = set(q.articles)
        for key, f in zip(cands, feats, strict=True):
            xs.append(f)
            ys.append(key in gold)
            groups.append(g)
    x = np.array(xs, dtype=np.float32)
    y = np.array(ys)
    model = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
    model.fit(x, y)
    data["weights"] = [round(float(w), 6) for w in model.coef_.ravel()]
    data["bias"] = round(float(model.intercept_[0]), 6)
    learned = Learned(data)
    # Thresholds: quote articles when the best candidate's probability clears the level at which, on
    # the tuning questions, being right outweighs being wrong (right − 2 × wrong is largest).
    assistant = assistant_factory([], learned)
    tops = []
    for q in tuning:
        cands, feats = assistant.law_candidates(q.question, exclude=q.question)
        if not cands:
            tops.append((0.0, False))
            continue
        p = learned.score(np.array(feats, dtype=np.float32))
        order = np.argsort(-p)[:3]
        tops.append((float(p[order[0]]), any(cands[i] in set(q.articles) for i in order)))
    best_t, best_gain = 1.0, 0.0
    for t in sorted({round(p, 3) for p, _ in tops}):
        gain = sum((1 if ok else -2) for p, ok in tops if p >= t)
        if gain > best_gain:
            best_t, best_gain = t, gain
    data["law_threshold"] = best_t
    out = Path(out)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out)
    return {k: data[k] for k in ("weights", "bias", "law_threshold")} | {
        "tuning_questions": len(tuning),
        "candidates": int(len(y)),
        "positives": int(y.sum()),
    }

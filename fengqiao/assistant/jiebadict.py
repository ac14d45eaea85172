"""jieba's dictionary in shared, memory-mapped pages instead of a Python dict in every process.

jieba keeps its prefix dictionary (349,046 words and their prefixes, 584,429 keys) as a Python
``dict`` per process: about 70 MB of every web worker's own memory. The assistant only cuts with
``HMM=False``, which reads that dictionary through ``in``, ``[]`` and ``.get`` alone, so this module
gives jieba's own tokenizer a read-only mapping with the same keys, frequencies and total:

* built once per machine (per jieba dictionary) by a short child process from jieba's own
  ``gen_pfdict`` — the same keys and counts as ``jieba.initialize()``;
* an open-addressing hash table of 64-bit BLAKE2b keys (``*.keys``) and their frequencies (``*.freq``)
  in two files that every process maps read-only, so their pages are the page cache's, shared by all
  workers. Two different strings share a 64-bit key with a probability of about 2⁻⁴⁵ per lookup
  (584,429 keys); the build refuses a dictionary whose own keys collide.

The cut is jieba's own code (``Tokenizer.cut``), so words are the same as with the dict (tested on the
whole shipped knowledge base); a lookup costs about a microsecond more than a dict's, which matters
only for bulk tokenisation — index builds use jieba's dict in their own short-lived processes
(:func:`full_tokenizer`).
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

VERSION = 1
_EMPTY = 0  # an empty slot (a key hashing to 0 is stored as 1)


def _key(word: str) -> int:
    h = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")
    return h or 1


def _dict_file() -> Path:
    import jieba

    return Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)


def cache_dir() -> Path:
    """Per machine and per jieba dictionary (like jieba's own cache in the temporary directory)."""
    src = _dict_file()
    st = src.stat()
    base = os.environ.get("FENGQIAO_JIEBA_CACHE") or tempfile.gettempdir()
    return Path(base) / f"fengqiao-jieba-v{VERSION}-{st.st_size}-{st.st_mtime_ns}"


def build(directory: str | os.PathLike) -> dict:
    """Write the table from jieba's dictionary (the same ``gen_pfdict`` as ``jieba.initialize``)."""
    import array

    import jieba

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with _dict_file().open("rb") as fh:
        freq, total = jieba.Tokenizer.gen_pfdict(fh)
    size = 1 << max(16, (2 * len(freq) - 1).bit_length())  # load factor ≤ 0.5
    mask = size - 1
    keys = array.array("Q", bytes(8 * size))
    vals = array.array("I", bytes(4 * size))
    seen = set()
    for word, f in freq.items():
        k = _key(word)
        if k in seen:
            raise ValueError("jieba dictionary: two words share a 64-bit key")
        seen.add(k)
        i = k & mask
        while keys[i] != _EMPTY:
            i = (i + 1) & mask
        keys[i] = k
        vals[i] = f
    tag = f"{os.getpid()}.tmp"
    (directory / f"jieba.keys.{tag}").write_bytes(keys.tobytes())
    (directory / f"jieba.freq.{tag}").write_bytes(vals.tobytes())
    meta = {"version": VERSION, "size": size, "keys": len(freq), "total": total}
    (directory / f"jieba.json.{tag}").write_text(json.dumps(meta), encoding="utf-8")
    (directory / f"jieba.keys.{tag}").replace(directory / "jieba.keys")
    (directory / f"jieba.freq.{tag}").replace(directory / "jieba.freq")
    (directory / f"jieba.json.{tag}").replace(directory / "jieba.json")  # last: complete
    return meta


class SharedFreq:
    """Read-only stand-in for ``Tokenizer.FREQ``: ``word in f``, ``f[word]``, ``f.get(word)``."""

    def __init__(self, directory: Path):
        meta = json.loads((directory / "jieba.json").read_text(encoding="utf-8"))
        if meta.get("version") != VERSION:
            raise ValueError("old table")
        self.total = int(meta["total"])
        self._mask = int(meta["size"]) - 1
        self._maps = []
        views = []
        for name, fmt in (("jieba.keys", "Q"), ("jieba.freq", "I")):
            with (directory / name).open("rb") as fh:
                m = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            self._maps.append(m)
            views.append(memoryview(m).cast(fmt))
        self._keys, self._vals = views
        if len(self._keys) != self._mask + 1 or len(self._vals) != self._mask + 1:
            raise ValueError("truncated table")
        self._last = (None, -1)

    def _slot(self, word: str) -> int:
        last = self._last
        if last[0] == word:
            return last[1]
        k = _key(word)
        keys, mask = self._keys, self._mask
        i = k & mask
        while True:
            have = keys[i]
            if have == k:
                break
            if have == _EMPTY:
                i = -1
                break
            i = (i + 1) & mask
        self._last = (word, i)
        return i

    def __contains__(self, word) -> bool:
        return self._slot(word) >= 0

    def __getitem__(self, word) -> int:
        i = self._slot(word)
        if i < 0:
            raise KeyError(word)
        return self._vals[i]

    def get(self, word, default=None):
        i = self._slot(word)
        return self._vals[i] if i >= 0 else default


def _load_or_build() -> SharedFreq:
    directory = cache_dir()
    try:
        return SharedFreq(directory)
    except (OSError, ValueError, KeyError):
        pass
    # Built in a child process: the 584,429-entry dict it needs never enters this process's heap.
    code = "import sys; from fengqiao.assistant.jiebadict import build; build(sys.argv[1])"
    done = subprocess.run([sys.executable, "-c", code, str(directory)], check=False)
    if done.returncode != 0:
        build(directory)
    return SharedFreq(directory)


@lru_cache(maxsize=1)
def shared_tokenizer():
    """A jieba tokenizer whose dictionary is the shared table (``HMM=False`` cuts only)."""
    import jieba

    try:
        freq = _load_or_build()
    except (OSError, ValueError):  # no writable cache (or a damaged one): jieba's own dict
        return full_tokenizer()
    tk = jieba.Tokenizer()
    tk.FREQ = freq
    tk.total = freq.total
    tk.initialized = True
    return tk


@lru_cache(maxsize=1)
def full_tokenizer():
    """jieba's default tokenizer with its dict (fast lookups; for bulk tokenisation)."""
    import jieba

    jieba.initialize()
    return jieba.dt

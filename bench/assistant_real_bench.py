"""Speed and memory of the assistant on the public data (not a test; figures in docs/performance.md).

    nice -n 10 .venv/bin/python bench/assistant_real_bench.py --data ../shared/data --cache DIR

* ask: per-question latency over the test questions with everything loaded (lexical index of the whole
  corpus, learned reranker, the dense index as far as it is embedded, the query embedding);
* screen: ``fengqiao assistant screen --jsonl`` on 12,000 messages, wall time including start-up;
* memory: unique set size (USS, private pages) of one process with everything loaded — the law vectors
  and the embedding model are memory-mapped, so their pages are shared between web workers.
"""

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def uss_mb() -> float:
    total = 0
    with open("/proc/self/smaps_rollup") as fh:
        for line in fh:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return round(total / 1024, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--cache", required=True, help="the cache of `fengqiao assistant eval`")
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--messages", type=int, default=12000)
    args = ap.parse_args()
    data, cache = Path(args.data), Path(args.cache)
    from fengqiao.assistant import learned, realdata
    from fengqiao.assistant.engine import Assistant
    from fengqiao.assistant.retrieval import DenseIndex, Embedder

    report = {"uss_mb_start": uss_mb()}
    t = time.perf_counter()
    index = realdata.corpus_index(data / "laws", cache / "laws")
    dense = DenseIndex(cache / "laws")
    assistant = Assistant([], index, dt.date.today(), learned=learned.default(), dense=dense)
    Embedder.get()
    report["load_s"] = round(time.perf_counter() - t, 2)
    report["dense_articles"] = f"{dense.done}/{dense.total}"
    _tuning, test = realdata.split_questions(
        realdata.load_law_questions(data / "training" / "law.jsonl")
    )
    qs = [q.question for q in test[: args.questions]]
    assistant.ask("预热")
    times = []
    for q in qs:
        t = time.perf_counter()
        assistant.ask(q)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    report["ask_ms_p50"] = round(statistics.median(times), 1)
    report["ask_ms_p95"] = round(times[int(len(times) * 0.95)], 1)
    from fengqiao.assistant.screener import get_screener

    get_screener()
    report["uss_mb_loaded"] = uss_mb()

    rows = list(realdata.read_jsonl(data / "training" / "fraud.jsonl"))
    msgs = [r["text"] for r in rows if r.get("kind") == "sms"][: args.messages]
    while len(msgs) < args.messages:
        msgs += msgs[: args.messages - len(msgs)]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as fh:
        for i, m in enumerate(msgs):
            fh.write(json.dumps({"id": i, "text": m}, ensure_ascii=False) + "\n")
    t = time.perf_counter()
    with open(fh.name, "rb") as stdin:
        out = subprocess.run(
            [sys.executable, "-m", "fengqiao.cli", "assistant", "screen", "--jsonl"],
            stdin=stdin,
            capture_output=True,
            check=True,
            env={**os.environ},
        )
    wall = time.perf_counter() - t
    os.unlink(fh.name)
    report["screen_messages"] = len(out.stdout.splitlines())
    report["screen_wall_s_including_startup"] = round(wall, 2)
    report["screen_msgs_per_s"] = int(len(msgs) / wall)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

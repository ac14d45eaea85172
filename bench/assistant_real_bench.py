"""Speed and memory of the assistant on the public data (not a test; figures in docs/performance.md).

    nice -n 10 .venv/bin/python bench/assistant_real_bench.py --data ../shared/data --cache DIR

* ask: per-question time over the test questions with everything loaded (lexical index of the whole
  corpus, learned reranker, the dense index as far as it is embedded, the query embedding) — CPU time
  (``time.process_time``) and wall time; on the shared machine only the CPU time is comparable;
* screen: ``fengqiao assistant screen --jsonl`` on 12,000 messages including start-up: CPU time of
  the child (user + sys) and wall time, and the same for 10 messages (start-up alone);
* memory: unique set size (USS, private pages: ``psutil``'s ``memory_full_info().uss`` when psutil is
  installed, else the same sum read from ``/proc/self/smaps_rollup``) of one process with everything
  loaded — the law index (BM25 arrays, article texts), the law vectors and the embedding model are
  memory-mapped, so their pages are shared between web workers and not counted.
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
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        return round(psutil.Process().memory_full_info().uss / 2**20, 1)
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
    ap.add_argument("--no-screen", action="store_true", help="questions and memory only")
    ap.add_argument(
        "--twin",
        action="store_true",
        help="(internal) load and ask like the measured process, then wait: a second web worker",
    )
    args = ap.parse_args()
    data, cache = Path(args.data), Path(args.cache)
    from fengqiao.assistant import learned, realdata
    from fengqiao.assistant.engine import Assistant
    from fengqiao.assistant.retrieval import DenseIndex, Embedder

    report = {"uss_mb_start": uss_mb()}
    t, c = time.perf_counter(), time.process_time()
    index = realdata.corpus_index(data / "laws", cache / "laws")
    dense = DenseIndex(cache / "laws")
    assistant = Assistant([], index, dt.date.today(), learned=learned.default(), dense=dense)
    Embedder.get()
    report["load_s"] = round(time.perf_counter() - t, 2)
    report["load_cpu_s"] = round(time.process_time() - c, 2)
    report["dense_articles"] = f"{dense.done}/{dense.total}"
    _tuning, test = realdata.split_questions(
        realdata.load_law_questions(data / "training" / "law.jsonl")
    )
    qs = [q.question for q in test[: args.questions]]
    assistant.ask("预热")
    times, cpu = [], []
    for q in qs:
        t, c = time.perf_counter(), time.process_time()
        assistant.ask(q)
        cpu.append((time.process_time() - c) * 1000)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    cpu.sort()
    report["ask_cpu_ms_p50"] = round(statistics.median(cpu), 1)
    report["ask_cpu_ms_p95"] = round(cpu[int(len(cpu) * 0.95)], 1)
    report["ask_wall_ms_p50"] = round(statistics.median(times), 1)
    report["ask_wall_ms_p95"] = round(times[int(len(times) * 0.95)], 1)
    from fengqiao.assistant.screener import get_screener

    get_screener()
    if args.twin:
        print("ready", flush=True)
        sys.stdin.read()
        return
    report["uss_mb_loaded_alone"] = uss_mb()
    # Memory-mapped pages that only this process maps count as its own (private clean); with a
    # second worker mapping the same files they are shared and drop out of each worker's USS.
    twin = subprocess.Popen(
        [sys.executable, __file__, "--twin", "--data", args.data, "--cache", args.cache]
        + ["--questions", str(args.questions)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert twin.stdout.readline().strip() == "ready"
    report["uss_mb_loaded"] = uss_mb()
    # a web worker also has Django, the apps and the URL configuration (views, API) loaded
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 — imports every view module
    report["uss_mb_loaded_with_django"] = uss_mb()
    twin.stdin.close()
    twin.wait()
    if args.no_screen:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return

    rows = list(realdata.read_jsonl(data / "training" / "fraud.jsonl"))
    msgs = [r["text"] for r in rows if r.get("kind") == "sms"][: args.messages]
    while len(msgs) < args.messages:
        msgs += msgs[: args.messages - len(msgs)]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as fh:
        for i, m in enumerate(msgs):
            fh.write(json.dumps({"id": i, "text": m}, ensure_ascii=False) + "\n")

    def screen(path, n):
        before = os.times()
        t = time.perf_counter()
        with open(path, "rb") as stdin:
            out = subprocess.run(
                [sys.executable, "-m", "fengqiao.cli", "assistant", "screen", "--jsonl"],
                stdin=stdin,
                capture_output=True,
                check=True,
                env={**os.environ},
            )
        wall = time.perf_counter() - t
        after = os.times()
        cpu = (after.children_user - before.children_user) + (
            after.children_system - before.children_system
        )
        assert len(out.stdout.splitlines()) == n
        return round(cpu, 2), round(wall, 2)

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as ten:
        ten.write("".join(Path(fh.name).read_text(encoding="utf-8").splitlines(True)[:10]))
    cpu, wall = screen(fh.name, len(msgs))
    report["screen_messages"] = len(msgs)
    report["screen_cpu_s_including_startup"] = cpu
    report["screen_msgs_per_cpu_s"] = int(len(msgs) / cpu)
    report["screen_wall_s_including_startup"] = wall
    report["screen_msgs_per_wall_s"] = int(len(msgs) / wall)
    report["screen_10_cpu_s"], report["screen_10_wall_s"] = screen(ten.name, 10)
    os.unlink(fh.name)
    os.unlink(ten.name)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

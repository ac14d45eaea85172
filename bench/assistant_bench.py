"""Assistant benchmark (not a test): whole shared law corpus + shipped standard answers.

    FENGQIAO_HOME=$(mktemp -d) .venv/bin/python bench/assistant_bench.py [../shared/data/laws]

Reports import/index time, per-question latency, screening throughput and resident memory.
"""

import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main():
    os.environ.setdefault("FENGQIAO_HOME", tempfile.mkdtemp(prefix="fq-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from fengqiao.assistant import evaluation, services
    from fengqiao.assistant.screener import EVAL_FILE, TRAIN_FILE, get_screener, read_tsv

    corpus = Path(
        sys.argv[1]
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[2] / "shared/data/laws"
    )
    report = {}
    t = time.perf_counter()
    services.import_laws(corpus, build_index=False)
    report["import_laws_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    report["articles"] = services.rebuild_law_index()
    report["index_build_s"] = round(time.perf_counter() - t, 1)
    kb = Path(services.__file__).parent / "data" / "standard_answers.jsonl"
    with kb.open("rb") as fh:
        services.import_kb_lines(fh)
    services._state.clear()
    t = time.perf_counter()
    assistant = services.get_assistant()
    report["index_load_s"] = round(time.perf_counter() - t, 2)
    questions = [
        json.loads(x)["question"]
        for x in evaluation.QUESTIONS_FILE.read_text().splitlines()
        if x.strip()
    ]
    assistant.ask("预热")
    times = []
    for _ in range(5):
        for q in questions:
            t = time.perf_counter()
            assistant.ask(q)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    report["ask_ms_p50"] = round(statistics.median(times), 1)
    report["ask_ms_p95"] = round(times[int(len(times) * 0.95)], 1)
    report["ask_ms_max"] = round(times[-1], 1)
    t = time.perf_counter()
    services.ask(questions[0])
    report["ask_with_db_ms"] = round((time.perf_counter() - t) * 1000, 1)
    screener = get_screener()
    messages = [text for _, text in read_tsv(EVAL_FILE) + read_tsv(TRAIN_FILE)] * 20
    t = time.perf_counter()
    screener.screen_many(messages)
    report["screen_msgs_per_s"] = int(len(messages) / (time.perf_counter() - t))
    report["quality"] = {
        "questions": evaluation.evaluate_questions(assistant),
        "screening": evaluation.evaluate_screening(screener),
    }
    report["max_rss_mb"] = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

"""Building the screener's model files — a command's job, never the web process's.

``fengqiao assistant train-screener`` writes ``$FENGQIAO_HOME/assistant/screener.npz`` from

* ``data/screen_train.tsv`` (written in this project): the multi-class label model (which kind of scam,
  threats, self-harm, missing persons, disputes) — alone, this is the shipped ``data/screener-base.npz``;
* the public data in ``../shared/data/training`` (when given): a binary *fraud head*. Its fraud rows are
  GPL-3.0 and the public SMS have no licence, so a model built from them is built on the install
  (``make demo`` does it), not shipped in the package.

The same data and seed give the same file. Examples are balanced by length bucket and source (fraud
dialogues are long, everyday messages short: a model must not learn "long = fraud"), and the held-out
evaluation holds out whole sources (some fraud categories, one chat corpus) plus a fixed share of the SMS.
The threshold is set on a calibration slice of the training side so that at most 1 % of normal SMS and
of normal chats are flagged.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import realdata
from .screener import (
    FRAUD_LABELS,
    MODEL_VERSION,
    N_FEATURES,
    NORMAL,
    TRAIN_FILE,
    Screener,
    featurize,
    read_tsv,
)

DEFAULT_SEED = 12
FALSE_ALARM_TARGET = 0.01
# Whole sources held out for the honest figures (never trained on in the evaluation model).
HELD_OUT_SOURCES = (
    "二手交易诈骗",
    "网络贷款诈骗",
    "兼职刷单诈骗",
    "thu-coai/CDial-GPT:data/toy_data.json",
)
BUCKETS = (0, 20, 50, 120, 300, 10**9)
SCAM_CUES = re.compile(
    r"转账|汇款|链接|下载|充值|平台|收益|客服|验证码|退款|保证金|手续费|投资|账户|贷款|刷单|佣金|返利|"
    r"扫码|二维码|银行卡|额度|会员|订单|App|APP|押金|激活|提现|中奖"
)


@dataclass
class Example:
    text: str
    fraud: bool
    kind: str  # sms | chat
    source: str
    part: str  # train | calib | test


def _h(seed: int, *parts) -> float:
    d = hashlib.sha256("|".join([str(seed), *map(str, parts)]).encode()).digest()
    return int.from_bytes(d[:8], "big") / 2**64


def _bucket(n: int) -> int:
    for i in range(len(BUCKETS) - 1):
        if BUCKETS[i] <= n < BUCKETS[i + 1]:
            return i
    return len(BUCKETS) - 2


def scammer_lines(dialogue: str) -> list[str]:
    """The lines of the speaker who talks most about money, links and platforms (the scammer)."""
    by: dict[str, list[str]] = {}
    for line in dialogue.splitlines():
        speaker, sep, said = line.partition(":")
        if sep and said.strip():
            by.setdefault(speaker.strip(), []).append(said.strip())
    if not by:
        return [dialogue]
    best = max(by, key=lambda s: (sum(len(SCAM_CUES.findall(x)) for x in by[s]), -len(by[s])))
    return by[best]


def _held_out(row: dict) -> bool:
    src = row.get("source", "")
    return any(h in src for h in HELD_OUT_SOURCES)


def examples(data_dir: Path, seed: int = DEFAULT_SEED) -> list[Example]:
    """Training/calibration/test examples from ``fraud.jsonl`` and ``spam_sms.jsonl``.

    A fraud dialogue gives the whole chat plus SMS-sized pieces: single scammer turns and windows of
    two or three of them. Normal chats are used whole; SMS (everyday and advertising) as they are."""
    out: list[Example] = []

    def part(row_key: str, held: bool) -> str:
        if held:
            return "test"
        r = _h(seed, "part", row_key)
        return "test" if r < 0.25 else "calib" if r < 0.4 else "train"

    rows = list(realdata.read_jsonl(data_dir / "fraud.jsonl"))
    rows += list(realdata.read_jsonl(data_dir / "spam_sms.jsonl"))
    for n, row in enumerate(rows):
        text = (row.get("text") or "").strip()
        if not text:
            continue
        src = row.get("source", "") + ("#advertising" if row.get("label") == "spam" else "")
        is_fraud = row.get("label") == "fraud"
        held = _held_out(row)
        p = part(f"{src}#{n}", held)
        if is_fraud:
            out.append(Example(text, True, "chat", src, p))
            lines = scammer_lines(text)
            for j, line in enumerate(lines):
                if len(line) >= 12 and _h(seed, "line", n, j) < 0.5:
                    out.append(Example(line, True, "sms", src, p))
            for j in range(0, max(len(lines) - 1, 0), 3):
                window = "".join(lines[j : j + 2 + j % 2])
                if len(window) >= 20:
                    out.append(Example(window, True, "sms", src, p))
        else:
            out.append(Example(text, False, row.get("kind", "sms"), src, p))
    # The project's own labelled messages (threats, self-harm, missing persons, disputes, everyday
    # notices): what is not fraud must stay out of the fraud label, whatever its tone.
    for label, text in read_tsv(TRAIN_FILE):
        fraud = label in FRAUD_LABELS
        out.append(Example(text, fraud, "sms", f"screen_train.tsv#{label}", "train"))
    return out


def _weights(ex: list[Example]) -> np.ndarray:
    """Each (class, length bucket, kind) cell gets the same total weight; within a cell, each source."""
    cell: dict[tuple, int] = {}
    src: dict[tuple, set] = {}
    keys = []
    for e in ex:
        k = (e.fraud, _bucket(len(e.text)), e.kind)
        keys.append(k)
        cell[k] = cell.get(k, 0) + 1
        src.setdefault(k, set()).add(e.source)
    per_source: dict[tuple, int] = {}
    for e, k in zip(ex, keys, strict=True):
        per_source[(k, e.source)] = per_source.get((k, e.source), 0) + 1
    w = np.array(
        [1.0 / (len(src[k]) * per_source[(k, e.source)]) for e, k in zip(ex, keys, strict=True)]
    )
    # the positive class and the negative class weigh the same overall
    fraud = np.array([e.fraud for e in ex])
    w[fraud] *= w[~fraud].sum() / max(w[fraud].sum(), 1e-9)
    return w * len(ex) / w.sum()


def fit_label_model(rows: list[tuple[str, str]]) -> dict:
    """The multi-class model of ``screen_train.tsv`` as arrays (sparse: only seen n-grams weigh)."""
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    labels = [label for label, _ in rows]
    x, cols = _compact(featurize([t for _, t in rows]))
    model = LogisticRegression(C=8.0, max_iter=3000, class_weight="balanced")
    model.fit(x, labels)
    full = np.zeros((len(model.classes_), N_FEATURES), dtype=np.float32)
    full[:, cols] = model.coef_
    coef = sp.csr_matrix(full)
    coef.eliminate_zeros()
    return {
        "classes": np.array([str(c) for c in model.classes_]),
        "coef_data": coef.data,
        "coef_indices": coef.indices,
        "coef_indptr": coef.indptr,
        "intercept": model.intercept_.astype(np.float32),
    }


def fit_fraud_head(ex: list[Example], seed: int) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    x, cols = _compact(featurize([e.text for e in ex]))
    y = np.array([e.fraud for e in ex])
    model = LogisticRegression(C=4.0, max_iter=2000, solver="liblinear", random_state=seed)
    model.fit(x, y, sample_weight=_weights(ex))
    coef = np.zeros(N_FEATURES, dtype=np.float32)
    coef[cols] = model.coef_.ravel()
    return coef, float(model.intercept_[0])


def _compact(x):
    """Only the hashed columns that occur (an unseen n-gram's weight stays exactly 0)."""
    cols = np.unique(x.indices)
    return x[:, cols], cols


def calibrate(screener: Screener, calib: list[Example]) -> float:
    """The lowest threshold at which at most 1 % of the normal SMS and of the normal chats are flagged."""
    thresholds = []
    for kind in ("sms", "chat"):
        normal = [e.text for e in calib if not e.fraud and e.kind == kind]
        if normal:
            s = np.sort(screener.raw_fraud_scores(normal))
            thresholds.append(float(s[int(np.ceil(len(s) * (1 - FALSE_ALARM_TARGET))) - 1]) + 1e-6)
    return min(max(thresholds, default=0.5), 0.99)


def build(
    out: Path,
    data_dir: Path | None = None,
    seed: int = DEFAULT_SEED,
    for_evaluation: bool = False,
    label_rows: list[tuple[str, str]] | None = None,
) -> dict:
    """Write the model file; ``for_evaluation`` leaves the test part (held-out sources) out of training."""
    arrays = fit_label_model(label_rows if label_rows is not None else read_tsv(TRAIN_FILE))
    meta = {"version": MODEL_VERSION, "seed": seed, "base": TRAIN_FILE.name}
    if data_dir is not None:
        ex = examples(Path(data_dir), seed)
        use = [e for e in ex if e.part == "train" or (not for_evaluation and e.part == "test")]
        calib = [e for e in ex if e.part == "calib"]
        coef, intercept = fit_fraud_head(use, seed)
        arrays.update(fraud_coef=coef, fraud_intercept=np.float32(intercept))
        threshold = calibrate(Screener(arrays={**arrays, "meta": "{}"}), calib)
        arrays["fraud_threshold"] = np.float32(threshold)
        meta.update(
            trained_on=len(use),
            calibrated_on=len(calib),
            threshold=round(threshold, 4),
            held_out_sources=list(HELD_OUT_SOURCES) if for_evaluation else [],
            data=hashlib.sha256((Path(data_dir) / "fraud.jsonl").read_bytes()).hexdigest()[:16],
        )
    arrays["meta"] = np.array(json.dumps(meta, ensure_ascii=False))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(out)
    return meta


def _prf(gold: list[bool], pred: list[bool]) -> dict:
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    neg = sum(not g for g in gold)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": len(gold),
        "fraud": sum(gold),
        "f1": round(f1, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "false_alarm_rate": round(fp / neg, 4) if neg else 0.0,
    }


def evaluate_public(screener: Screener, data_dir: Path, seed: int = DEFAULT_SEED) -> dict:
    """Fraud vs normal on the test part (held-out sources + a fixed share), SMS and chats apart."""
    ex = [e for e in examples(Path(data_dir), seed) if e.part == "test"]
    report = {}
    for kind in ("sms", "chat"):
        rows = [e for e in ex if e.kind == kind]
        results = screener.screen_many([e.text for e in rows])
        report[kind] = _prf([e.fraud for e in rows], [r.fraud for r in results])
        if kind == "sms":
            ads = [
                r.fraud
                for e, r in zip(rows, results, strict=True)
                if e.source.endswith("#advertising")
            ]
            report[kind]["advertising_flagged"] = round(sum(ads) / max(len(ads), 1), 4)
    return report


def flagged_label(result) -> str:
    return result.label if result.label in FRAUD_LABELS else NORMAL


__all__ = ["N_FEATURES", "build", "evaluate_public", "examples"]

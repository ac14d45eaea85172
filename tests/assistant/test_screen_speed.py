"""Fast screening path (issue 12): same numbers as scikit-learn/scipy, same CLI output, light imports.

Behaviour only (no timings): the numpy featuriser equals scikit-learn's, the numpy products equal
scipy's bit for bit, ``fengqiao assistant screen --jsonl`` without Django prints what the Django
command prints, and it imports neither Django's apps, scikit-learn, scipy, jieba nor the law index.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fengqiao.assistant import charhash, screen_cli, services
from fengqiao.assistant.screener import N_FEATURES, Screener, _features, featurize, prep

ROOT = Path(__file__).resolve().parents[2]

# Not in any training file: ordinary, scam-like, threats, mixed scripts, emoji, full width, digits.
TEXTS = [
    "楼下便利店今天鸡蛋打折，六点前去还有",
    "您好，我是平台客服，您的订单理赔需要先下载会议软件共享屏幕核对银行卡",
    "再敢堵我家门口，我就拿刀跟你拼了",
    "Hello 邻居们，明早8:30电梯检修，请走楼梯 🙏",
    "ＦＵＬＬ　ＷＩＤＴＨ　１２３４５ 全角文字",
    "a",
    "",
    "𠀀𠀁 rare CJK extension B and 😀😀😀",
    "投资稳赚不赔，老师带你日收益百分之二十，加QQ 12345678 进群",
    "快递已到驿站，取件码 3-2-1105，请凭码领取" * 20,
]


def test_char_ngrams_equal_scikit_learn():
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.preprocessing import normalize

    texts = [prep(t) for t in TEXTS]
    x = HashingVectorizer(
        analyzer="char",
        ngram_range=(1, 3),
        n_features=N_FEATURES,
        alternate_sign=False,
        norm=None,
        dtype=np.float32,
    ).transform(texts)
    indptr, indices, data = charhash.char_ngram_counts(texts, N_FEATURES)
    assert np.array_equal(x.indptr, indptr)
    assert np.array_equal(x.indices, indices)
    assert np.array_equal(x.data, data)
    x.data = 1 + np.log(x.data)
    x = normalize(x, copy=False)
    ours = featurize(TEXTS)
    assert np.array_equal(x.indices, ours.indices)
    assert np.array_equal(x.data, ours.data)  # bit for bit, not approximately


def test_murmurhash_equals_scikit_learn():
    from sklearn.utils import murmurhash3_32

    strings = [
        "",
        "a",
        "ab",
        "abc",
        "abcd",
        "abcde",
        "中",
        "中文",
        "中文字",
        "😀",
        "é!",
        "w:民法典",
    ]
    strings += [t[i : i + n] for t in TEXTS for n in (1, 2, 3, 7) for i in range(0, len(t), 5)]
    ours = charhash.murmurhash3_32(strings)
    assert [int(h) for h in ours] == [murmurhash3_32(s, seed=0) for s in strings]


def test_model_products_equal_scipy():
    """The label model and the fraud head give exactly scipy's numbers (the scores are rounded to
    4 places in the output, so an approximate product could change a printed score)."""
    screener = Screener()
    rng = np.random.default_rng(12)
    screener.fraud_coef = rng.normal(size=N_FEATURES).astype(np.float32)
    x = featurize(TEXTS[:-3] + TEXTS[-2:])
    arrays = _features(TEXTS[:-3] + TEXTS[-2:])
    z = np.asarray((x @ screener.coef.T.tocsr()).todense()) + screener.intercept
    z -= z.max(axis=1, keepdims=True)
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert np.array_equal(screener.class_probs(arrays), expected)
    head = 1 / (1 + np.exp(-(np.asarray(x @ screener.fraud_coef).ravel() + 0.25)))
    screener.fraud_intercept = 0.25
    assert np.array_equal(screener.fraud_probs(arrays), head)


def _jsonl(tmp_path) -> Path:
    path = tmp_path / "in.jsonl"
    lines = [json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in enumerate(TEXTS)]
    lines += ["not json", "", "[1, 2]", json.dumps({"id": "no-text"}), json.dumps({"text": "  "})]
    lines += [
        json.dumps({"id": f"m{i}", "text": f"第{i}条：刷单返利，日赚300元"}) for i in range(300)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(code: str, stdin: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "FENGQIAO_HOME": str(home), "DJANGO_SETTINGS_MODULE": "fengqiao.settings"}
    with stdin.open("rb") as fh:
        return subprocess.run(
            [sys.executable, "-c", code],
            stdin=fh,
            capture_output=True,
            env=env,
            cwd=ROOT,
            check=True,
        )


def test_screen_cli_without_django_prints_what_the_command_prints(tmp_path):
    stdin = _jsonl(tmp_path)
    fast = _run(
        "from fengqiao import cli; cli.main(['assistant', 'screen', '--jsonl'])", stdin, tmp_path
    )
    django = _run(
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('assistant', 'screen', '--jsonl')",
        stdin,
        tmp_path,
    )
    assert fast.stdout == django.stdout
    assert fast.stderr.decode().splitlines() == django.stderr.decode().splitlines()
    rows = [json.loads(line) for line in fast.stdout.decode().splitlines()]
    assert len(rows) == len(TEXTS) + 4 + 300  # a blank line is skipped; "" text is an error line
    assert rows[1]["fraud"] and rows[1]["evidence"]
    assert {r.get("error") for r in rows if "error" in r} >= {"缺少 text", "每行必须是一个JSON对象"}


def test_screen_cli_imports_no_django_apps_no_law_index(tmp_path):
    stdin = _jsonl(tmp_path)
    out = tmp_path / "modules.json"
    code = (
        "import sys, json\n"
        "from fengqiao import cli\n"
        "try:\n    cli.main(['assistant', 'screen', '--jsonl'])\n"
        "except SystemExit:\n    pass\n"
        f"open({str(out)!r}, 'w').write(json.dumps(sorted(sys.modules)))\n"
    )
    result = _run(code, stdin, tmp_path)
    assert result.stdout.count(b"\n") > 300
    modules = set(json.loads(out.read_text()))
    assert "fengqiao.assistant.screener" in modules
    for heavy in (
        "fengqiao.assistant.retrieval",  # the law index
        "fengqiao.assistant.services",
        "django.apps.registry",
        "sklearn",
        "scipy",
        "jieba",
    ):
        assert heavy not in modules, heavy


def test_screen_cli_uses_the_model_under_fengqiao_home(tmp_path):
    """A model built into FENGQIAO_HOME is the one the light path loads (as the command does)."""
    from fengqiao.assistant import screen_training

    home = tmp_path / "home"
    model = home / "assistant" / "screener.npz"
    screen_training.build(model, None, 3, label_rows=[("normal", "你好"), ("threat", "弄死你")])
    stdin = tmp_path / "one.jsonl"
    stdin.write_text(json.dumps({"id": 1, "text": "弄死你"}) + "\n", encoding="utf-8")
    code = "from fengqiao import cli; cli.main(['assistant', 'screen', '--jsonl'])"
    with_model = json.loads(_run(code, stdin, home).stdout)
    without = json.loads(_run(code, stdin, tmp_path / "empty").stdout)
    assert with_model != without


def test_light_cli_limits_match_the_services():
    assert screen_cli.MAX_TEXT == services.MAX_TEXT


@pytest.mark.parametrize("text", TEXTS[:5])
def test_evidence_ngrams_unchanged(text):
    """Evidence n-grams are chosen with the numpy hash: the same as hashing each with scikit-learn."""
    from sklearn.utils import murmurhash3_32

    screener = Screener()
    label = "fraud_refund"
    row = np.asarray(screener.coef[screener._label_index[label]].todense()).ravel()
    t = prep(text)
    scored = {}
    for n in (3, 2):
        for i in range(len(t) - n + 1):
            g = t[i : i + n]
            if g.strip() == g and g not in scored:
                scored[g] = float(row[abs(murmurhash3_32(g, seed=0)) % N_FEATURES])
    best = [g for g, w in sorted(scored.items(), key=lambda kv: -kv[1]) if w > 0][:1]
    evidence = screener._model_evidence(text, label, use_head=False)
    assert bool(best) == bool(evidence)
    if best:
        assert best[0] in evidence[0]

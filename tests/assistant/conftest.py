import shutil
from pathlib import Path

import pytest

from fengqiao.assistant import services

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "laws"
SUBSET = [
    "行政法/治安管理处罚法(2012-10-26).md",
    "行政法/居民身份证法(2011-10-29).md",
    "宪法相关法/居民身份证法(2011-10-29).md",
    "行政法/户口登记条例(1958-01-09).md",
    "诉讼与非诉讼程序法/人民调解法(2010-08-28).md",
    "行政法/出境入境管理法(2012-06-30).md",
    "民法典/总则.md",
    "民法典/物权编.md",
    "经济法/会计法(2017-11-04).md",
    "经济法/会计法(2024-06-28).md",
]


@pytest.fixture
def law_dir(tmp_path):
    """A small copy of the shared corpus (the whole corpus is for the benchmarks only)."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/data/laws is not present")
    root = tmp_path / "laws"
    for rel in SUBSET:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / rel, target)
    return root


@pytest.fixture
def home(settings, tmp_path):
    settings.FENGQIAO_HOME = tmp_path / "home"
    services._state.clear()
    yield settings.FENGQIAO_HOME
    services._state.clear()


@pytest.fixture
def loaded(db, home, law_dir):
    """Laws subset imported and indexed, the shipped standard answers imported."""
    services.import_laws(law_dir, workers=1)
    kb = Path(services.__file__).parent / "data" / "standard_answers.jsonl"
    with kb.open("rb") as fh:
        results = services.import_kb_lines(fh)
    assert all(r["status"] != "error" for r in results)
    return results

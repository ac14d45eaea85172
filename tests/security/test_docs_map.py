"""docs/security.md maps each 等保 L3 control to a test: every test it names exists."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"


def _tests_in(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_every_test_named_in_the_l3_map_exists():
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("## 等保 2.0 L3 map") :]
    table = table[: table.index("\n## ", 10)]
    named = re.findall(r"`((?:tests/[\w/]+/)?test_\w+\.py)::(test_\w+)`", table)
    assert len(named) >= 25
    missing = []
    for file, name in named:
        path = ROOT / file if file.startswith("tests/") else ROOT / "tests" / "security" / file
        if not path.exists() or name not in _tests_in(path):
            missing.append(f"{file}::{name}")
    assert not missing, missing


def test_every_test_named_in_the_live_attack_table_exists():
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("## Attack tests against a live server") :]
    table = table[: table.index("\n## ", 10)]
    named = re.findall(r"`((?:tests/[\w/]+/)?test_\w+\.py)::(test_\w+)`", table)
    assert len(named) >= 6
    missing = [
        f"{file}::{name}"
        for file, name in named
        if name not in _tests_in(ROOT / "tests" / "security" / file)
    ]
    assert not missing, missing


@pytest.mark.parametrize(
    "section",
    ["## Attack tests against the real `fengqiao serve`", "## Lawful redaction of the timeline"],
)
def test_every_test_named_in_the_served_and_redaction_sections_exists(section):
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index(section) :]
    table = table[: table.index("\n## ", 10)]
    named = re.findall(r"`((?:tests/[\w/]+/)?test_\w+\.py)::(test_\w+)`", table)
    assert len(named) >= 4
    missing = [
        f"{file}::{name}"
        for file, name in named
        if name not in _tests_in(ROOT / "tests" / "security" / file)
    ]
    assert not missing, missing

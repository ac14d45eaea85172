"""Explicit contracts between apps (issue 8): apps reach each other through plain imports, never
``importlib`` lookups of another app's functions or ``inspect.signature`` probing, and no module
silently carries on when another app (or a module of it) is missing."""

import re
import sys
from pathlib import Path

import pytest

import fengqiao
from fengqiao.api import api
from fengqiao.org import roles

ROOT = Path(fengqiao.__file__).parent
SOURCES = sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)

# The only places that catch a failed import, and why each is not a missing app.
TOLERATED = {
    # an app may have no permissions.py / demo.py; a broken one re-raises (exc.name checked)
    "org/roles.py": "optional per-app hook",
    "demo.py": "optional per-app hook",
    # a third-party dependency (gunicorn) whose absence must not break `import` in tests
    "core/logscrub.py": "third-party logger base class",
    # the optional embedding model: without it the assistant searches by keywords (and says so)
    "assistant/retrieval.py": "optional embedding model",
}


def _relative(path):
    return str(path.relative_to(ROOT))


def test_no_module_tolerates_a_missing_app():
    offenders = []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        catches = re.search(r"except\s*\(?\s*(ImportError|ModuleNotFoundError)", text)
        if catches and _relative(path) not in TOLERATED:
            offenders.append(_relative(path))
    assert not offenders, f"modules that carry on without an import: {offenders}"


def test_no_dynamic_lookup_between_apps():
    offenders = []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        if "inspect.signature" in text or re.search(
            r"importlib\.import_module\(\s*f?[\"']fengqiao\.", text
        ):
            offenders.append(_relative(path))
    assert not offenders, offenders


def test_every_domain_api_is_mounted():
    prefixes = {p.split("/")[3] for p in api.get_openapi_schema()["paths"] if p.count("/") > 3}
    for app in ("cases", "disputes", "assistant", "risks", "registry", "fieldwork", "insights"):
        assert app in prefixes, app


def test_a_broken_permissions_module_fails_loudly(monkeypatch, tmp_path):
    """An app's permissions.py that itself imports something missing must not be skipped as if
    the app had none (its roles would silently lose their permissions)."""
    package = tmp_path / "brokenapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "permissions.py").write_text("import no_such_module_anywhere\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    class Config:
        name = "fengqiao.brokenapp"

    monkeypatch.setitem(sys.modules, "fengqiao.brokenapp", __import__("brokenapp"))
    monkeypatch.setattr(roles.django_apps, "get_app_configs", lambda: [Config()])
    with pytest.raises(ModuleNotFoundError) as err:
        roles.all_role_permissions()
    assert err.value.name == "no_such_module_anywhere"

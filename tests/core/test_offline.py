"""Works on an intranet with no internet: no page loads a script, style, font or image from
another host."""

import re
from pathlib import Path

import pytest

import fengqiao
from tests.conftest import login

ASSET = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)
CSS_URL = re.compile(r"""url\(\s*["']?(?:https?:)?//""", re.I)


def test_no_template_references_another_host():
    root = Path(fengqiao.__file__).parent
    offenders = []
    for path in list(root.glob("*/templates/**/*.html")):
        if ASSET.search(path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(root)))
    for path in root.glob("*/static/**/*.css"):
        if "vendor" not in path.parts and CSS_URL.search(path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(root)))
    assert not offenders


@pytest.mark.parametrize("url", ["/login/", "/", "/inbox/", "/api/v1/docs"])
def test_rendered_pages_load_only_local_assets(client, users, url):
    login(client, users["grid_worker"])
    html = client.get(url).content.decode()
    assert not ASSET.search(html), re.findall(r"(?:src|href)=\"[^\"]+\"", html)

"""Stored XSS and the Content-Security-Policy (issue 14, finding 5).

* Every page carries a strict policy: scripts and styles from our own origin only, no inline code,
  no eval, no framing.
* No template has an inline ``<script>``, an inline event handler, a ``style`` attribute or a
  ``<style>`` element (the browser would refuse them).
* Names from the records given to Leaflet and ECharts are text, never HTML: a grid named
  ``<img src=x onerror=…>`` shows as those characters in the map tooltip.
* The browser journeys fail on any CSP violation (tests/conftest.py ``csp_violations``); the last
  test proves the watcher sees violations.
"""

import re
from pathlib import Path

import pytest
from django.test import Client

import fengqiao
from fengqiao.org.models import Place
from tests.conftest import login

ROOT = Path(fengqiao.__file__).resolve().parent


def _directives(header):
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize(
    "url,role",
    [
        ("/login/", None),
        ("/", "dispatcher"),
        ("/cases/", "dispatcher"),
        ("/cases/dispatch/", "dispatcher"),
        ("/insights/", "leader"),
        ("/api/v1/docs", "dispatcher"),
        ("/no-such-page/", None),
    ],
)
def test_every_page_has_a_strict_content_security_policy(users, county, url, role):
    client = Client(raise_request_exception=False)
    if role:
        login(client, users[role])
    response = client.get(url)
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{url} answered {response.status_code} without a CSP"
    policy = _directives(header)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header


def test_the_resident_pages_and_api_errors_carry_it_too(county):
    client = Client(raise_request_exception=False)
    for url in (f"/r/g/{county.grid_a.code}/", "/r/t/", "/api/v1/cases/"):
        response = client.get(url)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], url


INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I
)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)
HTMX_EVAL = re.compile(r"\shx-on(?::|-)|\shx-vals=[\"']js:|javascript:", re.I)


def _templates():
    return sorted(p for p in ROOT.rglob("templates/**/*.html"))


def test_no_template_has_inline_script_handlers_or_styles():
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for name, pattern in (
            ("inline <script>", INLINE_SCRIPT),
            ("inline event handler", EVENT_HANDLER),
            ("style attribute", STYLE_ATTRIBUTE),
            ("<style> element", STYLE_ELEMENT),
            ("htmx/javascript: eval", HTMX_EVAL),
        ):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert not offenders, "move these into static files:\n" + "\n".join(offenders)


def test_static_scripts_give_leaflet_and_echarts_no_raw_strings():
    """Leaflet's bindTooltip/bindPopup/setContent render strings as HTML; ECharts tooltip
    formatters return HTML. Our scripts pass DOM nodes to Leaflet and escape in formatters."""
    offenders = []
    for path in ROOT.rglob("static/**/*.js"):
        if "vendor" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"\.(bindTooltip|bindPopup|setContent)\(([^)]*)\)", text):
            arg = match.group(2).strip()
            if not re.match(r"^(label|text|tip)\(", arg) and not re.match(r"^tooltip$", arg):
                offenders.append(f"{path.name}: {match.group(0)}")
        if "innerHTML" in text or "insertAdjacentHTML" in text or "document.write" in text:
            offenders.append(f"{path.name}: writes HTML")
        if "formatter" in text and "tooltip" in text and "esc(" not in text:
            offenders.append(f"{path.name}: tooltip formatter without esc()")
    assert not offenders, offenders


XSS = '<img src=x onerror="window.__xss=1">"><b id=pwn>x</b>'


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_hostile_grid_name_is_text_in_the_map_tooltip(page, live_server, county):
    Place.objects.filter(pk=county.grid_a.pk).update(name=XSS)
    page.goto(f"{live_server.url}/r/g/{county.grid_a.code}/")
    page.wait_for_selector(".case-map .leaflet-interactive")
    box = page.locator(".case-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = page.wait_for_selector(".leaflet-tooltip")
    assert tooltip.inner_text() == XSS
    assert page.locator(".leaflet-tooltip img, #pwn").count() == 0
    assert page.evaluate("window.__xss") is None


@pytest.mark.browser
def test_the_journey_watcher_sees_csp_violations(chromium, csp_violations):
    """The policy our pages send, applied to a page with inline code, is violated — and the
    shared watcher reports it (here the list is emptied so this test itself passes)."""
    header = Client().get("/login/").headers["Content-Security-Policy"]
    context = chromium.new_context()
    page = context.new_page()
    body = (
        "<!doctype html><html><body><p style='color:red'>x</p>"
        "<script>window.ran = 1</script><img src=/x.png onerror='window.ran=2'></body></html>"
    )
    page.route(
        "http://csp.test/**",
        lambda route: route.fulfill(
            status=200,
            body=body,
            headers={"Content-Type": "text/html", "Content-Security-Policy": header},
        ),
    )
    page.goto("http://csp.test/")
    page.wait_for_timeout(300)
    assert page.evaluate("window.ran") is None
    found = list(csp_violations)
    csp_violations.clear()
    context.close()
    assert any("script-src" in v for v in found), found
    assert any("style-src" in v for v in found), found

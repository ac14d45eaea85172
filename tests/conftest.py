"""Shared fixtures: a small county with two sibling grids, staff per role, logged-in clients."""

import types

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.org import services as org_services
from fengqiao.org.models import Department, Place, Station
from fengqiao.org.roles import ROLES

PASSWORD = "Test-Passw0rd!"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters, cached lookups and the active language never leak from one test into
    the next (a request in English leaves English active in the thread)."""
    from django.conf import settings
    from django.core.cache import caches
    from django.utils import translation

    from fengqiao.core import caching

    for cache in caches.all():
        cache.clear()
    caching.clear_local()
    translation.activate(settings.LANGUAGE_CODE)
    yield


@pytest.fixture
def county(db):
    """city → county → town → village → grids A and B (siblings) and grid C in another village."""
    return build_county()


def build_county():
    """The ``county`` fixture's places, stations and departments (also seeded into a real
    ``fengqiao serve`` by tests/security/served_seed.py)."""
    mk = org_services.create_place
    city = mk(code="339900", name="云湖市", level=Place.Level.CITY)
    county = mk(code="339901", name="枫溪县", level=Place.Level.COUNTY, parent=city)
    town = mk(code="339901001", name="枫溪街道", level=Place.Level.TOWN, parent=county)
    village = mk(code="339901001001", name="枫溪社区", level=Place.Level.VILLAGE, parent=town)
    other_village = mk(code="339901001002", name="南门社区", level=Place.Level.VILLAGE, parent=town)
    square = {
        "type": "Polygon",
        "coordinates": [
            [[120.5, 29.7], [120.54, 29.7], [120.54, 29.74], [120.5, 29.74], [120.5, 29.7]]
        ],
    }
    grid_a = mk(
        code="339901001001001",
        name="枫溪社区第1网格",
        level=Place.Level.GRID,
        parent=village,
        boundary=square,
        centre=(29.72, 120.52),
    )
    grid_b = mk(
        code="339901001001002",
        name="枫溪社区第2网格",
        level=Place.Level.GRID,
        parent=village,
        boundary=square,
        centre=(29.76, 120.52),
    )
    grid_c = mk(
        code="339901001002001",
        name="南门社区第1网格",
        level=Place.Level.GRID,
        parent=other_village,
        boundary=square,
        centre=(29.72, 120.56),
    )
    bureau = Station.objects.create(code="B1", name="枫溪县公安局", kind="bureau")
    bureau.places.add(county)
    station = Station.objects.create(code="S1", name="枫溪派出所", kind="station", parent=bureau)
    station.places.add(town)
    post = Station.objects.create(code="P1", name="枫溪社区警务室", kind="post", parent=station)
    post.places.add(village)
    urban = Department.objects.create(
        code="D1", name="综合行政执法局", kind="urban_management", place=county
    )
    urban.places.add(county)
    centre = Department.objects.create(
        code="D2", name="社会治理中心", kind="governance_centre", place=county
    )
    centre.places.add(county)
    return types.SimpleNamespace(
        city=city,
        county=county,
        town=town,
        village=village,
        other_village=other_village,
        grid_a=grid_a,
        grid_b=grid_b,
        grid_c=grid_c,
        bureau=bureau,
        station=station,
        post=post,
        urban=urban,
        centre=centre,
    )


_counter = {"n": 0}


@pytest.fixture
def make_user(db):
    """make_user(role, places=(), stations=(), department=None, username=None) → a staff user."""

    def make(role, places=(), stations=(), department=None, username=None, **extra):
        _counter["n"] += 1
        user = org_services.create_staff(
            username=username or f"{role}-{_counter['n']}",
            password=PASSWORD,
            display_name=f"{ROLES[role].label}{_counter['n']}",
            roles=[role],
            places=places,
            stations=stations,
            department=department,
            **extra,
        )
        if ROLES[role].second_factor:
            TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        return user

    return make


def users_for_grid(make_user, county, grid, suffix):
    """One user per role, jurisdiction ``grid`` (admins have none; department staff: 城管)."""
    users = {}
    for code, role in ROLES.items():
        places = [grid] if role.scope != "none" else []
        department = county.urban if code == "department_staff" else None
        users[code] = make_user(
            code, places=places, department=department, username=f"{code}-{suffix}"
        )
    return users


@pytest.fixture
def users(make_user, county):
    """Role code → a user whose jurisdiction is grid A."""
    return users_for_grid(make_user, county, county.grid_a, "a")


@pytest.fixture
def users_b(make_user, county):
    """Role code → a user whose jurisdiction is grid B (the sibling)."""
    return users_for_grid(make_user, county, county.grid_b, "b")


def login(client, user):
    """Sign ``user`` in on ``client``, second factor included where the user has a device."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def login_as(client):
    def do(user):
        return login(client, user)

    return do


# -- real browser -------------------------------------------------------------------------------
ARTIFACTS = __import__("pathlib").Path(__file__).resolve().parent.parent / "var" / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


# Every page a journey opens is watched for Content-Security-Policy violations (issue 14, finding 5):
# the page reports each `securitypolicyviolation` event to the test, and Chromium's console
# "Refused to …" errors are collected too. Any violation fails the journey (see `csp_violations`).
CSP_VIOLATIONS: list[str] = []
_CSP_WATCH = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__fqCspViolation([e.effectiveDirective || e.violatedDirective, e.blockedURI,
    e.sourceFile + ":" + e.lineNumber, (e.sample || "").slice(0, 80)].join(" | "));
}, true);
"""


def watch_csp(context):
    """Report every CSP violation in ``context``'s pages into ``CSP_VIOLATIONS``."""

    def on_violation(source, text):
        CSP_VIOLATIONS.append(f"{source['frame'].url}: {text}")

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(f"console: {message.text}")

    context.expose_binding("__fqCspViolation", on_violation)
    context.add_init_script(_CSP_WATCH)
    context.on("page", lambda page: page.on("console", on_console))
    return context


class CSPWatchedBrowser:
    """The Playwright browser, whose every new context (and page) is watched for CSP violations."""

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, **kwargs):
        return watch_csp(self._browser.new_context(**kwargs))

    def new_page(self, **kwargs):
        context = self.new_context(**kwargs)
        page = context.new_page()
        page.on("close", lambda _page: context.close())
        return page

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (never Playwright's own browser download)."""
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield CSPWatchedBrowser(browser)
        browser.close()


@pytest.fixture(autouse=True)
def csp_violations(request):
    """A browser journey fails on any Content-Security-Policy violation in any of its pages."""
    if not request.node.get_closest_marker("browser"):
        yield None
        return
    CSP_VIOLATIONS.clear()
    yield CSP_VIOLATIONS
    found, seen = [], set()
    for item in CSP_VIOLATIONS:
        if item not in seen:
            seen.add(item)
            found.append(item)
    CSP_VIOLATIONS.clear()
    if found:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(found[:20]), pytrace=False)


@pytest.fixture
def page(chromium, request):
    """A fresh browser context (zh-CN, phone-sized unless the test asks otherwise)."""
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
    context.close()


def shot(page, name):
    """Save a named screenshot of a journey step under var/test-artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def pytest_collection_modifyitems(items):
    """Transactional tests (browser journeys, races) flush the database afterwards, which would
    also wipe the reference data that migrations seed (categories, dispute types). Restoring the
    migrated state before each such test keeps them independent of their order. As in Django's
    runner, plain tests run first, then transactional ones, and tests that run migrations back
    and forth go last."""

    def kind(item):
        marker = item.get_closest_marker("django_db")
        if "migrations" in item.module.__name__:
            return (3, 0)
        if item.get_closest_marker("browser"):
            # Browser journeys share one live server; `make test` runs them in their own process,
            # in this order (known issue: on SQLite the dispute journey sees no dispute types
            # when it follows the cases journey in the same process).
            order = ("tests.disputes", "tests.cases", "tests.assistant", "tests.e2e")
            app = ".".join(item.module.__name__.split(".")[:2])
            return (1, order.index(app) if app in order else len(order))
        return (2, 0) if marker and marker.kwargs.get("transaction") else (0, 0)

    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            item.add_marker(
                pytest.mark.django_db(
                    *marker.args, **{**marker.kwargs, "serialized_rollback": True}
                ),
                append=False,
            )
    items.sort(key=kind)

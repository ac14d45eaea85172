"""Attack tests against a live server over real HTTP (issue 14, "Attack tests in CI"): mass
assignment, filter/order injection, skipping workflow states, replayed submissions, stored XSS,
security headers on pages and error pages, and logs free of personal data and keys."""

import io
import logging

import pytest
from openpyxl import load_workbook

from fengqiao.cases.defaults import install
from fengqiao.cases.models import Case, Category
from fengqiao.core.services import create_api_key
from fengqiao.org.models import User
from tests.security.live import Browser
from tests.security.test_live_write_idor import _digest
from tests.test_scoping_matrix import ENDPOINTS

pytestmark = pytest.mark.django_db(transaction=True)

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PHONE, ID_NUMBER = "13812345678", "330102199001011234"


@pytest.fixture
def base(live_server, county):
    install(Category)
    return live_server.url


def resident_report(browser, grid, **fields):
    data = {
        "client_id": "c0ffee00aa11bb22",
        "category": "cityscape",
        "description": "楼下垃圾堆放三天无人清理",
        "location_text": "幸福路12号",
        "reporter_phone": PHONE,
        "consent": "on",
    }
    data.update(fields)
    return browser.post(f"/r/g/{grid.code}/", data)


def api_case(browser, grid, **fields):
    body = {"category": "cityscape", "grid": grid.code, "description": "路灯不亮"}
    body.update(fields)
    return browser.post("/api/v1/cases/", json=body)


# -- mass assignment --------------------------------------------------------------------------
def test_mass_assignment_extra_fields_are_never_written(base, county, users):
    worker = Browser.signed_in(base, users["grid_worker"])
    other = users["leader"]
    extra = {
        "id": 999999,
        "state": "closed",
        "place_path": county.grid_b.path,
        "place": county.grid_b.pk,
        "created_by": other.pk,
        "assignee": other.pk,
        "tracking_code": "HACKED123",
        "satisfaction": 5,
        "supervision_level": 4,
        "dispute": 1,
    }
    answer = api_case(worker, county.grid_a, client_id="mass-assign-1", **extra)
    assert answer.status_code in (200, 201, 400, 422), answer.text
    case = Case.objects.get()
    assert case.pk != 999999 and case.state == "reported"
    assert case.place_id == county.grid_a.pk and case.place_path == county.grid_a.path
    assert case.created_by_id == users["grid_worker"].pk and case.assignee_id is None
    assert case.tracking_code != "HACKED123" and case.satisfaction is None
    assert case.supervision_level == 0 and case.dispute_id is None

    # the resident's form: extra fields are ignored as well
    resident = Browser(base)
    posted = resident_report(resident, county.grid_a, client_id="c0ffee00aa11bb33", **extra)
    assert posted.status_code == 302, posted.text[:300]
    mine = Case.objects.exclude(pk=case.pk).get()
    assert mine.state == "reported" and mine.place_id == county.grid_a.pk
    assert mine.created_by_id is None and mine.tracking_code != "HACKED123"

    # an action's body: only its own fields count
    dispatcher = Browser.signed_in(base, users["dispatcher"])
    acted = dispatcher.post(
        f"/api/v1/cases/{case.pk}/actions/accept",
        json={"note": "ok", "data": {}, "state": "closed", "place_path": county.grid_b.path},
    )
    assert acted.status_code == 200, acted.text
    case.refresh_from_db()
    assert case.state == "accepted" and case.place_path == county.grid_a.path


# -- filter and order injection ---------------------------------------------------------------
HOSTILE_ORDERS = [
    "id;DROP TABLE cases_case--",
    "' OR 1=1--",
    "reporter_phone",
    "-password",
    "place_path__startswith",
    "(SELECT 1)",
    "__proto__",
]


def test_order_and_filter_injection_is_refused_or_ignored(base, county, users, users_b):
    from tests.cases.scoping_cases import make_case

    make_case(county.grid_b, users_b)
    dispatcher = Browser.signed_in(base, users["dispatcher"])
    lists = sorted({url.split("?")[0] for e in ENDPOINTS for url in e.list_urls})
    failures = []
    for url in lists:
        plain = dispatcher.get(url)
        for value in HOSTILE_ORDERS:
            # every sort/filter name at once: one request per value keeps the suite fast
            query = "&".join(
                f"{p}={value}" for p in ("sort", "order", "ordering", "order_by", "state", "place")
            )
            answer = dispatcher.get(f"{url}?{query}")
            if answer.status_code >= 500 or (
                answer.status_code != plain.status_code and answer.status_code < 400
            ):
                failures.append(f"{url} ?{query} → {answer.status_code}")
            elif "scoping-matrix" in answer.text and county.grid_b.code in answer.text:
                failures.append(f"{url} ?{query} shows grid B")
    assert Case.objects.filter(place=county.grid_b).exists()  # no table dropped
    assert not failures, failures


# -- skipping workflow states -----------------------------------------------------------------
def _record(domain, county, users, base):
    if domain == "cases":
        worker = Browser.signed_in(base, users["grid_worker"])
        return Case.objects.get(pk=api_case(worker, county.grid_a).json()["id"])  # reported
    if domain == "disputes":
        from tests.disputes.scoping_cases import _make

        return _make(county.grid_a, users)  # agreement signed
    from tests.risks.scoping_cases import _risk

    return _risk(county.grid_a, users)  # filed, red


@pytest.mark.parametrize("domain", ["cases", "disputes", "risks"])
def test_an_action_not_allowed_in_the_current_state_is_refused_and_changes_nothing(
    base, county, users, domain
):
    import importlib

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from fengqiao.org import services as org_services
    from fengqiao.org.roles import ROLES
    from tests.conftest import PASSWORD
    from tests.security.test_live_write_idor import api_body

    actions = importlib.import_module(f"fengqiao.{domain}.actions").registry
    boss = org_services.create_staff(
        username="all-roles-skip",
        password=PASSWORD,
        display_name="all roles",
        roles=[c for c, r in ROLES.items() if r.scope == "place"],
        places=[county.grid_a],
    )
    TOTPDevice.objects.create(user=boss, name="t", confirmed=True)
    record = _record(domain, county, users, base)
    state = record.state
    browser = Browser.signed_in(base, boss)
    allowed = set(actions.available(record, boss))
    skipped = [n for n in actions.names() if n not in allowed]
    assert len(skipped) >= 3, skipped
    id_name = {"cases": "case_id", "disputes": "dispute_id", "risks": "risk_id"}[domain]
    failures = []
    before = _digest()
    for name in skipped:
        template = f"/api/v1/{domain}/{{{id_name}}}/actions/{name}"
        api_path = template.replace(f"{{{id_name}}}", str(record.pk))
        answer = browser.post(api_path, json=api_body("post", template) or {})
        after = _digest()
        if not 400 <= answer.status_code < 500 or after != before:
            failures.append(f"{api_path} → {answer.status_code}, changed: {after != before}")
            before = after
        form = browser.post(f"/{domain}/{record.pk}/act/{name}/", {"note": "skip"})
        after = _digest()
        if form.status_code >= 500 or after != before:
            failures.append(f"form {name} → {form.status_code}, changed: {after != before}")
            before = after
    record.refresh_from_db()
    assert record.state == state
    assert not failures, failures


# -- replayed submissions ---------------------------------------------------------------------
def test_replayed_submissions_make_one_record(base, county, users):
    worker = Browser.signed_in(base, users["grid_worker"])
    first = api_case(worker, county.grid_a, client_id="replay-0001")
    second = api_case(worker, county.grid_a, client_id="replay-0001")
    assert first.status_code == 201 and second.status_code in (200, 201)
    assert first.json()["id"] == second.json()["id"] and second.json()["created"] is False
    resident = Browser(base)
    for _ in range(2):
        assert (
            resident_report(resident, county.grid_a, client_id="feedbeef00112233").status_code
            == 302
        )
    assert Case.objects.count() == 2


# -- stored XSS -------------------------------------------------------------------------------
def _no_live_markup(text, where):
    assert "<script>alert" not in text and "<img src=x onerror" not in text, where


def test_stored_xss_in_every_text_field_is_inert(base, county, users):
    resident = Browser(base)
    posted = resident_report(
        resident,
        county.grid_a,
        description=f"描述{XSS}",
        location_text=f"地点{XSS}"[:200],
        reporter_name=f"名{XSS}"[:50],
    )
    assert posted.status_code == 302
    case = Case.objects.get()
    staff = Browser.signed_in(base, users["dispatcher"])
    pages = [
        f"/cases/{case.pk}/",
        "/cases/",
        "/cases/?tab=all",
        "/cases/dispatch/",
        "/cases/grids/",
        "/insights/",
    ]
    for path in pages:
        answer = staff.get(path)
        assert answer.status_code in (200, 302, 403, 404), path
        _no_live_markup(answer.text, path)
    detail = staff.get(f"/cases/{case.pk}/").text
    assert "&lt;script&gt;alert" in detail  # shown, as text
    tracking = resident.get(f"/r/t/{case.tracking_code}/")
    _no_live_markup(tracking.text, "tracking page")
    # JSON (the API, map and chart data) is data: served as JSON, never sniffed as HTML
    for path in (f"/api/v1/cases/{case.pk}", "/api/v1/cases/", f"/api/v1/cases/{case.pk}/timeline"):
        answer = staff.get(path)
        assert answer.headers["Content-Type"].startswith("application/json"), path
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    # the spreadsheet: the text as a plain string cell, never a formula
    sheet = staff.get("/cases/?tab=all&format=xlsx")
    assert sheet.status_code == 200
    cells = [
        c.value
        for row in load_workbook(io.BytesIO(sheet.content)).active.iter_rows()
        for c in row
        if isinstance(c.value, str) and "alert" in c.value
    ]
    assert cells and all(not v.startswith("=") for v in cells)


# -- headers on pages and error pages ---------------------------------------------------------
def test_pages_and_error_pages_carry_the_security_headers(base, county, users):
    staff = Browser.signed_in(base, users["dispatcher"])
    anonymous = Browser(base)
    answers = {
        "login": anonymous.get("/login/"),
        "staff page": staff.get("/cases/"),
        "404 page": staff.get("/cases/99999999/"),
        "403/redirect": anonymous.get("/cases/"),
        "resident page": anonymous.get(f"/r/g/{county.grid_a.code}/"),
        "API 401": anonymous.get("/api/v1/cases/"),
        "API 404": staff.get("/api/v1/cases/99999999"),
        "Open311 error": anonymous.get("/open311/v2/requests/nope.json"),
        "bad request": anonymous.get("/cases/?page=%00"),
        "CSRF failure": anonymous.http.post(f"{base}/login/", data={"username": "x"}),
    }
    for what, answer in answers.items():
        assert answer.status_code < 500, what
        headers = answer.headers
        assert headers.get("X-Frame-Options") == "DENY", what
        assert headers.get("X-Content-Type-Options") == "nosniff", what
        assert headers.get("Referrer-Policy") == "same-origin", what
        policy = headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, what
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, what
        assert "Strict-Transport-Security" not in headers  # plain HTTP (demo): no HSTS


# -- logs free of personal data and keys ------------------------------------------------------
def test_logs_carry_no_personal_data_or_keys(base, county, users, caplog, capfd):
    account = User.objects.create(username="integration-logs", display_name="logs")
    key = create_api_key("logs", account)[1]
    caplog.set_level(logging.DEBUG)
    resident = Browser(base)
    resident_report(
        resident,
        county.grid_a,
        description=f"我的身份证{ID_NUMBER}，电话{PHONE}",
        reporter_name="王小明",
    )
    resident_report(resident, county.grid_a, client_id="bad!", reporter_phone="12")  # refused
    anonymous = Browser(base)
    anonymous.get(f"/api/v1/cases/?api_key={key}")
    anonymous.http.get(f"{base}/api/v1/cases/", headers={"X-API-Key": key})
    anonymous.http.get(f"{base}/api/v1/cases/", headers={"Authorization": f"Bearer {key}x"})
    anonymous.http.post(
        f"{base}/open311/v2/requests.json",
        data={"api_key": key, "service_code": "nope", "phone": PHONE, "description": ID_NUMBER},
    )
    for _ in range(2):
        anonymous.log_in(PHONE, f"pw-{ID_NUMBER}")
    staff = Browser.signed_in(base, users["dispatcher"])
    case = Case.objects.order_by("pk").first()
    staff.get(f"/cases/{case.pk}/")
    staff.get(f"/cases/?q={PHONE}")
    out, err = capfd.readouterr()
    # the server's records (the test's own HTTP client, urllib3, logs its URLs: not the server)
    server = [
        f"{r.name} {r.getMessage()}"
        for r in caplog.records
        if not r.name.startswith(("urllib3", "requests", "hypothesis", "faker"))
    ]
    logged = "\n".join(server) + out + err
    assert server  # something was logged at all (axes, the refused report …)
    for planted in (PHONE, ID_NUMBER, key, "王小明"):
        assert planted not in logged, f"{planted!r} reached the logs"


def test_stored_xss_in_dispute_pages_and_documents_is_inert(base, county, users):
    import zipfile

    from pypdf import PdfReader

    from fengqiao.disputes import services as dispute_services
    from tests.disputes import helpers

    dispute = helpers.agreed(county.grid_a, users, title=f"纠纷{XSS}"[:100], facts=f"事实{XSS}")
    fields = {**helpers.TERMS_FIELDS, "facts": f"协议事实{XSS}", "issues": f"争议{XSS}"}
    agreement = dispute_services.draft_agreement(dispute, users["community_officer"], **fields)
    agreement = dispute_services.sign_agreement(agreement, users["community_officer"])
    staff = Browser.signed_in(base, users["community_officer"])
    for path in (f"/disputes/{dispute.pk}/", "/disputes/?view=all&state=any"):
        page = staff.get(path)
        assert page.status_code == 200, path
        _no_live_markup(page.text, path)
    assert "&lt;script&gt;" in staff.get(f"/disputes/{dispute.pk}/").text
    docx = staff.get(f"/disputes/agreements/{agreement.pk}/download/docx/")
    assert docx.status_code == 200
    xml = zipfile.ZipFile(io.BytesIO(docx.content)).read("word/document.xml").decode()
    assert "<script>" not in xml and "&lt;script&gt;" in xml  # text in the document, not markup
    pdf = staff.get(f"/disputes/agreements/{agreement.pk}/download/pdf/")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "协议事实" in text and "onerror" in text  # printed as words
    assert b"/JavaScript" not in pdf.content and b"/JS" not in pdf.content

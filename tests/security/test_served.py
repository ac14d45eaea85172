"""The core of the attack suite against the real ``fengqiao serve`` (gunicorn + worker, as
deployed), behind the documented nginx played by the test (tests/security/served.py): security
headers incl. HSTS over HTTPS-behind-proxy, proxy headers believed only from the trusted proxy,
password and second-factor brute force with lockout per (account, address), a write-IDOR sample,
hostile input and a bounded fuzz of every ``/api/v1`` operation with zero 5xx, and a log free of
keys and tracebacks. One server per module (migrate + seed + start: the bulk of its time)."""

import re

import pytest

from tests.security import test_live_api_fuzz as fuzz
from tests.security.served import HSTS_SECONDS, Direct, Proxied, serve

HSTS = f"max-age={HSTS_SECONDS}; includeSubDomains; preload"
FIVE_XX = re.compile(r'" 5\d\d ')


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("served")) as running:
        yield running
        log = running.log()
        assert "Traceback" not in log, log[-4000:]
        assert not FIVE_XX.search(log), [line for line in log.splitlines() if FIVE_XX.search(line)]


def _secure_headers(answer, what):
    h = answer.headers
    assert h.get("Strict-Transport-Security") == HSTS, (what, dict(h))
    csp = h.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "unsafe" not in csp, (what, csp)
    assert h.get("X-Frame-Options") == "DENY", what
    assert h.get("X-Content-Type-Options") == "nosniff", what
    assert h.get("Referrer-Policy"), what


def test_https_behind_the_proxy_carries_hsts_and_the_security_headers(served):
    visitor = Proxied(served)
    page = visitor.get("/login/")
    assert page.status_code == 200, page.text[:300]
    _secure_headers(page, "/login/")
    assert "Secure" in page.headers.get("Set-Cookie", ""), page.headers.get("Set-Cookie")
    answers = {
        "page 404": visitor.get("/no/such/page/"),
        "api 404": visitor.get("/api/v1/no-such-thing"),
        "api 401": visitor.get("/api/v1/cases/"),
        "open311 404": visitor.get("/open311/v2/requests/NOPE.json"),
        "hostile 400": visitor.get("/api/v1/cases/?q=%00"),
        "resident page": visitor.get(f"/r/g/{served.seed['grid_a']}/"),
        "csrf 403": visitor.request("POST", "/login/", data={"username": "x"}),
    }
    for what, answer in answers.items():
        assert 200 <= answer.status_code < 500, (what, answer.status_code)
        _secure_headers(answer, what)
    assert answers["api 404"].headers["Content-Type"].startswith("application/json")


def test_plain_http_is_redirected_to_https_without_hsts(served):
    # through the proxy over plain HTTP (nginx passes X-Forwarded-Proto: http)
    plain = Proxied(served).get("/login/", headers={"X-Forwarded-Proto": "http"})
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"{served.public}/login/"
    assert "Strict-Transport-Security" not in plain.headers


def test_a_client_bypassing_the_proxy_cannot_claim_https_or_an_address(served):
    """X-Forwarded-Proto and X-Real-IP count only from the trusted proxy (issue 14, finding 3)."""
    direct = Direct(served)
    claimed = direct.get("/login/", headers={"X-Forwarded-Proto": "https"})
    assert claimed.status_code == 301 and claimed.headers["Location"].startswith("https://")
    assert "Strict-Transport-Security" not in claimed.headers


def test_password_brute_force_locks_the_account_at_that_address_only(served):
    users, other = served.seed["a"], served.seed["b"]
    target = users["grid_worker"]
    attacker = Proxied(served, client_ip="203.0.113.66")
    answers = [attacker.log_in(target, "Wrong-Passw0rd!").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 403]
    late = attacker.log_in(target)  # the right password, too late
    assert late.status_code == 403 and "锁定" in late.text
    assert not attacker.signed_in()
    # the same account from another address behind the same proxy: not locked out
    owner = Proxied(served, client_ip="198.51.100.7")
    assert owner.log_in(target).status_code == 302 and owner.signed_in()
    # another account from the attacker's address: not locked out either
    colleague = Proxied(served, client_ip="203.0.113.66")
    assert colleague.log_in(other["grid_worker"]).status_code == 302 and colleague.signed_in()
    # behind the documented nginx (X-Real-IP set by the proxy, the client's X-Forwarded-For passed
    # through) a forged X-Forwarded-For per attempt does not spread the attempts over addresses
    victim = users["community_officer"]
    forger = Proxied(served, client_ip="203.0.113.67")
    forged = [
        forger.log_in_with(victim, "Wrong-Passw0rd!", {"X-Forwarded-For": f"198.51.100.{n}"})
        for n in range(10, 15)
    ]
    assert forged == [200, 200, 200, 200, 403]
    assert Proxied(served, client_ip="203.0.113.67").log_in(victim).status_code == 403
    # a client that bypasses the proxy is only ever sent to HTTPS, whatever it claims
    direct = Direct(served)
    bypass = direct.request(
        "POST",
        "/login/",
        data={"username": victim, "password": served.seed["password"]},
        headers={"X-Forwarded-Proto": "https", "X-Real-IP": "198.51.100.99"},
    )
    assert bypass.status_code == 301 and not direct.cookie("sessionid")


def test_second_factor_is_required_and_wrong_codes_are_refused(served):
    """The password alone is no session; wrong codes are refused. (The back-off that refuses even
    the right code after failures lasts 2^n seconds, too short to assert on a loaded machine
    across processes: ``test_live_auth.py::test_second_factor_brute_force_is_throttled``.)"""
    leader = served.seed["a"]["leader"]
    visitor = Proxied(served, client_ip="203.0.113.70")
    first = visitor.log_in(leader)
    assert first.status_code == 302 and "/login/second-factor/" in first.headers["Location"]
    assert not visitor.signed_in()
    assert visitor.get("/cases/").status_code == 302  # every page sends it to the second factor
    good = served.totp_code(leader)
    for code in [c for c in ("000000", "111111", "222222", "333333") if c != good][:3]:
        assert visitor.post("/login/second-factor/", {"token": code}).status_code == 200
        assert not visitor.signed_in()
    # another leader, one good code: in
    other = served.seed["b"]["leader"]
    ok = Proxied(served, client_ip="203.0.113.71")
    assert ok.log_in(other).status_code == 302
    done = ok.post("/login/second-factor/", {"token": served.totp_code(other)})
    assert done.status_code == 302 and ok.signed_in()


def _case(visitor, pk):
    answer = visitor.get(f"/api/v1/cases/{pk}")
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()


def test_write_idor_sample_a_sibling_grids_case_is_never_reached(served):
    case_b = served.seed["case_b"]
    owner = Proxied(served, client_ip="198.51.100.20")
    assert owner.log_in(served.seed["b"]["dispatcher"]).status_code == 302
    before = _case(owner, case_b)
    before_timeline = owner.get(f"/api/v1/cases/{case_b}/timeline")
    for role in ("dispatcher", "grid_worker", "community_officer"):
        intruder = Proxied(served, client_ip="198.51.100.21")
        assert intruder.log_in(served.seed["a"][role]).status_code == 302, role
        assert intruder.get(f"/api/v1/cases/{case_b}").status_code == 404, role
        assert intruder.get(f"/cases/{case_b}/").status_code == 404, role
        for name in ("accept", "dispatch", "close", "supervise", "comment"):
            api = intruder.post(f"/api/v1/cases/{case_b}/actions/{name}", json={"note": "x"})
            assert api.status_code == 404, (role, name, api.status_code, api.text[:200])
            form = intruder.post(f"/cases/{case_b}/act/{name}/", {"note": "x"})
            assert form.status_code == 404, (role, name, form.status_code)
        spawn = intruder.post(f"/cases/{case_b}/dispute/", {"note": "x"})
        assert spawn.status_code in (404, 405), (role, spawn.status_code)
    after = _case(owner, case_b)
    assert after == before
    assert owner.get(f"/api/v1/cases/{case_b}/timeline").text == before_timeline.text


class _FuzzClient:
    """``test_live_api_fuzz``'s client shape (``request(method, url, params=, json=)``), through
    the proxy, with the CSRF token a browser would send."""

    def __init__(self, visitor):
        self.visitor = visitor

    def request(self, method, url, **kw):
        if method != "GET":
            kw["headers"] = {"X-CSRFToken": self.visitor.csrf() or "", "Referer": "https://x/"}
            kw["headers"]["Referer"] = f"{self.visitor.served.public}/"
        return self.visitor.request(method, url, **kw)


def test_fuzz_every_api_operation_and_open311_against_the_served_app(served):
    signed = Proxied(served, client_ip="198.51.100.30")
    assert signed.log_in(served.seed["a"]["dispatcher"]).status_code == 302
    browser, anonymous = (
        _FuzzClient(signed),
        _FuzzClient(Proxied(served, client_ip="198.51.100.31")),
    )
    ids = [served.seed["case_a"], served.seed["case_b"], 1, 99999999]
    count = 0
    for method, path, operation in fuzz.operations():
        fuzz._fuzz(browser, anonymous, ids, method, path, operation, examples=2)
        count += 1
    assert count > 100
    # Open311 with hostile values (NUL bytes, huge pages, traversal), and hostile query strings
    hostile = [
        ("GET", "/open311/v2/requests.json?page=99999999999999999999&status=%00"),
        ("GET", "/open311/v2/requests/..%2F..%2Fetc%2Fpasswd.json"),
        ("GET", "/open311/v2/services.xml?jurisdiction_id=%00"),
        ("GET", "/api/v1/cases/?page=99999999999999999999"),
        ("GET", "/r/t/..%2F..%2Fadmin/"),
    ]
    for method, url in hostile:
        answer = anonymous.request(method, url)
        assert answer.status_code < 500, (url, answer.status_code)
    posted = anonymous.request(
        "POST",
        "/open311/v2/requests.json",
        data={"service_code": "cityscape\x00", "description": "x\x00y", "lat": "1e999"},
    )
    assert 400 <= posted.status_code < 500, posted.text[:300]


def test_the_servers_log_holds_no_keys_or_personal_data(served):
    secret = "fq_" + "S3cretKeyValue" * 3
    visitor = Proxied(served, client_ip="198.51.100.40")
    visitor.get(f"/api/v1/me?api_key={secret}&phone=13812345678")
    visitor.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    visitor.log_in("13812345678", "Wrong-Passw0rd!")
    log = served.log()
    assert secret not in log and "13812345678" not in log
    assert "GET /api/v1/me " in log  # the access log is there, without the query string

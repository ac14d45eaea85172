"""Attack tests against a live server, over real HTTP (issue 14, "Attack tests in CI"): password
and second-factor brute force, session fixation, replay of a session cookie after logout."""

import pytest
from django.conf import settings
from django_otp.oath import totp

from fengqiao.core.models import AuditEvent
from tests.security.live import Browser, totp_device

pytestmark = pytest.mark.django_db(transaction=True)


def _signed_in(browser):
    return browser.get("/api/v1/me").status_code == 200


def test_password_brute_force_locks_that_account_at_that_address_only(live_server, users):
    attacker = Browser(live_server.url)
    target, other = users["grid_worker"], users["community_officer"]
    answers = [
        attacker.log_in(target.username, "Wrong-Passw0rd!").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert answers == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [403]  # locked at the limit
    locked = attacker.log_in(target.username)  # the right password, too late
    assert locked.status_code == 403 and "锁定" in locked.text
    assert not _signed_in(attacker)
    # the lock is per (account, address): someone else at the same address signs in
    colleague = Browser(live_server.url)
    assert colleague.log_in(other.username).status_code == 302
    assert _signed_in(colleague)
    assert (
        AuditEvent.objects.filter(
            action="auth.login", result="failure", username=target.username
        ).count()
        >= settings.AXES_FAILURE_LIMIT
    )


def test_second_factor_brute_force_is_throttled(live_server, users):
    leader = users["leader"]
    device = totp_device(leader)
    browser = Browser(live_server.url)
    first = browser.log_in(leader.username)
    assert first.status_code == 302 and "/login/second-factor/" in first.headers["Location"]
    assert not _signed_in(browser)  # the password alone is not enough
    good = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    wrong = [code for code in ("000000", "111111", "222222", "333333") if code != good][:3]
    for code in wrong:
        answer = browser.post("/login/second-factor/", {"token": code})
        assert answer.status_code == 200
    # after the failures the device refuses even the right code until its back-off passes
    throttled = browser.post("/login/second-factor/", {"token": good})
    assert throttled.status_code == 200 and "尝试过于频繁" in throttled.text
    assert not _signed_in(browser)
    assert AuditEvent.objects.filter(
        action="auth.second_factor", result="failure", user=leader
    ).exists()


def test_session_fixation_a_planted_session_id_is_never_the_signed_in_one(live_server, users):
    user = users["grid_worker"]
    victim = Browser(live_server.url)
    victim.get("/login/")
    planted = "fixation0attacker0chosen0session"
    victim.set_cookie("sessionid", planted)
    assert victim.log_in(user.username).status_code == 302
    issued = victim.cookie("sessionid")
    assert issued and issued != planted
    attacker = Browser(live_server.url)
    attacker.set_cookie("sessionid", planted)
    assert not _signed_in(attacker)


def test_session_id_changes_at_login(live_server, users):
    """An anonymous session (the resident pages, the login form) is replaced at sign-in: the
    pre-login cookie gives nothing afterwards."""
    user = users["grid_worker"]
    browser = Browser(live_server.url)
    browser.log_in(user.username, "Wrong-Passw0rd!")  # may start a session
    before = browser.cookie("sessionid")
    assert browser.log_in(user.username).status_code == 302
    after = browser.cookie("sessionid")
    assert after and after != before
    if before:
        replay = Browser(live_server.url)
        replay.set_cookie("sessionid", before)
        assert not _signed_in(replay)


def test_logout_replay_the_old_session_cookie_is_refused(live_server, users):
    user = users["dispatcher"]
    browser = Browser(live_server.url)
    assert browser.log_in(user.username).status_code == 302
    old = browser.cookie("sessionid")
    assert _signed_in(browser)
    assert browser.post("/logout/").status_code == 302
    replay = Browser(live_server.url)
    replay.set_cookie("sessionid", old)
    assert replay.get("/api/v1/me").status_code == 401
    page = replay.get("/cases/")
    assert page.status_code == 302 and "/login/" in page.headers["Location"]
    # a write with the old cookie (and a fresh CSRF token) is refused as well
    assert replay.post("/cases/new/", {"description": "replayed"}).status_code in (302, 401, 403)

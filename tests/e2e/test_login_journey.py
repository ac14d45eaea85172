"""First real-browser journey: a leader signs in with password + TOTP, sees home, signs out."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leader_logs_in_with_totp_and_out(page, live_server, county, users):
    leader = users["leader"]
    device = TOTPDevice.objects.get(user=leader)
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("#username", leader.username)
    page.fill("#password", PASSWORD)
    shot(page, "login-1-form")
    page.click("#login")
    page.wait_for_url("**/login/second-factor/**")
    page.fill("#token", f"{totp(device.bin_key):06d}")
    shot(page, "login-2-totp")
    page.click("#verify")
    page.wait_for_selector("#welcome")
    assert leader.display_name in page.inner_text("#welcome")
    shot(page, "login-3-home")
    page.click("#user-menu summary")
    page.click("#logout")
    page.wait_for_url("**/login/")
    assert "已安全退出" in page.content()
    shot(page, "login-4-logged-out")


def test_wrong_password_shows_a_clear_message(page, live_server, county, users):
    page.goto(f"{live_server.url}/login/")
    page.fill("#username", users["grid_worker"].username)
    page.fill("#password", "not-the-password")
    page.click("#login")
    assert "用户名或密码不正确" in page.inner_text("main")


def test_english_switch(page, live_server, county, users):
    page.goto(f"{live_server.url}/login/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Staff sign-in" in page.inner_text("main")

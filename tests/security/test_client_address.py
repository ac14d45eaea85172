"""Client address behind a proxy (issue 14, finding 3): the proxy header counts only from a
configured proxy; lockout is per account + address; a client never chooses its own address."""

from django.test import RequestFactory, override_settings

from fengqiao.core.context import client_ip
from fengqiao.core.models import AuditEvent
from tests.conftest import PASSWORD


def _req(remote, **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_a_client_cannot_choose_its_address_with_x_real_ip():
    assert client_ip(_req("203.0.113.9", HTTP_X_REAL_IP="10.1.1.1")) == "203.0.113.9"
    assert client_ip(_req("203.0.113.9", HTTP_X_FORWARDED_FOR="10.1.1.1")) == "203.0.113.9"


@override_settings(TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/8"])
def test_a_configured_proxy_names_the_client():
    assert client_ip(_req("127.0.0.1", HTTP_X_REAL_IP="198.51.100.7")) == "198.51.100.7"
    # X-Forwarded-For: the right-most address that is not one of our proxies; what the client
    # put further left is ignored.
    chain = "1.2.3.4, 198.51.100.7, 10.0.0.5"
    assert client_ip(_req("127.0.0.1", HTTP_X_FORWARDED_FOR=chain)) == "198.51.100.7"
    assert client_ip(_req("127.0.0.1", HTTP_X_FORWARDED_FOR="junk")) == "127.0.0.1"
    assert client_ip(_req("127.0.0.1")) == "127.0.0.1"
    # The documented nginx sets X-Real-IP but passes the client's X-Forwarded-For through: a
    # forged X-Forwarded-For never wins over the proxy's X-Real-IP (found against `fengqiao serve`)
    forged = _req("127.0.0.1", HTTP_X_REAL_IP="198.51.100.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(forged) == "198.51.100.7"
    # Not from a proxy: the headers count for nothing.
    assert client_ip(_req("198.51.100.7", HTTP_X_REAL_IP="127.0.0.1")) == "198.51.100.7"


def _login(client, username, password, address):
    return client.post(
        "/login/", {"username": username, "password": password}, HTTP_X_REAL_IP=address
    )


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_lockout_behind_the_proxy_is_per_account_and_address(client, users, settings):
    victim, other = users["grid_worker"], users["dispatcher"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, victim.username, "wrong-password", "198.51.100.7")
    assert _login(client, victim.username, PASSWORD, "198.51.100.7").status_code == 403
    # Everyone else behind the same proxy still signs in, and so does the victim elsewhere.
    assert _login(client, other.username, PASSWORD, "198.51.100.8").status_code == 302
    client.post("/logout/")
    assert _login(client, victim.username, PASSWORD, "198.51.100.9").status_code == 302
    failed = AuditEvent.objects.filter(action="auth.login", result="failure").first()
    assert failed.ip == "198.51.100.7"


def test_without_a_proxy_a_spoofed_header_does_not_escape_the_lockout(client, users, settings):
    victim = users["grid_worker"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, victim.username, "wrong-password", f"10.9.9.{n}")
    # A new X-Real-IP does not make a new client: still locked.
    assert _login(client, victim.username, PASSWORD, "10.9.9.200").status_code == 403
    assert not AuditEvent.objects.filter(ip__startswith="10.9.9.").exists()

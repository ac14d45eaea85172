"""A real ``fengqiao serve`` (gunicorn + worker, the deploy command) for the attack tests, set up
the way docs/deploy.md describes production behind nginx: demo mode off, its own keys, its own
FENGQIAO_HOME and database (a SQLite file there, or a fresh PostgreSQL database next to the test
database when the suite runs on PostgreSQL), HTTPS terminated at the proxy with
``FENGQIAO_SSL_REDIRECT``/``SECURE_COOKIES``/``HSTS_SECONDS`` on and ``FENGQIAO_TRUSTED_PROXIES``
naming the proxy.

The tests play nginx themselves: :class:`Proxied` connects from 127.0.0.2 (the trusted proxy's
address) and adds what the documented nginx adds — ``X-Forwarded-Proto: https`` and
``X-Real-IP`` (the visitor's address). :class:`Direct` connects from 127.0.0.1, which is *not*
a trusted proxy: a client that bypasses the proxy, whose own such headers must count for nothing.
Nothing here touches the test process's database: the server is seen only over HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from django_otp.oath import totp
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parents[2]
PROXY_ADDRESS = "127.0.0.2"
HSTS_SECONDS = 31536000
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_database(url):
    """A fresh PostgreSQL database beside the test database's server: (its url, a drop callback)."""
    import psycopg

    parts = urlsplit(url)
    name = f"fq_served_{os.getpid()}_{secrets.token_hex(3)}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


class Served:
    """The running server: ``port``, ``home``, ``seed`` (users, cases), ``log()`` (its output)."""

    def __init__(self, port, home, seed, log_path, vendor):
        self.port, self.home, self.seed, self.log_path = port, home, seed, log_path
        self.vendor = vendor
        self.base = f"http://127.0.0.1:{port}"
        self.public = f"https://127.0.0.1:{port}"  # what the visitor's browser sees

    def log(self):
        return self.log_path.read_text(errors="replace")

    def totp_code(self, username):
        key = bytes.fromhex(self.seed["totp"][username])
        return f"{totp(key, 30, 0, 6, 0):06d}"


@contextlib.contextmanager
def serve(tmp):
    """Migrate, seed and start ``fengqiao serve`` on a free port; stop it (SIGTERM) afterwards."""
    home = Path(tmp)
    test_url = os.environ.get("FENGQIAO_DATABASE_URL", "")
    drop = None
    if test_url.startswith("postgres"):
        database_url, drop = _pg_database(test_url)
        vendor = "postgresql"
    else:
        database_url, vendor = f"sqlite:///{home / 'served.sqlite3'}", "sqlite"
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("FENGQIAO_", "DJANGO_", "PYTEST"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "fengqiao.settings",
            "FENGQIAO_DEMO": "0",
            "FENGQIAO_HOME": str(home),
            "FENGQIAO_DATABASE_URL": database_url,
            "FENGQIAO_SECRET_KEY": secrets.token_urlsafe(50),
            "FENGQIAO_DATA_KEYS": "c2VydmVkLXRlc3QtZGF0YS1rZXktMzJieXRlcy4uLi4=",
            "FENGQIAO_HASH_KEY": secrets.token_urlsafe(32),
            "FENGQIAO_AGREEMENT_KEY": secrets.token_urlsafe(32),
            "FENGQIAO_ALLOWED_HOSTS": "127.0.0.1",
            "FENGQIAO_CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}",
            "FENGQIAO_TRUSTED_PROXIES": PROXY_ADDRESS,
            "FENGQIAO_SECURE_COOKIES": "1",
            "FENGQIAO_SSL_REDIRECT": "1",
            "FENGQIAO_HSTS_SECONDS": str(HSTS_SECONDS),
            "FENGQIAO_EMBEDDINGS": "0",
            "FENGQIAO_LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
        }
    )
    log_path = home / "serve.log"
    proc = None
    try:
        run = {"env": env, "cwd": str(ROOT), "capture_output": True, "text": True, "timeout": 900}
        migrated = subprocess.run([sys.executable, "-m", "fengqiao.cli", "migrate", "-v0"], **run)
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        seeded = subprocess.run([sys.executable, "-m", "tests.security.served_seed"], **run)
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        with log_path.open("w") as out:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "fengqiao.cli",
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    "1",
                ],
                env=env,
                cwd=str(ROOT),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        served = Served(port, home, seed, log_path, vendor)
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, served.log()[-3000:]
            with contextlib.suppress(requests.RequestException):
                requests.get(f"{served.base}/login/", timeout=30, allow_redirects=False)
                break
            assert time.monotonic() < deadline, "fengqiao serve did not answer in 120 s"
            time.sleep(0.3)
        yield served
    finally:
        if proc is not None and proc.poll() is None:
            # the whole group (serve, gunicorn, worker): nothing outlives the tests
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if drop is not None:
            drop()


class _NoJar(DefaultCookiePolicy):
    """requests drops Secure cookies on an http:// URL; the visitor's browser talks HTTPS to
    nginx, so its cookies travel. :class:`Visitor` keeps its own jar and sends them itself."""

    def set_ok(self, cookie, request):
        return False


class _SourceAddress(HTTPAdapter):
    def __init__(self, address, **kw):
        self._source = (address, 0)
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = self._source
        super().init_poolmanager(*args, **kw)


class Visitor:
    """One visitor with its own cookie jar, seen by the server through the proxy (:class:`Proxied`)
    or directly (:class:`Direct`)."""

    source = "127.0.0.1"

    def __init__(self, served, client_ip="203.0.113.10"):
        self.served = served
        self.client_ip = client_ip
        self.http = requests.Session()
        self.http.cookies.set_policy(_NoJar())
        self.jar = {}
        adapter = _SourceAddress(self.source)
        self.http.mount("http://", adapter)

    def headers(self):
        return {}

    def request(self, method, path, *, headers=None, **kw):
        kw.setdefault("allow_redirects", False)
        kw.setdefault("timeout", 30)
        url = path if path.startswith("http") else f"{self.served.base}{path}"
        headers = {**self.headers(), **(headers or {})}
        if self.jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        answer = self.http.request(method, url, headers=headers, **kw)
        for cookie in answer.cookies:
            if cookie.value and not cookie.is_expired():
                self.jar[cookie.name] = cookie.value
            else:
                self.jar.pop(cookie.name, None)
        return answer

    def cookie(self, name):
        return self.jar.get(name)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def csrf(self):
        token = self.jar.get("csrftoken")
        if not token:
            self.get("/login/")
            token = self.jar.get("csrftoken")
        return token

    def post(self, path, data=None, *, json=None, headers=None, **kw):
        token = self.csrf()
        headers = {
            "X-CSRFToken": token or "",
            "Referer": f"{self.served.public}/",
            **(headers or {}),
        }
        if json is not None:
            return self.request("POST", path, json=json, headers=headers, **kw)
        data = dict(data or {})
        data.setdefault("csrfmiddlewaretoken", token or "")
        return self.request("POST", path, data=data, headers=headers, **kw)

    def log_in(self, username, password=None):
        page = self.get("/login/")
        found = CSRF_RE.search(page.text)
        return self.post(
            "/login/",
            {
                "username": username,
                "password": password or self.served.seed["password"],
                "csrfmiddlewaretoken": found.group(1) if found else "",
            },
        )

    def log_in_with(self, username, password, headers):
        """One login attempt with extra request headers (what a client adds on its own): the
        status code."""
        page = self.get("/login/", headers=headers)
        found = CSRF_RE.search(page.text)
        data = {"username": username, "password": password}
        data["csrfmiddlewaretoken"] = found.group(1) if found else ""
        return self.post("/login/", data, headers=headers).status_code

    def signed_in(self):
        return self.get("/api/v1/me").status_code == 200


class Proxied(Visitor):
    """Through the documented nginx: from the trusted proxy, HTTPS, the visitor's address."""

    source = PROXY_ADDRESS

    def headers(self):
        return {"X-Forwarded-Proto": "https", "X-Real-IP": self.client_ip}


class Direct(Visitor):
    """A client that reaches the application server without the proxy."""

    source = "127.0.0.1"

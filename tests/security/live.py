"""Helpers for the attack tests that run against a live server (pytest-django ``live_server``):
real HTTP with ``requests``, real cookies, real CSRF tokens — nothing of Django's test client."""

from __future__ import annotations

import re

import requests
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, login

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """One visitor with its own cookie jar. ``post`` sends the CSRF token the way a browser
    does (the form's hidden field, or the ``X-CSRFToken`` header for JSON)."""

    def __init__(self, base):
        self.base = base.rstrip("/")
        self.http = requests.Session()

    def url(self, path):
        return path if path.startswith("http") else f"{self.base}{path}"

    def get(self, path, **kw):
        kw.setdefault("allow_redirects", False)
        return self.http.get(self.url(path), timeout=30, **kw)

    def set_cookie(self, name, value):
        """Set a cookie as the server would have (same domain and path), replacing any."""
        self.csrf()
        domain = next(iter(self.http.cookies)).domain
        self.http.cookies.set(name, None)
        self.http.cookies.set(name, value, domain=domain, path="/")

    def cookie(self, name):
        return self.http.cookies.get(name)

    def csrf(self):
        token = self.http.cookies.get("csrftoken")
        if not token:
            self.get("/login/")
            token = self.http.cookies.get("csrftoken")
        return token

    def post(self, path, data=None, *, json=None, files=None, headers=None, **kw):
        headers = {"X-CSRFToken": self.csrf(), "Referer": self.url("/"), **(headers or {})}
        kw.setdefault("allow_redirects", False)
        if json is not None:
            return self.http.post(self.url(path), json=json, headers=headers, timeout=30, **kw)
        data = dict(data or {})
        data.setdefault("csrfmiddlewaretoken", headers["X-CSRFToken"])
        return self.http.post(
            self.url(path), data=data, files=files, headers=headers, timeout=30, **kw
        )

    def request(self, method, path, *, json=None, **kw):
        headers = {"X-CSRFToken": self.csrf(), "Referer": self.url("/")}
        kw.setdefault("allow_redirects", False)
        return self.http.request(
            method, self.url(path), json=json, headers=headers, timeout=30, **kw
        )

    def log_in(self, username, password=PASSWORD):
        """The login form, as a person fills it in."""
        page = self.get("/login/")
        token = CSRF_RE.search(page.text)
        return self.post(
            "/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
        )

    @classmethod
    def signed_in(cls, base, user):
        """A browser holding ``user``'s session (second factor done where the user has one):
        the session is made by Django's own login, the cookie then travels over HTTP."""
        client = login(Client(), user)
        browser = cls(base)
        browser.set_cookie("sessionid", client.cookies["sessionid"].value)
        return browser


def totp_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()

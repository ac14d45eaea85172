"""Secrets out of logs: an ``api_key`` (or ``token``/``key``/``password``) in a query string or a
form never reaches the access log, the error log or an error report.

* :class:`ScrubSecrets` — a logging filter on every handler (see ``LOGGING`` in settings): it
  rewrites the message and its arguments, e.g. ``GET /open311/v2/requests.json?api_key=fq_…`` →
  ``…?api_key=[filtered]``;
* :class:`ReporterFilter` — Django's exception reporter filter, extended to the query string.
"""

from __future__ import annotations

import logging
import re

from django.views.debug import SafeExceptionReporterFilter

SECRET_PARAMS = ("api_key", "apikey", "api-key", "access_token", "token", "password", "key")
_SECRET_RE = re.compile(
    r"(?i)((?:^|[?&;\s\"'])(?:" + "|".join(re.escape(p) for p in SECRET_PARAMS) + r")(?:=|%3D))"
    r"[^&;\s\"']*"
)
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_KEY_RE = re.compile(r"\bfq_[A-Za-z0-9_-]{8,}")
FILTERED = "[filtered]"


def scrub(text: str) -> str:
    text = _SECRET_RE.sub(lambda m: m.group(1) + FILTERED, text)
    text = _BEARER_RE.sub(lambda m: m.group(1) + FILTERED, text)
    return _KEY_RE.sub(FILTERED, text)


def _scrub_arg(value):
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, bytes):
        return scrub(value.decode("utf-8", "replace"))
    return value


class ScrubSecrets(logging.Filter):
    def filter(self, record):
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_scrub_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _scrub_arg(v) for k, v in record.args.items()}
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "META"):
            for name in ("QUERY_STRING", "HTTP_X_API_KEY", "HTTP_AUTHORIZATION"):
                if request.META.get(name):
                    request.META[name] = (
                        FILTERED if name != "QUERY_STRING" else scrub(request.META[name])
                    )
        return True


class ReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        SafeExceptionReporterFilter.hidden_settings.pattern + "|KEY", flags=re.I
    )

    def get_post_parameters(self, request):
        params = super().get_post_parameters(request)
        if request is None:
            return params
        params = params.copy()
        for name in list(params):
            if name.lower() in SECRET_PARAMS:
                params[name] = self.cleansed_substitute
        return params

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        for name in ("QUERY_STRING", "REQUEST_URI", "RAW_URI", "PATH_INFO"):
            if isinstance(meta.get(name), str):
                meta[name] = scrub(meta[name])
        for name in ("HTTP_X_API_KEY", "HTTP_AUTHORIZATION"):
            if name in meta:
                meta[name] = self.cleansed_substitute
        return meta


try:  # gunicorn's access log (``fengqiao serve``): the request line and the referrer, scrubbed
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover — gunicorn is a dependency; this keeps imports safe
    _GunicornLogger = object


class GunicornLogger(_GunicornLogger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in list(atoms.items()):
            if isinstance(value, str):
                atoms[name] = scrub(value)
        return atoms

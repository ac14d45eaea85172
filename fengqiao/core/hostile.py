"""Refuse hostile input before it reaches a view: a clear 4xx in the request's format, never a 500.

* NUL characters (``%00``, ``\\u0000``) in the path, the query string, form fields or a JSON body:
  PostgreSQL cannot store them in text and would answer with an error deep in a view; no
  legitimate request carries them (files are exempt: they are bytes).
* Page numbers, offsets and limits beyond ``MAX_PAGE_PARAMETER``: ``?page=10**20`` would overflow
  the database's bigint.
* A body larger than ``FENGQIAO_MAX_REQUEST_BYTES`` (declared length), whatever the proxy does.
"""

import json
import re
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _

PAGE_PARAMETERS = {"page", "offset", "limit", "page_size", "per_page", "start", "count"}
MAX_PAGE_PARAMETER = 10_000_000
_ESCAPED_NUL = re.compile(rb"\\u0000", re.IGNORECASE)


def _refuse(request, status, code, message):
    from fengqiao.web.errors import in_request_format

    response = in_request_format(request, status, code, message)
    if response is not None:
        return response
    if request.headers.get("HX-Request"):
        from django.http import HttpResponse

        return HttpResponse(message, status=status)
    return render(
        request, "web/error.html", {"title": _("请求有误"), "message": message}, status=status
    )


def _has_nul_query(request):
    raw = request.META.get("QUERY_STRING", "")
    return b"\x00" in unquote_to_bytes(raw.replace("+", " "))


def _big_page_parameter(request):
    for name in PAGE_PARAMETERS:
        for value in request.GET.getlist(name):
            value = value.strip()
            if value.lstrip("-").isdigit() and abs(int(value)) > MAX_PAGE_PARAMETER:
                return True
    return False


def _has_nul_body(request):
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("application/json"):
        body = request.body
        return b"\x00" in body or bool(_ESCAPED_NUL.search(body))
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return any("\x00" in v for values in request.POST.lists() for v in values[1])
    return False


class HostileInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = getattr(settings, "MAX_REQUEST_BYTES", None)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit and length > limit:
            return _refuse(
                request,
                413,
                "too_large",
                _("提交的内容超过 %(mb)d MB") % {"mb": limit // (1024 * 1024)},
            )
        if "\x00" in request.path or _has_nul_query(request):
            return _refuse(request, 400, "invalid", _("请求中含有不允许的控制字符"))
        if _big_page_parameter(request):
            return _refuse(request, 400, "invalid", _("分页参数超出范围"))
        if request.method in ("POST", "PUT", "PATCH"):
            try:
                hostile = _has_nul_body(request)
            except (ValueError, json.JSONDecodeError, OSError):
                hostile = False  # the view answers malformed bodies itself
            if hostile:
                return _refuse(request, 400, "invalid", _("提交的内容含有不允许的控制字符"))
        return self.get_response(request)

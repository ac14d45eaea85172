"""Error pages in the user's language, never a stack trace; and errors in the request's format.

An unexpected error or a lost database connection on ``/api/`` answers the API's JSON error, on
``/open311/`` the Open311 error list (JSON or XML), elsewhere a page. A lost database connection
answers 503 with ``Retry-After`` (never 500), and its page is rendered without touching the database.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import gettext as _

DATABASE_DOWN = (OperationalError, InterfaceError)


def _page(request, status, title, message):
    if request.path.startswith("/open311/"):
        # Open311 clients get the spec's error format (JSON or XML by the path), never HTML.
        from fengqiao.cases.open311 import error_for_request

        return error_for_request(request, status)
    return render(request, "web/error.html", {"title": title, "message": message}, status=status)


def in_request_format(request, status, code, message):
    """The API's or Open311's error answer for ``request``'s path; None for pages."""
    path = getattr(request, "path", "") or ""
    if path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": code, "message": str(message), "details": {}}},
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    if path.startswith("/open311/"):
        from fengqiao.cases.open311 import error, fmt_of_path

        return error(fmt_of_path(path), status, message)
    return None


def bad_request(request, exception=None):
    return in_request_format(request, 400, "bad_request", _("提交的内容无法处理")) or _page(
        request, 400, _("请求有误"), _("提交的内容无法处理，请检查后重试。")
    )


def forbidden(request, exception=None):
    message = _("您没有执行此操作的权限。")
    return in_request_format(request, 403, "forbidden", message) or _page(
        request, 403, _("没有权限"), message
    )


def not_found(request, exception=None):
    """Also for paths under ``/api/`` that match no operation (``/api/v1/cases//actions/x``):
    the API's JSON error, never an HTML page."""
    message = _("您访问的内容不存在，或不在您的辖区内。")
    return in_request_format(request, 404, "not_found", message) or _page(
        request, 404, _("页面不存在"), message
    )


def database_unavailable(request):
    title, message = (
        _("系统暂时不可用"),
        _("数据库连接暂时中断，请稍后再试。已保存的内容不会丢失。"),
    )
    response = in_request_format(request, 503, "unavailable", message)
    if response is None:
        try:  # no request context: the context processors would query the database
            html = render_to_string("web/error.html", {"title": title, "message": message})
        except Exception:  # noqa: BLE001 — the last resort must not fail
            html = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1>"
            html += f"<p>{escape(message)}</p>"
        response = HttpResponse(html, status=503)
    response["Retry-After"] = "30"
    return response


def server_error(request):
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_DOWN):
        return database_unavailable(request)
    message = _("处理时出现问题，已记录，请稍后再试。已保存的内容不会丢失。")
    response = in_request_format(request, 500, "server_error", message)
    if response is not None:
        return response
    try:
        return _page(request, 500, _("系统繁忙"), message)
    except Exception:  # noqa: BLE001 — e.g. the database went away while rendering
        return database_unavailable(request)

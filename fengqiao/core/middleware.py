"""Request context for audit rows, and the second-factor gate for roles that require it."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from . import context
from .errors import NotFound, ServiceError, Throttled

SECOND_FACTOR_EXEMPT = ("/login", "/logout", "/static/", "/i18n/", "/r/", "/open311/", "/api/")


class TrustedProxyMiddleware:
    """Proxy headers count only from a trusted proxy (``FENGQIAO_TRUSTED_PROXIES``), like the
    client address in :func:`context.client_ip`: a client that reaches the application server
    without the proxy cannot claim HTTPS with its own ``X-Forwarded-Proto`` (Django's
    ``SECURE_PROXY_SSL_HEADER`` would otherwise believe anyone) and so cannot be served as if
    behind TLS. Runs first, before ``SecurityMiddleware`` reads the scheme."""

    HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not context.from_trusted_proxy(request):
            for name in self.HEADERS:
                request.META.pop(name, None)
        return self.get_response(request)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = context.begin(request)
        try:
            response = self.get_response(request)
        finally:
            context.end(token)
        response.headers.setdefault("X-Request-ID", request.request_id)
        return response


class SecondFactorMiddleware:
    """A signed-in user whose role needs TOTP must verify (or enrol) before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(SECOND_FACTOR_EXEMPT)
            and user.needs_second_factor()
            and not user.is_verified()
        ):
            return redirect(f"{reverse('web:second_factor')}?next={request.get_full_path()}")
        return self.get_response(request)


class ServiceErrorMiddleware:
    """A service refusal raised inside an ordinary page view becomes a clear 4xx page (404 for
    records out of scope), never a 500. HTMX requests get the bare message for the target."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            # The framework's bare "Method not allowed" (text/html) for a wrong method on an API
            # or Open311 path becomes that interface's error format; the Allow header stays.
            from fengqiao.web.errors import in_request_format

            answer = in_request_format(request, 405, "method_not_allowed", _("不支持的请求方法"))
            if answer is not None:
                if response.has_header("Allow"):
                    answer["Allow"] = response["Allow"]
                return answer
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, ServiceError):
            return None
        if request.headers.get("HX-Request"):
            response = HttpResponse(exception.message, status=exception.status)
        else:
            if isinstance(exception, NotFound):
                title = _("页面不存在")
            elif isinstance(exception, Throttled):
                title = _("请求过于频繁")
            else:
                title = _("无法完成操作")
            response = render(
                request,
                "web/error.html",
                {"title": title, "message": exception.message},
                status=exception.status,
            )
        return with_retry_after(response, exception)


def with_retry_after(response, exception):
    """A 429 answer tells the client when to come back (``Retry-After``, seconds)."""
    retry_after = exception.details.get("retry_after") if exception.status == 429 else None
    if retry_after:
        response["Retry-After"] = str(int(retry_after))
    return response

"""The versioned JSON API at /api/v1/: one NinjaAPI, one error format, two ways to authenticate.

* the web session (with CSRF) of a signed-in staff member who passed the second factor;
* an integration key from ``fengqiao apikey create`` in ``Authorization: Bearer <key>`` or
  ``X-API-Key: <key>``; the key acts as its service account.

Every 4xx answers ``{"error": {"code": "...", "message": "...", "details": ...}}``.
Domain apps expose a ``router`` in their ``api.py``; each is imported and mounted below.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from fengqiao.core.errors import ServiceError
from fengqiao.core.middleware import with_retry_after
from fengqiao.core.services import authenticate_api_key

logger = logging.getLogger("fengqiao.api")


class StaffSession(SessionAuth):
    """Session auth that also insists on the second factor where the role requires it."""

    def authenticate(self, request, key):
        if _presented_keys(request):
            return None  # a key was presented: it alone decides (a wrong key is not rescued by a cookie)
        user = super().authenticate(request, key)
        if user and user.needs_second_factor() and not user.is_verified():
            return None
        return user


def _presented_keys(request):
    """Every integration key the request presents, in either header."""
    keys = set()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        keys.add(token.strip())
    if "X-API-Key" in request.headers:
        keys.add(request.headers["X-API-Key"].strip())
    return keys


def _key_user(request, key):
    # A request that presents two different keys (one of them wrong) is refused whole: a valid key
    # must not carry an invalid credential along with it (found by Schemathesis, ST401).
    if len(_presented_keys(request)) > 1:
        return None
    api_key = authenticate_api_key(key)
    if api_key is None:
        return None
    request.user = api_key.user
    request.api_key = api_key
    return api_key.user


class BearerKey(HttpBearer):
    def authenticate(self, request, token):
        return _key_user(request, token)


class HeaderKey(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request, key):
        return _key_user(request, key)


AUTH = [BearerKey(), HeaderKey(), StaffSession()]

# The error responses each operation can give, listed in the OpenAPI (issue 14, finding 10). All
# share one body: {"error": {"code", "message", "details"}}.
ERROR_RESPONSES = {
    "400": "请求内容不正确（业务校验）/ Bad request (a rule of the domain)",
    "401": "需要登录或有效的接口密钥 / Sign-in or a valid API key needed",
    "403": "没有权限 / Not allowed for this role",
    "404": "不存在或不在您的辖区内 / Not found or outside your jurisdiction",
    "409": "与当前状态冲突 / Conflicts with the record's current state",
    "413": "请求体过大 / Request body too large",
    "422": "提交的数据格式不正确 / Malformed or missing fields",
    "429": "请求过于频繁 / Too many requests (Retry-After)",
    "503": "服务暂不可用 / Temporarily unavailable (Retry-After)",
}
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
            },
        }
    },
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def error_codes(method, operation):
    """The error statuses an operation can answer, from its shape: auth → 401/403; an id in the
    path or any read of scoped rows → 404; a body or parameters → 400/422; writes → 409; a body
    → 413; everything → 429/503 (throttles, database outages)."""
    codes = {"400", "404", "429", "503"}
    if operation.get("security"):
        codes |= {"401", "403"}
    if operation.get("parameters") or operation.get("requestBody"):
        codes.add("422")
    if method in WRITE_METHODS:
        codes |= {"409", "422"}
    if operation.get("requestBody"):
        codes.add("413")
    return codes


def add_error_responses(schema):
    """Add the shared error responses to every operation of an OpenAPI schema (in place)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code in sorted(error_codes(method, operation)):
                operation["responses"].setdefault(
                    code, {"description": ERROR_RESPONSES[code], "content": ref}
                )
    return schema


class FengqiaoAPI(NinjaAPI):
    # Building the document costs ≈ 0.4 s of CPU and anyone may ask for it: build it once per
    # process, language and arguments (the routes never change while the process runs).
    _schemas: dict = {}

    def get_openapi_schema(self, **kwargs):
        key = (get_language(), repr(sorted(kwargs.items())))
        if key not in self._schemas:
            self._schemas[key] = add_error_responses(super().get_openapi_schema(**kwargs))
        return self._schemas[key]


api = FengqiaoAPI(
    title="Fengqiao API",
    version="1",
    description="枫桥 基层治理平台接口。所有 4xx 错误统一为 {error: {code, message, details}}。",
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
)


def error_response(request, status, code, message, details=None):
    return api.create_response(
        request,
        {"error": {"code": code, "message": str(message), "details": details or {}}},
        status=status,
    )


@api.exception_handler(ServiceError)
def _service_error(request, exc):
    response = error_response(request, exc.status, exc.code, exc.message, exc.details)
    return with_retry_after(response, exc)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc):
    details = [
        {"field": ".".join(str(p) for p in e.get("loc", [])[1:]), "message": e.get("msg", "")}
        for e in exc.errors
    ]
    return error_response(request, 422, "validation_error", _("提交的数据不正确"), details)


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request, exc):
    return error_response(request, 400, "invalid", "; ".join(exc.messages))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error_response(request, 401, "unauthenticated", _("需要登录或有效的接口密钥"))


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return error_response(request, 403, "forbidden", str(exc) or _("没有权限"))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, 404, "not_found", _("不存在或无权访问"))


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return error_response(request, exc.status_code, "error", str(exc))


# Domain routers, mounted under /api/v1/<prefix>/: plain imports, so a broken or missing app fails
# loudly at start-up instead of silently taking its API away.
from fengqiao.assistant import api as assistant_api  # noqa: E402
from fengqiao.cases import api as cases_api  # noqa: E402
from fengqiao.core import api as core_api  # noqa: E402
from fengqiao.disputes import api as disputes_api  # noqa: E402
from fengqiao.fieldwork import api as fieldwork_api  # noqa: E402
from fengqiao.insights import api as insights_api  # noqa: E402
from fengqiao.org import api as org_api  # noqa: E402
from fengqiao.registry import api as registry_api  # noqa: E402
from fengqiao.risks import api as risks_api  # noqa: E402

ROUTERS = [
    ("", org_api),
    ("", core_api),
    ("cases", cases_api),
    ("disputes", disputes_api),
    ("assistant", assistant_api),
    ("risks", risks_api),
    ("registry", registry_api),
    ("fieldwork", fieldwork_api),
    ("insights", insights_api),
]
for prefix, module in ROUTERS:
    api.add_router(prefix, module.router)

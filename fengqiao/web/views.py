"""Staff shell: login with second factor, home, inbox, audit log, reveal of personal data."""

import segno
from django.apps import apps
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.core import audit, notifications, services
from fengqiao.core.errors import ServiceError, Throttled
from fengqiao.core.middleware import with_retry_after
from fengqiao.core.models import AuditEvent
from fengqiao.core.throttle import Throttle, client_ip
from fengqiao.org import services as org_services
from fengqiao.org.models import RoleRequest

from .audit_list import AuditFilter, AuditTable, audit_facets
from .forms import LoginForm, RevealForm, TokenForm
from .lists import export_list, staff_list, wants_export


def _next_url(request, default="web:home"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# Failed sign-ins per address, whatever the account (django-axes locks per account + address):
# 30 within 15 minutes stop password spraying from one address for 15 minutes.
LOGIN_FAILURES = Throttle("web.login", limit=30, window=15 * 60)


def login(request):
    if request.user.is_authenticated and not request.user.needs_second_factor():
        return redirect("web:home")
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST":
        try:
            LOGIN_FAILURES.check(client_ip(request))
        except Throttled as exc:
            context = {"form": LoginForm(request), "locked": exc.message}
            return with_retry_after(render(request, "web/login.html", context, status=429), exc)
    if request.method == "POST" and not form.is_valid():
        LOGIN_FAILURES.hit(client_ip(request))
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        auth_login(request, user)
        if user.needs_second_factor():
            return redirect(f"/login/second-factor/?next={_next_url(request, '/')}")
        return redirect(_next_url(request))
    return render(request, "web/login.html", {"form": form, "next": _next_url(request, "")})


def lockout_response(request, response=None, credentials=None):
    """django-axes calls this when an account is locked: a clear message, never a stack trace."""
    form = LoginForm(request)
    message = _("登录失败次数过多，账户已临时锁定。请30分钟后再试，或联系安全管理员解锁。")
    return render(request, "web/login.html", {"form": form, "locked": message}, status=403)


@login_required
def second_factor(request):
    """Verify the TOTP code; enrol a device first when the role requires one and none exists."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(
            user=user, confirmed=False
        ).first() or TOTPDevice.objects.create(user=user, name=_("身份验证器"), confirmed=False)
    form = TokenForm(request.POST or None)
    allowed, _why = device.verify_is_allowed()
    if request.method == "POST" and form.is_valid() and not allowed:
        form.add_error("token", _("尝试过于频繁，请稍候几秒再试"))
    elif request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit.record("auth.totp_enrolled", user=user, target=user)
            otp_login(request, device)
            return redirect(_next_url(request))
        audit.record("auth.second_factor", user=user, result="failure", target=user)
        form.add_error("token", _("验证码不正确或已过期"))
    context = {"form": form, "enrolling": enrolling, "next": _next_url(request, "")}
    if enrolling:
        context["qr_svg"] = segno.make(device.config_url, micro=False).svg_inline(scale=4)
        context["secret"] = _base32_secret(device)
    return render(request, "web/second_factor.html", context)


def _base32_secret(device):
    import base64

    return base64.b32encode(device.bin_key).decode()


@require_POST
def logout(request):
    auth_logout(request)
    messages.info(request, _("您已安全退出。"))
    return redirect("web:login")


@login_required
def home(request):
    from .context import home_panels

    return render(
        request,
        "web/home.html",
        {"roles": request.user.role_labels(), "panels": home_panels(request)},
    )


@login_required
def inbox(request):
    if request.method == "POST":
        notifications.mark_read(request.user)
        return redirect("web:inbox")
    page = Paginator(notifications.inbox(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "web/inbox.html", {"page": page})


@login_required
@permission_required("core.view_auditevent", raise_exception=True)
def audit_log(request):
    """The audit log on the shared list component (newest first, filters with counts, xlsx)."""
    rows = AuditEvent.objects.order_by("-at", "-id")
    options = {"filterset_class": AuditFilter}
    if wants_export(request):
        return export_list(
            request, AuditTable, rows, kind="audit", filename="audit-log.xlsx", **options
        )
    listing = staff_list(
        request, AuditTable, rows, facets=audit_facets(), exportable=True, **options
    )
    return render(
        request, "web/audit.html", {"listing": listing, "action": listing.query.get("action", "")}
    )


@login_required
@permission_required("org.approve_rolerequest", raise_exception=True)
def role_requests(request):
    """三员分立: the second person's view of role requests (leaders: inside their jurisdiction)."""
    rows = org_services.role_requests_for(request.user).prefetch_related("places", "stations")
    pending = [r for r in rows if r.state == RoleRequest.State.PENDING]
    decided = [r for r in rows if r.state != RoleRequest.State.PENDING][:50]
    return render(request, "web/role_requests.html", {"pending": pending, "decided": decided})


@login_required
@require_POST
def role_request_decide(request, pk):
    row = org_services.role_requests_for(request.user).filter(pk=pk).first()
    if row is None:
        raise Http404
    approve = request.POST.get("decision") == "approve"
    org_services.decide_role_request(
        row, actor=request.user, approve=approve, note=request.POST.get("note", "")
    )
    messages.success(request, _("已批准") if approve else _("已驳回"))
    return redirect("web:role_requests")


@login_required
@require_POST
def reveal(request, model_label, pk, field):
    """Reveal one personal-data field (HTMX fragment). Scope, permission and reason are checked
    and the reveal is audited by ``services.reveal``."""
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        raise Http404 from None
    if not hasattr(model.objects, "restrict"):
        raise Http404
    record = model.objects.restrict(request.user).filter(pk=pk).first()
    if record is None:
        raise Http404
    form = RevealForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("请填写查看原因（至少4个字）"), status=400)
    try:
        value = services.reveal(request.user, record, field, form.cleaned_data["reason"])
    except ServiceError as exc:
        return HttpResponse(exc.message, status=exc.status)
    return HttpResponse(value, content_type="text/plain; charset=utf-8")

"""The party's public status page (tracking code + last 4 phone digits)."""

from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from fengqiao.core.errors import NotFound
from fengqiao.core.models import TimelineEntry

from .. import services
from ..models import LEVELS, Agreement

# -- the party's status page (public) --------------------------------------------------------
PUBLIC_TRANSITIONS = {
    "register": gettext_lazy("已登记受理"),
    "start": gettext_lazy("开始调解"),
    "next_level": gettext_lazy("转下一级调解"),
    "hearing": gettext_lazy("召开听证"),
    "dispatch_joint": gettext_lazy("多部门联席调解"),
    "agree": gettext_lazy("达成调解协议"),
    "sign_agreement": gettext_lazy("调解协议书签署生效"),
    "apply_confirmation": gettext_lazy("已申请司法确认"),
    "record_confirmation": gettext_lazy("司法确认结果已记录"),
    "complete_performance": gettext_lazy("协议已履行"),
    "return_visit": gettext_lazy("回访，已办结"),
    "withdraw": gettext_lazy("已撤回"),
    "refer": gettext_lazy("已引导至其他途径解决"),
}


def track_start(request):
    code = request.GET.get("code", "").strip()
    if code:
        return redirect("disputes:track", code=code[:32])
    return render(request, "disputes/track.html", {"dispute": None, "ask": True})


@require_http_methods(["GET", "POST"])
def track(request, code):
    """A party follows their dispute with the tracking code and the last 4 digits of their phone.
    Shows the state and the public steps only: no notes, no personal data."""
    if request.method == "GET":
        return render(request, "disputes/track.html", {"code": code, "dispute": None})
    try:
        dispute = services.track(code, request.POST.get("last4", ""))
    except (NotFound, services.TooManyAttempts) as exc:
        response = render(
            request,
            "disputes/track.html",
            {"code": code, "dispute": None, "error": exc.message, "locked": exc.status == 429},
            status=exc.status,
        )
        if exc.status == 429:
            response["Retry-After"] = str(exc.details["retry_after"])
        return response
    steps = [
        {"at": e.at, "label": PUBLIC_TRANSITIONS[e.transition], "level": e.data.get("level")}
        for e in TimelineEntry.objects.filter(
            content_type__app_label="disputes", content_type__model="dispute", object_id=dispute.pk
        ).order_by("at", "id")
        if e.transition in PUBLIC_TRANSITIONS
    ]
    agreement = dispute.agreements.filter(state=Agreement.State.SIGNED).first()
    return render(
        request,
        "disputes/track.html",
        {
            "code": code,
            "dispute": dispute,
            "steps": steps,
            "agreement": agreement,
            "level_label": LEVELS.get(dispute.level),
        },
    )

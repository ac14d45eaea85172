"""Figures (moved to the command centre) and the mediator pools."""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fengqiao.core.authz import authorize, require_perm
from fengqiao.core.errors import ServiceError
from fengqiao.org.models import Place

from .. import services
from ..models import LEVELS, Dispute, MediatorPoolMember


def figures(request):
    """Moved to the command centre's figures (/insights/disputes/); old links keep working."""
    from fengqiao.insights.views import legacy_dispute_figures

    return legacy_dispute_figures(request)


@authorize(perm="disputes.view_mediatorpoolmember")
@require_http_methods(["GET", "POST"])
def pools(request):
    """Mediator pools of the places in my area, with each mediator's open workload; coordinators
    add or remove members."""
    places = Place.objects.restrict(request.user)
    status = 200
    if request.method == "POST":
        require_perm(request.user, "disputes.assign_dispute")
        try:
            services.set_pool_member(
                request.user,
                username=request.POST.get("username", ""),
                place=request.POST.get("place") or None,
                level=request.POST.get("level"),
                active=request.POST.get("active", "1") == "1",
                speciality=request.POST.get("speciality", ""),
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已保存"))
            return redirect("disputes:pools")
    rows = (
        MediatorPoolMember.objects.filter(place__in=places, active=True)
        .select_related("user", "place")
        .annotate(
            workload=Count(
                "user__disputes_mediating",
                filter=Q(user__disputes_mediating__state__in=Dispute.OPEN_STATES),
            )
        )
        .order_by("level", "place__path", "id")[:500]
    )
    return render(
        request,
        "disputes/pools.html",
        {
            "rows": rows,
            "levels": LEVELS,
            "places": places.filter(level__gte=Place.Level.TOWN)[:500],
            "form": request.POST,
        },
        status=status,
    )

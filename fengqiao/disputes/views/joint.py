"""联席调: dispatch, the task board, claim and complete."""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fengqiao.core.authz import authorize, require_perm
from fengqiao.core.errors import ServiceError
from fengqiao.org.models import Department

from .. import services
from ..actions import task_registry
from ..models import JointTask
from ._common import DISPUTES, TASKS


@authorize(DISPUTES, perm="disputes.view_dispute")
@require_http_methods(["GET", "POST"])
def joint_dispatch(request, dispute):
    """联席调: dispatch tasks to departments for a dispute at L5."""
    status = 200
    if request.method == "POST":
        require_perm(request.user, "disputes.coordinate_joint")
        depts = request.POST.getlist("department")
        texts = request.POST.getlist("task")
        dues = request.POST.getlist("due_at")
        tasks = [
            {"department": d, "task": t, "due_at": due}
            for d, t, due in zip(depts, texts, dues, strict=False)
            if d or t.strip()
        ]
        try:
            services.dispatch_joint_tasks(dispute, request.user, tasks)
        except ServiceError as exc:
            if exc.status == 404:
                raise Http404 from None
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已派单"))
            return redirect("disputes:joint_board")
    departments = Department.objects.filter(
        Q(places__path__in=dispute.place.ancestor_paths())
        | Q(place__path__in=dispute.place.ancestor_paths())
    ).distinct()
    return render(
        request,
        "disputes/joint_dispatch.html",
        {"dispute": dispute, "departments": departments, "rows": range(4), "form": request.POST},
        status=status,
    )


@authorize(perm="disputes.handle_joint_task")
def joint_board(request):
    """联席调 task board: dispatched / claimed / done columns, overdue marked."""
    tasks = list(services.visible_tasks(request.user).order_by("due_at", "id")[:300])
    columns = [
        (state, label, [t for t in tasks if t.state == state])
        for state, label in JointTask.State.choices
    ]
    return render(request, "disputes/joint_board.html", {"columns": columns, "now": timezone.now()})


@authorize(TASKS, pk="task_id")
@require_http_methods(["GET", "POST"])
def joint_task(request, task, action):
    """The board's 签收 / 反馈 forms, through ``disputes.actions.task_registry`` (which checks
    the action's permission); a GET (after the scope check) goes back to the board."""
    if action not in task_registry:
        raise Http404
    if request.method == "GET":
        return redirect("disputes:joint_board")
    try:
        task_registry.handle_form(request, task, action)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已保存"))
    return redirect("disputes:joint_board")

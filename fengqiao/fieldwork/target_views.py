"""The weekly visit target page (走访目标): per officer or per place, one week, with export; an
officer's page (the week's visits, eight weeks' history, setting the target). The figures come
from ``targets`` — the definition the command centre uses."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core.authz import authorize
from fengqiao.core.errors import NotFound, ServiceError
from fengqiao.core.exports import list_xlsx
from fengqiao.web.lists import wants_export

from . import targets

OFFICER_COLUMNS = (
    (gettext_lazy("民警"), "name"),
    (gettext_lazy("辖区"), lambda r: "、".join(r["places"])),
    (gettext_lazy("已走访（户）"), "done"),
    (gettext_lazy("目标（户）"), "target"),
    (gettext_lazy("完成率"), lambda r: "" if r["rate"] is None else f"{r['rate']:.0%}"),
)
PLACE_COLUMNS = (
    (gettext_lazy("地点"), "name"),
    (gettext_lazy("民警人数"), "officers"),
    (gettext_lazy("已走访（户）"), "done"),
    (gettext_lazy("目标（户）"), "target"),
    (gettext_lazy("完成率"), lambda r: "" if r["rate"] is None else f"{r['rate']:.0%}"),
)


class _Row(dict):
    """A dict whose keys also read as attributes (``core.exports`` accessors)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _percent(rate):
    return None if rate is None else min(100, round(rate * 100))


@authorize(perm="fieldwork.view_visit")
def targets_page(request):
    by = "place" if request.GET.get("by") == "place" else "officer"
    try:
        week = targets.parse_week(request.GET.get("week"))
        data = targets.board(request.user, week=week, place=request.GET.get("place", ""), by=by)
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        week = targets.Week.of()
        data = targets.board(request.user, week=week, by=by)
    rows = data["places"] if by == "place" else data["officers"]
    for row in rows:
        row["percent"] = _percent(row["rate"])
    if wants_export(request):
        return list_xlsx(
            request,
            [_Row(r) for r in rows],
            PLACE_COLUMNS if by == "place" else OFFICER_COLUMNS,
            kind="fieldwork.targets",
            filename=f"visit-targets-{week.start}.xlsx",
        )
    return render(
        request,
        "fieldwork/targets.html",
        {
            "data": data,
            "rows": rows,
            "by": by,
            "week": week,
            "previous": week.previous().start,
            "next": week.next().start if week.next().start <= targets.Week.of().start else None,
            "place": request.GET.get("place", ""),
            "percent": _percent(data["rate"]),
        },
    )


@authorize(perm="fieldwork.view_visit")
def target_detail(request, user_id):
    if request.method == "POST":
        try:
            targets.set_target(request.user, user_id, request.POST.get("weekly"))
        except NotFound:
            raise Http404 from None
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已更新每周走访目标"))
        return redirect("fieldwork:target", user_id=user_id)
    try:
        data = targets.officer(request.user, user_id, week=request.GET.get("week"))
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        data = targets.officer(request.user, user_id)
    for row in data["history"]:
        row["percent"] = _percent(row["rate"])
    return render(
        request,
        "fieldwork/target.html",
        {
            "data": data,
            "percent": _percent(data["rate"]),
            "can_set": request.user.has_perm("fieldwork.change_visittarget"),
        },
    )

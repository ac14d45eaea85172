"""Pages: the resident chat widget, and staff pages for answers, unanswered questions, alerts, hand-offs."""

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.core import exports
from fengqiao.core.authz import authorize, scoped
from fengqiao.core.errors import ServiceError
from fengqiao.core.throttle import client_ip
from fengqiao.org.models import Place
from fengqiao.web.lists import export_list, staff_list, wants_export

from . import services
from .actions import registry
from .engine import AI_LABEL, BASIS_PREFIX, FIXED_TEXTS
from .lists import (
    UNANSWERED_COLUMNS,
    AlertFilter,
    AlertTable,
    HandoffFilter,
    HandoffTable,
    alert_facets,
    handoff_facets,
)
from .models import Alert, AskedQuestion, Handoff, StandardAnswer

MAX_UPLOAD = 5 * 1024 * 1024


def _grid(code):
    return Place.objects.filter(code=code or "", level=Place.Level.GRID).first()


# ------------------------------------------------------------------------------------- residents


def _shown(answer: str) -> str:
    """The answer in the page's language: its fixed framing is translated (standard answers and law
    texts are Chinese content and stay so)."""
    for text in FIXED_TEXTS:
        answer = answer.replace(text, _(text))
    return answer.replace("\n" + BASIS_PREFIX, "\n" + _(BASIS_PREFIX))


def _places(grid):
    """The grids to pick from when the chat has no grid (the plain link), else nothing."""
    return [] if grid is not None else services.handoff_places()


def chat(request):
    grid = _grid(request.GET.get("grid"))
    return render(
        request,
        "assistant/chat.html",
        {"grid": grid, "ai_label": _(AI_LABEL)},
    )


@require_POST
def chat_ask(request):
    question = request.POST.get("question", "")
    services.CHAT.consume(client_ip(request))  # 429 (core.middleware) when over
    try:
        result = services.ask(question)
    except ServiceError as exc:
        return render(request, "assistant/_reply.html", {"error": exc.message}, status=400)
    # the grid code goes on to the hand-off form as given (checked there); without one the form
    # asks for the place
    grid_code = request.POST.get("grid", "")[:24]
    ctx = {
        "question": question,
        "result": result,
        "answer": _shown(result.answer),
        "ai_label": _(AI_LABEL),
        "grid": grid_code,
        "places": [] if grid_code else services.handoff_places(),
    }
    return render(request, "assistant/_reply.html", ctx)


@require_POST
def chat_handoff(request):
    """转人工. Without a grid (the plain chat link) the form asks for one; an error re-renders the
    form with its message (static/assistant/chat.js lets htmx show 4xx answers)."""
    grid = _grid(request.POST.get("grid"))
    question = request.POST.get("question", "")
    contact = request.POST.get("contact", "")
    services.HANDOFFS.consume(client_ip(request))
    try:
        handoff = services.request_handoff(question, grid, contact=contact)
    except ServiceError as exc:
        ctx = {
            "error": exc.message,
            "question": question,
            "contact": contact,
            "grid": grid.code if grid else "",
            "places": _places(grid),
        }
        return render(request, "assistant/_handoff.html", ctx, status=400)
    return render(request, "assistant/_handoff.html", {"ok": True, "handoff": handoff})


# ------------------------------------------------------------------------------------------ staff


# Alerts and hand-offs: the record in the user's jurisdiction (404 otherwise), via core.authz.
ALERTS = Alert.objects.select_related("place__parent")
HANDOFFS = Handoff.objects.select_related("place__parent")


def _linked_case(user, tracking_code):
    """The case a hand-off or alert became, when the user may open it (else only the code)."""
    from fengqiao.cases.models import Case

    if not tracking_code or not user.has_perm("cases.view_case"):
        return None
    return Case.objects.restrict(user).filter(tracking_code=tracking_code).first()


@authorize(perm="assistant.view_standardanswer")
def answers(request):
    qs = StandardAnswer.objects.select_related("category").order_by("category__path", "key")
    q = request.GET.get("q", "").strip()
    if q:
        qs = (
            qs.filter(question__icontains=q)
            | qs.filter(answer__icontains=q)
            | qs.filter(key__icontains=q)
        )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "assistant/answers.html", {"page": page, "q": q})


def _answer_form(obj) -> dict:
    """The edit form's values as strings (from the record, or empty for a new answer)."""
    if obj is None:
        return {"basis": "[]"}
    return {
        "id": obj.key,
        "category": obj.category.path,
        "question": obj.question,
        "paraphrases": "\n".join(obj.paraphrases),
        "answer": obj.answer,
        "basis": obj.basis_json,
        "valid_from": obj.valid_from.isoformat() if obj.valid_from else "",
        "valid_until": obj.valid_until.isoformat() if obj.valid_until else "",
    }


@authorize(perm="assistant.change_standardanswer")
def answer_edit(request, key=None):
    obj = StandardAnswer.objects.filter(key=key).select_related("category").first() if key else None
    if key and obj is None:
        raise Http404
    if request.method == "POST":
        form = {
            f: request.POST.get(f, "")
            for f in (
                "id",
                "category",
                "question",
                "paraphrases",
                "answer",
                "basis",
                "valid_from",
                "valid_until",
            )
        }
        if obj is not None:
            form["id"] = obj.key  # the key of an existing answer never changes
        data = {
            **{f: form[f] for f in ("id", "category", "question", "answer")},
            "paraphrases": [p for p in form["paraphrases"].splitlines() if p.strip()],
            "valid_from": form["valid_from"] or None,
            "valid_until": form["valid_until"] or None,
        }
        try:
            data["basis"] = json.loads(form["basis"] or "[]")
            services.save_answer(data, actor=request.user)
        except (ValueError, ServiceError) as exc:
            messages.error(request, getattr(exc, "message", _("法律依据须为JSON列表")))
            return render(
                request, "assistant/answer_form.html", {"obj": obj, "form": form}, status=400
            )
        messages.success(request, _("已保存"))
        return redirect("assistant:answers")
    return render(request, "assistant/answer_form.html", {"obj": obj, "form": _answer_form(obj)})


@authorize(perm="assistant.delete_standardanswer")
@require_POST
def answer_delete(request, key):
    obj = StandardAnswer.objects.filter(key=key).first()
    if obj is None:
        raise Http404
    services.delete_answer(obj, actor=request.user)
    return redirect("assistant:answers")


@authorize(perm="assistant.view_standardanswer")
def answers_export(request):
    fmt = request.GET.get("format", "jsonl")
    rows = services.export_entries()
    if fmt == "xlsx":
        return exports.xlsx_response(
            "standard_answers.xlsx",
            ["id", "category", "question", "paraphrases", "answer", "basis"],
            (
                [
                    e["id"],
                    e["category"],
                    e.get("question", ""),
                    "\n".join(e.get("paraphrases", [])),
                    e["answer"],
                    json.dumps(e.get("basis", []), ensure_ascii=False),
                ]
                for e in rows
            ),
            actor=request.user,
            kind="assistant.answers",
        )
    exports.audit_export(request.user, "assistant.answers", rows=len(rows), fmt="jsonl")
    body = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in rows)
    resp = HttpResponse(body, content_type="application/x-ndjson; charset=utf-8")
    resp["Content-Disposition"] = 'attachment; filename="standard_answers.jsonl"'
    return resp


def _xlsx_lines(upload):
    from openpyxl import load_workbook

    wb = load_workbook(upload, read_only=True)
    rows = wb.active.iter_rows(values_only=True)
    header = [str(h or "").strip() for h in next(rows, [])]
    for row in rows:
        item = dict(zip(header, row, strict=False))
        if not any(item.values()):
            continue
        item["paraphrases"] = [
            p for p in str(item.get("paraphrases") or "").splitlines() if p.strip()
        ]
        try:
            item["basis"] = json.loads(item.get("basis") or "[]")
        except ValueError:
            item["basis"] = "invalid"
        yield json.dumps(
            {k: v for k, v in item.items() if v not in (None, "")}, ensure_ascii=False, default=str
        )


@authorize(perm="assistant.add_standardanswer")
@require_POST
def answers_import(request):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择文件"))
        return redirect("assistant:answers")
    if upload.size > MAX_UPLOAD:
        messages.error(request, _("文件过大（上限5MB）"))
        return redirect("assistant:answers")
    name = upload.name.lower()
    try:
        if name.endswith(".xlsx"):
            lines = list(_xlsx_lines(upload))
        elif name.endswith((".jsonl", ".json", ".txt")):
            lines = upload.read().splitlines()
        else:
            raise ValueError
    except Exception:  # noqa: BLE001 - any unreadable upload is one clear message
        messages.error(request, _("文件类型不支持或已损坏：请上传 .jsonl 或 .xlsx"))
        return redirect("assistant:answers")
    results = services.import_kb_lines(lines, actor=request.user)
    errors = [r for r in results if r["status"] == "error"]
    messages.success(request, _("导入成功 %(n)d 条") % {"n": len(results) - len(errors)})
    for r in errors[:20]:
        messages.error(request, _("第%(line)d行：%(error)s") % r)
    return redirect("assistant:answers")


@authorize(perm="assistant.view_askedquestion")
def unanswered(request):
    qs = AskedQuestion.objects.filter(resolved=False).order_by("group", "-count")
    if wants_export(request):
        return exports.list_xlsx(
            request, qs, UNANSWERED_COLUMNS, kind="assistant.unanswered", filename="unanswered.xlsx"
        )
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    return render(request, "assistant/unanswered.html", {"page": page})


@authorize(perm="assistant.view_alert")
def alerts(request):
    """群消息预警 on the shared list component; opens on the alerts still to handle."""
    if "status" not in request.GET:
        request.GET = request.GET.copy()
        request.GET["status"] = Alert.Status.OPEN
    rows = (
        Alert.objects.restrict(request.user).select_related("place").order_by("-created_at", "-id")
    )
    if wants_export(request):
        return export_list(
            request,
            AlertTable,
            rows,
            filterset_class=AlertFilter,
            kind="assistant.alerts",
            filename="alerts.xlsx",
        )
    listing = staff_list(
        request,
        AlertTable,
        rows,
        filterset_class=AlertFilter,
        facets=alert_facets(),
        exportable=True,
    )
    return render(
        request, "assistant/alerts.html", {"listing": listing, "status": request.GET["status"]}
    )


def _alert_context(request, alert):
    return {
        "alert": alert,
        "case": _linked_case(request.user, alert.case_ref),
        "actions": registry.available(alert, request.user),
    }


@authorize(ALERTS, perm="assistant.view_alert")
def alert_detail(request, alert):
    return render(request, "assistant/alert_detail.html", _alert_context(request, alert))


@authorize(ALERTS, perm="assistant.view_alert")
@require_http_methods(["GET", "POST"])
def alert_act(request, alert, name):
    """The alert page's buttons post here (``assistant.actions.registry``: permission, input,
    service); a GET (after the scope check) goes back to the page. A refusal shows on the page
    with its status."""
    if request.method == "GET":
        return redirect("assistant:alert", pk=alert.pk)
    try:
        alert = registry.handle_form(request, alert, name)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
        alert = scoped(ALERTS, request.user, alert.pk)
        context = _alert_context(request, alert)
        return render(request, "assistant/alert_detail.html", context, status=exc.status)
    if name == "to_case":
        case = _linked_case(request.user, alert.case_ref)
        messages.success(
            request, _("已转为事件 %(ref)s") % {"ref": case.number if case else alert.case_ref}
        )
    else:
        messages.success(request, _("已保存"))
    return redirect("assistant:alert", pk=alert.pk)


@authorize(perm="assistant.view_handoff")
def handoffs(request):
    """转人工咨询 on the shared list component (newest first), filters with counts, xlsx."""
    rows = (
        Handoff.objects.restrict(request.user)
        .select_related("place")
        .order_by("-created_at", "-id")
    )
    if wants_export(request):
        return export_list(
            request,
            HandoffTable,
            rows,
            filterset_class=HandoffFilter,
            kind="assistant.handoffs",
            filename="handoffs.xlsx",
        )
    listing = staff_list(
        request,
        HandoffTable,
        rows,
        filterset_class=HandoffFilter,
        facets=handoff_facets(),
        exportable=True,
    )
    return render(request, "assistant/handoffs.html", {"listing": listing})


def _reply_sms(handoff):
    """The text messages the resident was sent about this hand-off's 咨询 case (queued / sent /
    failed): shown to whoever sees the hand-off, the number masked (``core.sms.for_target``)."""
    from fengqiao.cases.models import Case
    from fengqiao.core import sms

    if not handoff.case_ref:
        return []
    case = Case.objects.filter(tracking_code=handoff.case_ref).only("pk").first()
    return sms.for_target(case) if case is not None else []


def _handoff_context(request, handoff):
    from fengqiao.cases.views import can_retry_sms

    case = _linked_case(request.user, handoff.case_ref)
    return {
        "handoff": handoff,
        "case": case,
        "sms_notes": _reply_sms(handoff),
        "can_retry_sms": case is not None and can_retry_sms(request.user),
        "sms_next": request.path,
        "can_reveal": request.user.has_perm("core.reveal_personal_data"),
        "ai_label": _(AI_LABEL),
        "actions": registry.available(handoff, request.user),
    }


@authorize(HANDOFFS, perm="assistant.view_handoff")
def handoff_detail(request, handoff):
    return render(request, "assistant/handoff_detail.html", _handoff_context(request, handoff))


@authorize(HANDOFFS, perm="assistant.view_handoff")
@require_http_methods(["GET", "POST"])
def handoff_act(request, handoff, name):
    """The hand-off page's reply form posts here (``assistant.actions.registry``); a GET (after
    the scope check) goes back to the page; a refusal shows on the page with its status."""
    if request.method == "GET":
        return redirect("assistant:handoff", pk=handoff.pk)
    try:
        registry.handle_form(request, handoff, name)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
        handoff = scoped(HANDOFFS, request.user, handoff.pk)
        context = _handoff_context(request, handoff)
        context["reply"] = request.POST.get("reply", "")
        return render(request, "assistant/handoff_detail.html", context, status=exc.status)
    messages.success(request, _("已答复"))
    return redirect("assistant:handoff", pk=handoff.pk)

"""Agreements: draft/revise, preview, documents, signing, hearing minutes, verification."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fengqiao.core.authz import authorize, require_perm
from fengqiao.core.errors import ServiceError

from .. import services
from ..models import Agreement, Dispute
from ._common import AGREEMENTS, DISPUTES, HEARINGS


@authorize(DISPUTES, perm="disputes.view_dispute")
@require_http_methods(["GET", "POST"])
def agreement_edit(request, dispute):
    """Draft the agreement of an agreed dispute, or edit it (a signed one becomes a new version)."""
    current = (
        dispute.agreements.filter(state=Agreement.State.DRAFT).first()
        or dispute.agreements.filter(state=Agreement.State.SIGNED).first()
    )
    initial = services._agreement_fields(services.agreement_content(current)) if current else {}
    if not initial:
        initial = {
            "facts": dispute.facts,
            "issues": dispute.claims,
            "responsibilities": "",
            "terms": [],
            "performance_manner": "",
        }
    status = 200
    if request.method == "POST":
        require_perm(request.user, "disputes.mediate_dispute")
        post = request.POST
        terms = [
            {"text": t, "due_on": d}
            for t, d in zip(post.getlist("term_text"), post.getlist("term_due"), strict=False)
        ]
        fields = {
            "facts": post.get("facts", ""),
            "issues": post.get("issues", ""),
            "responsibilities": post.get("responsibilities", ""),
            "terms": terms,
            "performance_manner": post.get("performance_manner", ""),
        }
        try:
            if current is not None:
                agreement, is_new = services.revise_agreement(current, request.user, **fields)
            else:
                agreement, is_new = services.draft_agreement(dispute, request.user, **fields), False
        except ServiceError as exc:
            if exc.status == 404:
                raise Http404 from None
            messages.error(request, exc.message)
            status = exc.status
            initial = fields
        else:
            if is_new:
                messages.info(
                    request,
                    _("已签署的协议书不能修改，已生成新版本 %(n)s（第%(v)s版），签署后取代原协议")
                    % {"n": agreement.number, "v": agreement.version},
                )
            else:
                messages.success(request, _("调解协议书已生成：%(n)s") % {"n": agreement.number})
            return redirect("disputes:agreement", agreement_id=agreement.pk)
    terms = list(initial.get("terms") or [])
    terms += [{"text": "", "due_on": ""}] * max(1, 4 - len(terms))
    return render(
        request,
        "disputes/agreement_form.html",
        {"dispute": dispute, "initial": initial, "terms": terms, "current": current},
        status=status,
    )


@authorize(AGREEMENTS, perm="disputes.view_dispute", pk="agreement_id")
def agreement(request, item):
    """Preview: the document's parts in HTML, with the number, version, state and code."""
    content = services.agreement_content(item)
    # The preview shows the parties masked; the clear values only go into the audited documents.
    masked = []
    for party in content.get("parties", []):
        masked.append(
            {
                **party,
                "name": services.pii.mask(party.get("name", ""), "name"),
                "id_number": services.pii.mask(party.get("id_number", ""), "id_number"),
                "phone": services.pii.mask(party.get("phone", ""), "phone"),
                "address": services.pii.mask(party.get("address", ""), "text"),
            }
        )
    can_sign = (
        item.state == Agreement.State.DRAFT
        and request.user.has_perm("disputes.mediate_dispute")
        and Dispute.objects.restrict(request.user, "change").filter(pk=item.dispute_id).exists()
    )
    return render(
        request,
        "disputes/agreement.html",
        {
            "agreement": item,
            "content": content,
            "parties": masked,
            "code": services.short_code(item.integrity_code),
            "can_sign": can_sign,
            "versions": item.dispute.agreements.order_by("-version"),
        },
    )


@authorize(AGREEMENTS, perm="disputes.view_dispute", pk="agreement_id")
def agreement_download(request, item, fmt):
    """The docx/PDF with the parties' clear names: permission and audit in
    ``services.document_for`` (a refusal is a 403 page)."""
    if fmt not in ("docx", "pdf"):
        raise Http404
    data = services.document_for(item, request.user, fmt)
    content_type = (
        "application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{item.number}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


@authorize(HEARINGS, perm="disputes.view_dispute", pk="hearing_id")
def hearing_minutes(request, hearing, fmt):
    """听证笔录 with the participants' clear names: audited (services.hearing_minutes_document)."""
    if fmt not in ("docx", "pdf"):
        raise Http404
    data = services.hearing_minutes_document(hearing, request.user, fmt)
    content_type = (
        "application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response = HttpResponse(data, content_type=content_type)
    name = f"{hearing.attempt.dispute.number}-hearing-{hearing.pk}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@authorize(AGREEMENTS, pk="agreement_id")
@require_http_methods(["GET", "POST"])
def agreement_sign(request, item):
    """Sign (the permission is the service's: ``disputes.mediate_dispute`` on the change scope)."""
    if request.method == "GET":
        return redirect("disputes:agreement", agreement_id=item.pk)
    try:
        services.sign_agreement(item, request.user)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
        return redirect("disputes:agreement", agreement_id=item.pk)
    messages.success(request, _("协议已签署生效，司法确认30日期限、履行跟踪与回访已开始计时"))
    return redirect("disputes:detail", pk=item.dispute_id)


@authorize(perm="disputes.verify_agreement")
@require_http_methods(["GET", "POST"])
def verify(request):
    """Staff check a printed agreement: number + integrity code."""
    result = None
    if request.method == "POST":
        result = services.verify_agreement(
            request.user, request.POST.get("number", ""), request.POST.get("code", "")
        )
    return render(request, "disputes/verify.html", {"result": result, "form": request.POST})

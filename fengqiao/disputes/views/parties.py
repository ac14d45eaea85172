"""Edit a party (当事人) at any stage of the dispute: the page behind each party's 修改 link."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fengqiao.core.authz import authorize
from fengqiao.core.errors import ServiceError

from .. import services
from ..models import Party
from ._common import DISPUTES

# Personal data is never put back into the form in clear: these inputs start empty, show the
# masked value as a hint, and an empty input leaves the stored value as it is.
ENCRYPTED_INPUTS = (
    "name",
    "id_number",
    "phone",
    "address",
    "legal_representative",
    "representative",
)
PLAIN_INPUTS = ("kind", "side", "gender", "representative_relation")


@authorize(DISPUTES, perm="disputes.view_dispute", action="change")
@require_http_methods(["GET", "POST"])
def party_edit(request, dispute, party_id):
    party = dispute.parties.filter(pk=party_id).first()
    if party is None:
        raise Http404
    values = {f: getattr(party, f) for f in PLAIN_INPUTS}
    status = 200
    error_field = ""
    if request.method == "POST":
        post = request.POST
        fields = {f: post.get(f, "") for f in PLAIN_INPUTS if f in post}
        fields.update({f: post[f] for f in ENCRYPTED_INPUTS if post.get(f, "").strip()})
        for f in ENCRYPTED_INPUTS:  # an explicit "clear this" box for the optional ones
            if f != "name" and f not in fields and post.get(f"clear_{f}"):
                fields[f] = ""
        try:
            services.update_party(party, request.user, **fields)
        except ServiceError as exc:
            if exc.status == 404:
                raise Http404 from None
            messages.error(request, exc.message)
            status = exc.status
            error_field = (exc.details or {}).get("field", "")
            values = {**values, **{f: post.get(f, "") for f in PLAIN_INPUTS if f in post}}
            entered = {f: post.get(f, "") for f in ENCRYPTED_INPUTS}
        else:
            messages.success(request, _("当事人信息已保存"))
            return redirect(reverse("disputes:detail", args=[dispute.pk]) + "#parties")
    else:
        entered = {}
    return render(
        request,
        "disputes/party_form.html",
        {
            "dispute": dispute,
            "party": party,
            "values": values,
            "entered": entered,
            "error_field": error_field,
            "missing": services.missing_for_agreement(party),
            "kinds": Party.Kind.choices,
            "sides": Party.Side.choices,
        },
        status=status,
    )

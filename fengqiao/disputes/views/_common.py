"""Helpers shared by the disputes pages: the scoped fetches (404 out of scope)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from fengqiao.core.errors import NotFound

from .. import services


def _perm(user, perm):
    if not user.has_perm(perm):
        raise PermissionDenied


def _dispute(request, pk, action="view"):
    try:
        return services.get_dispute(request.user, pk, action)
    except NotFound:
        raise Http404 from None


def _agreement_or_404(request, agreement_id, action="view"):
    try:
        return services.get_agreement(request.user, agreement_id, action)
    except NotFound:
        raise Http404 from None

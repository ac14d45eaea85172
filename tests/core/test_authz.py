"""core.authz: one entrance check for pages and API operations — login, then permission (403),
then jurisdiction (404, the same answer as an unknown id)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from fengqiao.core.authz import AnyOf, authorize, authorize_api
from fengqiao.core.errors import Forbidden, NotFound
from tests.kernelapp.models import Ticket

pytestmark = pytest.mark.django_db


@authorize(Ticket, perm="cases.view_case")
def ticket_view(request, ticket):
    return ticket


@authorize(perm=AnyOf("cases.dispatch_case", "disputes.assign_dispute"))
def console(request):
    return "console"


def _request(user):
    request = RequestFactory().get("/tickets/1/")
    request.user = user
    return request


def test_page_in_scope_gets_the_record(county, users):
    ticket = Ticket.objects.create(title="t", place=county.grid_a)
    assert ticket_view(_request(users["grid_worker"]), pk=ticket.pk) == ticket


def test_page_out_of_scope_is_404_like_an_unknown_id(county, users_b):
    ticket = Ticket.objects.create(title="t", place=county.grid_a)
    with pytest.raises(NotFound) as out_of_scope:
        ticket_view(_request(users_b["grid_worker"]), pk=ticket.pk)
    with pytest.raises(NotFound) as unknown:
        ticket_view(_request(users_b["grid_worker"]), pk=ticket.pk + 1000)
    assert out_of_scope.value.message == unknown.value.message
    with pytest.raises(NotFound):
        ticket_view(_request(users_b["grid_worker"]), pk="not-a-number")


def test_page_without_the_permission_is_403_even_in_scope(county, users):
    ticket = Ticket.objects.create(title="t", place=county.grid_a)
    # the system admin has no business permission (三员分立)
    with pytest.raises(Forbidden):
        ticket_view(_request(users["system_admin"]), pk=ticket.pk)


def test_page_anonymous_goes_to_login(county):
    response = ticket_view(_request(AnonymousUser()), pk=1)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert "next=/tickets/1/" in response["Location"]


def test_any_of_needs_one_permission(users):
    assert console(_request(users["dispatcher"])) == "console"
    with pytest.raises(Forbidden):
        console(_request(users["grid_worker"]))


def test_api_helper(county, users, users_b):
    ticket = Ticket.objects.create(title="t", place=county.grid_a)
    assert authorize_api(_request(users["grid_worker"]), Ticket, ticket.pk, perm="cases.view_case")
    with pytest.raises(NotFound):
        authorize_api(_request(users_b["grid_worker"]), Ticket, ticket.pk, perm="cases.view_case")
    with pytest.raises(Forbidden):
        authorize_api(_request(users["system_admin"]), Ticket, ticket.pk, perm="cases.view_case")
    # a queryset works the same way (select_related etc.)
    qs = Ticket.objects.select_related("place")
    assert authorize_api(_request(users["grid_worker"]), qs, ticket.pk).place == county.grid_a


def test_assignment_scope_counts(county, users_b):
    """A record assigned to a user outside its place is in that user's scope."""
    ticket = Ticket.objects.create(title="t", place=county.grid_a, assignee=users_b["grid_worker"])
    assert ticket_view(_request(users_b["grid_worker"]), pk=ticket.pk) == ticket

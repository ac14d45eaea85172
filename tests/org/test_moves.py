"""Places that move (org.moves): a new parent or a new code rewrites the subtree's paths and every
stored copy of them, so records stay with their place and jurisdictions follow."""

import pytest
from django.core.management import CommandError, call_command

from fengqiao.cases.models import Case
from fengqiao.core.audit import AuditEvent
from fengqiao.core.errors import Conflict, Forbidden, ServiceError
from fengqiao.core.models import Deadline
from fengqiao.disputes.models import Dispute
from fengqiao.org import moves
from fengqiao.org.models import Place
from fengqiao.risks.models import Risk
from tests.cases.scoping_cases import make_case
from tests.conftest import login
from tests.disputes.scoping_cases import _make as make_dispute
from tests.risks.scoping_cases import _risk as make_risk
from tests.test_scoping_matrix import ENDPOINTS, assert_b_hidden_from, sides, someone_lists


def _visible(user):
    return {
        "case": set(Case.objects.restrict(user).values_list("pk", flat=True)),
        "dispute": set(Dispute.objects.restrict(user).values_list("pk", flat=True)),
        "risk": set(Risk.objects.restrict(user).values_list("pk", flat=True)),
    }


def _records(grid, users):
    return {"case": make_case(grid, users), "dispute": make_dispute(grid, users)}


@pytest.fixture
def grid_b_records(county, users_b):
    made = _records(county.grid_b, users_b)
    made["risk"] = make_risk(county.grid_b, users_b)
    return made


def _ids(made):
    return {kind: {made[kind].pk} for kind in made}


def test_path_copies_are_found_in_every_app():
    labels = {f"{m._meta.label_lower}.{f}" for m, f in moves.path_copies()}
    for expected in (
        "org.place.path",
        "cases.case.place_path",
        "cases.supervisioncard.place_path",
        "disputes.dispute.place_path",
        "risks.risk.place_path",
        "core.deadline.place_path",
        "insights.caseday.place_path",
        "registry.importjob.place_path",
    ):
        assert expected in labels


def test_moved_grid_goes_with_its_records_to_the_new_village(
    county, make_user, admin_user, grid_b_records
):
    old_staff = make_user("community_officer", places=[county.village])
    new_staff = make_user("community_officer", places=[county.other_village])
    ids = _ids(grid_b_records)
    assert all(_visible(old_staff)[k] >= ids[k] for k in ids)

    moves.move_place(county.grid_b, county.other_village, admin_user)

    grid_b = Place.objects.get(pk=county.grid_b.pk)
    assert grid_b.parent_id == county.other_village.pk
    assert grid_b.path == f"{county.other_village.path}{grid_b.code}/"
    new_staff, old_staff = (type(u).objects.get(pk=u.pk) for u in (new_staff, old_staff))
    assert all(_visible(new_staff)[k] >= ids[k] for k in ids)
    assert all(not (_visible(old_staff)[k] & ids[k]) for k in ids)
    case = grid_b_records["case"]
    deadlines = Deadline.objects.filter(object_id=case.pk, content_type__model="case")
    assert deadlines and {d.place_path for d in deadlines} == {grid_b.path}


def test_the_village_staff_see_it_in_their_pages(client, county, make_user, admin_user, users_b):
    case = make_case(county.grid_b, users_b)
    new_staff = make_user("dispatcher", places=[county.other_village])
    old_staff = make_user("dispatcher", places=[county.village])
    moves.move_place(county.grid_b, county.other_village, admin_user)
    login(client, new_staff)
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 200
    login(client, old_staff)
    assert client.get(f"/cases/{case.pk}/").status_code == 404


def test_recoding_a_village_rewrites_its_whole_subtree(county, make_user, admin_user, users):
    made = _records(county.grid_a, users)
    staff = make_user("community_officer", places=[county.village])

    moves.recode_place(county.village, "339901001099", admin_user)

    village = Place.objects.get(pk=county.village.pk)
    assert village.code == "339901001099"
    assert village.path == f"{county.town.path}339901001099/"
    for grid in Place.objects.filter(parent=village):
        assert grid.path == f"{village.path}{grid.code}/"
    assert Case.objects.get(pk=made["case"].pk).place_path == f"{village.path}339901001001001/"
    assert all(_visible(staff)[k] >= {made[k].pk} for k in made)
    event = AuditEvent.objects.filter(action="place.recode").get()
    assert event.data["from"] == county.village.path and event.data["to"] == village.path
    assert event.data["rows"]["cases.case.place_path"] == 1


def _snapshot():
    return sorted(Place.objects.values_list("code", "path")), sorted(
        Case.objects.values_list("pk", "place_path")
    )


def test_a_code_clash_is_a_clear_error_and_nothing_changes(county, admin_user, users):
    make_case(county.grid_a, users)
    before = _snapshot()
    with pytest.raises(Conflict) as caught:
        moves.recode_place(county.grid_a, county.grid_b.code, admin_user)
    assert county.grid_b.code in caught.value.message
    assert caught.value.code == "code_taken"
    assert _snapshot() == before
    assert not AuditEvent.objects.filter(action__startswith="place.").exists()


@pytest.mark.parametrize(
    "attempt, code",
    [
        (lambda c, u: moves.move_place(c.village, c.grid_a, u), "invalid_parent"),
        (lambda c, u: moves.move_place(c.grid_a, c.town, u), "invalid_level"),
        (lambda c, u: moves.move_place(c.grid_a, c.village, u), "unchanged"),
        (lambda c, u: moves.recode_place(c.grid_a, "a/b", u), "invalid_code"),
        (lambda c, u: moves.recode_place(c.grid_a, "", u), "invalid_code"),
    ],
)
def test_impossible_moves_are_refused(county, admin_user, attempt, code):
    before = _snapshot()
    with pytest.raises(ServiceError) as caught:
        attempt(county, admin_user)
    assert caught.value.code == code
    assert _snapshot() == before


def test_only_whoever_keeps_the_place_tree_may_move(county, users):
    with pytest.raises(Forbidden):
        moves.move_place(county.grid_b, county.other_village, users["leader"])
    moves.move_place(county.grid_b, county.other_village, users["system_admin"])


@pytest.fixture
def admin_user(users):
    return users["system_admin"]


def test_command_line(county):
    call_command("place", "move", county.grid_b.code, "--to", county.other_village.code)
    assert Place.objects.get(pk=county.grid_b.pk).parent_id == county.other_village.pk
    call_command("place", "recode", county.grid_b.code, "X1")
    assert Place.objects.get(code="X1").path == f"{county.other_village.path}X1/"
    with pytest.raises(CommandError, match="X1"):
        call_command("place", "recode", county.grid_a.code, "X1")
    assert AuditEvent.objects.filter(action="place.move", data__via="cli").exists()


def test_admin_shows_code_and_parent_read_only_and_moves_on_its_own_page(
    client, county, admin_user
):
    login(client, admin_user)
    url = f"/admin/org/place/{county.grid_b.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="code"' not in page and 'name="parent"' not in page
    assert f"/admin/org/place/{county.grid_b.pk}/move/" in page
    client.post(url, {"name": "改名网格"})
    grid_b = Place.objects.get(pk=county.grid_b.pk)
    assert grid_b.name == "改名网格" and grid_b.parent_id == county.village.pk

    move = f"/admin/org/place/{county.grid_b.pk}/move/"
    refused = client.post(move, {"parent_code": "", "code": county.grid_a.code})
    assert refused.status_code == 200 and county.grid_a.code in refused.content.decode()
    done = client.post(move, {"parent_code": county.other_village.code, "code": "G9"})
    assert done.status_code == 302
    assert Place.objects.get(pk=county.grid_b.pk).path == f"{county.other_village.path}G9/"


# -- the scoping matrix still holds after places moved ------------------------------------------
SLICE_ROLES = ("grid_worker", "community_officer", "dispatcher", "leader", "department_staff")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_scoping_matrix_holds_after_a_move_and_a_recode(
    client, county, users, users_b, make_user, endpoint
):
    place_a, users, place_b, users_b = sides(endpoint, county, users, users_b, make_user)
    record_a = endpoint.make(place_a, users)
    record_b = endpoint.make(place_b, users_b)

    moves.move_place(county.grid_b, county.other_village, users["system_admin"])
    moves.recode_place(county.village, "339901001077", users["system_admin"])

    assert someone_lists(client, users, endpoint, record_a), "A's own staff lost A's record"
    assert someone_lists(client, users_b, endpoint, record_b), "B's own staff lost B's record"
    for role in SLICE_ROLES:
        assert_b_hidden_from(client, users[role], role, endpoint, record_a, record_b)
        assert_b_hidden_from(client, users_b[role], role, endpoint, record_b, record_a)


def test_a_stale_copy_saved_after_a_move_keeps_the_new_path(county, admin_user, users_b):
    """A record read before a move and saved whole afterwards (its ``place_path`` and place in
    memory are the old ones) does not write the old path back: the database sets it from the
    place (org.pathguard), on SQLite and PostgreSQL alike."""
    case = make_case(county.grid_b, users_b)
    stale = Case.objects.select_related("place").get(pk=case.pk)
    moves.recode_place(county.village, "FX9", admin_user)
    stale.description = "saved after the move"
    stale.save()
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.place_path == Place.objects.get(pk=county.grid_b.pk).path
    assert "/FX9/" in fresh.place_path and fresh.description == "saved after the move"

"""Integration keys with their own role and place (issue 15): the same key works on the JSON API
and on Open311, scoped like a staff member holding that role there; a key without a role is
refused by the JSON API with a clear 403."""

import json

import pytest
from django.core.management import CommandError, call_command

from fengqiao.cases.models import Case
from fengqiao.core.models import ApiKey
from fengqiao.core.services import authenticate_api_key

from ..cases.helpers import make_case


def create(capsys, name, *args):
    call_command("apikey", "create", name, *args)
    return capsys.readouterr().out.strip().splitlines()[-1]


def case_body(grid="339901001001001", client_id="key-00000001"):
    return json.dumps(
        {
            "client_id": client_id,
            "category": "noise",
            "grid": grid,
            "description": "广场舞音响太吵",
            "reporter_phone": "13600001111",
            "source": "api",
        }
    )


def api_post(client, key, body):
    return client.post(
        "/api/v1/cases/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )


def open311_post(client, key, grid="339901001001001"):
    data = {"api_key": key, "service_code": "cityscape", "address_string": "南门口",
            "attribute[grid]": grid, "description": "路灯不亮", "phone": "13512345678"}  # fmt: skip
    return client.post("/open311/v2/requests.json", data)


def test_key_with_role_and_place_works_on_both_apis(client, county, capsys):
    key = create(capsys, "town-hotline", "--role", "dispatcher", "--place", county.village.code)
    row = ApiKey.objects.get(name="town-hotline")
    assert row.role == "dispatcher" and row.place == county.village

    created = api_post(client, key, case_body())
    assert created.status_code == 201, created.content
    case = Case.objects.get(pk=created.json()["id"])
    assert case.source == "api" and case.created_by == row.user

    # out of the key's place (grid C is in another village): 404 like any out-of-scope grid
    outside = api_post(client, key, case_body(grid=county.grid_c.code, client_id="key-00000002"))
    assert outside.status_code == 404, outside.content

    # reads are scoped to the key's place
    make_case(county.grid_c)
    ids = {row["id"] for row in client.get(
        "/api/v1/cases/", HTTP_AUTHORIZATION=f"Bearer {key}").json()["items"]}  # fmt: skip
    assert ids == {case.pk}

    assert open311_post(client, key).status_code == 201
    refused = open311_post(client, key, grid=county.grid_c.code)
    assert refused.status_code == 403
    assert "辖区" in refused.json()[0]["description"]


def test_key_without_role_is_open311_only_and_api_says_why(client, county, capsys):
    key = create(capsys, "plain")
    assert open311_post(client, key).status_code == 201
    refused = api_post(client, key, case_body())
    assert refused.status_code == 403, refused.content
    error = refused.json()["error"]
    assert error["code"] == "forbidden"
    assert "plain" in error["message"] and "--role" in error["message"]
    assert "cases.add_case" in error["message"]
    assert Case.objects.filter(source="api").count() == 0


def test_key_role_replaces_the_account_roles(county, users, capsys):
    """A key acting as a dispatcher's account but given the grid-worker role in grid B has the
    grid worker's permissions in grid B only."""
    create(capsys, "narrow", "--user", users["dispatcher"].username, "--role", "grid_worker",
           "--place", county.grid_b.code)  # fmt: skip
    row = ApiKey.objects.get(name="narrow")
    from fengqiao.core.services import key_principal

    user = key_principal(row)
    assert user.has_perm("cases.add_case") and not user.has_perm("cases.dispatch_case")
    assert user.covers(county.grid_b) and not user.covers(county.grid_a)
    assert set(Case.objects.restrict(user)) == set()
    in_b = make_case(county.grid_b)
    make_case(county.grid_a)
    assert list(Case.objects.restrict(user)) == [in_b]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--role", "dispatcher"], "--place"),
        (["--role", "system_admin", "--place", "339901"], "业务角色"),
        (["--role", "wizard"], "业务角色"),
        (["--place", "nowhere"], "no such place"),
    ],
)
def test_bad_role_or_place_is_refused(county, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("apikey", "create", "bad", *args)
    assert not ApiKey.objects.filter(name="bad").exists()


def test_authentication_costs_one_query_and_no_permission_queries(
    county, capsys, django_assert_num_queries
):
    key = create(capsys, "fast", "--role", "dispatcher", "--place", county.county.code)
    authenticate_api_key(key)  # first use stamps last_used_at
    with django_assert_num_queries(1):
        user = authenticate_api_key(key).user
        assert user.has_perm("cases.add_case") and user.scope_paths() == (county.county.path,)

"""一张图: the layers a user may see, overdue marking, the grid card, big-screen mode, escaping."""

import json
from datetime import timedelta

from django.utils import timezone

from fengqiao.cases.models import Case
from fengqiao.insights import maps, services
from fengqiao.org.models import Place
from tests.cases.helpers import claimed, make_case
from tests.conftest import login


def test_layers_for_a_dispatcher(county, users, users_b):
    late = claimed(county.grid_a, users, county)
    Case.objects.filter(pk=late.pk).update(next_due_at=timezone.now() - timedelta(hours=1))
    on_time = claimed(county.grid_a, users, county, code="safety_fire")
    make_case(county.grid_b)  # another grid: never on grid A's map
    data = maps.layers(users["dispatcher"], services.period(None, None))
    assert [p["name"] for p in data["places"]] == [county.grid_a.name]
    cases = {c["id"]: c for c in data["cases"]}
    assert set(cases) == {late.pk, on_time.pk}
    assert cases[late.pk]["overdue"] and not cases[on_time.pk]["overdue"]
    assert cases[on_time.pk]["urgency"] == "urgent"
    # No coordinates: at the grid's centre, spread apart.
    assert len({(c["lat"], c["lng"]) for c in data["cases"]}) == 2
    assert data["totals"] == {"cases": 2, "overdue": 1, "disputes": 0, "red_risks": 0}
    assert data["heat"]["categories"] and len(data["heat"]["points"]) == 2
    assert data["stations"] == []  # the post serves the village, not on a grid user's map


def test_a_layer_needs_its_permission(county, users):
    data = maps.layers(users["community_officer"], services.period(None, None))
    assert "cases" in data and "disputes" in data and "risks" in data
    leader = maps.layers(users["leader"], services.period(None, None))
    assert "units" not in leader or isinstance(leader["units"], list)


def test_map_page_and_json(client, county, users):
    login(client, users["dispatcher"])
    page = client.get("/insights/map/").content.decode()
    assert 'id="map-config"' in page and "insights/map.js" in page
    assert "<script>" not in page  # configuration as json_script only
    config = json.loads(
        page.split('id="map-config" type="application/json">')[1].split("</script>")[0]
    )
    assert config["layers_url"].startswith("/insights/map/layers.json?") and not config["screen"]
    screen = client.get("/insights/map/?screen=1").content.decode()
    assert '"screen": true' in screen
    layers = client.get(config["layers_url"]).json()
    assert layers["places"][0]["code"] == county.grid_a.code
    login(client, users["grid_worker"])
    assert client.get("/insights/map/").status_code == 403
    assert client.get("/insights/map/layers.json").status_code == 403


def test_grid_card(client, county, users):
    claimed(county.grid_a, users, county)
    login(client, users["community_officer"])
    card = client.get(f"/insights/map/places/{county.grid_a.pk}.json").json()
    assert card["name"] == county.grid_a.name and card["counts"]["open_cases"] == 1
    roles = {p["role"] for p in card["people_in_charge"]}
    assert roles == {"grid_worker", "community_officer"}
    assert client.get(f"/insights/map/places/{county.grid_b.pk}.json").status_code == 404


def test_names_reach_the_page_as_data_only(client, county, users):
    Place.objects.filter(pk=county.grid_a.pk).update(name='<img src=x onerror="alert(1)">')
    login(client, users["dispatcher"])
    page = client.get("/insights/map/").content.decode()
    assert "<img src=x" not in page
    layers = client.get("/insights/map/layers.json")
    assert layers["Content-Type"] == "application/json"
    assert layers.json()["places"][0]["name"].startswith("<img")  # JS writes it with textContent

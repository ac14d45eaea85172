"""Risk figures on the board: on the register by colour, found and closed out in the period."""

from fengqiao.insights import services
from tests.conftest import login
from tests.risks import helpers


def test_risk_figures(client, county, users):
    helpers.approved(county.grid_a, users, level="red")
    helpers.approved(county.grid_a, users, level="blue")
    helpers.apply(county.grid_a, users)  # applied, not yet on the register
    r = services.risk_board(users["dispatcher"], services.period(None, None))
    assert {c["level"]: c["n"] for c in r["by_colour"]} == {
        "red": 1,
        "orange": 0,
        "blue": 1,
        "green": 0,
    }
    assert r["on_register"] == 2 and r["found"] == 3 and r["closed_out"] == 0
    login(client, users["dispatcher"])
    html = client.get("/insights/").content.decode()
    assert 'id="risk-figures"' in html and "chart-risks" in html
    assert client.get("/api/v1/insights/risks").json()["on_register"] == 2
    login(client, users["grid_worker"])
    assert client.get("/api/v1/insights/risks").status_code == 403

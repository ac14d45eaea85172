"""The assistant's part of the generated scoping matrix (see tests/scoping.py).

Hand-offs (转人工) and alerts (flagged group messages) belong to a grid; both are made through the
assistant's services, exactly as the resident chat and the screener make them.
"""

from fengqiao.assistant import services
from fengqiao.assistant.actions import ALERT_PATH, HANDOFF_PATH, registry
from fengqiao.assistant.models import Alert, Handoff
from tests.scoping import ScopedEndpoint

API = "/api/v1/assistant"


def make_handoff(grid, users):
    return services.request_handoff(
        f"scoping-matrix 咨询 {grid.code}：楼道灯坏了找谁修", grid, contact="13900001111"
    )


def make_alert(grid, users):
    _result, alert = services.screen_message(
        "刷单返利兼职，先垫付后返佣金，日赚三百", grid, group_name=f"scoping-matrix 群 {grid.code}"
    )
    assert alert is not None, "the screener must flag the matrix's message"
    return alert


def _json_marker(record):
    """How a row shows in an API list (``{"id": …, "place_code": …}``)."""
    return f'"id": {record.pk}, "place_code"'


SCOPED = [
    ScopedEndpoint(
        name="assistant.handoff",
        make=make_handoff,
        list_urls=["/assistant/handoffs/"],
        # the action URL answers a GET (after the scope check) with a redirect to the page
        detail_urls=lambda h: [
            f"/assistant/handoffs/{h.pk}/",
            f"/assistant/handoffs/{h.pk}/act/answer/",
        ],
        marker=lambda h: f'href="/assistant/handoffs/{h.pk}/"',
        url_names=["assistant:handoff", "assistant:handoff_act"],
    ),
    ScopedEndpoint(
        name="assistant.handoff.api",
        make=make_handoff,
        list_urls=[f"{API}/handoffs", f"{API}/handoffs?status=open"],
        detail_urls=lambda h: [f"{API}/handoffs/{h.pk}"],
        marker=_json_marker,
        url_names=[
            f"{API}/handoffs/{{handoff_id}}",
            # POST only, one operation per action of assistant.actions.registry; out of scope →
            # 404 (tests/assistant/test_actions.py::test_api_out_of_scope_is_404_and_changes_nothing)
            *registry.api_paths(API, "handoff_id", Handoff, HANDOFF_PATH),
        ],
    ),
    ScopedEndpoint(
        name="assistant.alert",
        make=make_alert,
        list_urls=["/assistant/alerts/", "/assistant/alerts/?status=all"],
        detail_urls=lambda a: [
            f"/assistant/alerts/{a.pk}/",
            f"/assistant/alerts/{a.pk}/act/to_case/",
            f"/assistant/alerts/{a.pk}/act/dismiss/",
        ],
        marker=lambda a: f'href="/assistant/alerts/{a.pk}/"',
        url_names=["assistant:alert", "assistant:alert_act"],
    ),
    ScopedEndpoint(
        name="assistant.alert.api",
        make=make_alert,
        list_urls=[f"{API}/alerts", f"{API}/alerts?status=open"],
        detail_urls=lambda a: [f"{API}/alerts/{a.pk}"],
        marker=_json_marker,
        url_names=[
            f"{API}/alerts/{{alert_id}}",
            *registry.api_paths(API, "alert_id", Alert, ALERT_PATH),
        ],
    ),
]

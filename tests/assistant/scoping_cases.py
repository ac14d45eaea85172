"""The assistant's part of the generated scoping matrix (see tests/scoping.py).

Hand-offs (转人工) and alerts (flagged group messages) belong to a grid; both are made through the
assistant's services, exactly as the resident chat and the screener make them.
"""

from fengqiao.assistant import services
from tests.scoping import ScopedEndpoint


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


SCOPED = [
    ScopedEndpoint(
        name="assistant.handoff",
        make=make_handoff,
        list_urls=["/assistant/handoffs/"],
        detail_urls=lambda h: [f"/assistant/handoffs/{h.pk}/"],
        marker=lambda h: f'href="/assistant/handoffs/{h.pk}/"',
        url_names=["assistant:handoff"],
    ),
    ScopedEndpoint(
        name="assistant.alert",
        make=make_alert,
        list_urls=["/assistant/alerts/", "/assistant/alerts/?status=all"],
        detail_urls=lambda a: [f"/assistant/alerts/{a.pk}/"],
        marker=lambda a: f'href="/assistant/alerts/{a.pk}/"',
        url_names=["assistant:alert"],
    ),
]

"""The assistant's staff lists export to xlsx (issue 16.9): hand-offs, alerts and unanswered
questions; residents' words and contacts masked by default, scores as percentages, other
jurisdictions absent, audited; clear only with the permission and a reason."""

from fengqiao.assistant import services
from fengqiao.assistant.models import AskedQuestion
from tests.exporting import check_export

from .scoping_cases import make_alert


def test_handoffs_export(client, county, users):
    services.request_handoff(
        "楼道灯坏了找谁修，我是张伟 13912345678", county.grid_a, contact="13900001111"
    )
    services.request_handoff("乙网格的路灯不亮", county.grid_b, contact="13900002222")
    check_export(
        client,
        "/assistant/handoffs/?format=xlsx",
        user=users["dispatcher"],
        kind="assistant.handoffs",
        header=["时间", "网格", "问题", "联系方式", "状态"],
        present=["楼道灯坏了", county.grid_a.name, "待答复"],
        absent=["乙网格的路灯不亮"],
        clear=["13912345678", "13900001111"],
        masked=["139****5678"],
        refused=users["auxiliary_officer"],
    )


def test_alerts_and_unanswered_export(client, county, users):
    mine = make_alert(county.grid_a, users)
    other = make_alert(county.grid_b, users)
    rows = check_export(
        client,
        "/assistant/alerts/?status=all&format=xlsx",
        user=users["dispatcher"],
        kind="assistant.alerts",
        header=["时间", "网格", "群", "类别", "分值", "消息", "状态"],
        present=[mine.group_name, f"{round(mine.score * 100)}%"],
        absent=[other.group_name],
    )
    assert all(str(row[4]).endswith("%") for row in rows[1:])  # a percentage, not 0.83
    AskedQuestion.objects.create(
        normalized="宅基地纠纷找谁", text="宅基地纠纷找谁，电话13912345678", confidence=0.42
    )
    check_export(
        client,
        "/assistant/unanswered/?format=xlsx",
        user=users["dispatcher"],
        kind="assistant.unanswered",
        header=["归类（最接近的答案）", "问题", "次数", "置信度", "最近提问"],
        present=["宅基地纠纷找谁", "42%"],
        clear=["13912345678"],
        masked=["139****5678"],
    )

"""The fieldwork lists export to xlsx (issue 16.9): visits, follow-up notes, patrol logs; free text
masked by default, other jurisdictions absent, audited; clear only with the permission and a
reason."""

from fengqiao.fieldwork import services
from tests.exporting import check_export
from tests.registry import helpers

from .scoping_cases import _circle


def _visit(grid, users, text):
    room = helpers.tree(grid, users["grid_worker"], road=f"访{grid.code}路")
    return services.record_visit(
        users["community_officer"],
        address=room,
        purpose="routine",
        findings=f"{text}，联系电话13912345678",
        note=f"{text}待跟进，电话13912345678",
        starred=True,
    )


def test_visits_and_notes_export(client, county, users, users_b):
    _visit(county.grid_a, users, "甲网格走访")
    _visit(county.grid_b, users_b, "乙网格走访")
    a_road, b_road = f"访{county.grid_a.code}路", f"访{county.grid_b.code}路"
    check_export(
        client,
        "/fieldwork/visits/?view=all&format=xlsx",
        user=users["community_officer"],
        kind="fieldwork.visits",
        header=["日期", "地址", "目的", "民警/网格员", "走访对象", "走访情况"],
        present=[a_road],
        absent=[b_road],
        clear=["13912345678"],
        masked=["139****5678"],
        refused=users["auxiliary_officer"],
    )
    check_export(
        client,
        "/fieldwork/followups/?view=all&format=xlsx",
        user=users["community_officer"],
        kind="fieldwork.notes",
        header=["时间", "记录人", "地址", "笔记内容"],
        present=[a_road],
        absent=[b_road],
        clear=["13912345678"],
        masked=["139****5678"],
    )


def test_patrols_export(client, county, users, users_b):
    mine = _circle(county.grid_a, users)
    other = _circle(county.grid_b, users_b)
    rows = check_export(
        client,
        "/fieldwork/patrols/?format=xlsx",
        user=users["grid_worker"],
        kind="fieldwork.patrols",
        header=["开始时间", "结束时间", "巡防圈", "巡防队", "巡防路线", "发现情况"],
        present=[mine.name],
        absent=[other.name],
    )
    assert len(rows) == 2

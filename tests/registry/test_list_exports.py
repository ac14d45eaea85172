"""The foreigners' stays list exports to xlsx (issue 16.9): the guest's name, passport and the
reporter masked by default, other jurisdictions absent, audited; clear only with the permission
and a reason. (Addresses, houses, people and units export from /registry/export/, the import's
own columns, with the same rules: tests/registry/test_import_export.py.)"""

from fengqiao.registry import services
from tests.exporting import check_export

from . import helpers
from .test_stays import _data


def test_stays_export(client, county, users, users_b):
    room = helpers.tree(county.grid_a, users["grid_worker"], road="甲宿路")
    mine = services.report_stay(room, _data())
    other_room = helpers.tree(county.grid_b, users_b["grid_worker"], road="乙宿路")
    other = services.report_stay(other_room, _data(surname="JONES"))
    check_export(
        client,
        "/registry/stays/?format=xlsx",
        user=users["community_officer"],
        kind="registry.stays",
        header=["登记号", "国籍", "英文姓", "英文名", "护照号码"],
        present=[mine.number, "甲宿路", "已登记待核查"],
        absent=[other.number, "乙宿路", "JONES", "J****"],
        clear=["SMITH", "13800002222"],
        masked=["S****", "138****2222"],
    )

"""The audit log exports to xlsx (issue 16.9), itself audited: the source IP and the free data
masked (the auditor holds no reveal permission, so the clear file is refused); only the auditor."""

from django.test import RequestFactory

from fengqiao.core import audit
from tests.conftest import login
from tests.exporting import check_export


def test_audit_log_export(client, users):
    request = RequestFactory().get("/", REMOTE_ADDR="10.2.3.4")
    audit.record("test.checked", data={"reason": "张伟 13912345678"}, request=request)
    rows = check_export(
        client,
        "/audit/?action=test.checked&format=xlsx",
        user=users["audit_admin"],
        kind="audit",
        header=["时间", "用户", "IP", "操作", "对象类型", "对象", "结果"],
        present=["test.checked", "10.2.*.*", "139****5678"],
        absent=["10.2.3.4", "13912345678"],
        refused=users["audit_admin"],
    )
    assert len(rows) == 2  # the filter applies to the export
    login(client, users["system_admin"])
    assert client.get("/audit/?format=xlsx").status_code == 403

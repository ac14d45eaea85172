"""One check for every staff list's xlsx export (issue 16.9): the file opens with openpyxl, the
header is the list's, personal data is masked by default, rows outside the user's jurisdiction are
absent, an audit row is written; clear data is refused without a reason or without the
permission, and given (and audited with its reason) with both."""

import io

from openpyxl import load_workbook

from fengqiao.core.exports import UNMASK_PERM
from fengqiao.core.models import AuditEvent
from tests.conftest import login


def xlsx_rows(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def flat(rows):
    return "\n".join(str(c) for row in rows for c in row if c is not None)


def check_export(
    client,
    url,
    *,
    user,
    kind,
    header,
    present=(),
    absent=(),
    clear=(),
    masked=(),
    refused=None,
):
    """``url`` (with ``format=xlsx``) exported by ``user``: ``header`` leads the first row,
    ``present`` strings are in the file and ``absent`` ones (other jurisdictions) are not;
    ``clear`` values show only as ``masked`` unless asked with a reason; ``refused`` (a user
    without the reveal permission, who may export masked) is refused the clear file."""
    login(client, user)
    before = AuditEvent.objects.filter(action=f"{kind}.export").count()
    rows = xlsx_rows(client.get(url))
    assert list(rows[0][: len(header)]) == [str(h) for h in header], rows[0]
    text = flat(rows[1:])
    for value in present:
        assert value in text, f"{value!r} missing from {url}"
    for value in absent:
        assert value not in text, f"{value!r} (out of scope) in {url}"
    for value in clear:
        assert value not in text, f"{value!r} in clear in the masked {url}"
    for value in masked:
        assert value in text, f"{value!r} (masked) missing from {url}"
    event = AuditEvent.objects.filter(action=f"{kind}.export").order_by("-id").first()
    assert AuditEvent.objects.filter(action=f"{kind}.export").count() == before + 1
    assert event.user_id == user.pk and event.data["unmasked"] is False
    assert event.data["rows"] == len(rows) - 1

    sep = "&" if "?" in url else "?"
    no_reason = client.get(f"{url}{sep}unmasked=1").status_code
    assert no_reason == (400 if user.has_perm(UNMASK_PERM) else 403)  # no reason / no permission
    reason = "核实当事人身份"
    if clear:
        rows = xlsx_rows(client.get(f"{url}{sep}unmasked=1&reason={reason}"))
        text = flat(rows[1:])
        for value in clear:
            assert value in text, f"{value!r} not in clear in the unmasked {url}"
        for value in absent:
            assert value not in text
        event = AuditEvent.objects.filter(action=f"{kind}.export").order_by("-id").first()
        assert event.data["unmasked"] is True and event.data["reason"] == reason
    if refused is not None:
        login(client, refused)
        assert client.get(f"{url}{sep}unmasked=1&reason={reason}").status_code == 403
    return rows

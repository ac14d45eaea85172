"""The weekly review pack (会商材料: docx and PDF, same writers as the dispute documents, built
offline with the embedded CJK font of ``core.pdf``) and the register as xlsx. Downloads are audited; personal data is
never in them (people appear only as counts), and spreadsheet cells cannot start a formula."""

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit, exports
from fengqiao.core.errors import ServiceError

from . import reviews, services
from .models import Level, ReviewAction, Risk

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _local(dt, fmt="%Y-%m-%d %H:%M"):
    return timezone.localtime(dt).strftime(fmt) if dt else "—"


def pack_blocks(session, user):
    items = reviews.agenda(session, user)
    out = [("title", "风险会商材料")]
    out.append(("meta", f"{session.title}"))
    out.append(
        ("meta", f"会商时间：{_local(session.slot_at)}    类型：{session.get_kind_display()}")
    )
    counts = {c: sum(1 for i in items if i.risk.level == c) for c in ("red", "orange", "blue")}
    out.append(
        (
            "para",
            f"本次议题{len(items)}项：红色{counts['red']}项，橙色{counts['orange']}项，"
            f"蓝色{counts['blue']}项，其他{len(items) - sum(counts.values())}项。",
        )
    )
    if session.attendees:
        out.append(("para", f"参会人员：{session.attendees}"))
    for n, item in enumerate(items, start=1):
        risk = item.risk
        out.append(("heading", f"{n}. {risk.number} {risk.title}"))
        out.append(
            (
                "para",
                f"预警等级：{Level(risk.level).label}    类别：{risk.category.name}    "
                f"地点：{risk.place.name}    状态：{risk.get_state_display()}",
            )
        )
        leader = risk.responsible_leader or "—"
        person = risk.responsible_person or "—"
        unit = (
            risk.responsible_department.name
            if risk.responsible_department_id
            else risk.responsible_unit_name or "—"
        )
        out.append(("indent", f"责任单位：{unit}    责任领导：{leader}    责任人：{person}"))
        out.append(("indent", f"风险描述：{risk.description}"))
        if risk.plan:
            out.append(("indent", f"防范化解方案：{risk.plan}"))
        out.append(("indent", f"上次会商：{_local(risk.last_reviewed_at)}"))
        open_actions = ReviewAction.objects.filter(risk=risk, state="open").select_related("owner")
        for action in open_actions:
            out.append(
                ("indent", f"在办措施：{action.title}（{action.owner}，{_local(action.due_at)}前）")
            )
        if item.decision:
            decided = f"会商决定：{item.get_decision_display()}"
            if item.new_level:
                decided += f"（调整为{Level(item.new_level).label}）"
            out.append(("label", f"{decided}。{item.note}"))
        else:
            out.append(("label", "会商决定：□维持  □升级  □降级  □解除预警  □推送职能部门"))
    if session.minutes:
        out.append(("heading", "会议纪要"))
        out.append(("para", session.minutes))
    out.append(("code", f"生成时间：{_local(timezone.now())}    会商编号：{session.pk}"))
    return out


def pack(session, user, fmt):
    """(bytes, content type, file name) of the review pack; ``fmt`` is docx or pdf."""
    from fengqiao.disputes.documents import _docx, _pdf

    if fmt not in ("docx", "pdf"):
        raise ServiceError(_("只支持 docx 或 pdf"), code="invalid_format")
    blocks = pack_blocks(session, user)
    ref = f"HS{session.pk}"
    audit.record("risk.pack", user=user, target=session, data={"format": fmt})
    name = f"risk-review-{session.pk}.{fmt}"
    if fmt == "docx":
        return _docx(blocks, "风险会商材料", ref, _local(session.slot_at)), DOCX, name
    footer = f"{ref} · {_local(session.slot_at)}"
    return _pdf(blocks, "风险会商材料", footer, session.place.name), "application/pdf", name


def safe_cell(value):
    """Neutralise spreadsheet formulas (``core.exports``); empty for None."""
    return "" if value is None else exports.safe_cell(str(value))


HEADERS = [
    "编号",
    "风险名称",
    "类别",
    "地点",
    "预警等级",
    "状态",
    "来源",
    "申报单位",
    "责任单位",
    "责任领导",
    "责任人",
    "涉及人数",
    "申报时间",
    "上次会商",
    "下次会商",
    "反弹次数",
    "督办次数",
]


def register_xlsx(user, *, state="open"):
    """The register the user may see, as xlsx (personal data never included; audited)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    services.need(user, "risks.view_risk")
    rows = Risk.objects.restrict(user).select_related(
        "category", "place", "unit", "responsible_department", "responsible_leader"
    )
    if state == "open":
        rows = rows.filter(state__in=Risk.ON_REGISTER)
    book = Workbook()
    sheet = book.active
    sheet.title = "风险清单"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    fills = {"red": "FFC7CE", "orange": "FFE0B2", "blue": "BBDEFB", "green": "C8E6C9"}
    count = 0
    from .models import RANK

    for risk in sorted(rows, key=lambda r: (-RANK.get(r.level, 0), r.applied_at)):
        unit = (
            risk.responsible_department.name
            if risk.responsible_department_id
            else risk.responsible_unit_name
        )
        sheet.append(
            [
                safe_cell(v)
                for v in (
                    risk.number,
                    risk.title,
                    risk.category.name,
                    risk.place.name,
                    Level(risk.level).label,
                    risk.get_state_display(),
                    risk.get_source_display(),
                    risk.unit.name if risk.unit_id else "",
                    unit,
                    risk.responsible_leader or "",
                    risk.responsible_person or "",
                    risk.people.count(),
                    _local(risk.applied_at),
                    _local(risk.last_reviewed_at),
                    _local(risk.next_review_at),
                    risk.recurrence_count,
                    risk.supervision_count,
                )
            ]
        )
        colour = fills.get(risk.level)
        if colour:
            sheet.cell(row=sheet.max_row, column=5).fill = PatternFill(
                "solid", start_color=colour, end_color=colour
            )
        count += 1
    audit.record("risk.export", user=user, data={"rows": count, "format": "xlsx"})
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()

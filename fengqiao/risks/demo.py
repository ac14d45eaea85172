"""Demo risks for the demo county: every colour on the register, the filing chain at each step,
a red risk with its task force and daily log, a hand-over in progress, a close-out awaiting
approval with evidence, one closed out and reopened, a held review with decisions, the coming
reviews scheduled, and suggestions from the demo disputes, cases and assistant alerts (left
pending). Every name and number here is invented."""

from datetime import timedelta
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fengqiao.core.pdf import register_cjk_font
from fengqiao.org.models import Department, Place, User
from fengqiao.org.services import staff_for_place

from . import reviews, services, suggestions

SCENES = [
    (
        "red",
        "group_instability",
        "某楼盘业主集体维权苗头",
        "楼盘延期交付逾一年，200余户业主多次聚集售楼处，扬言集体到县政府上访。",
        "住建部门牵头约谈开发商，街道每日联系业主代表，派出所做好现场秩序维护预案。",
    ),
    (
        "orange",
        "extreme_individual",
        "欠薪工人扬言极端行为",
        "某工地工人被拖欠工资8个月，在工友群中扬言“再不给钱就跳楼”。",
        "人社部门督促支付，社区民警每日上门见面，落实家属稳控。",
    ),
    (
        "orange",
        "mental_illness",
        "严重精神障碍患者停药风险",
        "辖区一名在册严重精神障碍患者近期停药，夜间多次吵闹、摔砸物品。",
        "卫健部门安排随访送药，监护人落实看护，网格员每日走访。",
    ),
    (
        "blue",
        "mass_financial",
        "社区老年人投资理财宣传会",
        "有公司在社区以保健讲座名义向老年人推销高息理财产品。",
        "市场监管核查，社区开展防范宣传，逐户提醒参会老人。",
    ),
    (
        "blue",
        "fire",
        "老旧厂房群租消防隐患",
        "废弃厂房被分隔出租，住有30余人，电线私拉乱接，通道堆放杂物。",
        "消防救援检查整改，属地督促清理通道、规范用电。",
    ),
    (
        "green",
        "road_traffic",
        "学校门口上下学交通拥堵",
        "小学门口道路狭窄，上下学时段车辆乱停，存在交通安全隐患。",
        "交警错峰疏导，学校组织护学岗。",
    ),
    (
        "green",
        "campus",
        "校园周边流动摊贩",
        "中学周边流动摊贩售卖三无食品。",
        "城管、市场监管联合整治。",
    ),
]


# People involved (invented): by scene index, (name, birth date, phone, role, in the registry).
# Residents marked True are registered as actual residents of the risk's grid first, so the
# ID-number match links them when the risk is applied; 周某 is registered only after filing and
# linked by the backfill (``services.link_registry_people``); 李秀英 stays unlinked.
PEOPLE = {
    0: [
        ("王国栋", "19680415", "13900001234", "业主代表", True),
        ("李秀英", "19720908", "13900004321", "业主代表", False),
    ],
    1: [("赵志强", "19790622", "13900005678", "欠薪工人", True)],
    2: [
        ("孙伟", "19850117", "13900008765", "患者", True),
        ("周某", "19560303", "", "监护人", "later"),
    ],
}


def _id_number(born, seq):
    from fengqiao.core import pii

    body = f"339901{born}{seq:03d}"
    total = sum(int(d) * w for d, w in zip(body, pii._ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def _people(index, place, officer):
    """The scene's people as risk input; the registered ones are put in the registry first."""
    from fengqiao.registry import services as registry

    rows, later = [], []
    address = None
    for seq, (name, born, phone, role, registered) in enumerate(PEOPLE.get(index, ()), 1):
        number = _id_number(born, index * 10 + seq)
        if registered and address is None and place.level == Place.Level.GRID:
            address = registry.create_address(
                officer, place=place, level=2, name=f"枫林巷{index + 1}号"
            )
        if registered is True and address is not None:
            registry.register_person(
                officer, address=address, name=name, id_number=number, phone=phone
            )
        elif registered == "later" and address is not None:
            later.append((address, name, number, phone))
        rows.append({"name": name, "id_number": number, "phone": phone, "role": role})
    return rows, later


# Registry units involved (invented), by scene index: registered in the scene's grid and linked.
UNITS = {4: ("原枫溪五金厂厂房（群租）", "firm", "key")}


def _units(index, place, officer):
    from fengqiao.registry import services as registry

    if index not in UNITS or place.level != Place.Level.GRID:
        return []
    name, kind, fire_level = UNITS[index]
    address = registry.create_address(officer, place=place, level=2, name=f"枫林巷{index + 1}号")
    return [
        registry.register_unit(
            officer, address=address, name=name, kind=kind, fire_level=fire_level
        )
    ]


def _officer(place):
    staff = staff_for_place(place, ["community_officer"])
    return staff[0] if staff else User.objects.get(username="officer")


def _pdf():
    from reportlab.pdfgen import canvas

    font = register_cjk_font()
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, initialFontName=font)
    pdf.setFont(font, 12)
    pdf.drawString(72, 720, "化解证明（演示） · Evidence of resolution (demo)")
    pdf.save()
    return SimpleUploadedFile("化解证明.pdf", buffer.getvalue(), content_type="application/pdf")


def seed(county, rng=None):
    leader = User.objects.get(username="leader")
    dispatcher = User.objects.get(username="dispatcher")
    villages = list(Place.objects.filter(level=Place.Level.VILLAGE, path__startswith=county.path))
    grids = list(Place.objects.filter(level=Place.Level.GRID, path__startswith=county.path))
    now = timezone.now()
    start = now - timedelta(days=20)
    made, register_later = [], []
    for index, (level, category, title, description, plan) in enumerate(SCENES):
        place = grids[index * 3 % len(grids)] if grids else villages[index % len(villages)]
        officer = _officer(place)
        people, later = _people(index, place, officer)
        register_later += [(officer, *row) for row in later]
        at = start + timedelta(days=index, hours=9)
        risk = services.apply_risk(
            officer,
            place=place,
            category=category,
            title=title,
            description=description,
            plan=plan,
            level=level,
            responsible_leader=leader,
            responsible_person=officer,
            people=people,
            units=_units(index, place, officer),
            now=at,
        )
        risk = services.approve(
            risk, leader, note="情况属实，同意列管", now=at + timedelta(hours=4)
        )
        risk = services.file_city(
            risk,
            leader,
            city_reference=f"YH-FX-{2026}{index + 1:03d}",
            now=at + timedelta(days=1),
        )
        made.append(risk)
    # A resident registered after the risk was filed: the backfill links them by ID number.
    from fengqiao.registry import services as registry

    for officer, address, name, number, phone in register_later:
        registry.register_person(officer, address=address, name=name, id_number=number, phone=phone)
    services.link_registry_people()
    red = made[0]
    services.create_task_force(
        red,
        leader,
        leader=_officer(red.place),
        members=[dispatcher.pk],
        plan="每日联系业主代表，约谈开发商落实交付时间表，做好现场处置预案。",
        now=start + timedelta(hours=20),
    )
    for day in range(3):
        services.log_task_force(
            red,
            _officer(red.place),
            text=f"第{day + 1}天：与业主代表座谈，通报开发商复工进度。",
            day=timezone.localdate() - timedelta(days=2 - day),
        )
    services.hand_over(
        made[1],
        dispatcher,
        department=Department.objects.filter(kind="human_resources").first()
        or Department.objects.first(),
        matter="督促施工单位支付拖欠工资，3日内反馈。",
    )
    # A lowered risk: orange → blue with a reason and an approver.
    services.change_level(made[2], leader, to_level="blue", reason="患者已恢复服药，监护到位")
    # A close-out awaiting approval, one closed out, one reopened after closing.
    services.request_close(
        made[5], _officer(made[5].place), note="已设置护学岗，交通秩序良好", files=[_pdf()]
    )
    services.request_close(
        made[6], _officer(made[6].place), note="摊贩已清理，建立长效巡查", files=[_pdf()]
    )
    services.approve_close(made[6], leader, note="同意销号")
    # One application awaiting the county's review, one returned to the station.
    waiting = services.apply_risk(
        _officer(villages[0]),
        place=villages[0],
        category="telecom_fraud",
        title="辖区电信网络诈骗案件近期高发",
        description="近两周辖区接报冒充客服退款诈骗5起。",
        level="blue",
    )
    returned = services.apply_risk(
        _officer(villages[-1]),
        place=villages[-1],
        category="online_opinion",
        title="网传村集体土地被私卖",
        description="微信群流传村干部私卖集体土地，引发部分村民议论。",
        level="blue",
    )
    services.return_risk(returned, leader, note="请补充舆情来源和涉及人员情况")
    # A review held last week with decisions and a measure.
    session = reviews.create_session(
        leader, place=county, slot_at=now - timedelta(days=3), title="枫溪县风险会商（上周）"
    )
    for item in reviews.agenda(session, leader):
        if item.risk_id == made[3].pk:
            reviews.decide(
                session,
                item.pk,
                leader,
                decision="keep",
                note="继续宣传，关注后续讲座",
                actions=[
                    {
                        "title": "逐户提醒参会老人",
                        "owner": _officer(item.risk.place),
                        "due_at": now + timedelta(days=2),
                    }
                ],
            )
        elif item.risk_id == made[0].pk:
            reviews.decide(session, item.pk, leader, decision="keep", note="专班继续驻点")
    reviews.close_session(
        session,
        leader,
        minutes="逐项研判在册风险，红色风险专班继续驻点，其余维持。",
        attendees="刘志强、许丽、王建国",
    )
    # The coming weekly review and the leads from the other demo data.
    reviews.schedule_reviews(horizon=timedelta(days=7))
    suggestions.collect()
    return [waiting.number, *(r.number for r in made)]

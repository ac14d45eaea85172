"""Demo disputes for the demo county: pools at every level, disputes at every level and with
every outcome, signed agreements (docx/PDF generated on demand), judicial confirmations,
performance, return visits, a high-risk alert, a recurrence and an overdue, supervised one.
Every name, number and ID here is invented."""

import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from fengqiao.core.workflow import sweep_deadlines
from fengqiao.org import services as org_services
from fengqiao.org.demo import DEMO_PASSWORD, SURNAMES
from fengqiao.org.models import Department, Place, User

from . import services
from .models import Dispute

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GIVEN = "伟芳娜敏静丽强磊军洋勇杰涛明超霞平刚华红燕东斌琳婷鹏"

SCENES = [
    (
        "neighbour",
        "楼上楼下噪音纠纷",
        "楼上住户夜间频繁走动、挪动家具，楼下老人无法休息，双方多次争吵。",
        "停止夜间噪音，赔礼道歉",
    ),
    (
        "housing_land",
        "宅基地界址纠纷",
        "两户相邻宅基地翻建时对界址认定不一，一方砌墙占用通道约半米。",
        "拆除占道围墙，确认界址",
    ),
    (
        "marriage_family",
        "赡养老人纠纷",
        "三兄弟对母亲赡养费分担和轮流照料安排意见不一，老人生活无着。",
        "明确赡养费分担和照料安排",
    ),
    (
        "damages",
        "饲养犬只咬伤赔偿纠纷",
        "邻居饲养的犬只未拴绳，将路过村民咬伤，医疗费用产生争议。",
        "赔偿医疗费、误工费",
    ),
    (
        "contract",
        "装修工程款纠纷",
        "装修完工后业主认为存在质量问题，拒付尾款，施工方多次上门催讨。",
        "支付尾款或返修",
    ),
    ("labour", "工地拖欠工资纠纷", "包工头拖欠6名工人两个月工资，工人聚集讨薪。", "支付拖欠工资"),
    (
        "property_management",
        "物业费与停车纠纷",
        "业主以停车位被占为由拒交物业费，物业公司停止门禁卡服务。",
        "恢复门禁，补交物业费",
    ),
    (
        "traffic",
        "电动车碰撞赔偿纠纷",
        "两辆电动自行车在村道碰撞，一方轻伤，双方对责任和赔偿有争议。",
        "赔偿医疗费和车辆维修费",
    ),
    (
        "forest_land",
        "山林承包边界纠纷",
        "两户对承包山林的边界有争议，一方采伐了争议区域的毛竹。",
        "确认边界，赔偿毛竹损失",
    ),
    (
        "consumer",
        "预付卡退费纠纷",
        "理发店关门转让，多名顾客预付卡余额无法使用。",
        "退还预付卡余额",
    ),
    (
        "environment",
        "养殖场异味纠纷",
        "村民反映养殖场粪污异味严重，要求整改或搬迁。",
        "整改排污，限期治理",
    ),
    (
        "business",
        "合伙经营分红纠纷",
        "两人合伙经营农家乐，对年底利润分配有争议。",
        "核对账目，按约分红",
    ),
]


def _id_number(rng, year):
    body = f"339901{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(100, 999)}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def _person(rng, village, side):
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", rng.choice(GIVEN)])
    return {
        "name": name,
        "side": side,
        "gender": rng.choice(["男", "女"]),
        "id_number": _id_number(rng, rng.randint(1950, 2000)),
        "phone": f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
        "address": f"{village.name}{rng.randint(1, 30)}号",
    }


def _terms(rng, signed_on, scene):
    amount = rng.choice([300, 500, 800, 1200, 2000, 3500])
    first = signed_on + timedelta(days=rng.randint(3, 10))
    return {
        "facts": scene[2],
        "issues": scene[3],
        "responsibilities": "被申请人对纠纷的发生负主要责任，申请人负次要责任。",
        "terms": [
            {"text": f"被申请人向申请人支付人民币{amount}元", "due_on": first.isoformat()},
            {
                "text": "双方今后互谅互让，不再就此事发生争执",
                "due_on": (first + timedelta(days=5)).isoformat(),
            },
        ],
        "performance_manner": "现金或银行转账一次性支付，由人民调解员见证；其余约定长期遵守。",
    }


class Demo:
    def __init__(self, county, rng):
        self.rng = rng
        self.county = county
        self.villages = list(Place.objects.filter(level=Place.Level.VILLAGE).order_by("code"))
        self.users = {u.username: u for u in User.objects.all()}
        self.now = timezone.now()

    def user(self, name):
        return self.users[name]

    def officer(self, village):
        return self.users.get(f"co{village.code[6:]}") or self.user("officer")

    def pools(self):
        lawyers = [self.user("lawyer")]
        for index, name in enumerate(("律师 钱文", "律师 孙海"), start=1):
            username = f"lw{index:02d}"
            if username not in self.users:
                self.users[username] = org_services.create_staff(
                    username=username,
                    password=DEMO_PASSWORD,
                    display_name=name,
                    roles=["lawyer"],
                    places=[self.county],
                    skip_password_rules=True,
                )
            lawyers.append(self.users[username])
        first = self.villages[0]
        services.add_to_pool(self.user("mediator"), first, 1, speciality="邻里、家庭")
        services.add_to_pool(self.user("assistant"), first, 2)
        services.add_to_pool(self.user("officer"), first, 4)
        for village in self.villages:
            elder = self.users.get(f"el{village.code[6:]}")
            if elder:
                services.add_to_pool(elder, village, 1, speciality="乡贤/五老")
            services.add_to_pool(self.officer(village), village, 2 if village != first else 4)
            services.add_to_pool(self.officer(village), village, 4)
        for lawyer, speciality in zip(
            lawyers, ("婚姻家庭、邻里", "合同、劳动", "侵权赔偿"), strict=True
        ):
            services.add_to_pool(lawyer, self.county, 3, speciality=speciality)
        services.add_to_pool(self.user("dispatcher"), self.county, 5, speciality="联席调")

    def register(self, village, scene, days_ago, *, size="small", risk=None, parties=None):
        grid = village.children.order_by("code").first() or village
        at = self.now - timedelta(days=days_ago, hours=self.rng.randint(0, 6))
        return services.register_dispute(
            self.officer(village),
            place=grid,
            type=scene[0],
            title=scene[1],
            facts=scene[2],
            claims=scene[3],
            amount=self.rng.choice([None, 500, 2000, 12000]),
            size=size,
            parties=parties
            or [_person(self.rng, village, "applicant"), _person(self.rng, village, "respondent")],
            risk=risk or {"people": 2, "intensity": self.rng.randint(0, 1)},
            now=at,
        )

    def climb(self, dispute, village, level, at, *, mediator=None):
        """Start at L1 and fail up to ``level``, half a day per level."""
        actor = self.officer(village)
        first = village == self.villages[0]
        dispute = services.start_mediation(
            dispute, actor, mediator=mediator or (self.user("mediator") if first else None), now=at
        )
        while dispute.level < level:
            at += timedelta(hours=10)
            target = dispute.level + 1
            lawyer = self.rng.choice(services.pool_for(dispute.place, 3)) if target == 3 else None
            dispute = services.next_level(
                dispute,
                actor if target != 2 or not first else self.user("mediator"),
                note=f"第{dispute.level}级调解：双方分歧较大，未能达成一致",
                mediator=lawyer,
                lawyer_choice=f"双方当事人从律师名册中共同选定{lawyer}" if lawyer else "",
                now=at,
            )
        return dispute, at

    def mediator_of(self, dispute, village):
        return dispute.mediator or self.officer(village)

    def agree_and_sign(self, dispute, village, at, scene, *, sign=True):
        actor = self.officer(village) if dispute.level != 5 else self.user("dispatcher")
        dispute = services.agree(dispute, actor, note="经耐心调解，双方自愿达成协议", now=at)
        agreement = services.draft_agreement(
            dispute, actor, **_terms(self.rng, timezone.localdate(at), scene), now=at
        )
        if sign:
            agreement = services.sign_agreement(agreement, actor, signed_at=at, now=at)
        return dispute, agreement

    def hearing(self, dispute, village, at):
        return services.record_hearing(
            dispute,
            self.officer(village),
            held_at=at,
            location=f"{village.name}议事厅",
            statements="申请人陈述纠纷经过及诉求；被申请人陈述对事实的看法。",
            defence="被申请人申辩：已采取部分措施，诉求金额过高。",
            deliberation="村干部、邻居代表和亲属代表逐一发表意见，多数认为申请人诉求基本合理。",
            decision="建议被申请人承担主要责任，适当赔偿并赔礼道歉。",
            minutes="听证会于上午九时开始，十一时结束，全程记录，参加人核对无误后签名。",
            participants=[
                {"name": "村委会主任", "role": "cadre"},
                {"name": "邻居代表甲", "role": "neighbour"},
                {"name": "亲属代表乙", "role": "relative"},
            ],
            now=at,
        )

    def seed(self):
        rng, v = self.rng, self.villages
        first = v[0]
        scenes = SCENES
        officer_first = self.officer(first)
        made = []

        # 1. L1 resolved by the elder, performed, visited, closed (小事不出村)
        d = self.register(first, scenes[0], 40)
        d, at = self.climb(d, first, 1, d.registered_at + timedelta(hours=2))
        d, ag = self.agree_and_sign(d, first, at + timedelta(hours=5), scenes[0])
        for i, term in enumerate(services.agreement_content(ag)["terms"]):
            services.record_performance(
                d, officer_first, term_index=i, performed_on=term["due_on"], now=self.now
            )
        services.record_return_visit(
            d,
            officer_first,
            note="双方关系缓和，未再发生争吵",
            satisfaction="satisfied",
            method="上门",
            performed=True,
            now=self.now,
        )
        made.append(d)

        # 2. L1 in progress with the printed elder (his workbench)
        d = self.register(first, scenes[3], 0)
        self.climb(d, first, 1, d.registered_at + timedelta(minutes=30))

        # 3. L2 agreement, judicial confirmation confirmed, performing
        d = self.register(first, scenes[1], 20, size="large")
        d, at = self.climb(d, first, 2, d.registered_at + timedelta(hours=1))
        d, ag = self.agree_and_sign(d, first, at + timedelta(hours=8), scenes[1])
        effective = timezone.localdate(ag.signed_at)
        services.record_judicial_confirmation(
            d,
            officer_first,
            court="枫溪县人民法院",
            applied_on=effective + timedelta(days=2),
            outcome="confirmed",
            decided_on=effective + timedelta(days=6),
            confirmation_number="（2026）浙9901民特字第0032号",
            now=self.now,
        )

        # 4. L3 lawyer reached an agreement, signed, performing (judicial window open)
        d = self.register(first, scenes[4], 6, size="large")
        d, at = self.climb(d, first, 3, d.registered_at + timedelta(hours=1))
        self.agree_and_sign(d, first, at + timedelta(hours=20), scenes[4])

        # 5. L3 agreement drafted, waiting for signatures
        d = self.register(v[1], scenes[7], 2)
        d, at = self.climb(d, v[1], 3, d.registered_at + timedelta(hours=1))
        self.agree_and_sign(d, v[1], at + timedelta(hours=3), scenes[7], sign=False)

        # 6. L4 hearing recorded, still mediating
        d = self.register(first, scenes[2], 3, size="large")
        d, at = self.climb(d, first, 4, d.registered_at + timedelta(hours=1))
        self.hearing(d, first, at + timedelta(hours=4))

        # 7. L4 agreement after the hearing
        d = self.register(v[5], scenes[8], 15, size="large")
        d, at = self.climb(d, v[5], 4, d.registered_at + timedelta(hours=1))
        self.hearing(d, v[5], at + timedelta(hours=3))
        self.agree_and_sign(d, v[5], at + timedelta(hours=6), scenes[8])

        # 8. L5 joint mediation with tasks dispatched to departments (one done, one claimed)
        d = self.register(
            v[10],
            scenes[10],
            4,
            size="large",
            risk={"people": 12, "intensity": 2, "repeated": True},
        )
        d, at = self.climb(d, v[10], 5, d.registered_at + timedelta(hours=1))
        env = Department.objects.filter(kind="environment").first()
        town_justice = Department.objects.filter(kind="justice", place=v[10].parent).first()
        tasks = services.dispatch_joint_tasks(
            d,
            self.user("dispatcher"),
            [
                {
                    "department": env,
                    "task": "现场检测养殖场异味并出具意见",
                    "due_at": self.now + timedelta(days=2),
                },
                {
                    "department": town_justice,
                    "task": "组织双方及村委召开联席会议",
                    "due_at": self.now + timedelta(days=1),
                },
            ],
        )
        env_staff = User.objects.filter(department=env).first()
        if env_staff:
            services.claim_joint_task(tasks[0].pk, env_staff)
        justice_staff = User.objects.filter(department=town_justice).first()
        if justice_staff:
            services.complete_joint_task(
                tasks[1].pk, justice_staff, result="已于村委会召开联席会议，养殖户同意限期整改"
            )
        services.record_joint_minutes(
            d,
            self.user("dispatcher"),
            minutes="生态环境、司法所、镇村三方会商：养殖场30日内完成粪污治理。",
        )

        # 9. L5 could not settle: referred to the court with guidance
        d = self.register(v[6], scenes[5], 12, size="large", risk={"people": 6, "intensity": 2})
        d, at = self.climb(d, v[6], 5, d.registered_at + timedelta(hours=1))
        services.refer(
            d,
            self.user("dispatcher"),
            note="联席调解后包工头仍拒绝支付",
            referral="labour_arbitration",
            guidance="告知工人向县劳动人事争议仲裁委员会申请仲裁，并联系法律援助中心。",
            now=at + timedelta(hours=20),
        )

        # 10. withdrawn at L1
        d = self.register(v[2], scenes[9], 9)
        d, at = self.climb(d, v[2], 1, d.registered_at + timedelta(hours=1))
        services.withdraw(
            d, self.officer(v[2]), note="双方已自行和解，申请撤回", now=at + timedelta(hours=6)
        )

        # 11. high 民转刑 risk: alerts the leader, on the risk register
        d = self.register(
            first,
            scenes[11],
            1,
            risk={"threats": True, "violence": True, "repeated": True, "people": 4, "intensity": 3},
        )
        self.climb(d, first, 2, d.registered_at + timedelta(hours=1))

        # 12. a recurrence: the same parties as dispute 1 again
        old = made[0]
        again = [
            {
                k: getattr(p, k).clear if hasattr(getattr(p, k), "clear") else getattr(p, k)
                for k in ("name", "side", "gender", "id_number", "phone", "address")
            }
            for p in old.parties.all()
        ]
        d = self.register(first, scenes[0], 0, parties=again)

        # 13. overdue at L1 (started two days ago): the sweep supervises it
        d = self.register(v[3], scenes[6], 2)
        self.climb(d, v[3], 1, d.registered_at + timedelta(hours=1))

        # 14. registered, waiting to start
        self.register(v[4], scenes[2], 0)

        # 15. in mediation now at every level of the ladder (the queues show all five), on time.
        mediating = set(
            Dispute.objects.filter(state="mediating").values_list("level", flat=True).distinct()
        )
        for level in (1, 2, 3, 4, 5):
            if level in mediating:
                continue
            village = v[(level * 3) % len(v)]
            d = self.register(village, scenes[(level * 5) % len(scenes)], 1 if level > 1 else 0)
            self.climb(d, village, level, d.registered_at + timedelta(hours=1))

        # A spread across the county for the figures.
        for index in range(24):
            village = v[(index * 7) % len(v)]
            scene = scenes[index % len(scenes)]
            d = self.register(
                village, scene, rng.randint(10, 120), size=rng.choice(["small", "small", "large"])
            )
            level = rng.choices([1, 2, 3, 4, 5], weights=[50, 25, 12, 8, 5])[0]
            d, at = self.climb(d, village, level, d.registered_at + timedelta(hours=2))
            at += timedelta(hours=rng.randint(2, 30))
            fate = rng.random()
            if fate < 0.8:
                d, ag = self.agree_and_sign(d, village, at, scene)
                if rng.random() < 0.35:
                    effective = timezone.localdate(ag.signed_at)
                    today = timezone.localdate(self.now)
                    services.record_judicial_confirmation(
                        d,
                        self.officer(village),
                        court="枫溪县人民法院",
                        applied_on=min(effective + timedelta(days=rng.randint(1, 20)), today),
                        outcome="confirmed",
                        decided_on=min(effective + timedelta(days=25), today),
                        confirmation_number=f"（2026）浙9901民特字第{100 + index:04d}号",
                        now=self.now,
                    )
                terms = services.agreement_content(ag)["terms"]
                for i, term in enumerate(terms):
                    late = rng.random() < 0.15
                    performed = date.fromisoformat(term["due_on"]) + timedelta(
                        days=3 if late else -1
                    )
                    if performed <= timezone.localdate(self.now):
                        services.record_performance(
                            d,
                            self.officer(village),
                            term_index=i,
                            performed_on=performed,
                            now=self.now,
                        )
                d.refresh_from_db()
                if d.state == "performed":
                    services.record_return_visit(
                        d,
                        self.officer(village),
                        note="回访：协议已履行，双方满意",
                        satisfaction=rng.choice(["satisfied", "satisfied", "basic"]),
                        method="电话",
                        performed=True,
                        now=self.now,
                    )
            elif fate < 0.9:
                services.withdraw(d, self.officer(village), note="当事人撤回", now=at)
            else:
                actor = self.user("dispatcher") if d.level == 5 else self.officer(village)
                services.refer(
                    d,
                    actor,
                    note="调解不成",
                    referral="court",
                    guidance="告知当事人可向枫溪县人民法院提起诉讼",
                    now=at,
                )


def seed(county, rng=None):
    rng = rng or random.Random(4)  # noqa: S311 — demo data
    demo = Demo(county, rng)
    with transaction.atomic():
        services.ensure_types()
        demo.pools()
        demo.seed()
    # Escalate what is already overdue (as the worker would): supervision cards, reminders.
    sweep_deadlines()
    return Dispute.objects.count()

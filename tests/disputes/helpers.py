"""Helpers for the disputes tests: parties, pools, and disputes walked up the ladder."""

import itertools

from fengqiao.disputes import services

_seq = itertools.count(1)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(body17):
    total = sum(int(d) * w for d, w in zip(body17, _WEIGHTS, strict=True))
    return body17 + "10X98765432"[total % 11]


ID_A = id_number("33010219800101001")
ID_B = id_number("33010219750505002")


def parties(phone_a="13900001111", phone_b="13800002222", ids=(ID_A, ID_B)):
    return [
        {
            "name": "张三",
            "gender": "男",
            "id_number": ids[0],
            "phone": phone_a,
            "address": "枫溪社区1幢101室",
        },
        {
            "name": "李四",
            "gender": "女",
            "id_number": ids[1],
            "phone": phone_b,
            "address": "枫溪社区1幢201室",
        },
    ]


def pool(grid, users):
    """Put the grid's users into the mediator pool at their levels."""
    for level, role in (
        (1, "mediator"),
        (2, "police_assistant"),
        (3, "lawyer"),
        (4, "community_officer"),
        (5, "dispatcher"),
    ):
        services.add_to_pool(users[role], grid, level)


def make_dispute(grid, users, *, actor=None, **extra):
    extra.setdefault("title", f"楼上楼下噪音纠纷{next(_seq)}")
    extra.setdefault("facts", "楼上住户夜间频繁发出噪音，双方多次争吵。")
    extra.setdefault("claims", "要求夜间十点后停止噪音并赔礼道歉")
    extra.setdefault("type", "neighbour")
    extra.setdefault("parties", parties())
    return services.register_dispute(actor or users["community_officer"], place=grid, **extra)


def mediating(grid, users, **extra):
    """A dispute at L1 with the grid's elder."""
    pool(grid, users)
    dispute = make_dispute(grid, users, **extra)
    return services.start_mediation(dispute, users["community_officer"], mediator=users["mediator"])


def at_level(grid, users, level, **extra):
    dispute = mediating(grid, users, **extra)
    actor = users["community_officer"]
    while dispute.level < level:
        target = dispute.level + 1
        dispute = services.next_level(
            dispute,
            actor,
            note=f"第{dispute.level}级调解不成",
            lawyer_choice="双方当事人共同选定该律师" if target == 3 else "",
            mediator=users["lawyer"] if target == 3 else None,
        )
    return dispute


TERMS_FIELDS = {
    "facts": "张三家楼上李四夜间噪音，影响休息，双方多次争吵。",
    "issues": "噪音是否超出合理限度；是否应当赔偿。",
    "responsibilities": "李四对噪音负主要责任；张三言语过激负次要责任。",
    "terms": [
        {"text": "李四每晚22时后不再进行产生噪音的活动", "due_on": "2026-12-01"},
        {"text": "李四向张三赔偿误工损失人民币500元", "due_on": "2026-12-10"},
    ],
    "performance_manner": "现金当面支付，由调解员见证；生活约定自签署之日起长期遵守。",
}


def agreed(grid, users, level=3, **extra):
    dispute = at_level(grid, users, level, **extra)
    return services.agree(dispute, users["community_officer"], note="双方达成一致")


def signed(grid, users, **extra):
    dispute = agreed(grid, users, **extra)
    agreement = services.draft_agreement(dispute, users["community_officer"], **TERMS_FIELDS)
    return services.sign_agreement(agreement, users["community_officer"])

"""The default category tree (editable in admin afterwards): code, name, urgency, anonymity."""

# (code, name, urgency, allow_anonymous, children)
CATEGORIES = [
    ("dispute", "矛盾纠纷", "ordinary", False, []),
    ("public_order", "治安隐患", "ordinary", True, []),
    (
        "safety",
        "安全隐患",
        "urgent",
        True,
        [
            ("safety_fire", "消防隐患", "urgent", True),
            ("safety_building", "危房隐患", "ordinary", True),
            ("safety_gas", "燃气隐患", "urgent", True),
            ("safety_ebike", "电动车违规充电", "ordinary", True),
            ("safety_other", "其他安全隐患", "ordinary", True),
        ],
    ),
    ("cityscape", "市容环境", "ordinary", True, []),
    ("noise", "噪音扰民", "ordinary", True, []),
    ("illegal_building", "违章搭建", "complex", True, []),
    ("tip_off", "线索举报", "ordinary", True, []),
    ("help", "求助", "urgent", False, []),
    ("consultation", "咨询", "ordinary", True, []),
    ("police_transfer", "非警务警情转办", "urgent", False, []),
    ("other", "其他", "ordinary", True, []),
]


def install(Category):
    """Create the default tree where missing (idempotent; never overwrites edits)."""
    for sort, (code, name, urgency, anonymous, children) in enumerate(CATEGORIES):
        parent, _ = Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "urgency": urgency,
                "allow_anonymous": anonymous,
                "sort": sort * 10,
            },
        )
        for child_sort, (c_code, c_name, c_urgency, c_anonymous) in enumerate(children):
            Category.objects.get_or_create(
                code=c_code,
                defaults={
                    "name": c_name,
                    "parent": parent,
                    "urgency": c_urgency,
                    "allow_anonymous": c_anonymous,
                    "sort": sort * 10 + child_sort + 1,
                },
            )

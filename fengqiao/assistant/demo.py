"""Demo data of the assistant: the shipped standard answers, a few hand-offs, screened group
messages (some raise alerts) and questions nobody has answered yet, in the demo county's first grids.

The shared law corpus (``../shared/data/laws``, or ``$FENGQIAO_SHARED_DATA/laws``) is imported by the
background worker like on a real install: seeding enqueues the import, the staff pages show how far the
import and the embedding are, and the assistant answers from what is indexed so far. Every name and
number here is invented.
"""

from itertools import cycle
from pathlib import Path

from fengqiao.org.models import Place

from . import services

HANDOFFS = [
    ("小区南门的路灯坏了一个星期，晚上很黑，找谁修？", "晚上打电话"),
    ("我家老人想办老年证，要去哪里办？", ""),
    ("楼下商铺天天用大喇叭放音乐，能不能管一管？", "微信同号"),
    ("租客搬走后还欠两个月电费，押金够不够扣要怎么算？", ""),
]
MESSAGES = [
    "【通知】本周六上午九点社区广场有免费义诊，欢迎参加。",
    "兼职刷单，日结三百，先垫付后返佣金，有意私聊。",
    "我是公安局的，你名下银行卡涉嫌洗钱，马上把钱转到安全账户配合调查。",
    "明天小区停水，请大家提前储水。",
    "三楼那家再敢把垃圾扔我门口，我就拿刀去找他算账。",
    "我爸早上出门买菜到现在没回来，穿灰色外套，有人看见吗？",
]
UNANSWERED = ["小区的充电桩怎么申请安装", "社区的老年食堂几点开饭", "垃圾分类投放时间是几点"]


def enqueue_law_import() -> bool:
    """Have the worker import the shared law corpus (once: not when laws are already there)."""
    from . import indexing, realdata, tasks
    from .models import LawInstrument

    shared = realdata.shared_data_dir()
    if shared is None or not (shared / "laws").is_dir() or LawInstrument.objects.exists():
        return False
    indexing.set_status("queued", directory=str(shared / "laws"))
    tasks.import_laws_from.enqueue(str(shared / "laws"))
    return True


def seed(county):
    enqueue_law_import()
    kb = Path(__file__).resolve().parent / "data" / "standard_answers.jsonl"
    with kb.open("rb") as fh:
        services.import_kb_lines(fh, reindex="now")
    grids = list(
        Place.objects.filter(level=Place.Level.GRID, path__startswith=county.path).order_by("code")[
            :3
        ]
    )
    if not grids:
        return
    for grid, (question, contact) in zip(cycle(grids), HANDOFFS):
        services.request_handoff(question, grid, contact=contact)
    for grid, text in zip(cycle(grids), MESSAGES):
        services.screen_message(text, grid, group_name=f"{grid.name}居民群")
    for question in UNANSWERED:
        services.ask(question)

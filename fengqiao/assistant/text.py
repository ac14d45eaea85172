"""Chinese text handling shared by retrieval and screening: normalisation, terms, synonyms.

Terms are jieba words plus character bigrams of every run of Chinese characters: words give precision,
bigrams make up for segmentation that differs between a resident's wording and a statute's.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

# jieba is imported when first needed (its import and dictionary cost about half a second): screening
# needs only :func:`normalize`.

CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
WORD_OK = re.compile(r"[\u3400-\u9fffa-z0-9]")
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "或",
        "及",
        "等",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "这",
        "那",
        "这个",
        "那个",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "哦",
        "嗯",
        "么",
        "什么",
        "怎么",
        "怎样",
        "如何",
        "请问",
        "请",
        "一下",
        "一个",
        "可以",
        "能",
        "能不能",
        "可不可以",
        "要",
        "需要",
        "有",
        "没有",
        "没",
        "就",
        "都",
        "也",
        "还",
        "又",
        "被",
        "把",
        "给",
        "对",
        "让",
        "向",
        "从",
        "到",
        "为",
        "之",
        "其",
        "者",
        "所",
        "以",
        "而",
        "且",
        "但",
        "如果",
        "因为",
        "所以",
        "并",
        "应当",
        "应该",
        "哪里",
        "哪儿",
        "哪",
        "谁",
        "多少",
        "几",
        "吗",
        "么",
        "啥",
        "咋",
        "去",
        "来",
        "想",
        "会",
        "得",
        "着",
        "过",
        "您",
        "您好",
        "你好",
        "老师",
        "警官",
        "同志",
        "谢谢",
        "麻烦",
        "问",
        "问下",
        "问一下",
    ]
)

# Resident words → the words the knowledge base and the statutes use. Expansion terms get lower weight.
SYNONYMS = {
    "户口": ["户籍"],
    "户籍": ["户口"],
    "迁户口": ["迁移", "户口迁移"],
    "上户口": ["出生登记", "落户"],
    "报户口": ["出生登记", "落户"],
    "身份证": ["居民身份证"],
    "丢": ["遗失", "补领"],
    "丢了": ["遗失", "补领"],
    "掉了": ["遗失", "补领"],
    "弄丢": ["遗失", "补领"],
    "坏了": ["损坏", "换领"],
    "过期": ["有效期", "换领"],
    "到期": ["有效期", "换领"],
    "驾照": ["驾驶证"],
    "开车": ["驾驶", "机动车"],
    "车牌": ["号牌"],
    "罚单": ["罚款", "处罚"],
    "扣分": ["记分"],
    "撞": ["交通事故"],
    "老外": ["外国人"],
    "外国朋友": ["外国人"],
    "护照": ["出入境", "普通护照"],
    "港澳": ["往来港澳通行证"],
    "台湾": ["往来台湾通行证"],
    "签证": ["出入境"],
    "骗": ["诈骗"],
    "被骗": ["诈骗", "报警"],
    "骗子": ["诈骗"],
    "转账": ["汇款", "诈骗"],
    "打架": ["殴打", "斗殴"],
    "打人": ["殴打"],
    "被打": ["殴打"],
    "吵架": ["纠纷"],
    "吵": ["噪声", "纠纷"],
    "吵闹": ["噪声"],
    "噪音": ["噪声"],
    "扰民": ["噪声", "干扰"],
    "邻居": ["邻里", "相邻"],
    "矛盾": ["纠纷"],
    "房东": ["出租人", "出租房屋"],
    "租客": ["承租人", "租赁"],
    "租房": ["出租房屋", "租赁"],
    "出租": ["出租房屋", "租赁"],
    "外地人": ["流动人口"],
    "暂住证": ["居住证", "居住登记"],
    "证明": ["开具证明"],
    "小偷": ["盗窃"],
    "偷": ["盗窃"],
    "被偷": ["盗窃", "报警"],
    "走丢": ["走失", "失踪"],
    "找不到": ["走失", "失踪"],
    "家暴": ["家庭暴力"],
    "打老婆": ["家庭暴力"],
    "报案": ["报警"],
    "狗": ["犬只", "养犬"],
    "赌博": ["赌博"],
    "吸毒": ["毒品"],
    "酒驾": ["饮酒", "醉酒", "驾驶"],
    "电动车": ["电动自行车", "非机动车"],
    "网贷": ["贷款"],
    "调解": ["人民调解"],
    "120": ["急救"],
    "110": ["报警"],
    "改名": ["变更姓名"],
}

_SYN_WEIGHT = 0.5
_FUNCTION_BIGRAM = 0.5

# What a question is about, when it names a document or a party residents often confuse: a standard
# answer about another one (an ID-card question matched to the visa answer through "到期") is
# worth less. Each subject: the words that name it.
SUBJECTS = {
    "身份证": ("身份证",),
    "户口": ("户口", "户籍", "落户", "户口本", "户口簿"),
    "居住证": ("居住证", "暂住证"),
    "护照": ("护照",),
    "签证": ("签证", "居留", "停留期"),
    "通行证": ("通行证", "港澳", "香港", "澳门", "台湾"),
    "驾驶证": ("驾驶证", "驾照", "记分", "扣分"),
    "外国人": ("外国人", "老外", "外籍", "外国"),
    "律师": ("律师", "法律援助", "打官司"),
    "号牌": ("上牌", "号牌", "车牌", "牌照", "过户"),
}


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), lower case, collapse spaces."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip().lower()


_BULK = False  # set in the short-lived processes that tokenise a whole corpus (:func:`use_full_dictionary`)


def use_full_dictionary() -> None:
    """This process tokenises in bulk: cut with jieba's own dict (fast lookups, ≈ 70 MB of this
    process's memory) rather than the shared table — same words either way."""
    global _BULK
    _BULK = True


def _init_jieba():
    """The tokenizer: jieba's, with its dictionary memory-mapped and shared between processes
    (:mod:`.jiebadict`) — or jieba's own dict in bulk tokenisation processes."""
    from . import jiebadict

    logging.getLogger("jieba").setLevel(logging.WARNING)
    return jiebadict.full_tokenizer() if _BULK else jiebadict.shared_tokenizer()


def words(text: str) -> list[str]:
    return [
        w
        for w in _init_jieba().lcut(text, HMM=False)
        if w.strip() and WORD_OK.search(w) and w not in STOPWORDS
    ]


def bigrams(text: str) -> list[str]:
    out = []
    for run in CJK_RUN.findall(text):
        if len(run) == 1:
            if run not in STOPWORDS:
                out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def terms(text: str) -> list[str]:
    """Index terms: ``w:word`` and ``b:bigram`` (prefixed so the two never collide)."""
    text = normalize(text)
    return ["w:" + w for w in words(text)] + ["b:" + b for b in bigrams(text)]


def subjects(text: str) -> frozenset[str]:
    text = normalize(text)
    return frozenset(k for k, names in SUBJECTS.items() if any(n in text for n in names))


@lru_cache(maxsize=512)
def _expansion_terms(expansion: str) -> tuple[str, ...]:
    return tuple(["w:" + w for w in words(expansion)] + ["b:" + b for b in bigrams(expansion)])


def query_terms(text: str) -> dict[str, float]:
    """Terms of a question with weights: 1 for its own terms, lower for synonym expansions."""
    return dict(_query_terms(normalize(text)))


@lru_cache(maxsize=2048)
def _query_terms(text: str) -> tuple[tuple[str, float], ...]:
    raw = _init_jieba().lcut(text, HMM=False)
    weights: dict[str, float] = {
        "w:" + w: 1.0 for w in raw if w.strip() and WORD_OK.search(w) and w not in STOPWORDS
    }
    # A bigram that lies inside a function word ("怎么", "什么", "可以") or straddles one ("么办")
    # says little about the subject: it weighs less than the content words' bigrams.
    content = set()
    for w in raw:
        if w not in STOPWORDS and len(w) > 1:
            content.update(w[i : i + 2] for i in range(len(w) - 1))
    for b in bigrams(text):
        weights.setdefault("b:" + b, 1.0 if b in content else _FUNCTION_BIGRAM)
    for key, expansions in SYNONYMS.items():
        if key in text:
            for e in expansions:
                for t in _expansion_terms(e):
                    weights.setdefault(t, _SYN_WEIGHT)
    return tuple(weights.items())

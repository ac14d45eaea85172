"""The answering decision: standard answer → law articles → honest "I don't know" with a hand-off.

Django-free; :mod:`fengqiao.assistant.services` feeds it entries and the law index and stores results.
Thresholds were calibrated on ``data/eval/questions.jsonl`` (see docs/assistant.md).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

import numpy as np

from . import laws as lawsmod
from . import learned as learnedmod
from .realdata import law_key
from .retrieval import KBEntry, KBIndex, LawIndex, doc_keys
from .text import normalize


def gettext_noop(message: str) -> str:
    """Marks a message for ``makemessages`` (same name as Django's); pages translate it when shown.
    Defined here so that this module needs no Django settings."""
    return message


KB_CONFIDENT = 0.27  # best cosine + half its lead over the runner-up, at or above which a standard answer is given
# An entry with no question (matched through its answer text alone): calibrated on the tuning part's
# answer-only knowledge base of law.jsonl (500 lawyer answers), where right − 2 × wrong is largest.
KB_CONFIDENT_ANSWER_ONLY = 0.20
# The same with the dense layer (answers embedded, model loaded: the score includes the dense bonus),
# fitted together with ``KBIndex.DENSE_FLOOR`` / ``DENSE_WEIGHT`` on the same tuning part
# (bench/assistant_answer_dense.py --fit; docs/assistant.md).
KB_CONFIDENT_ANSWER_ONLY_DENSE = 0.38
KB_LEAD_WEIGHT = 0.5  # how much an unambiguous match (lead over the runner-up) adds
LAW_CONFIDENT = 0.22  # share of the question's BM25 mass an article must match to be quoted
MAX_QUESTION = 500

# Fixed texts of the answers (the API and CLI give them in Chinese; pages translate them).
AI_LABEL = gettext_noop("【智能助手自动回复，仅供参考】")
HANDOFF_TEXT = gettext_noop(
    "抱歉，这个问题我暂时没有把握回答。您可以点击“转人工”，社区民警会尽快答复您。"
)
REFUSAL_TEXT = gettext_noop(
    "抱歉，我不能提供任何个人信息、他人的案件或内部资料。"
    "如需查询本人事项，请携带身份证件到派出所或通过实名认证的政务服务渠道办理。"
)
EMERGENCY_TEXT = gettext_noop("如情况紧急，请立即拨打110（报警）、119（火警）或120（急救）。")
ASK_TEXT = gettext_noop("请告诉我您想咨询的问题。")
LAW_INTRO = gettext_noop("知识库中暂时没有这个问题的标准答案。以下法律条文可能与您的问题有关：")
LAW_OUTRO = gettext_noop("以上仅为条文指引，不构成法律意见；具体情况可以点击“转人工”咨询社区民警。")
BASIS_PREFIX = gettext_noop("依据：")
FIXED_TEXTS = (AI_LABEL, HANDOFF_TEXT, REFUSAL_TEXT, EMERGENCY_TEXT, ASK_TEXT, LAW_INTRO, LAW_OUTRO)

# Requests for other people's data or the system's internals: refused, whatever else the text says.
PRIVACY_RE = re.compile(
    r"(身份证号|身份证号码|手机号|电话号码|住址|住在哪|家庭住址|户籍信息|开房记录|行踪|案件|报案记录|犯罪记录|银行卡号|个人信息|隐私)"
    r".{0,12}(查|给我|告诉|发我|提供|列出|导出|是多少|多少)"
    r"|(查|查询|查一下|查下|告诉我|给我|列出|导出|提供).{0,16}(别人|他人|其他居民|所有居民|邻居|某人|[^\s，。]{1,4}的)"
    r".{0,8}(身份证|手机号|电话|住址|案件|记录|信息|隐私)"
    r"|忽略.{0,10}(指令|规则|设定|提示)|ignore (all |previous |the )?(instructions|rules)|system prompt|系统提示词|内部(资料|备注|笔记)",
    re.IGNORECASE,
)
EMERGENCY_RE = re.compile(r"救命|快来人|正在(打|砍|抢|偷|着火)|着火了|要跳楼|想自杀|被绑|持刀")
ARTICLE_QUERY_RE = re.compile(
    rf"《?([^《》\s，。？?]{{2,30}}?)》?\s*{lawsmod.ARTICLE_REF_RE.pattern}"
)


@dataclass
class Citation:
    law: str
    article: int
    text: str
    suffix: int = 0
    version_date: str = ""
    superseded: bool = False
    notice: str = ""
    score: float = 0.0

    def as_dict(self) -> dict:
        out = {"law": self.law, "article": self.article, "text": self.text}
        if self.suffix:
            out["article_suffix"] = self.suffix
        if self.superseded:
            out["superseded"] = True
            out["notice"] = self.notice
        return out


@dataclass
class Answer:
    answer: str
    kb_matches: list[dict] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 0.0
    handoff: bool = False
    source: str = "none"  # kb | law | none | refused
    kb_key: str = ""

    def as_dict(self, id_=None) -> dict:
        out = {
            "id": id_,
            "answer": self.answer,
            "kb_matches": self.kb_matches,
            "citations": [c.as_dict() for c in self.citations],
            "confidence": round(self.confidence, 4),
            "handoff": self.handoff,
        }
        if self.source.endswith("+llm"):
            out["ai_generated_by_llm"] = True
        return out


class Assistant:
    def __init__(
        self,
        entries: list[KBEntry],
        law_index: LawIndex | None,
        today: dt.date | None = None,
        kb: KBIndex | None = None,
        learned=None,
        dense=None,
    ):
        """``kb``: a prebuilt index of exactly ``entries`` (the worker's), else built here.
        ``learned``: what the real questions taught (:class:`learned.Learned`), ``dense``: the
        embedded articles (:class:`retrieval.DenseIndex`), both optional."""
        self.learned = learned
        self.dense = dense
        self.entries = entries
        self.kb = kb if kb is not None else KBIndex(entries)
        self.laws = law_index
        self.today = (today or dt.date.today()).isoformat()
        self._by_title_article: dict[tuple[str, int, int], int] = {}
        self._short_titles: dict[str, str] = {}
        if law_index is not None:
            keys = doc_keys(law_index.docs)  # (title, version date, number, suffix, level)
            best_version: dict[str, str] = {}
            for i, (title, version, number, suffix, _level) in enumerate(keys):
                key = (title, number, suffix)
                prev = self._by_title_article.get(key)
                if prev is None or keys[prev][1] < version:
                    self._by_title_article[key] = i
                best_version[title] = max(best_version.get(title, ""), version)
            for title in best_version:
                self._short_titles[lawsmod.short_title(title)] = title
                self._short_titles[title] = title
            short = {title: law_key(title) for title in best_version}
            self._by_key: dict[tuple[str, int, int], int] = {}
            self._doc_key: list[tuple[str, int, int]] = []
            self._doc_level: list[int] = []
            for i, (title, version, number, suffix, level) in enumerate(keys):
                key = (short[title], number, suffix)
                self._doc_key.append(key)
                self._doc_level.append(level)
                prev = self._by_key.get(key)
                if prev is None or keys[prev][1] < version:
                    self._by_key[key] = i
            self._title_keys = set(short.values())

    # ------------------------------------------------------------------ citations
    def resolve_title(self, law: str) -> str | None:
        law = (law or "").strip().strip("《》")
        return self._short_titles.get(law) or self._short_titles.get(lawsmod.short_title(law))

    def citation_for(
        self, law: str, article: int, suffix: int = 0, score: float = 1.0
    ) -> Citation | None:
        if self.laws is None:
            return None
        title = self.resolve_title(law)
        i = self._by_title_article.get((title, int(article), int(suffix))) if title else None
        return None if i is None else self._citation(i, score)

    def _citation(self, i: int, score: float) -> Citation:
        d = self.laws.docs[i]
        superseded = bool(d.superseded_from) and d.superseded_from <= self.today
        notice = ""
        if superseded:
            vd = dt.date.fromisoformat(d.version_date) if d.version_date else None
            notice = lawsmod.superseded_notice(d.title, vd, d.superseded_from, d.superseded_note)
        return Citation(
            d.title, d.number, d.text, d.suffix, d.version_date, superseded, notice, score
        )

    def _explicit_articles(self, question: str) -> list[Citation]:
        out = []
        for m in ARTICLE_QUERY_RE.finditer(question):
            try:
                number = lawsmod.cn_to_int(m.group(2))
                suffix = lawsmod.cn_to_int(m.group(3)) if m.group(3) else 0
            except ValueError:
                continue
            name = m.group(1)
            for cut in range(len(name)):  # "请问治安管理处罚法" → "治安管理处罚法"
                c = self.citation_for(name[cut:], number, suffix)
                if c is not None:
                    out.append(c)
                    break
        return out

    # ------------------------------------------------------------------ learned ranking
    def law_candidates(self, question: str, exclude: str = "") -> tuple[list, list]:
        """Candidate articles (keys) and their reranker features, from the lexical index, the dense
        index and the question memory. ``exclude``: a tuning question leaves itself out."""
        if self.laws is None or not len(self.laws.docs):
            return [], []
        pool = learnedmod.POOL
        lex = self.laws.search(question, pool)
        cand: dict[int, list[float]] = {}

        def row(i):
            return cand.setdefault(i, [0.0] * len(learnedmod.FEATURES))

        for rank, (i, _ranked, norm) in enumerate(lex):
            r = row(self._canonical(i))
            r[0] = max(r[0], norm)
            r[1] = max(r[1], 1 / (1 + rank))
        if self.dense is not None:
            for rank, (i, cos) in enumerate(self.dense.search_text(question, pool)):
                r = row(self._canonical(i))
                r[2] = max(r[2], cos)
                r[3] = max(r[3], 1 / (1 + rank))
        if self.learned is not None:
            for key, (total, best) in self.learned.memory.votes(question, 10, exclude).items():
                i = self._by_key.get(key)
                if i is not None:
                    r = row(i)
                    r[4], r[5] = total, best
        q = normalize(question)
        keys, feats = [], []
        for i, r in cand.items():
            key = self._doc_key[i]
            r[6] = self.learned.prior(key[0]) / 10 if self.learned is not None else 0.0
            r[7] = 1 / math.log2(2 + key[1])
            short = key[0]
            r[8] = float(len(short) >= 2 and (short in q or short.removesuffix("法") in q))
            r[9] = float(self._doc_level[i] <= 1)
            keys.append(key)
            feats.append(r)
        return keys, feats

    def _canonical(self, i: int) -> int:
        """The newest version of the article at position ``i``."""
        return self._by_key.get(self._doc_key[i], i)

    def ranked_laws(self, question: str) -> list[tuple[int, float]]:
        """Articles by the reranker's probability (position, probability), best first."""
        keys, feats = self.law_candidates(question)
        if not keys:
            return []
        p = self.learned.score(np.array(feats, dtype=np.float32))
        order = np.argsort(-p)[:10]
        return [(self._by_key[keys[j]], float(p[j])) for j in order]

    # ------------------------------------------------------------------ answering
    def ask(self, question: str) -> Answer:
        question = normalize(question)[:MAX_QUESTION]
        if not question:
            return Answer(ASK_TEXT, handoff=False, source="none")
        if PRIVACY_RE.search(question):
            return Answer(REFUSAL_TEXT, source="refused", handoff=False, confidence=1.0)
        emergency = bool(EMERGENCY_RE.search(question))

        kb_hits = self.kb.search(question, 10)
        kb_matches = [{"id": self.entries[i].key, "score": round(s, 4)} for i, s in kb_hits]
        citations: list[Citation] = []
        seen: set[tuple[str, int, int]] = set()

        def add(c: Citation | None):
            if c is not None and (c.law, c.article, c.suffix) not in seen and len(citations) < 10:
                seen.add((c.law, c.article, c.suffix))
                citations.append(c)

        explicit = self._explicit_articles(question)
        for c in explicit:
            add(c)
        top_kb = None
        if kb_hits:
            lead = kb_hits[0][1] - (kb_hits[1][1] if len(kb_hits) > 1 else 0.0)
            top_kb = (kb_hits[0][0], min(1.0, kb_hits[0][1] + KB_LEAD_WEIGHT * lead))
        kb_ok = (
            top_kb is not None
            and top_kb[1]
            >= (
                KB_CONFIDENT
                if self.entries[top_kb[0]].question
                else KB_CONFIDENT_ANSWER_ONLY_DENSE
                if self.kb.dense_active()
                else KB_CONFIDENT_ANSWER_ONLY
            )
            and not (explicit and top_kb[1] < 0.5)
        )
        if kb_ok:
            for b in self.entries[top_kb[0]].basis:
                add(self.citation_for(b.get("law", ""), b.get("article", 0), b.get("suffix", 0)))
        if self.learned is not None and self.laws is not None:
            ranked = self.ranked_laws(question)
            # in the learned scale: at or above the calibrated threshold counts as confident
            law_top = ranked[0][1] * LAW_CONFIDENT / self.learned.law_threshold if ranked else 0.0
            for i, p in ranked:
                add(self._citation(i, p))
        else:
            law_hits = self.laws.search(question, 10) if self.laws is not None else []
            law_top = law_hits[0][2] if law_hits else 0.0
            for i, _rank, norm in law_hits:
                add(self._citation(i, norm))

        notices = sorted({c.notice for c in citations[:3] if c.superseded})
        prefix = EMERGENCY_TEXT + "\n" if emergency else ""
        if kb_ok:
            entry = self.entries[top_kb[0]]
            wanted = {
                (self.resolve_title(b.get("law", "")), int(b.get("article", 0)), b.get("suffix", 0))
                for b in entry.basis
            }
            basis = [c for c in citations if (c.law, c.article, c.suffix) in wanted]
            text = prefix + entry.answer
            if basis:
                text += (
                    "\n"
                    + BASIS_PREFIX
                    + "；".join(
                        f"《{lawsmod.short_title(c.law)}》{lawsmod.article_label(c.article, c.suffix)}"
                        for c in basis
                    )
                )
            if notices:
                text += "\n" + "\n".join(notices)
            return Answer(text, kb_matches, citations, top_kb[1], False, "kb", entry.key)
        if citations and (law_top >= LAW_CONFIDENT or explicit):
            lines = [prefix + LAW_INTRO]
            for c in citations[:3]:
                snippet = c.text if len(c.text) <= 160 else c.text[:160] + "……"
                lines.append(
                    f"《{lawsmod.short_title(c.law)}》{lawsmod.article_label(c.article, c.suffix)}：{snippet}"
                )
            lines += notices
            lines.append(LAW_OUTRO)
            confidence = min(0.44, 0.2 + law_top)
            return Answer("\n".join(lines), kb_matches, citations, confidence, False, "law")
        confidence = max(top_kb[1] if top_kb else 0.0, law_top) * 0.5
        return Answer(prefix + HANDOFF_TEXT, kb_matches, citations, confidence, True, "none")

"""Screening of community-group messages: scams, threats, self-harm, missing persons, escalating disputes.

Two layers, both explainable:

* rules — hand-written patterns per label, each with a weight and a reason shown as evidence;
* a model — character 1–3-gram TF-IDF + logistic regression (scikit-learn), trained at first use on the
  labelled messages shipped in ``data/screen_train.tsv`` (a second or less; nothing is downloaded and no
  pickled model is shipped). Its strongest n-grams for the chosen label are also given as evidence.

The two scores are combined with a noisy-OR; a message is flagged only above a threshold calibrated on
``data/eval/screen_eval.tsv`` (held out from training). Warnings *about* scams (police notices, a resident
telling others "this is a scam") dampen the fraud score, so anti-fraud publicity is not itself an alarm.
"""

from __future__ import annotations

import csv
import json
import os
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .text import normalize


def gettext_noop(message: str) -> str:
    """Marks a message for ``makemessages`` (same name as Django's); pages translate it when shown.
    Defined here so that this module needs no Django settings."""
    return message


DATA_DIR = Path(__file__).resolve().parent / "data"
TRAIN_FILE = DATA_DIR / "screen_train.tsv"
EVAL_FILE = DATA_DIR / "eval" / "screen_eval.tsv"

NORMAL = "normal"
LABELS = {
    "fraud_police": gettext_noop("冒充公检法诈骗"),
    "fraud_loan": gettext_noop("贷款/信用卡诈骗"),
    "fraud_refund": gettext_noop("冒充客服退款理赔诈骗"),
    "fraud_boss": gettext_noop("冒充领导熟人诈骗"),
    "fraud_task": gettext_noop("刷单返利兼职诈骗"),
    "fraud_invest": gettext_noop("投资理财/杀猪盘诈骗"),
    "fraud_prize": gettext_noop("虚假中奖诈骗"),
    "threat": gettext_noop("威胁/暴力"),
    "self_harm": gettext_noop("自伤自杀风险"),
    "missing_person": gettext_noop("人员走失"),
    "dispute_escalation": gettext_noop("纠纷激化"),
    NORMAL: gettext_noop("正常"),
}
FRAUD_LABELS = frozenset(k for k in LABELS if k.startswith("fraud_"))
THRESHOLD = 0.5

# (label, pattern, weight, reason)
RULES: list[tuple[str, str, float, str]] = [
    (
        "fraud_police",
        r"安全账户|清查账户|监管账户|资金清查|资金核查|资产清查|自证清白|资金保全",
        0.75,
        "要求把钱转入“安全账户”或清查资金",
    ),
    (
        "fraud_police",
        r"(公安|警官|民警|检察|法院|刑侦|经侦|缉私|禁毒).{0,20}(洗钱|涉案|涉嫌|通缉|逮捕|传票)",
        0.45,
        "自称公检法并称对方涉案",
    ),
    (
        "fraud_police",
        r"(洗钱|涉案|涉嫌|通缉).{0,20}(公安|警官|民警|检察|法院|专案组)",
        0.45,
        "称对方涉案并转接“警官”",
    ),
    (
        "fraud_police",
        r"(不要|不能|别)(告诉|跟).{0,6}(家人|任何人|家里)|保密案件|案件需要保密",
        0.45,
        "要求对家人保密",
    ),
    (
        "fraud_police",
        r"视频笔录|视频做笔录|开房.{0,6}配合调查|酒店.{0,8}(笔录|配合)",
        0.5,
        "要求视频笔录或单独到酒店配合调查",
    ),
    ("fraud_police", r"取保候审.{0,10}(交|保证金)|逮捕令|通缉令", 0.4, "以逮捕令、保证金相威胁"),
    (
        "fraud_loan",
        r"(解冻费|解冻金|手续费|保证金|会员费|工本费|激活费|刷流水|验资|流水).{0,12}(放款|下款|贷款|提现)|(放款|下款|贷款).{0,15}(解冻费|解冻金|手续费|保证金|会员费|流水|激活费)",
        0.6,
        "放款前要求先交费或刷流水",
    ),
    (
        "fraud_loan",
        r"不(看|查)征信|黑户.{0,4}(下款|可贷|也能)|无视黑白户|征信修复|删除逾期|修复征信",
        0.55,
        "声称不看征信或能修复征信",
    ),
    (
        "fraud_loan",
        r"(校园贷|学生贷|网贷|金条|借呗|微粒贷).{0,12}(注销|清零|影响征信)|(注销|清零).{0,12}(校园贷|学生贷|网贷)",
        0.6,
        "以注销贷款账户、影响征信为由",
    ),
    (
        "fraud_loan",
        r"(提额|额度提升|额度可提).{0,15}(流水|验资|先付|先交)",
        0.5,
        "以提额为由要求先转账",
    ),
    (
        "fraud_refund",
        r"(退款|理赔|赔偿|退费|补偿).{0,25}(屏幕共享|共享屏幕|验证码|银行卡|备用金|借呗|微粒贷|扫描二维码|下载|加.{0,2}(QQ|微信)|链接|专员|客服)",
        0.55,
        "以退款理赔为由索要信息或诱导操作",
    ),
    (
        "fraud_refund",
        r"(开通|误开通).{0,12}(保障服务|会员|代理|保险).{0,20}(扣费|扣款)|自动续费.{0,20}(取消|联系)",
        0.55,
        "谎称误开通服务将扣费",
    ),
    (
        "fraud_refund",
        r"(借呗|备用金|微粒贷|花呗).{0,20}(借|转).{0,15}(验证|激活|退款)",
        0.6,
        "让人借款后转账“验证”",
    ),
    (
        "fraud_boss",
        r"(我是|这是).{0,6}(局长|总|董事长|书记|主任|领导|校长|班主任).{0,20}(新微信|私人微信|转账|打款|汇款|转到|垫付|扫)",
        0.55,
        "冒充领导要求转账",
    ),
    (
        "fraud_boss",
        r"(换号|新号|手机(掉|坏|丢)了|朋友的号|同学的号).{0,30}(转|借|汇|打)",
        0.55,
        "自称换了号码的熟人借钱",
    ),
    (
        "fraud_boss",
        r"(别|不要)告诉.{0,4}(爸|妈|家里).{0,20}(转|汇|借|钱)|(转|汇|借|钱).{0,20}(别|不要)告诉.{0,4}(爸|妈|家里)",
        0.5,
        "“别告诉家人”的借钱要求",
    ),
    (
        "fraud_boss",
        r"(开会|飞机上|不方便).{0,15}(接电话|通话).{0,30}(转|汇|打款)|(转账|打款|汇款).{0,20}不方便.{0,4}(接电话|通话)",
        0.5,
        "不便通话却催促转账",
    ),
    (
        "fraud_task",
        r"刷单|点赞.{0,10}(佣金|赚|元)|(返利|佣金).{0,15}(垫付|本金)|垫付.{0,15}(返|佣金)",
        0.6,
        "刷单、点赞返利或垫付返佣",
    ),
    (
        "fraud_task",
        r"(任务|做单).{0,20}(冻结|充值才能|再充值|补充.{0,4}充值)|(充值|垫付).{0,10}(才能|方可)提现",
        0.65,
        "任务未完成要求继续充值",
    ),
    (
        "fraud_task",
        r"(兼职|接单|打字员|手工活|评论员|好评员).{0,25}(押金|会员|充值|日结|日赚|轻松赚)",
        0.45,
        "轻松高薪兼职但先交钱",
    ),
    (
        "fraud_invest",
        r"稳赚不赔|保本保息|内幕消息|内部消息|翻(十|二十|几)?倍|日收益|高额回报|导师带|老师带你",
        0.5,
        "承诺高收益、稳赚不赔",
    ),
    (
        "fraud_invest",
        r"(博彩|外汇|数字货币|虚拟币|区块链|期货|原始股).{0,30}(赚|翻|漏洞|收益|投资|充值|入场)",
        0.45,
        "诱导投资博彩、虚拟币、外汇等",
    ),
    (
        "fraud_invest",
        r"(盈利|提现|账户).{0,15}(交|缴纳).{0,8}(税|保证金|手续费)",
        0.55,
        "提现前要求交税或保证金",
    ),
    (
        "fraud_invest",
        r"(亲爱的|宝贝|宝宝|男朋友|女朋友|网恋).{0,30}(投资|充值|平台|炒|下单)",
        0.5,
        "网恋对象推荐投资平台",
    ),
    (
        "fraud_prize",
        r"(中奖|幸运观众|抽中|大奖|一等奖|二等奖).{0,30}(交|缴纳|支付|个人所得税|公证费|保证金|手续费|链接)",
        0.65,
        "中奖后要求先交费或点链接",
    ),
    (
        "fraud_prize",
        r"积分.{0,10}(清零|兑换现金|提现)|ETC.{0,10}(失效|认证|过期)|医保.{0,10}(提现|余额可)|补贴.{0,15}(点击|链接|领取)",
        0.55,
        "积分清零、ETC失效、补贴领取类钓鱼",
    ),
    (
        "fraud_prize",
        r"(点击|登录).{0,6}(链接|网址).{0,20}(银行卡|领取|兑换|认证|缴费)",
        0.45,
        "诱导点击链接填写银行卡",
    ),
    (
        "threat",
        r"弄死|砍死|砍了|杀了|捅|打断.{0,4}腿|同归于尽|拼命|一把火|烧了|炸了|见一次打一次|拉个?垫背",
        0.6,
        "扬言伤害他人",
    ),
    (
        "threat",
        r"(你|给我)等着|小心点|走夜路|知道你(家)?住(哪|在)|不得安宁|什么都干得出来|怎么样.{0,4}不敢保证",
        0.45,
        "恐吓、威胁人身安全",
    ),
    (
        "threat",
        r"(买好|准备好?了?)(了)?.{0,3}(刀|汽油|煤气|炸药)|煤气罐|汽油",
        0.55,
        "准备凶器或危险物品",
    ),
    (
        "self_harm",
        r"不想活|想死|去死|一死了之|结束(这一切|生命|自己)|轻生|自杀|跳(下去|楼|河|江|桥)|安眠药|割.{0,2}腕|遗书|了结|解脱|撑不下去|坚持不下去|一了百了|消失在这个世界|不如死了",
        0.6,
        "表达轻生念头或准备",
    ),
    (
        "self_harm",
        r"最后一次|再见了|下辈子|对不起.{0,4}(爸|妈)|照顾好自己|去水库|站在(桥|楼顶)",
        0.35,
        "告别式话语",
    ),
    (
        "missing_person",
        r"走失|走丢|走散|失联|寻人|急寻|离家出走|联系不上|找不到家|没回家|没回来|一直没回|不见了",
        0.55,
        "有人走失或失联",
    ),
    (
        "missing_person",
        r"(老年痴呆|阿尔茨海默|智力障碍|智障|精神病).{0,30}(出门|跑出去|走|不见)|帮忙(留意|转发)|求扩散",
        0.4,
        "弱势人员走失求助",
    ),
    (
        "dispute_escalation",
        r"干一架|打起来|动手|动了刀|拿(棍子|刀|砖头|秤砣)|叫上(兄弟|人)|带人|对峙|推搡|掀了|砸(了|东西|玻璃|车)",
        0.5,
        "纠纷有动手或聚集苗头",
    ),
    (
        "dispute_escalation",
        r"堵(政府|门|路|高速|办公室|开发商|售楼)|拉横幅|集体维权|讨薪|上访|去.{0,6}闹",
        0.5,
        "群体性聚集、堵门讨说法",
    ),
    (
        "dispute_escalation",
        r"(宅基地|土地|地界|边界|围墙|排水沟|停车位|征地款|赡养|工资|油烟).{0,30}(吵|打|推|堵|砸|闹)",
        0.4,
        "邻里或利益纠纷在激化",
    ),
]
_COMPILED = [
    (label, re.compile(pattern, re.IGNORECASE), weight, reason)
    for label, pattern, weight, reason in RULES
]

# Publicity *against* scams and people warning each other: not a scam.
WARNING_CUE = re.compile(
    r"(警方|民警|派出所|公安|反诈|社区|温馨)提醒|提醒大家|警惕|谨防|都是(诈骗|骗子|骗局|骗人)|是骗局|别上当|不要上当|不要相信|一律挂断|反诈宣传|反诈知识|骗人的|"
    r"没理他|直接挂了|官方渠道|官方客服"
)
WARNING_DAMPING = 0.25

WARNING_REPLIES = {
    "fraud_police": "【反诈提醒】公安机关不会通过电话、微信办案，不会要求转账到“安全账户”，也不会发送通缉令。请勿转账，有疑问请拨打110核实。",
    "fraud_loan": "【反诈提醒】放款前要求交手续费、保证金、解冻费或刷流水的“贷款”都是诈骗。请通过正规银行办理贷款。",
    "fraud_refund": "【反诈提醒】自称客服要给您退款理赔、取消扣费的，请只在官方App内核实；不要共享屏幕、不要提供验证码、不要借款转账。",
    "fraud_boss": "【反诈提醒】领导、亲友通过新号码或聊天软件要求转账的，务必先电话或当面核实本人身份。",
    "fraud_task": "【反诈提醒】刷单返利、点赞兼职、垫付任务都是诈骗，刷单本身也违法，请勿参与。",
    "fraud_invest": "【反诈提醒】网友或“导师”推荐的稳赚不赔投资、博彩、虚拟币平台都是骗局，请勿充值。",
    "fraud_prize": "【反诈提醒】领奖前要求先交税、手续费的“中奖”信息和积分兑换、ETC认证链接都是诈骗，请勿点击。",
    "threat": "请大家保持冷静，有矛盾通过调解或报警依法解决。扬言伤害他人可能违法，社区民警已关注。",
    "self_harm": "我们很关心你。如果你正处在危险中，请立即拨打110或120，也可以拨打心理援助热线；社区工作人员会尽快联系你。",
    "missing_person": "已通知社区民警和网格员协助寻找。请家属尽快拨打110报警（无需等满24小时），并提供照片和衣着特征。",
    "dispute_escalation": "请双方保持冷静，不要动手或聚集。网格员和调解员会尽快上门了解情况、组织调解。",
}


# A short message with none of these (money, links, accounts, apps…) is rarely a scam whatever its tone.
MONEY_CUE = re.compile(
    r"转账|汇款|打款|转给|转到|链接|网址|http|www|\.cn|\.com|下载|app|充值|平台|收益|利息|回报|客服|验证码|"
    r"退款|退费|理赔|保证金|手续费|投资|理财|账户|账号|银行卡|贷款|额度|刷单|佣金|返利|扫码|二维码|押金|激活|"
    r"提现|中奖|领取|积分|补贴|元|块钱|万|钱|qq|微信|加我|私聊|点击|登录|认证|征信|逾期|冻结|涉嫌|通缉"
)


def fraud_raw(text: str, head: float, rules: dict[str, float]) -> float:
    """Fraud head + fraud rules (noisy-OR); damped for warnings and for short texts with no money cue."""
    r = max((rules.get(k, 0.0) for k in FRAUD_LABELS), default=0.0)
    if len(text) < 120 and not MONEY_CUE.search(text):
        head *= 0.5
    s = 1 - (1 - head) * (1 - r)
    if WARNING_CUE.search(text):
        s *= WARNING_DAMPING
    return s


@dataclass
class ScreenResult:
    label: str
    score: float
    fraud: bool
    evidence: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def flagged(self) -> bool:
        return self.label != NORMAL

    @property
    def label_display(self) -> str:
        return LABELS.get(self.label, self.label)

    @property
    def warning_reply(self) -> str:
        return WARNING_REPLIES.get(self.label, "")

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "score": round(self.score, 4),
            "fraud": self.fraud,
            "evidence": self.evidence,
        }


def read_tsv(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(r["label"].strip(), r["text"].strip()) for r in rows if r.get("text")]


N_FEATURES = 2**20
MODEL_VERSION = 2
SHIPPED_MODEL = DATA_DIR / "screener-base.npz"  # built from screen_train.tsv (written here) only
_DIGITS = re.compile(r"\d+")


def prep(text: str) -> str:
    """What the model sees: normalised, numbers masked as ``x`` (the public SMS corpus masks digits)."""
    return _DIGITS.sub("x", normalize(text)[:2000])


def _features(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays (indptr, indices, data) of :func:`featurize`, computed with numpy alone."""
    from .charhash import char_ngram_counts, l2_normalize_rows

    indptr, indices, data = char_ngram_counts([prep(t) for t in texts], N_FEATURES)
    return indptr, indices, l2_normalize_rows(indptr, 1 + np.log(data))


def featurize(texts: list[str]):
    """Hashed character 1–3-grams, sublinear term frequency, unit length (no vocabulary to ship).

    The same matrix as scikit-learn's ``HashingVectorizer(analyzer="char", ngram_range=(1, 3),
    n_features=2**20, alternate_sign=False)`` with ``1 + log(tf)`` and L2 rows (the model was trained
    on it), computed by :mod:`.charhash` so that screening imports neither scikit-learn nor scipy."""
    import scipy.sparse as sp

    indptr, indices, data = _features(texts)
    return sp.csr_matrix((data, indices, indptr), shape=(len(texts), N_FEATURES))


class Screener:
    """Rules + a multi-class model of the labels + (when built from the public data) a fraud head.

    Nothing is trained here: the weights come from a file built by ``fengqiao assistant
    train-screener`` (see :mod:`fengqiao.assistant.screen_training`); without one, the shipped
    ``data/screener-base.npz`` (from ``screen_train.tsv``) is used.
    """

    def __init__(self, path: str | Path | None = None, arrays: dict | None = None):
        if arrays is None:
            with np.load(path or SHIPPED_MODEL, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        self.classes = [str(c) for c in arrays["classes"]]
        # The label model: classes × 2²⁰ sparse weights, kept as CSR arrays and, for scoring, as
        # (column, class, weight) sorted by column then class — the order scipy's CSR product adds
        # in, so the scores are bit for bit those of ``x @ coef.T`` (no scipy needed to screen).
        self.coef_data = np.asarray(arrays["coef_data"], dtype=np.float32)
        self.coef_indices = np.asarray(arrays["coef_indices"])
        self.coef_indptr = np.asarray(arrays["coef_indptr"])
        rows = np.repeat(np.arange(len(self.classes)), np.diff(self.coef_indptr))
        order = np.lexsort((rows, self.coef_indices))
        cols = self.coef_indices[order]
        # column j's entries are start[j]:start[j + 1]
        self._t_start = np.zeros(N_FEATURES + 1, dtype=np.int32)
        self._t_start[1:] = np.cumsum(np.bincount(cols, minlength=N_FEATURES))
        self._t_class = rows[order]
        self._t_weight = self.coef_data[order]
        self.intercept = arrays["intercept"].astype(np.float32)
        self.fraud_coef = arrays.get("fraud_coef")
        self.fraud_intercept = float(arrays.get("fraud_intercept", 0.0))
        self.fraud_threshold = float(arrays.get("fraud_threshold", THRESHOLD))
        self.meta = json.loads(str(arrays.get("meta", "{}")))
        self._label_index = {c: i for i, c in enumerate(self.classes)}

    @property
    def coef(self):
        """The label model's weights as a scipy CSR matrix (classes × features)."""
        import scipy.sparse as sp

        return sp.csr_matrix(
            (self.coef_data, self.coef_indices, self.coef_indptr),
            shape=(len(self.classes), N_FEATURES),
        )

    @property
    def has_fraud_head(self) -> bool:
        return self.fraud_coef is not None and self.fraud_coef.size == N_FEATURES

    @staticmethod
    def rule_scores(text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        scores: dict[str, float] = {}
        evidence: dict[str, list[str]] = {}
        for label, pattern, weight, reason in _COMPILED:
            m = pattern.search(text)
            if m:
                scores[label] = 1 - (1 - scores.get(label, 0.0)) * (1 - weight)
                evidence.setdefault(label, []).append(f"规则：{reason}（“{m.group(0)}”）")
        return scores, evidence

    def class_probs(self, x) -> np.ndarray:
        """Softmax over the labels of feature rows ``x`` (CSR arrays from :func:`_features`)."""
        indptr, indices, data = x
        n = len(indptr) - 1
        doc = np.repeat(np.arange(n), np.diff(indptr))
        first = self._t_start[indices]
        count = self._t_start[indices + 1] - first
        pick = np.repeat(first - np.cumsum(count) + count, count) + np.arange(count.sum())
        z = np.zeros((n, len(self.classes)), dtype=np.float32)
        # np.add.at adds in the given order (by document, then column, then class) in float32
        np.add.at(
            z,
            (np.repeat(doc, count), self._t_class[pick]),
            np.repeat(data, count) * self._t_weight[pick],
        )
        z += self.intercept
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def fraud_probs(self, x) -> np.ndarray:
        indptr, indices, data = x
        n = len(indptr) - 1
        coef = self.fraud_coef
        dtype = np.result_type(data.dtype, coef.dtype)
        z = np.zeros(n, dtype=dtype)
        doc = np.repeat(np.arange(n), np.diff(indptr))
        np.add.at(z, doc, data.astype(dtype) * coef[indices].astype(dtype))
        z = z + self.fraud_intercept
        return 1 / (1 + np.exp(-z))

    def raw_fraud_scores(self, texts: list[str]) -> np.ndarray:
        """The fraud head's score combined with the fraud rules (before the calibrated threshold)."""
        head = self.fraud_probs(_features(texts))
        out = np.empty(len(texts), dtype=np.float32)
        for i, t in enumerate(texts):
            text = normalize(t)[:2000]
            out[i] = fraud_raw(text, float(head[i]), self.rule_scores(text)[0])
        return out

    def _calibrated(self, s: float) -> float:
        t = min(max(self.fraud_threshold, 1e-6), 1 - 1e-6)
        return 0.5 * s / t if s < t else 0.5 + 0.5 * (s - t) / (1 - t)

    def screen_many(self, texts: list[str]) -> list[ScreenResult]:
        norm = [normalize(t)[:2000] for t in texts]
        if not norm:
            return []
        x = _features(norm)
        probs = self.class_probs(x)
        head = self.fraud_probs(x) if self.has_fraud_head else None
        results = []
        for row, text in enumerate(norm):
            rules, rule_evidence = self.rule_scores(text)
            warned = bool(WARNING_CUE.search(text))
            combined: dict[str, float] = {}
            for label in LABELS:
                if label == NORMAL:
                    continue
                i = self._label_index.get(label)
                p = float(probs[row, i]) if i is not None else 0.0
                combined[label] = 1 - (1 - 0.9 * p) * (1 - rules.get(label, 0.0))
            if head is not None:
                # The fraud head decides whether it is fraud; rules and the label model say which kind.
                fraud_score = self._calibrated(fraud_raw(text, float(head[row]), rules))
                kind = max(FRAUD_LABELS, key=lambda k: (rules.get(k, 0.0), combined[k]))
                other = max((v for k, v in combined.items() if k not in FRAUD_LABELS), default=0)
                if other >= THRESHOLD and other >= fraud_score - 0.2:
                    fraud_score = min(fraud_score, 0.49)  # a threat or a cry for help, not a scam
                for k in FRAUD_LABELS:
                    combined[k] = fraud_score if k == kind else min(combined[k], 0.49)
            elif warned:
                for k in FRAUD_LABELS:
                    combined[k] *= WARNING_DAMPING
            best = max(combined, key=combined.get)
            score = combined[best]
            if score < THRESHOLD:
                results.append(ScreenResult(NORMAL, round(1 - score, 4), False, [], combined))
                continue
            evidence = list(rule_evidence.get(best, []))
            evidence += self._model_evidence(text, best, head is not None)
            results.append(ScreenResult(best, score, best in FRAUD_LABELS, evidence, combined))
        return results

    def screen(self, text: str) -> ScreenResult:
        return self.screen_many([text])[0]

    def _model_evidence(self, text: str, label: str, use_head: bool, top: int = 3) -> list[str]:
        """The character n-grams of the message that pushed the model most towards ``label``."""
        from .charhash import columns, murmurhash3_32

        if use_head and label in FRAUD_LABELS:
            row = self.fraud_coef
        elif label in self._label_index:
            i = self._label_index[label]
            s, e = self.coef_indptr[i], self.coef_indptr[i + 1]
            row = np.zeros(N_FEATURES, dtype=self.coef_data.dtype)
            row[self.coef_indices[s:e]] = self.coef_data[s:e]
        else:
            return []
        t = prep(text)
        seen: dict[str, None] = {}
        for n in (3, 2):
            for i in range(len(t) - n + 1):
                g = t[i : i + n]
                if g.strip() == g:
                    seen.setdefault(g)
        cand = list(seen)
        weights = row[columns(murmurhash3_32(cand), N_FEATURES)] if cand else []
        scored = {g: float(w) for g, w in zip(cand, weights, strict=True)}
        grams = []
        for g, w in sorted(scored.items(), key=lambda kv: -kv[1]):
            if w <= 0:
                break
            if any(g in h or h in g for h in grams):
                continue
            grams.append(g)
            if len(grams) == top:
                break
        return [f"模型：特征词“{'”“'.join(grams)}”"] if grams else []


_lock = threading.Lock()


def model_path(home: str | None = None) -> Path:
    """The model built from the public data under ``FENGQIAO_HOME`` if there is one, else the shipped one.
    ``home``: FENGQIAO_HOME as the settings give it (default: Django's settings, else the environment)."""
    if home is None:
        home = os.environ.get("FENGQIAO_HOME")
        from django.conf import settings

        if settings.configured:
            home = str(settings.FENGQIAO_HOME)
    built = Path(home) / "assistant" / "screener.npz" if home else None
    return built if built is not None and built.exists() else SHIPPED_MODEL


@lru_cache(maxsize=1)
def _default() -> Screener:
    return Screener(model_path())


def get_screener() -> Screener:
    with _lock:
        return _default()


def evaluate(screener: Screener, rows: list[tuple[str, str]]) -> dict:
    """Precision/recall on flagged vs normal and on fraud, false-alarm rate on normal messages."""
    results = screener.screen_many([t for _, t in rows])
    gold = [label for label, _ in rows]
    pred = [r.label for r in results]

    def prf(is_pos_gold, is_pos_pred):
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if is_pos_gold(g) and is_pos_pred(p))
        fp = sum(
            1 for g, p in zip(gold, pred, strict=True) if not is_pos_gold(g) and is_pos_pred(p)
        )
        fn = sum(
            1 for g, p in zip(gold, pred, strict=True) if is_pos_gold(g) and not is_pos_pred(p)
        )
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        return round(precision, 4), round(recall, 4)

    negatives = [p for g, p in zip(gold, pred, strict=True) if g == NORMAL]
    flagged_p, flagged_r = prf(lambda g: g != NORMAL, lambda p: p != NORMAL)
    fraud_p, fraud_r = prf(lambda g: g in FRAUD_LABELS, lambda p: p in FRAUD_LABELS)
    exact = sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / max(len(rows), 1)
    return {
        "messages": len(rows),
        "precision": flagged_p,
        "recall": flagged_r,
        "fraud_precision": fraud_p,
        "fraud_recall": fraud_r,
        "false_alarm_rate": round(
            sum(1 for p in negatives if p != NORMAL) / max(len(negatives), 1), 4
        ),
        "label_accuracy": round(exact, 4),
        "errors": [
            {"gold": g, "pred": p, "text": t}
            for (g, t), p in zip(rows, pred, strict=True)
            if g != p
        ],
    }

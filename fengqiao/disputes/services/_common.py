"""Shared by the dispute services: reference data, permission and scope checks, parsing."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core.errors import Forbidden, NotFound, ServiceError

from ..models import (
    Dispute,
    DisputeType,
)

# Defaults from the national people's-mediation statistics; editable (admin) as DisputeType rows.
DEFAULT_TYPES = [
    ("marriage_family", "婚姻家庭纠纷"),
    ("neighbour", "邻里纠纷"),
    ("housing_land", "房屋宅基地纠纷"),
    ("contract", "合同纠纷"),
    ("business", "生产经营纠纷"),
    ("damages", "损害赔偿纠纷"),
    ("forest_land", "山林土地纠纷"),
    ("expropriation", "征地拆迁纠纷"),
    ("environment", "环境污染纠纷"),
    ("labour", "劳动争议纠纷"),
    ("consumer", "消费纠纷"),
    ("medical", "医疗纠纷"),
    ("traffic", "道路交通事故纠纷"),
    ("property_management", "物业纠纷"),
    ("other", "其他纠纷"),
]

# Who may serve as a level's mediator when picked outside the pool: one permission per level,
# held by the level's role (disputes/permissions.py: L1 乡贤/五老 mediators, L2 警务助理, L3 律师,
# L4 社区民警, L5 综治中心/领导). Professional mediators and lawyers may also sit in any level's pool.
LEVEL_PERMISSIONS = {level: f"disputes.serve_level_{level}" for level in range(1, 6)}
ANY_POOL_PERMISSION = "disputes.serve_any_pool"

# 民转刑 risk: weights of yes/no factors, and the scales of the graded ones.
RISK_FLAGS = {
    "threats": (25, gettext_lazy("有威胁、扬言报复等言行")),
    "violence": (30, gettext_lazy("已发生肢体冲突或伤害")),
    "weapons": (30, gettext_lazy("涉及凶器、危险物品")),
    "repeated": (15, gettext_lazy("多次调解未果或反复发生")),
    "vulnerable": (10, gettext_lazy("涉及精神异常、独居老人等特殊人群")),
}
RISK_HIGH, RISK_MEDIUM = 60, 30


def risk_factor_labels(factors):
    """The assessment's factors as the reader reads them (the dispute page): the yes/no factors
    that hold, then the number of people and the intensity."""
    factors = factors or {}
    labels = [str(label) for key, (_w, label) in RISK_FLAGS.items() if factors.get(key)]
    if factors.get("people"):
        labels.append(_("涉及人数：%(n)s") % {"n": factors["people"]})
    if factors.get("intensity"):
        labels.append(_("激烈程度：%(n)s/3") % {"n": factors["intensity"]})
    return labels


def ensure_types():
    for order, (code, name) in enumerate(DEFAULT_TYPES):
        DisputeType.objects.get_or_create(code=code, defaults={"name": name, "order": order})


def _need(actor, perm):
    if actor is None or not actor.is_authenticated or not actor.has_perm(perm):
        raise Forbidden(_("您没有执行此操作的权限"))


def _scoped(actor, dispute, action="view"):
    if not Dispute.objects.restrict(actor, action).filter(pk=dispute.pk).exists():
        raise NotFound(_("矛盾纠纷不存在或无权访问"))


def get_dispute(actor, pk, action="view"):
    return Dispute.objects.select_related("type", "place", "mediator").get_scoped(
        actor, action, pk=pk
    )


def _parse_datetime(value, label):
    parsed = None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value.strip(), fmt)
            break
        except ValueError:
            continue
    if parsed is None:
        raise ServiceError(_("%(f)s格式不正确") % {"f": label}, code="invalid_datetime")
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _parse_date(value, label):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        raise ServiceError(
            _("%(f)s格式不正确（YYYY-MM-DD）") % {"f": label}, code="invalid_date"
        ) from None

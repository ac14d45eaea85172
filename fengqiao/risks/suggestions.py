"""Sources feed suggestions (风险线索), never silent filings.

``collect()`` (periodic job, also a button on the suggestions page) looks at
* disputes whose 民转刑 score is high (``RISKS_SUGGEST_DISPUTE_SCORE``, default the disputes'
  "high" threshold 60);
* three or more cases of one category at one place within 30 days;
* open assistant alerts of the violent, self-harm and escalation kinds (or fraud waves);
and writes one :class:`Suggestion` per finding (a unique ``key`` keeps it to one). A person then
accepts it (which files a risk through the normal chain, state ``applied``) or dismisses it with
a reason.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.errors import Conflict, ServiceError
from fengqiao.core.workflow import locked

from .models import Risk, RiskCategory, Suggestion
from .services import apply_risk, need
from .workflow import setting

ALERT_CATEGORIES = {
    "threat": "extreme_individual",
    "self_harm": "extreme_individual",
    "dispute_escalation": "dispute_escalation",
    "missing_person": "key_persons",
}


def _category(code):
    return RiskCategory.objects.filter(code=code).first()


def _add(source, key, *, place, title, detail, data, category, now):
    if Suggestion.objects.filter(key=key).exists():
        return 0
    try:
        with transaction.atomic():
            Suggestion.objects.create(
                source=source,
                key=key,
                place=place,
                title=title[:200],
                detail=detail,
                data=data,
                category=_category(category),
                created_at=now,
            )
    except IntegrityError:  # another worker wrote it first
        return 0
    return 1


def collect(now=None) -> int:
    now = now or timezone.now()
    return _from_disputes(now) + _from_cases(now) + _from_alerts(now)


def _from_disputes(now):
    from fengqiao.disputes.models import Dispute

    threshold = int(setting("SUGGEST_DISPUTE_SCORE", 60))
    since = now - timedelta(days=int(setting("SUGGEST_DISPUTE_DAYS", 90)))
    found = 0
    rows = Dispute.objects.filter(
        risk_score__gte=threshold, registered_at__gte=since, state__in=Dispute.OPEN_STATES
    ).select_related("place")
    for dispute in rows:
        found += _add(
            "dispute",
            f"dispute:{dispute.pk}",
            place=dispute.place,
            title=_("民转刑高风险纠纷：%(number)s %(title)s（风险分%(score)s）")
            % {"number": dispute.number, "title": dispute.title, "score": dispute.risk_score},
            detail=dispute.facts[:500],
            data={"dispute": dispute.pk, "score": dispute.risk_score},
            category="dispute_escalation",
            now=now,
        )
    return found


def _from_cases(now):
    from fengqiao.cases.models import Case

    days = int(setting("SUGGEST_CASE_DAYS", 30))
    minimum = int(setting("SUGGEST_CASE_COUNT", 3))
    since = now - timedelta(days=days)
    groups = (
        Case.objects.filter(reported_at__gte=since)
        .exclude(state__in=("rejected", "merged"))
        .values("place_id", "category_id")
        .annotate(n=Count("id"))
        .filter(n__gte=minimum)
    )
    found = 0
    for group in groups:
        prefix = f"cases:{group['place_id']}:{group['category_id']}:"
        if Suggestion.objects.filter(key__startswith=prefix, created_at__gte=since).exists():
            continue
        cases = list(
            Case.objects.filter(
                place_id=group["place_id"], category_id=group["category_id"], reported_at__gte=since
            )
            .exclude(state__in=("rejected", "merged"))
            .select_related("place", "category")
            .order_by("reported_at")
        )
        first = cases[0]
        found += _add(
            "repeated_cases",
            f"{prefix}{timezone.localtime(now):%Y%m%d}",
            place=first.place,
            title=_("%(place)s %(days)s日内发生%(n)s起“%(category)s”事件")
            % {
                "place": first.place.name,
                "days": days,
                "n": len(cases),
                "category": first.category.name,
            },
            detail="；".join(c.number for c in cases),
            data={"cases": [c.pk for c in cases], "category": first.category.name},
            category="other",
            now=now,
        )
    return found


def _from_alerts(now):
    from fengqiao.assistant.models import Alert

    since = now - timedelta(days=30)
    threshold = float(setting("SUGGEST_ALERT_SCORE", 0.8))
    found = 0
    rows = Alert.objects.filter(
        status="open", created_at__gte=since, score__gte=threshold
    ).select_related("place")
    for alert in rows:
        category = "telecom_fraud" if alert.fraud else ALERT_CATEGORIES.get(alert.label)
        if category is None:
            continue
        found += _add(
            "assistant_alert",
            f"alert:{alert.pk}",
            place=alert.place,
            title=_("智能助手预警：%(label)s（%(group)s）")
            % {"label": alert.get_label_display(), "group": alert.group_name or "—"},
            detail=alert.text[:300],
            data={"alert": alert.pk, "score": alert.score},
            category=category,
            now=now,
        )
    return found


# -- deciding ---------------------------------------------------------------------------------
SOURCE_TO_RISK = {
    "dispute": Risk.Source.DISPUTE,
    "repeated_cases": Risk.Source.REPEATED_CASES,
    "assistant_alert": Risk.Source.ASSISTANT_ALERT,
}


def visible(actor):
    need(actor, "risks.manage_suggestion")
    return Suggestion.objects.restrict(actor).select_related("place", "category", "risk")


def get(actor, pk, action="view"):
    need(actor, "risks.manage_suggestion")
    return Suggestion.objects.select_related("place", "category").get_scoped(actor, action, pk=pk)


def _check_pending(row):
    if row.state != "pending":
        raise Conflict(
            _("该线索已处理（%(state)s）") % {"state": row.get_state_display()}, code="decided"
        )
    return row


def accept(actor, suggestion, *, now=None, **fields):
    """File a risk from the suggestion (state ``applied``: it still goes through the chain)."""
    need(actor, "risks.apply_risk")
    now = now or timezone.now()
    with locked(suggestion, actor) as row:
        _check_pending(row)
        fields.setdefault("title", row.title[:120])
        fields.setdefault("description", row.detail or row.title)
        fields.setdefault("category", row.category or "other")
        fields.setdefault("place", row.place)
        fields["source"] = SOURCE_TO_RISK[row.source]
        if row.source == "dispute":
            fields.setdefault("disputes", [row.data.get("dispute")])
        if row.source == "repeated_cases":
            fields.setdefault("cases", row.data.get("cases", []))
        risk = apply_risk(actor, now=now, **fields)
        row.state, row.risk, row.decided_by, row.decided_at = "accepted", risk, actor, now
        row.save(update_fields=["state", "risk", "decided_by", "decided_at"])
    return risk


def dismiss(actor, suggestion, *, reason, now=None):
    need(actor, "risks.manage_suggestion")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ServiceError(_("不予采纳须填写理由"), code="reason_required")
    with locked(suggestion, actor) as row:
        _check_pending(row)
        row.state, row.reason, row.decided_by = "dismissed", reason, actor
        row.decided_at = now or timezone.now()
        row.save(update_fields=["state", "reason", "decided_by", "decided_at"])
        audit.record("risk.suggestion_dismissed", user=actor, target=row, data={"reason": reason})
    return row

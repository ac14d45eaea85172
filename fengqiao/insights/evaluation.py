"""Performance evaluation (绩效考核): a weighted score per place (town, village, grid) or
department for a period, from the same figures as the board.

Indicators (each a share 0..1, higher is better):

* ``on_time``      按期结案率 — of the due cases closed, the share closed by their deadline;
* ``no_rework``    1 − 返工率 — of the cases closed, the share not reworked;
* ``satisfaction`` 满意率 — of the rated cases closed;
* ``visits``       走访完成率 — visits against target, capped at 1 (places only);
* ``local``        村级化解占比 — of the disputes resolved, the share resolved at levels 1–2 (places only);
* ``risks_closed`` 风险销号率 — risks closed out in the period over those closed out plus those still
  on the register (places only).

Score = Σ weight × value / Σ weight over the indicators that have a value (an indicator with no
data in the period — no case due, no rated case … — is left out and the others keep their
proportions), × 100, one decimal. Ranked by score (no score last), ties by name.
"""

from django.utils.translation import gettext_lazy as _

INDICATORS = (
    ("on_time", _("按期结案率"), 30),
    ("no_rework", _("未返工率"), 15),
    ("satisfaction", _("满意率"), 20),
    ("visits", _("走访完成率"), 15),
    ("local", _("村级化解占比"), 10),
    ("risks_closed", _("风险销号率"), 10),
)
KEYS = tuple(k for k, _l, _w in INDICATORS)
LEVELS = ("town", "village", "grid", "department")


def weights():
    """key → weight: the configured ones, else the defaults."""
    from .models import IndicatorWeight

    stored = dict(IndicatorWeight.objects.values_list("key", "weight"))
    return {k: stored.get(k, default) for k, _l, default in INDICATORS}


def score(values, weighting):
    """The weighted score (0–100) of ``values`` (key → 0..1 or None); None without any value."""
    used = [(weighting[k], v) for k, v in values.items() if v is not None and weighting.get(k)]
    total = sum(w for w, _v in used)
    if not total:
        return None
    return round(100 * sum(w * v for w, v in used) / total, 1)


def ranked(rows):
    """Rank rows by score (descending; no score last), ties by label; equal scores share a rank."""
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), str(r["label"])))
    rank, previous = 0, object()
    for i, r in enumerate(rows, start=1):
        if r["score"] != previous:
            rank, previous = i, r["score"]
        r["rank"] = rank if r["score"] is not None else None
    return rows

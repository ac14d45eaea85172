"""Assistant services: the only writers of assistant records (CLI, API, pages and tasks call these)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.cases import services as cases_services
from fengqiao.cases.workflow import CONSULTATION_OPEN
from fengqiao.core import audit, caching, notifications, pii
from fengqiao.core.authz import require_perm
from fengqiao.core.errors import Conflict, Forbidden, ServiceError
from fengqiao.core.throttle import Throttle
from fengqiao.org.services import staff_for_place

from . import laws as lawsmod
from . import learned, llm
from .engine import Answer, Assistant
from .models import (
    Alert,
    AskedQuestion,
    Category,
    Handoff,
    LawArticle,
    LawInstrument,
    StandardAnswer,
)
from .retrieval import DenseIndex, Embedder, KBEntry, KBIndex, LawDoc, LawIndex
from .screener import ScreenResult, get_screener
from .text import normalize

logger = logging.getLogger("fengqiao.assistant")

MAX_TEXT = 2000
# The resident chat (pages and API, no login) goes through the one throttle, per address:
# questions 30 a minute; hand-offs (each one makes a case and tells an officer) 5 in 10 minutes.
CHAT = Throttle("assistant.chat", limit=30, window=60, lock=60)
HANDOFFS = Throttle("assistant.handoff", limit=5, window=600)

# Who is told (notifications), not who may act (permissions decide that).
OFFICER_ROLES = ["community_officer"]
ALERT_ROLES = ["community_officer", "grid_worker"]
# Screener label code → case category code (fengqiao.cases.defaults). Fraud of every kind is a
# tip-off for the police; tests/assistant/test_cases_link.py checks every label maps to a category.
DEFAULT_ALERT_CATEGORY = "tip_off"
ALERT_CASE_CATEGORIES = {
    "threat": "public_order",
    "self_harm": "help",
    "missing_person": "help",
    "dispute_escalation": "dispute",
}


def index_dir() -> Path:
    return Path(settings.FENGQIAO_HOME) / "assistant" / "index"


# ------------------------------------------------------------------------------------------ laws


def import_laws(directory, *, workers=None, build_index=True, background=False) -> dict:
    """Import (or re-import: idempotent, updates in place) the Markdown corpus, then rebuild the index.

    The CLI rebuilds the index before returning; ``background=True`` leaves it to the worker.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ServiceError(_("目录不存在：%(dir)s") % {"dir": directory})
    instruments = lawsmod.load_corpus(directory)
    keep = set()
    articles = 0
    with transaction.atomic():
        existing = {i.key: i for i in LawInstrument.objects.all()}
        for inst in instruments:
            keep.add(inst.key)
            fields = {
                "title": inst.title,
                "version_date": inst.version_date,
                "kind": inst.kind,
                "level": inst.level,
                "path": inst.path,
                "superseded_from": inst.superseded_from,
                "superseded_note": inst.superseded_note,
            }
            row = existing.get(inst.key)
            if row is None:
                row = LawInstrument.objects.create(key=inst.key, **fields)
            else:
                for k, v in fields.items():
                    setattr(row, k, v)
                row.save()
                LawArticle.objects.filter(instrument=row).delete()
            LawArticle.objects.bulk_create(
                [
                    LawArticle(
                        instrument=row,
                        number=a.number,
                        suffix=a.suffix,
                        chapter=a.chapter[:200],
                        text=a.text,
                    )
                    for a in inst.articles
                ],
                batch_size=2000,
            )
            articles += len(inst.articles)
    audit.record(
        "assistant.import_laws", data={"directory": str(directory), "instruments": len(instruments)}
    )
    if background:
        from . import tasks

        tasks.rebuild_law_index.enqueue()
    elif build_index:
        rebuild_law_index(workers=workers)
    return {"instruments": len(instruments), "articles": articles}


def rebuild_law_index(workers=None) -> int:
    docs, texts = [], []
    rows = LawArticle.objects.select_related("instrument").order_by("id").iterator(chunk_size=5000)
    for a in rows:
        inst = a.instrument
        docs.append(
            LawDoc(
                a.id,
                inst.title,
                inst.version_date.isoformat() if inst.version_date else "",
                a.number,
                a.suffix,
                a.text,
                inst.level,
                inst.superseded_from.isoformat() if inst.superseded_from else "",
                inst.superseded_note,
            )
        )
        texts.append(LawIndex.doc_text(inst.title, a.chapter, a.text))
    LawIndex.build(docs, texts, workers).save(index_dir())
    _state.clear()
    return len(docs)


# ------------------------------------------------------------------------------ standard answers


def _category(path: str) -> Category:
    path = "/".join(p.strip() for p in str(path).split("/") if p.strip())
    if not path:
        raise ServiceError(_("category 不能为空"))
    parent = None
    parts = path.split("/")
    for i in range(len(parts)):
        parent, _created = Category.objects.get_or_create(
            path="/".join(parts[: i + 1]), defaults={"parent": parent}
        )
    return parent


def validate_entry(data) -> dict:
    """Check one standard-answer object (the import-kb line format); return clean fields."""
    if not isinstance(data, dict):
        raise ServiceError(_("每行必须是一个JSON对象"))
    key = data.get("id")
    if not isinstance(key, str | int) or not str(key).strip():
        raise ServiceError(_("缺少 id"))
    answer = data.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        raise ServiceError(_("缺少 answer"))
    category = data.get("category")
    if not isinstance(category, str) or not category.strip():
        raise ServiceError(_("缺少 category"))
    question = data.get("question") or ""
    paraphrases = data.get("paraphrases") or []
    basis = data.get("basis") or []
    if not isinstance(question, str):
        raise ServiceError(_("question 必须是字符串"))
    if not isinstance(paraphrases, list) or not all(isinstance(p, str) for p in paraphrases):
        raise ServiceError(_("paraphrases 必须是字符串列表"))
    if not isinstance(basis, list):
        raise ServiceError(_("basis 必须是列表"))
    clean_basis = []
    for b in basis:
        if not isinstance(b, dict) or not isinstance(b.get("law"), str):
            raise ServiceError(_("basis 的每一项须为 {law, article}"))
        try:
            article = int(b.get("article"))
        except (TypeError, ValueError) as exc:
            raise ServiceError(_("basis.article 必须是整数")) from exc
        item = {"law": b["law"].strip(), "article": article}
        if b.get("suffix"):
            item["suffix"] = int(b["suffix"])
        clean_basis.append(item)
    out = {
        "key": str(key).strip()[:64],
        "category": category,
        "question": question.strip()[:300],
        "paraphrases": [p.strip() for p in paraphrases if p.strip()][:50],
        "answer": answer.strip()[: MAX_TEXT * 2],
        "basis": clean_basis,
    }
    for field in ("valid_from", "valid_until"):
        value = data.get(field)
        if value:
            try:
                out[field] = dt.date.fromisoformat(str(value))
            except ValueError as exc:
                raise ServiceError(
                    _("%(field)s 日期格式应为 YYYY-MM-DD") % {"field": field}
                ) from exc
    return out


def check_can_edit_answers(actor, action="change") -> None:
    """Staff need ``assistant.<action>_standardanswer``; ``actor=None`` is the operator's CLI."""
    if actor is not None and not actor.has_perm(f"assistant.{action}_standardanswer"):
        raise Forbidden(_("没有维护标准答案的权限"))


@transaction.atomic
def save_answer(data: dict, *, actor=None, reindex=True) -> tuple[StandardAnswer, bool]:
    """Create or update one standard answer; ``reindex``: have the worker rebuild the index."""
    clean = validate_entry(data)
    exists = StandardAnswer.objects.filter(key=clean["key"]).exists()
    check_can_edit_answers(actor, "change" if exists else "add")
    category = _category(clean.pop("category"))
    obj, created = StandardAnswer.objects.update_or_create(
        key=clean.pop("key"),
        defaults={**clean, "category": category, **({"owner": actor} if actor else {})},
    )
    AskedQuestion.objects.filter(group=obj.key).update(resolved=True)
    if reindex:
        schedule_answer_index()
    return obj, created


def delete_answer(answer: StandardAnswer, *, actor=None) -> None:
    check_can_edit_answers(actor, "delete")
    audit.record("assistant.delete_answer", user=actor, target=answer)
    answer.delete()
    schedule_answer_index()


def import_kb_lines(lines, *, actor=None, reindex="background") -> list[dict]:
    """One result per non-empty line: created / updated / error (with the reason). Never stops early.

    ``reindex``: "background" (staff pages: the worker rebuilds the index once, after the import),
    "now" (the CLI: rebuilt before returning), or None.
    """
    check_can_edit_answers(actor, "add")
    check_can_edit_answers(actor, "change")
    results = []
    for n, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                results.append({"line": n, "status": "error", "error": _("不是UTF-8文本")})
                continue
        if not raw.strip():
            continue
        if len(raw) > 100_000:
            results.append({"line": n, "status": "error", "error": _("行过长")})
            continue
        try:
            obj, created = save_answer(json.loads(raw), actor=actor, reindex=False)
        except json.JSONDecodeError as exc:
            results.append(
                {
                    "line": n,
                    "status": "error",
                    "error": _("JSON格式错误：%(msg)s") % {"msg": exc.msg},
                }
            )
        except ServiceError as exc:
            results.append({"line": n, "status": "error", "error": exc.message})
        else:
            results.append(
                {"line": n, "id": obj.key, "status": "created" if created else "updated"}
            )
    audit.record("assistant.import_kb", user=actor, data={"lines": len(results)})
    if reindex == "now":
        rebuild_answer_index()
    elif reindex == "background":
        schedule_answer_index()
    return results


def export_entries() -> list[dict]:
    out = []
    for a in StandardAnswer.objects.select_related("category").order_by("key"):
        e = {"id": a.key, "category": a.category.path}
        if a.question:
            e["question"] = a.question
        if a.paraphrases:
            e["paraphrases"] = a.paraphrases
        e["answer"] = a.answer
        if a.basis:
            e["basis"] = a.basis
        for f in ("valid_from", "valid_until"):
            if getattr(a, f):
                e[f] = getattr(a, f).isoformat()
        out.append(e)
    return out


# --------------------------------------------------------------------------------------- asking

# The engine (indexes and matrices, megabytes) is a loaded model, not a cached value: each process
# keeps its own. Whether it is current is decided by the answers' change stamp, which lives in
# the one cache (core.caching) and is dropped whenever a standard answer changes.
_state: dict = {}
_lock = threading.Lock()


def _kb_stamp() -> str:
    """Which state of the standard answers an index was built from (and for which day)."""
    agg = StandardAnswer.objects.aggregate(m=Max("updated_at"), n=Count("id"))
    changed = agg["m"].isoformat() if agg["m"] else ""
    return f"{changed}|{agg['n']}|{timezone.localdate().isoformat()}"


def _kb_entries() -> list[KBEntry]:
    today = timezone.localdate()
    return [
        KBEntry(a.key, a.category.path, a.question, a.paraphrases, a.answer, a.basis)
        for a in StandardAnswer.objects.select_related("category").order_by("key")
        if a.is_valid_on(today)
    ]


def rebuild_answer_index() -> int:
    """Build the standard-answer index and save it for every process (the worker runs this)."""
    stamp = _kb_stamp()
    entries = _kb_entries()
    kb = KBIndex(entries)
    embedder = Embedder.get()
    if embedder is not None:  # standard answers are embedded when saved (only changed texts)
        kb.embed(embedder, index_dir())
    kb.save(index_dir(), stamp)
    return len(entries)


def schedule_answer_index() -> None:
    """After the current transaction commits, have the worker rebuild the answer index."""
    from . import tasks

    transaction.on_commit(tasks.rebuild_answer_index.enqueue, robust=True)


def get_assistant() -> Assistant:
    """The engine with the current answers and law index; rebuilt when either changes.

    The answer index is the one the worker saved for the current answers when there is one;
    otherwise (no worker yet, or it has not caught up) it is built here, so an answer never
    comes from stale data.
    """
    stamp = caching.remember(
        f"assistant.kb_stamp:{timezone.localdate().isoformat()}",
        _kb_stamp,
        timeout=3600,
        topics=("assistant.answers",),
    )
    law_file = index_dir() / "laws.docs.json"
    law_mtime = law_file.stat().st_mtime if law_file.exists() else None
    with _lock:
        if _state.get("law_mtime", -1) != law_mtime or "laws" not in _state:
            _state["laws"] = LawIndex.load(index_dir()) if law_mtime else None
            _state["law_mtime"] = law_mtime
            _state["dense"] = DenseIndex(index_dir()) if law_mtime else None
            _state.pop("assistant", None)
        if _state.get("dense") is not None:
            _state["dense"].refresh()  # the worker may have embedded more articles
        if _state.get("kb_stamp") != stamp or "assistant" not in _state:
            today = timezone.localdate()
            kb = KBIndex.load(index_dir(), stamp)
            if kb is None:
                logger.info("answer index built in this process (none saved for %s)", stamp)
                entries = _kb_entries()
            else:
                entries = kb.entries
            _state["assistant"] = Assistant(
                entries,
                _state["laws"],
                today,
                kb=kb,
                learned=learned.default(),
                dense=_state.get("dense"),
            )
            _state["kb_stamp"] = stamp
        return _state["assistant"]


def ask(question: str, *, record=True) -> Answer:
    if not isinstance(question, str):
        raise ServiceError(_("question 必须是字符串"))
    question = question.strip()
    if not question:
        raise ServiceError(_("问题不能为空"))
    if len(question) > MAX_TEXT:
        raise ServiceError(_("问题过长（最多%(n)d字）") % {"n": MAX_TEXT})
    result = llm.compose(question, get_assistant().ask(question))
    if record and result.source.split("+")[0] in ("law", "none"):
        record_unanswered(question, result)
    return result


# Residents sometimes type their own numbers; the unanswered list is read by staff of every grid.
_ID_NUMBER_RE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_PHONE_RE = re.compile(r"(?<!\d)1\d{10}(?!\d)")


def mask_numbers(text: str) -> str:
    """ID and mobile numbers in free text, masked as everywhere else (``core.pii``)."""
    text = _ID_NUMBER_RE.sub(lambda m: pii.mask_id_number(m.group()), text)
    return _PHONE_RE.sub(lambda m: pii.mask_phone(m.group()), text)


def record_unanswered(question: str, result: Answer) -> None:
    question = mask_numbers(question)
    norm = normalize(question)[:500]
    group = result.kb_matches[0]["id"] if result.kb_matches else ""
    updated = AskedQuestion.objects.filter(normalized=norm).update(
        count=F("count") + 1, confidence=result.confidence, last_asked=timezone.now()
    )
    if not updated:
        AskedQuestion.objects.get_or_create(
            normalized=norm,
            defaults={"text": question[:500], "confidence": result.confidence, "group": group},
        )


# -------------------------------------------------------------------------------------- hand-off


def _consultation_case(handoff, place) -> str:
    """转人工 → a 咨询 case in the case flow (``fengqiao.cases.services.create_consultation``).

    The resident's question must not be lost: if the case flow refuses (reference data missing),
    the hand-off stays in the assistant's own queue, the refusal is logged as an error, and a
    savepoint undoes the half-made case. Returns the case's tracking code, or ""."""
    try:
        with transaction.atomic():
            case = cases_services.create_consultation(
                place=place,
                description=handoff.question,
                source="assistant",
                contact=pii.clear_value(handoff.contact),
            )
    except ServiceError as exc:
        logger.error("hand-off %s: the case flow refused the consultation: %s", handoff.pk, exc)
        return ""
    return case.tracking_code


def handoff_places():
    """The grids a resident may pick when the chat was opened without one (the plain link)."""
    from fengqiao.org.models import Place

    return list(
        Place.objects.filter(level=Place.Level.GRID)
        .select_related("parent__parent")
        .order_by("path")
    )


def _labelled(text: str) -> str:
    """Assistant text as stored: prefixed with the AI label (the Chinese source text)."""
    from .engine import AI_LABEL

    text = (text or "").strip()
    return text if not text or text.startswith(AI_LABEL) else f"{AI_LABEL}{text}"


@transaction.atomic
def request_handoff(question: str, place, *, contact="", assistant_answer="") -> Handoff:
    """转人工: queue the question for the community officer(s) of the resident's grid and tell them.

    The resident gets the tracking code of the 咨询 case (``handoff.case_ref``): the officer's
    reply shows on its tracking page. Without a grid the resident is asked for one."""
    from fengqiao.org.models import Place

    if not question or not question.strip():
        raise ServiceError(_("问题不能为空"))
    if place is None or place.level != Place.Level.GRID:
        raise ServiceError(
            _("请选择您所在的网格（社区），以便转给当地的社区民警"),
            code="grid_required",
            details={"field": "grid"},
        )
    handoff = Handoff.objects.create(
        place=place,
        question=question.strip()[:MAX_TEXT],
        contact=str(contact or "")[:100],
        # stored with its label (2025 labelling measures): whoever reads it later knows it is AI
        assistant_answer=_labelled(assistant_answer)[:MAX_TEXT],
    )
    # 转人工 → a 咨询 case in the case flow for the officers of the grid, linked to this row
    handoff.case_ref = _consultation_case(handoff, place)
    if handoff.case_ref:
        handoff.save(update_fields=["case_ref"])
    officers = staff_for_place(place, OFFICER_ROLES)
    notifications.notify(
        officers,
        kind="assistant.handoff",
        message="assistant.handoff",
        params={"question": handoff.question[:40], "body": handoff.question[:2000]},
        url=f"/assistant/handoffs/{handoff.pk}/",
        target=handoff,
    )
    return handoff


def _case_of(handoff):
    from fengqiao.cases.models import Case

    if not handoff.case_ref:
        return None
    return Case.objects.filter(tracking_code=handoff.case_ref).first()


@transaction.atomic
def answer_handoff(handoff: Handoff, reply: str, *, actor) -> Handoff:
    """The officer's reply: kept on the hand-off, and it answers (resolves) the 咨询 case, so the
    resident reads it on the case's tracking page and the dispatcher no longer sees it waiting.

    Checked on the locked row: a hand-off already answered (here, or on the case's page) is a
    conflict, so a second reply can never differ from the one the resident reads."""
    require_perm(actor, "assistant.change_handoff")
    handoff = Handoff.objects.select_for_update().get_scoped(actor, "change", pk=handoff.pk)
    if handoff.status != Handoff.Status.OPEN:
        raise Conflict(_("该咨询已答复"), code="already_answered")
    if not isinstance(reply, str) or not reply.strip():
        raise ServiceError(_("答复不能为空"), code="required", details={"field": "reply"})
    handoff.reply = reply.strip()[:MAX_TEXT]
    handoff.status = Handoff.Status.ANSWERED
    handoff.save(update_fields=["reply", "status"])
    case = _case_of(handoff)
    if case is not None and case.state in CONSULTATION_OPEN:
        cases_services.answer_consultation(case, actor, data={"result": handoff.reply})
    audit.record("assistant.answer_handoff", user=actor, target=handoff)
    return handoff


# ------------------------------------------------------------------------------------- screening


def screen_texts(texts: list[str]) -> list[ScreenResult]:
    return get_screener().screen_many([str(t)[:MAX_TEXT] for t in texts])


@transaction.atomic
def screen_message(
    text: str, place, *, group_name="", context=""
) -> tuple[ScreenResult, Alert | None]:
    """Screen one group message; a positive result raises an alert to the officers of the group's grid."""
    if not isinstance(text, str) or not text.strip():
        raise ServiceError(_("消息不能为空"))
    result = screen_texts([text])[0]
    if not result.flagged or place is None:
        return result, None
    alert = Alert.objects.create(
        place=place,
        group_name=str(group_name)[:100],
        text=text[:MAX_TEXT],
        context=str(context)[: MAX_TEXT * 2],
        label=result.label,
        score=result.score,
        fraud=result.fraud,
        evidence=result.evidence,
        warning_reply=result.warning_reply,
    )
    notifications.notify(
        staff_for_place(place, ALERT_ROLES),
        kind="assistant.alert",
        message="assistant.alert",
        params={
            "label": result.label,
            "group": alert.group_name or place.name,
            "text": text[:500],
        },
        url=f"/assistant/alerts/{alert.pk}/",
        target=alert,
    )
    return result, alert


@transaction.atomic
def alert_to_case(alert: Alert, *, actor) -> Alert:
    """One click: the alert becomes a case in the case flow (category by the label's code,
    :data:`ALERT_CASE_CATEGORIES`), registered by ``actor``. The alert is marked 转事件 only when
    the case was made: a refusal of the case flow (a ServiceError) rolls everything back.

    Checked on the locked row: a second call (a double click, two officers at once) waits for
    the first and answers the alert with the one case it made; a dismissed alert is a conflict."""
    require_perm(actor, "assistant.change_alert")
    alert = Alert.objects.select_for_update().get_scoped(actor, "change", pk=alert.pk)
    if alert.status == Alert.Status.CASE:
        return alert
    if alert.status != Alert.Status.OPEN:
        raise Conflict(_("预警已忽略，不能再转为事件"), code="alert_dismissed")
    case = cases_services.create_case_from_alert(
        place=alert.place,
        description=alert.text,
        category=ALERT_CASE_CATEGORIES.get(alert.label, DEFAULT_ALERT_CATEGORY),
        actor=actor,
    )
    alert.case_ref = case.tracking_code
    alert.status = Alert.Status.CASE
    alert.save(update_fields=["status", "case_ref"])
    audit.record("assistant.alert_to_case", user=actor, target=alert)
    return alert


@transaction.atomic
def dismiss_alert(alert: Alert, *, actor, note="") -> Alert:
    """忽略: the alert needs nothing done (``note``: why, kept in the audit log). Checked on the
    locked row: an alert already made into a case cannot be dismissed (409); dismissing twice
    is harmless."""
    require_perm(actor, "assistant.change_alert")
    alert = Alert.objects.select_for_update().get_scoped(actor, "change", pk=alert.pk)
    if alert.status == Alert.Status.DISMISSED:
        return alert
    if alert.status != Alert.Status.OPEN:
        raise Conflict(_("预警已转为事件，不能忽略"), code="alert_made_into_case")
    alert.status = Alert.Status.DISMISSED
    alert.save(update_fields=["status"])
    note = str(note or "").strip()[:500]
    audit.record(
        "assistant.dismiss_alert", user=actor, target=alert, data={"note": note} if note else None
    )
    return alert

"""The generated WRITE IDOR matrix, against a live server over real HTTP (issue 14).

A staff member of grid A holding every business role (so permissions never answer for the
jurisdiction) posts every write route of cases, disputes, risks, registry, fieldwork and the
assistant — every HTML POST route with a record id, every action of the action registries, every
POST/PUT/PATCH/DELETE operation of ``/api/v1`` with a path parameter — at the records of grid B.
Each answer must be 404 (or 405 for a route that takes no POST at all) and the database must not
change. The routes are derived from the URL resolver, the action registries and the OpenAPI
schema; a second test fails when a write route is neither attacked here nor exempt with a reason.
"""

import hashlib
import importlib
import re

import pytest
from django.apps import apps
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver

from fengqiao.api import api
from fengqiao.core.actions import ActionRegistry
from fengqiao.org import services as org_services
from fengqiao.org.roles import ROLES
from tests.conftest import PASSWORD
from tests.security.live import Browser
from tests.test_scoping_matrix import ENDPOINTS

pytestmark = pytest.mark.django_db(transaction=True)

NAMESPACES = ("cases", "disputes", "risks", "registry", "fieldwork", "assistant", "insights")
WATCHED_APPS = (*NAMESPACES, "core")
UNWATCHED = {"core_auditevent", "core_task", "core_throttlehit"}  # denials may be audited

# Which record a path parameter names: by Django URL name (``None`` key: every route of the
# namespace) and by OpenAPI parameter name. Values are "app.Model".
DJANGO_PARAMS = {
    "cases": {
        "pk": "cases.Case",
        "attachment_id": "core.Attachment",
        "note_id": "core.Notification",
    },
    "cases:triage_place": {"pk": "cases.PendingReport"},
    "disputes": {
        "pk": "disputes.Dispute",
        "party_id": "disputes.Party",
        "task_id": "disputes.JointTask",
        "agreement_id": "disputes.Agreement",
        "hearing_id": "disputes.Hearing",
    },
    "risks": {"pk": "risks.Risk", "item_id": "risks.ReviewItem"},
    "risks:suggestion": {"pk": "risks.Suggestion"},
    "risks:session": {"pk": "risks.ReviewSession"},
    "risks:decide": {"pk": "risks.ReviewSession", "item_id": "risks.ReviewItem"},
    "risks:close_session": {"pk": "risks.ReviewSession"},
    "risks:session_pack": {"pk": "risks.ReviewSession"},
    "risks:handover_step": {"pk": "risks.HandOver"},
    "risks:complete_action": {"pk": "risks.ReviewAction"},
    "registry": {"pk": "registry.Address", "tenancy_id": "registry.Tenancy"},
    "registry:person": {"pk": "registry.Person"},
    "registry:person_tag": {"pk": "registry.Person"},
    "registry:house": {"pk": "registry.House"},
    "registry:tenancy_end": {"pk": "registry.House", "tenancy_id": "registry.Tenancy"},
    "registry:unit": {"pk": "registry.Unit"},
    "registry:import_job": {"pk": "registry.ImportJob"},
    "registry:import_report": {"pk": "registry.ImportJob"},
    "registry:stay": {"pk": "registry.ForeignerStay"},
    "registry:stay_act": {"pk": "registry.ForeignerStay"},
    "fieldwork:visit": {"pk": "fieldwork.Visit"},
    "fieldwork:note_act": {"pk": "fieldwork.FieldNote"},
    "fieldwork:patrol": {"pk": "fieldwork.PatrolLog"},
    "fieldwork:patrol_act": {"pk": "fieldwork.PatrolLog"},
    "fieldwork:circle": {"pk": "fieldwork.PatrolCircle"},
    "fieldwork:circle_teams": {"pk": "fieldwork.PatrolCircle"},
    "fieldwork:circle_rota": {"pk": "fieldwork.PatrolCircle"},
    "fieldwork:activity": {"pk": "fieldwork.Activity"},
    "fieldwork:target": {"user_id": "org.User"},
    "assistant:alert": {"pk": "assistant.Alert"},
    "assistant:alert_act": {"pk": "assistant.Alert"},
    "assistant:handoff": {"pk": "assistant.Handoff"},
    "assistant:handoff_act": {"pk": "assistant.Handoff"},
    "insights:alert_import": {"pk": "insights.AlertImport"},
    "insights:village": {"pk": "insights.VillageStatus"},
    "insights:village_act": {"pk": "insights.VillageStatus"},
}
API_PARAMS = {
    "case_id": "cases.Case",
    "pending_id": "cases.PendingReport",
    "dispute_id": "disputes.Dispute",
    "party_id": "disputes.Party",
    "task_id": "disputes.JointTask",
    "agreement_id": "disputes.Agreement",
    "risk_id": "risks.Risk",
    "suggestion_id": "risks.Suggestion",
    "session_id": "risks.ReviewSession",
    "item_id": "risks.ReviewItem",
    "handover_id": "risks.HandOver",
    "action_id": "risks.ReviewAction",
    "address_id": "registry.Address",
    "person_id": "registry.Person",
    "house_id": "registry.House",
    "tenancy_id": "registry.Tenancy",
    "note_id": "fieldwork.FieldNote",
    "log_id": "fieldwork.PatrolLog",
    "circle_id": "fieldwork.PatrolCircle",
    "activity_id": "fieldwork.Activity",
    "visit_id": "fieldwork.Visit",
    "officer_id": "org.User",  # a grid-B community officer's weekly visit target
    "stay_id": "registry.ForeignerStay",
    "unit_id": "registry.Unit",
    "handoff_id": "assistant.Handoff",
    "alert_id": "assistant.Alert",
    "status_id": "insights.VillageStatus",
}
# Word parameters: every value a caller could use.
WORDS = {
    "step": ["review", "notify", "transfer", "answer", "archive"],
    "fmt": ["docx", "pdf"],
    "code": None,  # a tag the grid-B person carries (filled in at run time)
}

# Write routes with an id that this matrix does not attack, and why.
EXEMPT = {
    "registry:public_place": "public door-plate page, authority is the QR token (tests/registry/test_stays.py)",
    "registry:public_stay": "public landlord report form, authority is the QR token (tests/registry/test_stays.py)",
    "disputes:track": "the party's public status page: tracking code + phone digits (tests/disputes/test_pages.py)",
    "assistant:answer_edit": "standard answers are county-wide reference content (tests/assistant/test_http.py)",
    "assistant:answer_delete": "standard answers are county-wide reference content (tests/assistant/test_http.py)",
    "cases:attachment": "file download, GET only; read matrix (tests/test_scoping_matrix.py)",
    "disputes:agreement_download": "document download, GET only; read matrix",
    "disputes:hearing_minutes": "document download, GET only; read matrix",
    "risks:session_pack": "document download, GET only; read matrix",
    "registry:doorplate": "printable door plate, GET only; read matrix",
    "registry:import_report": "xlsx download, GET only; read matrix",
    "insights:export": "figures download (a format, no record id), GET only; read matrix",
    "insights:report": "situation report download (kind and format, no record id), GET only; read matrix",
    "insights:grid_card": "a grid's card as JSON, GET only; read matrix",
}


def _routes(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}" if entry.name else ""


def django_write_routes():
    """(route, url name) of every parameterised route of the six namespaces."""
    for route, name in _routes():
        if name.split(":")[0] in NAMESPACES and re.search(r"<[^>]+>", route):
            yield route, name


def api_write_operations():
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method in operations:
            if method in ("post", "put", "patch", "delete") and "{" in path:
                yield method, path


def _registries():
    """Action names per namespace, from the action registries."""
    found = {}
    for app in ("cases", "disputes", "risks", "registry", "fieldwork", "assistant"):
        try:
            module = importlib.import_module(f"fengqiao.{app}.actions")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, ActionRegistry):
                found.setdefault(app, []).extend(value.names())
    return found


def _word_values(name, param):
    """Values for a word path parameter of a Django route."""
    if param in ("name", "action") and name.endswith(":act"):
        return _registries()[name.split(":")[0]]
    if name == "disputes:joint_task":
        return ["claim", "complete"]
    if name in ("assistant:alert_act", "assistant:handoff_act"):
        return _registries()["assistant"]  # every name of the one registry, on both kinds
    if name == "insights:village_act":
        from fengqiao.insights.villages import registry

        return registry.names()  # every action of the 无案村 flow
    if name == "registry:stay_act":
        return [*_registries()["registry"], "register", "remind"]  # + names it does not know
    if name in ("fieldwork:note_act", "fieldwork:patrol_act"):
        return _registries()["fieldwork"]  # every name of the one registry, on both kinds
    return WORDS.get(param) or ["x"]


def _model_for(name, param):
    for key in (name, name.split(":")[0]):
        if param in DJANGO_PARAMS.get(key, {}):
            return DJANGO_PARAMS[key][param]
    return None


def _digest():
    """A fingerprint of every row of the business tables (raw SQL: encrypted values as stored)."""
    sha = hashlib.sha256()
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            if model._meta.app_label not in WATCHED_APPS or table in UNWATCHED:
                continue
            if not model._meta.managed:
                continue  # no table (a model holding permissions only)
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")  # noqa: S608
            sha.update(table.encode())
            sha.update(repr(cursor.fetchall()).encode())
    return sha.hexdigest()


def _target(label):
    """The one grid-B record of a model (only grid B has records in this test)."""
    model = apps.get_model(label)
    if label == "org.User":  # an officer carrying a visit target, not the grid-A attacker
        model = model.objects.filter(groups__name="community_officer").exclude(
            username="all-roles-a"
        )
        return model.order_by("-pk").values_list("pk", flat=True).first()
    row = model.objects.order_by("-pk").first()
    return row.pk if row is not None else None


@pytest.fixture
def world(live_server, county, users_b):
    for endpoint in ENDPOINTS:
        try:
            endpoint.make(county.grid_b, users_b)
        except Exception:  # noqa: BLE001 — makes overlap (a suggestion made by an earlier make)
            if not endpoint.name.startswith("risk_suggestions"):
                raise
    from fengqiao.cases import triage

    triage.hold(  # the county's triage queue: a grid-A user does not cover the county
        county=county.county, category="cityscape", description="triage idor",
        source="open311", channel="o311", location_text="菜市场东门", anonymous=True,
    )  # fmt: skip
    every_role = [code for code, role in ROLES.items() if role.scope != "none"]
    attacker = org_services.create_staff(
        username="all-roles-a",
        password=PASSWORD,
        display_name="all roles A",
        roles=every_role,
        places=[county.grid_a],  # no department: 职能部门 staff see their department's cases
    )
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=attacker, name="test", confirmed=True)
    return Browser.signed_in(live_server.url, attacker)


def _fill(template, values):
    out = template
    for key, value in values.items():
        out = out.replace(key, str(value))
    return out


def _django_attacks():
    attacks, missing = [], []
    for route, name in django_write_routes():
        if name in EXEMPT:
            continue
        params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
        choices = [{}]
        for kind, param in params:
            key = f"<{kind + ':' if kind else ''}{param}>"
            if kind == "int":
                label = _model_for(name, param)
                if label is None:
                    missing.append(f"{name}: {param}")
                    break
                choices = [{**c, key: ("model", label)} for c in choices]
            else:
                choices = [{**c, key: v} for c in choices for v in _word_values(name, param)]
        else:
            attacks.extend(("post", "/" + route, name, c) for c in choices)
    return attacks, missing


SCHEMA = None


def _resolve(schema):
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"]
            return _resolve(options[0]) if options else {}
    return schema


def example(schema, depth=0):
    """The smallest body the schema accepts (required fields only), so the request reaches the
    view's own checks instead of stopping at validation."""
    schema = _resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: example(props[k], depth + 1) for k in schema.get("required", []) if k in props}
    if kind == "array":
        return [example(schema.get("items", {}), depth + 1)] if schema.get("minItems") else []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-12-01"
    if schema.get("format") == "date-time":
        return "2026-12-01T08:00:00+08:00"
    return "idor"


def api_body(method, path):
    global SCHEMA
    SCHEMA = SCHEMA or api.get_openapi_schema()
    content = SCHEMA["paths"][path][method].get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    body = example(content["application/json"]["schema"])
    return {"note": "idor", **body} if isinstance(body, dict) else body


def _api_attacks():
    attacks, missing = [], []
    tag_words = {"{code}": None}
    for method, path in api_write_operations():
        params = re.findall(r"\{(\w+)\}", path)
        values = {}
        for param in params:
            if param in API_PARAMS:
                values[f"{{{param}}}"] = ("model", API_PARAMS[param])
            elif param in WORDS:
                values[f"{{{param}}}"] = WORDS[param][0] if WORDS[param] else "tag"
            else:
                missing.append(f"{method.upper()} {path}: {param}")
                break
        else:
            attacks.append((method, path, path, {**tag_words, **values}))
    return attacks, missing


def test_every_write_route_with_an_id_is_attacked_or_exempt():
    _attacks, missing_django = _django_attacks()
    _attacks, missing_api = _api_attacks()
    assert not missing_django + missing_api, (
        "write routes whose ids the IDOR matrix cannot fill (add to DJANGO_PARAMS / API_PARAMS "
        "or EXEMPT with a reason): " + ", ".join(missing_django + missing_api)
    )


def test_no_write_reaches_a_sibling_grid(world):
    from fengqiao.registry.models import PersonTag

    tag = PersonTag.objects.order_by("-pk").first()
    assert world.get("/api/v1/me").status_code == 200  # signed in, second factor done
    attacks = _django_attacks()[0] + _api_attacks()[0]
    assert len(attacks) > 100
    labels = {v[1] for a in attacks for v in a[3].values() if isinstance(v, tuple)}
    absent = sorted(label for label in labels if _target(label) is None)
    assert not absent, f"no grid-B record to attack (make one): {absent}"
    failures, hits = [], 0
    before = _digest()
    for method, template, _name, values in attacks:
        filled = {}
        for key, value in values.items():
            if isinstance(value, tuple):
                filled[key] = _target(value[1])
            elif key == "{code}":
                filled[key] = tag.code if tag is not None else "tag"
            else:
                filled[key] = value
        path = _fill(template, filled)
        if template.startswith("/api/"):
            answer = world.request(method.upper(), path, json=api_body(method, template))
        else:
            answer = world.post(path, {"note": "idor", "reason": "idor", "result": "idor"})
        hits += 1
        if answer.status_code not in (404, 405):
            failures.append(f"{method.upper()} {path} → {answer.status_code}")
        after = _digest()
        if after != before:
            failures.append(f"{method.upper()} {path} changed the database")
            before = after
    assert not failures, f"{len(failures)} of {hits} writes crossed the grid:\n" + "\n".join(
        failures
    )

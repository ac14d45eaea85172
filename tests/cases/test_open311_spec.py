"""Open311 that real clients can rely on (issue 13): responses always parse, no 500 anywhere,
the spec's limits and fields, declared requirements, discovery, mySociety's updates, api keys out
of logs."""
# ruff: noqa: S314 — parsing our own server's XML answers in tests

import io
import json
import logging
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from fengqiao.cases import services
from fengqiao.cases.models import Case, Category
from fengqiao.cases.open311 import XML_FORBIDDEN, full_name
from fengqiao.core.logscrub import ReporterFilter, ScrubSecrets, scrub
from fengqiao.core.models import Attachment, TimelineEntry
from fengqiao.core.services import create_api_key
from fengqiao.org.models import User

# Every code point XML 1.0 forbids (a lone surrogate cannot travel in UTF-8, so the test sends
# the ones a client can actually send; the cleaner itself is checked with surrogates below).
FORBIDDEN = [chr(c) for c in range(0x00, 0x09)] + ["\x0b", "\x0c"]
FORBIDDEN += [chr(c) for c in range(0x0E, 0x20)] + ["\ufffe", "\uffff"]
TEXT_FIELDS = ("description", "first_name", "last_name", "address_string", "email", "phone",
               "client_id", "media_url", "attribute[grid]", "attribute[urgency]", "service_code",
               "address_id", "jurisdiction_id")  # fmt: skip


@pytest.fixture
def api_key(county):
    account = User.objects.create(username="integration-spec", display_name="spec")
    return create_api_key("spec", account)[1]


def base(key, **fields):
    data = {"api_key": key, "service_code": "cityscape", "lat": "29.72", "long": "120.52",
            "description": "路灯不亮", "first_name": "明", "last_name": "王",
            "phone": "13512345678"}  # fmt: skip
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def parse(response):
    """The body parses in the format the response declares; returns the parsed body."""
    kind = response["Content-Type"]
    if kind.startswith("text/xml"):
        return ET.fromstring(response.content)
    assert kind.startswith("application/json"), kind
    return json.loads(response.content.decode("utf-8"))


def photo(name="p.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


# -- 2. responses always parse ------------------------------------------------------------------
def test_xml_cleaner_drops_every_forbidden_code_point():
    dirty = "a" + "".join(FORBIDDEN) + "\ud800\udfff" + "b\t\n\r中"
    assert XML_FORBIDDEN.sub("", dirty) == "ab\t\n\r中"


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_every_forbidden_character_in_every_field_leaves_every_response_parseable(
    client, county, api_key, field
):
    for char in FORBIDDEN:
        for fmt in ("json", "xml"):
            value = f"x{char}y" if field not in ("service_code",) else f"cityscape{char}"
            response = client.post(f"/open311/v2/requests.{fmt}", base(api_key, **{field: value}))
            assert response.status_code < 500, (field, hex(ord(char)), response.content)
            body = parse(response)
            text = response.content.decode("utf-8")
            assert not XML_FORBIDDEN.search(text), (field, hex(ord(char)))
            assert body is not None
    for path in ("requests", "servicerequestupdates", "services", "discovery"):
        for fmt in ("json", "xml"):
            response = client.get(f"/open311/v2/{path}.{fmt}")
            assert response.status_code == 200
            parse(response)
    rows = client.get("/open311/v2/requests.json").json()
    for row in rows:
        response = client.get(f"/open311/v2/requests/{row['service_request_id']}.xml")
        assert response.status_code == 200 and parse(response).tag == "service_requests"


def test_the_request_with_uffff_no_longer_breaks_requests_xml(client, county, api_key):
    client.post("/open311/v2/requests.json", base(api_key, description="坏\uffff字符\x01"))
    root = ET.fromstring(client.get("/open311/v2/requests.xml").content)
    assert root.find("request/description").text == "坏字符"


def test_errors_never_echo_the_input(client, county, api_key):
    evil = "<b>&\uffff" + "z" * 50
    for fmt in ("json", "xml"):
        response = client.post(f"/open311/v2/requests.{fmt}", base(api_key, service_code=evil))
        assert response.status_code == 404
        assert b"zzzz" not in response.content and b"<b>" not in response.content
        parse(response)


# -- 3. no 500 anywhere -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path, status, fmt",
    [
        ("/open311/v2/requests/%C2%B2.json", 404, "json"),
        ("/open311/v2/requests/99999999999999999999999.json", 404, "json"),
        ("/open311/v2/requests/99999999999999999999999.xml", 404, "xml"),
        ("/open311/v2/requests.json?service_request_id=%C2%B2", 400, "json"),
        ("/open311/v2/requests.xml?service_request_id=99999999999999999999999", 400, "xml"),
        ("/open311/v2/requests.html", 400, "json"),
        ("/open311/v2/services.XML", 200, "xml"),
        ("/open311/v2/services.yaml", 400, "json"),
        ("/open311/v2/nothing.xml", 404, "xml"),
        ("/open311/nothing", 404, "json"),
        ("/open311/v2//services.xml", 200, "xml"),
        ("/open311//v2//services/noise.json", 200, "json"),
        ("/open311/v2/services/%F0%9F%98%80.xml", 404, "xml"),
        ("/open311/v2/services/a%00b.json", 400, "json"),  # NUL: refused before the views
        ("/open311/v2/services/..%2F..%2Fetc.json", 404, "json"),
        ("/open311/v2/tokens/%FF%FE.xml", 404, "xml"),
        ("/open311/v2/requests.json?start_date=2026-13-45", 400, "json"),
        ("/open311/v2/requests.json?start_date=99999-01-01T00:00:00Z", 400, "json"),
        ("/open311/v2/requests.json?status=%00", 400, "json"),  # NUL: refused before the views
        ("/open311/v2/requests.XML?status=%00", 400, "xml"),  # the middleware: any case
        ("/open311/v2/services/a%00b.Xml", 400, "xml"),
        ("/open311/v2/requests.XML/?page=99999999999", 400, "xml"),
        ("/open311/v2/requests.json?status=%01", 200, "json"),  # stripped: no filter
        ("/open311/v2/requests.json?api_key=%FF", 403, "json"),
        ("/open311/v2/media/x/y", 404, "json"),
    ],
)
def test_odd_requests_answer_in_open311_error_format(client, county, path, status, fmt):
    response = client.get(path)
    assert response.status_code == status, response.content
    body = parse(response)
    assert response["Content-Type"].startswith("text/xml" if fmt == "xml" else "application/json")
    if status >= 400:
        if fmt == "xml":
            assert body.tag == "errors" and body.find("error/code").text == str(status)
        else:
            assert body[0]["code"] == status and body[0]["description"]


def test_a_wrong_charset_or_a_broken_body_is_a_400(client, county, api_key):
    for content_type in (
        "application/x-www-form-urlencoded; charset=no-such-charset",
        "multipart/form-data; boundary=",
        "multipart/form-data",
    ):
        response = client.generic(
            "POST", "/open311/v2/requests.xml", b"api_key=x&\xff\xfe", content_type
        )
        # an unknown charset falls back to UTF-8 (bad bytes replaced): then the key is refused
        expected = 403 if "no-such-charset" in content_type else 400
        assert response.status_code == expected, (content_type, response.content)
        assert parse(response).find("error/code").text == str(expected)
    latin = client.generic(
        "POST",
        "/open311/v2/requests.json",
        "api_key=fq_x&description=caf\xe9".encode("latin-1"),
        "application/x-www-form-urlencoded; charset=latin-1",
    )
    assert latin.status_code == 400 and parse(latin)[0]["code"] == 400  # forms must be UTF-8


def test_methods(client, county):
    assert client.delete("/open311/v2/services.xml").status_code == 405
    assert client.head("/open311/v2/services.json").status_code == 200
    response = client.put("/open311/v2/servicerequestupdates.xml")
    assert response.status_code == 405 and parse(response).tag == "errors"


# -- 4. spec limits and fields ------------------------------------------------------------------
def test_description_up_to_4000_and_optional(client, county, api_key):
    long = client.post("/open311/v2/requests.json", base(api_key, description="长" * 4000))
    assert long.status_code == 201
    rid = long.json()[0]["service_request_id"]
    assert len(Case.objects.get(pk=rid).description) == 4000
    none = client.post("/open311/v2/requests.json", base(api_key, description=None))
    assert none.status_code == 201, none.content
    assert Case.objects.get(pk=none.json()[0]["service_request_id"]).description == ""


@pytest.mark.parametrize(
    "phone", ["+44 20 7946 0958", "(555) 123-4567 x12", "+86 135 1234 5678", "0571-88888888"]
)
def test_international_phone_numbers_are_stored_as_given(client, county, api_key, phone):
    response = client.post("/open311/v2/requests.json", base(api_key, phone=phone))
    assert response.status_code == 201, response.content
    assert Case.objects.get(pk=response.json()[0]["service_request_id"]).reporter_phone == phone


def test_email_and_names(client, county, api_key):
    response = client.post(
        "/open311/v2/requests.json",
        base(api_key, email="ada@example.org", first_name="Ada", last_name="Lovelace"),
    )
    case = Case.objects.get(pk=response.json()[0]["service_request_id"])
    assert case.reporter_email.clear == "ada@example.org"
    assert case.reporter_name.clear == "Ada Lovelace"
    assert full_name("明", "王") == "王 明"
    bad = client.post("/open311/v2/requests.json", base(api_key, email="not-an-email"))
    assert bad.status_code == 400
    listed = client.get("/open311/v2/requests.json").content
    assert b"ada@example.org" not in listed and b"Lovelace" not in listed


def test_every_media_url_and_photo_is_kept_and_media_url_is_returned(client, county, api_key):
    data = base(api_key, media_url=["https://img.example.org/a.jpg", "https://img.example.org/b"])
    data["photo1"], data["photo2"] = photo("a.jpg"), photo("b.jpg")
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == 201, response.content
    rid = int(response.json()[0]["service_request_id"])
    kept = Attachment.objects.filter(
        entry__content_type=ContentType.objects.get_for_model(Case), entry__object_id=rid
    )
    assert sorted(a.kind for a in kept) == ["link", "link", "photo", "photo"]
    assert {a.name for a in kept if a.kind == "link"} == {
        "https://img.example.org/a.jpg",
        "https://img.example.org/b",
    }
    one = client.get(f"/open311/v2/requests/{rid}.json").json()[0]
    assert one["media_url"] == "https://img.example.org/a.jpg"
    only_photo = client.post("/open311/v2/requests.json", {**base(api_key), "p": photo()})
    rid2 = only_photo.json()[0]["service_request_id"]
    url = client.get(f"/open311/v2/requests/{rid2}.xml")
    media = ET.fromstring(url.content).find("request/media_url").text
    assert "/open311/v2/media/" in media
    image = client.get(media.split("testserver", 1)[1])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    bad = client.post("/open311/v2/requests.json", base(api_key, media_url="javascript:alert(1)"))
    assert bad.status_code == 400


def _open311_case(county, hours_ago=2, **extra):
    case, _created = services.report(
        place=county.grid_a,
        category=Category.objects.get(code="cityscape"),
        description=extra.pop("description", "井盖缺失"),
        source=Case.Source.OPEN311,
        reporter_phone="13512345678",
        now=timezone.now() - timedelta(hours=hours_ago),
        **extra,
    )
    return case


def _updated(client, case):
    return client.get(f"/open311/v2/requests/{case.pk}.json").json()[0]["updated_datetime"]


def test_updated_datetime_moves_on_reject_and_merge(client, county, users):
    rejected, merged, target = (_open311_case(county, location_text=f"地点{i}") for i in range(3))
    before = {c.pk: _updated(client, c) for c in (rejected, merged)}
    services.reject(rejected, users["dispatcher"], data={"reason": "不属于受理范围"})
    services.merge(merged, users["dispatcher"], data={"duplicate_of": target.pk})
    for case in (rejected, merged):
        after = _updated(client, case)
        assert after > before[case.pk]
        row = client.get(f"/open311/v2/requests/{case.pk}.json").json()[0]
        assert row["status"] == "closed"


def test_date_only_dates_the_90_day_window_and_repeated_parameters(client, county, api_key):
    case = _open311_case(county)
    noise = _open311_case(county, location_text="别处")
    Case.objects.filter(pk=noise.pk).update(category=Category.objects.get(code="noise"))
    # The local day the report was made (two hours ago may still be yesterday, local time).
    today = timezone.localdate(case.reported_at)
    rows = client.get("/open311/v2/requests.json", {"start_date": str(today)}).json()
    assert {r["service_request_id"] for r in rows} >= {str(case.pk)}
    rows = client.get("/open311/v2/requests.json", {"end_date": str(today - timedelta(days=1))})
    assert rows.status_code == 200 and str(case.pk) not in str(rows.json())
    too_wide = client.get(
        "/open311/v2/requests.json",
        {"start_date": str(today - timedelta(days=120)), "end_date": str(today)},
    )
    assert too_wide.status_code == 400
    backwards = client.get(
        "/open311/v2/requests.json", {"start_date": str(today), "end_date": "2020-01-01"}
    )
    assert backwards.status_code == 400
    both = client.get("/open311/v2/requests.json?service_code=cityscape&service_code=noise").json()
    assert {r["service_code"] for r in both} == {"cityscape", "noise"}
    commas = client.get(
        f"/open311/v2/requests.json?service_request_id={case.pk},{noise.pk}&service_code=zzz"
    ).json()
    assert len(commas) == 2  # service_request_id overrides every other parameter
    twice = client.get("/open311/v2/requests.json?start_date=2026-01-01&start_date=2026-02-01")
    assert twice.status_code == 400
    same = client.get(f"/open311/v2/requests.json?start_date={today}&start_date={today}")
    assert same.status_code == 200
    zoned = client.get("/open311/v2/requests.json", {"start_date": f"{today}T00:00:00+08:00"})
    assert zoned.status_code == 200


def test_jurisdiction_id(client, county, api_key, settings):
    assert client.get("/open311/v2/services.json?jurisdiction_id=anything").status_code == 200
    settings.FENGQIAO_OPEN311_JURISDICTION = "fengxi.gov.cn"
    assert client.get("/open311/v2/services.json?jurisdiction_id=fengxi.gov.cn").status_code == 200
    assert client.get("/open311/v2/services.json").status_code == 200
    other = client.get("/open311/v2/services.xml?jurisdiction_id=other.gov")
    assert other.status_code == 404 and parse(other).find("error/code").text == "404"
    posted = client.post("/open311/v2/requests.json", base(api_key, jurisdiction_id="other.gov"))
    assert posted.status_code == 404


# -- 5. requirements are discoverable -----------------------------------------------------------
@pytest.mark.parametrize("code", ["dispute", "help", "noise", "cityscape"])
def test_a_client_following_the_definition_is_never_refused(client, county, api_key, code):
    services_list = {s["service_code"]: s for s in client.get("/open311/v2/services.json").json()}
    assert services_list[code]["metadata"] is True
    definition = client.get(f"/open311/v2/services/{code}.json").json()
    data = {"api_key": api_key, "service_code": code, "lat": "29.72", "long": "120.52"}
    for attribute in definition["attributes"]:
        assert attribute["description"]
        if attribute["required"]:
            data[f"attribute[{attribute['code']}]"] = "+86 135 1234 5678"
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == 201, (code, response.content)
    category = Category.objects.get(code=code)
    codes = {a["code"]: a for a in definition["attributes"]}
    if not category.allow_anonymous:
        assert codes["contact_phone"]["required"] is True and "anonymous" not in codes
        refused = client.post("/open311/v2/requests.json", {**data, "attribute[contact_phone]": ""})
        assert refused.status_code == 400


# -- 6. discovery ------------------------------------------------------------------------------
def test_discovery_paths_and_changeset(client, county):
    first = client.get("/open311/v2/discovery.json").json()
    url = first["endpoints"][0]["url"]
    assert url.endswith("/open311/v2/")
    for joined in (url + "services.xml", url + "/services.xml", url + "//services/noise.json"):
        assert client.get(joined.split("testserver", 1)[1]).status_code == 200
    assert client.get("/open311/v2/discovery.json").json()["changeset"] == first["changeset"]
    from fengqiao.cases.models import Open311Changeset

    Open311Changeset.objects.update(seen_at=timezone.now() - timedelta(days=3))
    old = client.get("/open311/v2/discovery.json").json()["changeset"]
    Category.objects.filter(code="noise").update(name="噪声扰民")
    new = client.get("/open311/v2/discovery.xml")
    changeset = ET.fromstring(new.content).find("changeset").text
    assert changeset > old
    assert ET.fromstring(new.content).find("endpoints/endpoint/changeset").text == changeset


# -- 7. mySociety's updates extension -----------------------------------------------------------
def test_get_updates(client, county, users):
    case = _open311_case(county, hours_ago=1)
    services.accept(case, users["dispatcher"])
    services.reject(_open311_case(county, location_text="别处"), users["dispatcher"],
                    data={"reason": "重复"})  # fmt: skip
    now = timezone.now()
    window = {"start_date": (now - timedelta(days=1)).isoformat(), "end_date": now.isoformat()}
    rows = client.get("/open311/v2/servicerequestupdates.json", window).json()
    mine = [r for r in rows if r["service_request_id"] == str(case.pk)]
    assert [r["status"] for r in mine] == ["open", "investigating"]
    assert set(mine[0]) == {"update_id", "service_request_id", "status", "updated_datetime",
                            "description", "media_url"}  # fmt: skip
    assert "no_further_action" in {r["status"] for r in rows}
    root = ET.fromstring(client.get("/open311/v2/servicerequestupdates.xml", window).content)
    assert root.tag == "service_request_updates"
    assert root.find("request_update/update_id").text
    future = {"start_date": (now + timedelta(days=1)).isoformat()}
    assert client.get("/open311/v2/servicerequestupdates.json", future).json() == []


def test_post_update_comment_photo_and_still_not_fixed(client, county, api_key, users):
    case = _open311_case(county, hours_ago=1)
    fields = {"api_key": api_key, "service_request_id": str(case.pk), "update_id": "fms-1",
              "status": "OPEN", "updated_datetime": timezone.now().isoformat(),
              "description": "又坏了", "first_name": "Ada", "email": "ada@example.org"}  # fmt: skip
    response = client.post("/open311/v2/servicerequestupdates.xml", {**fields, "p": photo()})
    assert response.status_code == 200, response.content
    update_id = ET.fromstring(response.content).find("request_update/update_id").text
    entry = TimelineEntry.objects.get(pk=update_id)
    assert entry.transition == "add_info" and entry.attachments.get().kind == "photo"
    # the request is waiting for the reporter's check: "still not fixed" sends it back
    case = services.dispatch(services.accept(case, users["dispatcher"]), users["dispatcher"],
                             data={"department": county.urban.pk})  # fmt: skip
    case = services.claim(case, users["department_staff"])
    case = services.resolve(case, users["department_staff"], data={"result": "已修复"})
    again = client.post(
        "/open311/v2/servicerequestupdates.json", {**fields, "status": "REOPEN", "update_id": "2"}
    )
    assert again.status_code == 200, again.content
    assert Case.objects.get(pk=case.pk).state != "resolved"
    assert TimelineEntry.objects.get(pk=again.json()[0]["update_id"]).transition == "rework"


@pytest.mark.parametrize(
    "change, status",
    [
        ({"api_key": None}, 403),
        ({"api_key": "fq_nope"}, 403),
        ({"service_request_id": "999999"}, 404),
        ({"service_request_id": "²"}, 400),
        ({"status": "MAYBE"}, 400),
        ({"updated_datetime": "soon"}, 400),
        ({"update_id": None}, 400),
        ({"description": ""}, 400),
    ],
)
def test_post_update_errors(client, county, api_key, change, status):
    case = _open311_case(county)
    fields = {"api_key": api_key, "service_request_id": str(case.pk), "update_id": "u1",
              "status": "OPEN", "updated_datetime": "2026-11-30T10:00:00Z", "description": "x"}  # fmt: skip
    fields.update(change)
    fields = {k: v for k, v in fields.items() if v is not None}
    response = client.post("/open311/v2/servicerequestupdates.json", fields)
    assert response.status_code == status, response.content
    assert response.json()[0]["code"] == status


# -- 8. api keys out of logs --------------------------------------------------------------------
def test_api_key_never_reaches_a_log(client, county, api_key, caplog):
    line = f'"GET /open311/v2/requests.json?status=open&api_key={api_key}&x=1 HTTP/1.1" 200'
    assert api_key not in scrub(line) and "status=open" in scrub(line) and "x=1" in scrub(line)
    assert api_key not in scrub(f"Authorization: Bearer {api_key}")
    record = logging.LogRecord("django.server", logging.INFO, "", 0, "%s", (line,), None)
    ScrubSecrets().filter(record)
    assert api_key not in record.getMessage()
    request = client.get(f"/open311/v2/requests.json?api_key={api_key}").wsgi_request
    meta = ReporterFilter().get_safe_request_meta(request)
    assert api_key not in meta["QUERY_STRING"]
    handler = logging.getLogger("django.server").handlers
    assert any(isinstance(f, ScrubSecrets) for h in handler for f in h.filters), (
        "the access log's handler scrubs secrets"
    )

"""Cases in the generated scoping matrix (tests/test_scoping_matrix.py)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from fengqiao.cases import services, uploads
from fengqiao.cases.actions import registry
from fengqiao.cases.defaults import install
from fengqiao.cases.models import Case, Category
from fengqiao.core import sms
from fengqiao.core.models import Attachment, Notification
from tests.scoping import ScopedEndpoint

from .helpers import jpeg_bytes


def make_case(grid, users):
    install(Category)
    photo = SimpleUploadedFile("p.jpg", jpeg_bytes(), "image/jpeg")
    attachments, _rejected = uploads.process_files([photo])
    case, _created = services.report(
        place=grid,
        category=Category.objects.get(code="cityscape"),
        description=f"scoping-matrix {grid.code}",
        source=Case.Source.GRID_WORKER,
        actor=users["grid_worker"],
        reporter_phone="13900002222",
        attachments=attachments,
    )
    # A card on the supervision board as well.
    services.act(case, "supervise", users["leader"], note="scoping matrix")
    # A failed text message to the reporter (its retry route is in the write matrix).
    note = sms.queue(
        "13900002222",
        kind="case.answer.sms",
        message="case.reply",
        params={"number": case.number, "reply": "scoping", "link": ""},
        target=case,
    )
    Notification.objects.filter(pk=note.pk).update(state=Notification.State.FAILED)
    return case


def _file_url(case):
    item = Attachment.objects.filter(entry__object_id=case.pk, kind="photo").first()
    return f"/cases/{case.pk}/files/{item.pk}/"


SCOPED = [
    ScopedEndpoint(
        name="cases.case",
        make=make_case,
        list_urls=[
            "/cases/",
            "/cases/?tab=all",
            "/cases/dispatch/",
            "/cases/supervision/",
            "/api/v1/cases/",
            "/api/v1/cases/?open=true",
        ],
        detail_urls=lambda case: [
            f"/cases/{case.pk}/",
            _file_url(case),
            f"/api/v1/cases/{case.pk}",
            f"/api/v1/cases/{case.pk}/timeline",
        ],
        marker=lambda case: f"scoping-matrix {case.place.code}",
        url_names=[
            "cases:detail",
            "cases:attachment",
            # POST only (a GET answers 405); out-of-scope POSTs answer 404:
            # tests/cases/test_staff_pages.py::test_other_grids_case_id_is_404, test_api.py.
            "cases:act",
            # POST only; out of scope → 404:
            # tests/cases/test_dispute_link.py::test_page_form_for_another_category_or_grid.
            "cases:spawn_dispute",
            # POST only; out of scope → 404, a message about another case → 404:
            # tests/assistant/test_sms_status.py::test_retry_is_scoped_and_needs_a_replying_role.
            "cases:sms_retry",
            # POST only; a report of the county's triage queue out of scope → 404:
            # tests/cases/test_triage.py::test_out_of_scope_place_is_404.
            "cases:triage_place",
            # A county's triage queue through the API: a grid's dispatcher neither reads nor places
            # a report of the county's queue (404): test_triage.py::test_triage_api_lists_and_places.
            "/api/v1/cases/triage/{pending_id}",
            "/api/v1/cases/triage/{pending_id}/place",
            "/api/v1/cases/{case_id}",
            "/api/v1/cases/{case_id}/timeline",
            # POST only, one operation per action of cases.actions.registry; out of scope → 404
            # (tests/cases/test_api.py::test_other_grids_case_is_404).
            *registry.api_paths("/api/v1/cases", "case_id"),
            # Resident and Open311 routes carry no staff scope: the grid code is public (printed
            # on the poster) and the tracking code / Open311 key is the capability. Their own
            # checks are tested in tests/cases/test_resident.py and test_open311.py.
            "resident:report",
            "resident:report_any",  # the county's form: no id at all
            # a report in the triage queue: its uuid token is the capability (test_triage.py)
            "resident:pending",
            "resident:qr",
            "resident:poster",
            "resident:track",
            "resident:track_action",
            "resident:track_file",
            "open311:discovery",
            "open311:services",
            "open311:service",
            "open311:requests",
            "open311:request",
            "open311:token",
            "open311:updates",
            # the photo URL of a request: the request's unguessable uid is the capability, and
            # only photos of public timeline entries are served (test_open311_spec.py)
            "open311:media",
            "open311:fallback",  # every unknown path: an Open311 error, nothing else
        ],
    )
]

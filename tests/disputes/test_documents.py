"""The mediation agreement as docx and PDF: every part the People's Mediation Law requires."""

import io
import re

import docx
import pytest
from pypdf import PdfReader

from fengqiao.core.errors import Forbidden, NotFound
from fengqiao.core.models import AuditEvent
from fengqiao.disputes import services
from tests.conftest import login
from tests.disputes import helpers
from tests.pdfcheck import assert_embedded_pdf

pytestmark = pytest.mark.django_db


def docx_text(data):
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [p.text for s in document.sections for p in s.footer.paragraphs]
    return _flat("\n".join(parts))


def pdf_text(data):
    return _flat("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def _flat(text):
    return re.sub(r"\s+", "", text)


def required_parts(agreement):
    """Each part, as text that must appear (whitespace ignored)."""
    f = helpers.TERMS_FIELDS
    return {
        "title": "人民调解协议书",
        "number": agreement.number,
        "integrity code": services.short_code(agreement.integrity_code),
        "party A name": "申请人：张三",
        "party A id": helpers.ID_A,
        "party A address": "枫溪社区1幢101室",
        "party B name": "被申请人：李四",
        "party B id": helpers.ID_B,
        "party B address": "枫溪社区1幢201室",
        "facts heading": "纠纷的主要事实",
        "facts": f["facts"],
        "issues heading": "争议事项",
        "issues": f["issues"],
        "responsibilities heading": "各方当事人的责任",
        "responsibilities": f["responsibilities"],
        "term 1": f["terms"][0]["text"],
        "term 2": f["terms"][1]["text"],
        "term due": "2026-12-10",
        "performance manner": _flat(f["performance_manner"]),
        "performance deadline": "履行期限",
        "party signatures": "申请人（签名、盖章或按指印）",
        "other party signature": "被申请人（签名、盖章或按指印）",
        "mediator signature": "人民调解员（签名）",
        "committee seal": "枫溪社区人民调解委员会（印章）",
        "seal place": "人民调解委员会印章处",
        "judicial confirmation note": "三十日内共同向人民法院申请司法确认",
    }


@pytest.fixture
def agreement(county, users):
    return helpers.signed(county.grid_a, users)


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_document_has_every_required_part(agreement, users, fmt):
    data = services.document_for(agreement, users["community_officer"], fmt)
    text = docx_text(data) if fmt == "docx" else pdf_text(data)
    missing = [name for name, part in required_parts(agreement).items() if _flat(part) not in text]
    assert not missing, f"{fmt} lacks {missing}"
    event = AuditEvent.objects.filter(action="dispute.agreement_generated").latest("id")
    assert event.user == users["community_officer"] and event.data["format"] == fmt


def test_pdf_embeds_its_cjk_font(agreement, users):
    data = services.document_for(agreement, users["community_officer"], "pdf")
    assert data.startswith(b"%PDF") and b"STSong-Light" not in data
    assert_embedded_pdf(data, "人民调解协议书", f"{agreement.number} · ")


def test_draft_is_marked_as_draft(county, users):
    dispute = helpers.agreed(county.grid_a, users)
    draft = services.draft_agreement(dispute, users["community_officer"], **helpers.TERMS_FIELDS)
    text = pdf_text(services.document_for(draft, users["community_officer"], "pdf"))
    assert "草稿" in text


def test_generation_is_scoped_and_needs_permission(agreement, users, users_b):
    with pytest.raises(NotFound):
        services.document_for(agreement, users_b["community_officer"], "pdf")
    with pytest.raises(Forbidden):
        services.document_for(agreement, users["grid_worker"], "pdf")
    assert AuditEvent.objects.filter(action="dispute.agreement_generated", result="denied").exists()
    # the lawyer who mediated it may print it
    assert services.document_for(agreement, users["lawyer"], "docx")


def test_download_views(client, agreement, users, users_b):
    login(client, users["community_officer"])
    for fmt, kind in (("docx", "wordprocessingml"), ("pdf", "application/pdf")):
        response = client.get(f"/disputes/agreements/{agreement.pk}/download/{fmt}/")
        assert response.status_code == 200 and kind in response["Content-Type"]
        assert agreement.number in response["Content-Disposition"]
    assert client.get(f"/disputes/agreements/{agreement.pk}/download/exe/").status_code == 404
    api = client.get(f"/api/v1/disputes/agreements/{agreement.pk}/download/pdf")
    assert api.status_code == 200 and api.content.startswith(b"%PDF")
    bad = client.get(f"/api/v1/disputes/agreements/{agreement.pk}/download/exe")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_format"
    login(client, users_b["community_officer"])
    assert client.get(f"/disputes/agreements/{agreement.pk}/download/pdf/").status_code == 404
    login(client, users["grid_worker"])
    assert client.get(f"/disputes/agreements/{agreement.pk}/download/pdf/").status_code == 403

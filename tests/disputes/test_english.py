"""Chinese is the source language; the disputes app's own catalog gives its pages in English.
The mediation agreement itself (content, docx, PDF) stays Chinese: it is a legal document."""

import io
import re

import docx
import pytest

from fengqiao.disputes.models import Agreement
from tests.conftest import login
from tests.disputes import helpers

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_workbench_and_detail_in_english(client, county, users):
    dispute = helpers.at_level(county.grid_a, users, 3)
    login(client, users["community_officer"])
    page = client.get("/disputes/", **EN).content.decode()
    assert "Mediation workbench" in page and "调解工作台" not in page
    page = client.get(f"/disputes/{dispute.pk}/", **EN).content.decode()
    assert "Level 3: lawyer (intervention mediation)" in page
    assert "Failed, moved to the next level" in page  # timeline label
    assert "第三级 律师 介入调" not in page and "调解不成，转下一级" not in page
    # Chinese stays the default
    page = client.get("/disputes/").content.decode()
    assert "调解工作台" in page and "Mediation workbench" not in page


def test_errors_in_english(client, county, users):
    dispute = helpers.mediating(county.grid_a, users)
    login(client, users["community_officer"])
    response = client.post(
        f"/disputes/{dispute.pk}/act/next_level/", {"note": "no", "to_level": "4"}, **EN
    )
    assert response.status_code == 400
    assert "skips a level" in response.content.decode()


def test_party_status_page_in_english(client, county, users):
    dispute = helpers.mediating(county.grid_a, users)
    url = f"/disputes/track/{dispute.tracking_code}/"
    wrong = client.post(url, {"last4": "0000"}, **EN).content.decode()
    assert "Wrong tracking code or last 4 digits of the phone" in wrong
    # The steps are labelled in the reader's language (labels are translated per request).
    steps = client.post(url, {"last4": "1111"}, **EN).content.decode()
    assert "Registered" in steps and "Start mediation" in steps and "已登记受理" not in steps


def test_agreement_made_from_an_english_page_stays_chinese(client, county, users):
    dispute = helpers.agreed(county.grid_a, users)
    login(client, users["community_officer"])
    f = helpers.TERMS_FIELDS
    post = {
        "facts": f["facts"],
        "issues": f["issues"],
        "responsibilities": f["responsibilities"],
        "performance_manner": f["performance_manner"],
        "term_text": [t["text"] for t in f["terms"]],
        "term_due": [t["due_on"] for t in f["terms"]],
    }
    response = client.post(f"/disputes/{dispute.pk}/agreement/", post, **EN)
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    data = client.get(f"/disputes/agreements/{agreement.pk}/download/docx/", **EN).content
    text = re.sub(r"\s+", "", "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs))
    assert "人民调解协议书" in text and "申请人：张三" in text and "被申请人：李四" in text
    assert "Applicant" not in text and "Respondent" not in text

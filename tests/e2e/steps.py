"""Steps the real-browser journeys share (signing in and out, opening an action form, writing,
signing and printing a mediation agreement), so each journey states only what is its own."""

import io

import docx
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from tests.conftest import PASSWORD


def sign_in(page, base, user):
    """The login page, then the second factor when the user has a device; lands on the home page."""
    page.goto(f"{base}/login/")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("#login")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        page.wait_for_url("**/login/second-factor/**")
        page.fill("#token", f"{totp(device.bin_key):06d}")
        page.click("#verify")
    page.wait_for_selector("#welcome")


def sign_out(page):
    page.click("#user-menu summary")
    page.click("#logout")
    page.wait_for_url("**/login/")


def open_action(page, form_id):
    """Unfold the <details> panel holding the action form ``form_id``."""
    page.locator(f"details:has(#{form_id}) > summary").click()


def agree(page, note):
    """On the dispute page: record that the parties reached an agreement."""
    open_action(page, "agree-note")
    page.fill("#agree-note", note)
    page.click("#agree-submit")
    page.wait_for_selector("text=已保存")


def write_agreement(page, fields):
    """From the dispute page: the 人民调解协议书 form filled with ``fields`` (helpers.TERMS_FIELDS),
    saved; the preview shows."""
    page.click("#agreement-edit-link")
    page.fill("textarea[name=facts]", fields["facts"])
    page.fill("textarea[name=issues]", fields["issues"])
    page.fill("textarea[name=responsibilities]", fields["responsibilities"])
    for i, term in enumerate(fields["terms"]):
        page.locator("input[name=term_text]").nth(i).fill(term["text"])
        page.locator("input[name=term_due]").nth(i).fill(term["due_on"])
    page.fill("textarea[name=performance_manner]", fields["performance_manner"])
    page.click("#agreement-submit")
    page.wait_for_selector("#agreement-preview")


def sign_agreement(page):
    page.click("#sign-submit")
    page.wait_for_selector("text=司法确认30日期限")


def printed_agreement(page, base, agreement):
    """The agreement downloaded as .docx and .pdf: (Word text, PDF text without line breaks)."""
    page.goto(f"{base}/disputes/agreements/{agreement.pk}/")
    with page.expect_download() as info:
        page.click("#download-docx")
    word_text = "".join(p.text for p in docx.Document(info.value.path()).paragraphs)
    with page.expect_download() as info:
        page.click("#download-pdf")
    with open(info.value.path(), "rb") as handle:
        pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    return word_text, pdf_text.replace("\n", "")

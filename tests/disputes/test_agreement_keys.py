"""The agreement signing key: its own setting, rotation keeps old agreements verifiable."""

import logging

from fengqiao.disputes import services
from fengqiao.disputes.models import Agreement
from tests.disputes import helpers

KEY_A = "agreement-key-A-0123456789abcdef"
KEY_B = "agreement-key-B-fedcba9876543210"


def _verify(officer, agreement, code=None):
    code = code or services.short_code(agreement.integrity_code)
    return services.verify_agreement(officer, agreement.number, code)


def test_rotation_keeps_old_agreements_verifiable(county, users, settings):
    officer = users["community_officer"]
    settings.AGREEMENT_KEY, settings.AGREEMENT_OLD_KEYS = KEY_A, []
    old = helpers.signed(county.grid_a, users)
    assert old.integrity_key_id == services.key_id(KEY_A.encode())
    assert _verify(officer, old)["valid"]

    # rotate: B signs, A still verifies
    settings.AGREEMENT_KEY, settings.AGREEMENT_OLD_KEYS = KEY_B, [KEY_A]
    result = _verify(officer, old)
    assert result["valid"] and "真实有效" in str(result["reason"])
    new = helpers.signed(county.grid_a, users)
    assert new.integrity_key_id == services.key_id(KEY_B.encode()) != old.integrity_key_id
    assert _verify(officer, new)["valid"]
    # the same content under A would give another code: B really signed it
    content = services.agreement_content(new)
    assert (
        services.agreements._mac(KEY_A.encode(), new.number, new.version, content)
        != new.integrity_code
    )

    # tampered content fails under the right key
    content = services.agreement_content(old)
    content["facts"] = "改过的事实"
    Agreement.objects.filter(pk=old.pk).update(content=services.canonical(content))
    old.refresh_from_db()
    tampered = _verify(officer, old, services.short_code(old.integrity_code))
    assert not tampered["valid"] and "篡改" in str(tampered["reason"])

    # A removed: the new one verifies, the one signed with A no longer does, with a clear reason
    settings.AGREEMENT_OLD_KEYS = []
    assert _verify(officer, new)["valid"]
    gone = _verify(officer, old)
    assert not gone["valid"]
    assert "密钥已停用" in str(gone["reason"]) and old.integrity_key_id in str(gone["reason"])


def test_agreements_from_before_key_ids_still_verify(county, users, settings):
    officer = users["community_officer"]
    settings.AGREEMENT_KEY, settings.AGREEMENT_OLD_KEYS = KEY_A, []
    agreement = helpers.signed(county.grid_a, users)
    Agreement.objects.filter(pk=agreement.pk).update(integrity_key_id="")
    agreement.refresh_from_db()
    settings.AGREEMENT_KEY, settings.AGREEMENT_OLD_KEYS = KEY_B, [KEY_A]
    assert _verify(officer, agreement)["valid"]
    settings.AGREEMENT_OLD_KEYS = []
    assert not _verify(officer, agreement)["valid"]


def test_unset_key_falls_back_to_a_dev_key_with_a_warning(county, users, settings, caplog):
    settings.AGREEMENT_KEY, settings.DEBUG = "", False
    services.agreements._warned_dev_key = False
    with caplog.at_level(logging.WARNING, logger="fengqiao.disputes"):
        agreement = helpers.signed(county.grid_a, users)
    assert "FENGQIAO_AGREEMENT_KEY" in caplog.text
    assert _verify(users["community_officer"], agreement)["valid"]


def test_agreements_signed_before_a_real_key_was_set_keep_verifying(county, users, settings):
    officer = users["community_officer"]
    settings.AGREEMENT_KEY, settings.AGREEMENT_OLD_KEYS, settings.DEBUG = "", [], True
    early = helpers.signed(county.grid_a, users)
    settings.AGREEMENT_KEY = KEY_A  # production sets its own key for the first time
    assert _verify(officer, early)["valid"]
    assert _verify(officer, helpers.signed(county.grid_a, users))["valid"]
    settings.SECRET_KEY = "another-secret-key-for-this-test-0123456789"
    gone = _verify(officer, early)
    assert not gone["valid"] and "密钥已停用" in str(gone["reason"])

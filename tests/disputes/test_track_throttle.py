"""The party status page refuses checks after too many failures: 5 per code, 20 per address,
within 15 minutes, for 15 minutes. Counted by the one throttle (core.throttle, Django's cache),
with explicit times; every check is still audited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.core.errors import NotFound
from fengqiao.core.models import AuditEvent
from fengqiao.disputes import services
from tests.disputes import helpers

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(timezone.datetime(2026, 11, 23, 9, 0))
IP = "203.0.113.7"


def _fail(code, at, ip=IP, last4="0000"):
    with pytest.raises(NotFound):
        services.track(code, last4, ip=ip, now=at)


def test_five_failures_lock_the_code_for_fifteen_minutes(county, users):
    dispute = helpers.mediating(county.grid_a, users)
    code = dispute.tracking_code
    for i in range(4):
        _fail(code, T0 + timedelta(minutes=i))
    # four failures: the right digits still work
    assert services.track(code, "1111", ip=IP, now=T0 + timedelta(minutes=4)) == dispute
    fifth = T0 + timedelta(minutes=5)
    _fail(code, fifth)
    assert services.track_locked_until(code, now=fifth) == fifth + timedelta(minutes=15)
    # locked: even the right digits are refused, from another address too, with a clear message
    for ip in (IP, "198.51.100.1"):
        with pytest.raises(services.TooManyAttempts) as err:
            services.track(code, "1111", ip=ip, now=fifth + timedelta(minutes=14, seconds=59))
        assert err.value.status == 429 and "查询失败次数过多" in err.value.message
        assert err.value.details["retry_after"] == 1
    # refused checks are audited but do not extend the lock
    assert AuditEvent.objects.filter(action="dispute.track", result="denied").count() == 2
    assert AuditEvent.objects.filter(action="dispute.track_locked").count() == 1
    # another dispute's code is not affected (the address has 5 failures, under its limit)
    other = helpers.make_dispute(
        county.grid_a, users, parties=helpers.parties("13700000031", "13700000032")
    )
    assert services.track(other.tracking_code, "0031", ip=IP, now=fifth) == other
    # fifteen minutes after the lock it works again
    after = fifth + timedelta(minutes=15)
    assert services.track_locked_until(code, ip=IP, now=after) is None
    assert services.track(code, "1111", ip=IP, now=after) == dispute


def test_failures_spread_beyond_the_window_do_not_lock(county, users):
    dispute = helpers.mediating(county.grid_a, users)
    for i in range(8):  # one failure every 4 minutes: never 5 within 15 minutes
        _fail(dispute.tracking_code, T0 + timedelta(minutes=4 * i))
    assert not AuditEvent.objects.filter(action="dispute.track_locked").exists()
    assert services.track(dispute.tracking_code, "2222", ip=IP, now=T0 + timedelta(minutes=29))


def test_one_address_sweeping_codes_is_locked(county, users):
    dispute = helpers.mediating(county.grid_a, users)
    for i in range(20):  # 20 different guessed codes, one failure each
        _fail(f"guess{i:02d}", T0 + timedelta(seconds=10 * i))
    at = T0 + timedelta(minutes=4)
    with pytest.raises(services.TooManyAttempts):
        services.track(dispute.tracking_code, "1111", ip=IP, now=at)
    # the code itself is not locked: the party elsewhere gets in
    assert services.track(dispute.tracking_code, "1111", ip="198.51.100.1", now=at) == dispute
    lock = AuditEvent.objects.get(action="dispute.track_locked")
    assert lock.ip == IP and lock.data["scope"] == "ip"


def test_audit_rows_hold_no_usable_code(county, users):
    dispute = helpers.mediating(county.grid_a, users)
    _fail(dispute.tracking_code, T0)
    row = AuditEvent.objects.get(action="dispute.track")
    assert row.result == "failure" and row.ip == IP and row.at == T0
    assert dispute.tracking_code not in f"{row.target_repr} {row.target_id} {row.data}"


def test_status_page_answers_429_when_locked(client, county, users):
    dispute = helpers.mediating(county.grid_a, users)
    url = f"/disputes/track/{dispute.tracking_code}/"
    for _ in range(5):
        assert client.post(url, {"last4": "0000"}).status_code == 404
    response = client.post(url, {"last4": "1111"})
    body = response.content.decode()
    assert response.status_code == 429 and "查询失败次数过多" in body
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert 'id="track-form"' not in body and "track-status" not in body
    english = client.post(url, {"last4": "1111"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 429 and "Too many failed checks" in english.content.decode()
    failures = AuditEvent.objects.filter(action="dispute.track", result="failure")
    assert failures.count() == 5 and set(failures.values_list("ip", flat=True)) == {"127.0.0.1"}


def test_the_lock_is_the_throttles_not_the_audit_logs(county, users):
    from fengqiao.disputes import tracking

    dispute = helpers.mediating(county.grid_a, users)
    for i in range(5):
        _fail(dispute.tracking_code, T0 + timedelta(minutes=i))
    at = T0 + timedelta(minutes=5)
    assert tracking.BY_CODE.locked_until(dispute.tracking_code, now=at) is not None
    tracking.BY_CODE.reset(dispute.tracking_code)  # e.g. a staff member unlocks it
    assert services.track(dispute.tracking_code, "1111", ip=IP, now=at) == dispute

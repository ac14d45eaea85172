"""Personal data: encryption at rest, keyed-hash search, masking, audited reveal, key rotation."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from fengqiao.core import pii, services
from fengqiao.core.errors import Forbidden, NotFound, ServiceError
from fengqiao.core.models import AuditEvent
from tests.conftest import login
from tests.kernelapp.models import Ticket

ID_NUMBER = "330102199001011234"


def test_masks():
    assert pii.mask_id_number(ID_NUMBER) == "330*************34"
    assert pii.mask_phone("13812345678") == "138****5678"
    assert pii.mask_name("欧阳修") == "欧**"
    assert pii.mask_name("") == ""


def test_id_number_check_digit():
    assert pii.valid_id_number(ID_NUMBER)
    assert not pii.valid_id_number("330102199001011235")
    assert not pii.valid_id_number("abc")


@pytest.fixture
def ticket(county):
    t = Ticket(title="t", place=county.grid_a)
    t.phone = "13812345678"
    t.id_number = ID_NUMBER
    t.save()
    return Ticket.objects.get(pk=t.pk)


def test_stored_encrypted_and_loaded_masked(ticket):
    with connection.cursor() as cur:
        cur.execute("SELECT phone, id_number FROM kernelapp_ticket WHERE id = %s", [ticket.pk])
        raw_phone, raw_id = cur.fetchone()
    assert "13812345678" not in raw_phone and ID_NUMBER not in raw_id
    assert str(ticket.phone) == "138****5678"
    assert f"{ticket.id_number}" == "330*************34"
    assert "13812345678" not in repr(ticket.phone)


def test_exact_search_by_keyed_hash(ticket):
    found = Ticket.objects.filter(phone_hash=pii.blind_index("+86 138-1234-5678", "phone"))
    assert list(found) == [ticket]
    assert not Ticket.objects.filter(phone_hash=pii.blind_index("13900000000", "phone")).exists()


def test_reveal_needs_permission_reason_scope_and_is_audited(ticket, users, users_b):
    officer = users["community_officer"]
    with pytest.raises(ServiceError):
        services.reveal(officer, ticket, "phone", "")
    assert services.reveal(officer, ticket, "phone", "回访核实联系方式") == "13812345678"
    row = AuditEvent.objects.get(action="pii.reveal", result="success")
    assert row.user == officer and row.data == {"field": "phone", "reason": "回访核实联系方式"}
    with pytest.raises(NotFound):
        services.reveal(users_b["community_officer"], ticket, "phone", "越权查看测试")
    with pytest.raises(Forbidden):
        services.reveal(users["auxiliary_officer"], ticket, "phone", "无权限查看测试")
    assert AuditEvent.objects.filter(action="pii.reveal", result="denied").count() == 1


def test_reveal_view(client, ticket, users, users_b):
    url = f"/reveal/kernelapp.Ticket/{ticket.pk}/id_number/"
    login(client, users["grid_worker"])
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "核对身份信息"})
    assert response.status_code == 200 and response.content.decode() == ID_NUMBER
    login(client, users_b["grid_worker"])
    assert client.post(url, {"reason": "核对身份信息"}).status_code == 404
    assert client.post("/reveal/nope.Nope/1/x/", {"reason": "核对身份信息"}).status_code == 404


def test_key_rotation(ticket, settings):
    new_key = Fernet.generate_key().decode()
    settings.PII_DATA_KEYS = [new_key, *settings.PII_DATA_KEYS]
    from django.core.management import call_command

    call_command("rotate_keys")
    settings.PII_DATA_KEYS = [new_key]  # the old key is gone: data must still decrypt
    assert Ticket.objects.get(pk=ticket.pk).phone.clear == "13812345678"


def test_wrong_key_fails_clearly(ticket, settings):
    settings.PII_DATA_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ValueError, match="could not be decrypted"):
        Ticket.objects.get(pk=ticket.pk)


# -- free text shown publicly -------------------------------------------------------------------
def test_mask_text_masks_numbers_and_names_in_free_text():
    from fengqiao.core.pii import mask_text

    text = "我叫张伟，电话13812345678，身份证330102199001011234，邻居刘建国半夜装修"
    masked = mask_text(text)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "330102199001011234" not in masked and "330*************34" in masked
    assert "张伟" not in masked and "张*" in masked
    assert "刘建国" not in masked and "刘**" in masked
    assert "半夜装修" in masked  # the rest is untouched


def test_mask_text_other_number_shapes():
    from fengqiao.core.pii import mask_text

    assert mask_text("+86 138 1234 5678") == "138****5678"
    assert mask_text("座机0571-87654321") == "座机057*****4321"
    assert mask_text("老身份证330102900101123") == "老身份证330**********23"
    # a longer digit run is not an ID number plus one digit; ordinary numbers stay
    assert mask_text("卡号6222021234567890123") == "卡号6222021234567890123"
    assert mask_text("幸福路12号3单元") == "幸福路12号3单元"
    assert mask_text("") == "" and mask_text(None) == ""


def test_mask_text_keeps_places():
    from fengqiao.core.pii import mask_text

    assert mask_text("枫溪社区第1网格幸福路12号垃圾堆放") == "枫溪社区第1网格幸福路12号垃圾堆放"

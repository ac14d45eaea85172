"""The resident pages: report per grid, QR poster, uploads, tracking, rating; and bad input."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fengqiao.cases.models import Case
from fengqiao.core.models import Attachment
from fengqiao.core.workflow import timeline

from .helpers import jpeg_bytes, make_case, resolved, wav_bytes


def form(**extra):
    data = {
        "client_id": "c0ffee00112233",
        "category": "cityscape",
        "description": "楼下垃圾堆放三天无人清理",
        "location_text": "幸福路12号",
        "reporter_name": "李四",
        "reporter_phone": "13812345678",
        "consent": "on",
        "sensitive_consent": "on",  # PIPL: separate consent for location, photos, voice
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def test_report_page_shows_notice_and_categories(client, county):
    response = client.get(f"/r/g/{county.grid_a.code}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "个人信息告知" in html and county.grid_a.name in html
    assert 'value="safety_fire"' in html and "消防隐患" in html
    assert "map-data" in html and "vendor/leaflet/leaflet.js" in html
    assert "cdn" not in html.lower()


def test_unknown_grid_is_404(client, county):
    assert client.get("/r/g/nope/").status_code == 404
    assert client.get(f"/r/g/{county.village.code}/").status_code == 404  # not a grid


def test_submit_with_photo_and_voice_then_track(client, county):
    photo = SimpleUploadedFile("p.jpg", jpeg_bytes(gps=True), content_type="image/jpeg")
    voice = SimpleUploadedFile("v.wav", wav_bytes(2), content_type="audio/wav")
    response = client.post(
        f"/r/g/{county.grid_a.code}/", form(photos=[photo], voice=voice), follow=True
    )
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.source == "resident" and case.place == county.grid_a
    html = response.content.decode()
    assert case.tracking_code in html and "提交成功" in html
    files = list(Attachment.objects.filter(entry__object_id=case.pk))
    assert sorted(f.kind for f in files) == ["photo", "voice"]
    photo_file = next(f for f in files if f.kind == "photo")
    with Image.open(photo_file.file.open("rb")) as image:
        assert image.format == "JPEG"
        assert not image.getexif().get_ifd(0x8825)  # GPS removed without consent
        assert 0x010F not in image.getexif()  # and the rest of the metadata
    # the reporter can open their own files through the tracking code
    url = f"/r/t/{case.tracking_code}/files/{photo_file.pk}/"
    assert client.get(url).status_code == 200
    # the tracking page never shows personal data
    page = client.get(f"/r/t/{case.tracking_code}/").content.decode()
    assert "13812345678" not in page and "李四" not in page


def test_gps_kept_when_reporter_agrees(client, county):
    photo = SimpleUploadedFile("p.jpg", jpeg_bytes(gps=True), content_type="image/jpeg")
    client.post(f"/r/g/{county.grid_a.code}/", form(photos=[photo], share_location="on"))
    item = Attachment.objects.get(kind="photo")
    with Image.open(item.file.open("rb")) as image:
        assert image.getexif().get_ifd(0x8825)


def test_disguised_and_oversized_files_are_explained_and_report_kept(client, county, settings):
    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>" * 10, content_type="image/jpeg")
    exe = SimpleUploadedFile("song.mp3", b"MZ\x90\x00" + b"\x00" * 100, content_type="audio/mpeg")
    good = SimpleUploadedFile("ok.png", _png(), content_type="image/png")
    response = client.post(
        f"/r/g/{county.grid_a.code}/", form(photos=[fake, good], voice=exe), follow=True
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "evil.jpg" in html and "不是支持的图片" in html
    assert "song.mp3" in html and "不是支持的语音格式" in html
    case = Case.objects.get()
    assert [a.kind for a in Attachment.objects.filter(entry__object_id=case.pk)] == ["photo"]


def test_too_many_photos_and_too_long_voice(client, county):
    photos = [SimpleUploadedFile(f"p{i}.jpg", jpeg_bytes(), "image/jpeg") for i in range(8)]
    long_voice = SimpleUploadedFile("long.wav", wav_bytes(130, rate=4000), "audio/wav")
    response = client.post(
        f"/r/g/{county.grid_a.code}/", form(photos=photos, voice=long_voice), follow=True
    )
    html = response.content.decode()
    assert "最多上传 6 张照片" in html and "语音超过 120 秒" in html
    assert Attachment.objects.filter(kind="photo").count() == 6
    assert not Attachment.objects.filter(kind="voice").exists()


def _png():
    out = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"description": ""}, "这个字段是必填项"),
        ({"category": "nope"}, "选择一个有效的选项"),
        ({"consent": None}, "请先阅读并勾选个人信息告知"),
        ({"reporter_phone": "123"}, "手机号格式不正确"),
        ({"category": "dispute", "anonymous": "on"}, "不能匿名反映"),
        ({"lat": "abc", "lng": "1"}, "输入一个数字"),
        ({"lat": "95", "lng": "1"}, "小于或等于"),
        ({"client_id": ""}, "这个字段是必填项"),
    ],
)
def test_bad_input_is_a_clear_400_and_nothing_saved(client, county, extra, message):
    response = client.post(f"/r/g/{county.grid_a.code}/", form(**extra))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Case.objects.count() == 0


def test_script_in_text_is_stored_as_typed_and_escaped(client, county):
    client.post(f"/r/g/{county.grid_a.code}/", form(description="<script>alert(1)</script>很吵"))
    case = Case.objects.get()
    page = client.get(f"/r/t/{case.tracking_code}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;很吵" in page


def test_replayed_submission_gives_the_same_case(client, county):
    first = client.post(f"/r/g/{county.grid_a.code}/", form())
    second = client.post(f"/r/g/{county.grid_a.code}/", form(description="重复提交"), follow=True)
    assert Case.objects.count() == 1
    assert first["Location"] == second.redirect_chain[0][0]
    assert "已经提交过了" in second.content.decode()


def test_lookup_and_unknown_codes(client, county):
    case = make_case(county.grid_a)
    response = client.get("/r/t/", {"code": case.tracking_code.lower()})
    assert response.status_code == 302 and case.tracking_code in response["Location"]
    response = client.get("/r/t/", {"code": "WRONGCODE2"})
    assert "查询码不正确" in response.content.decode()
    assert client.get("/r/t/WRONGCODE2/").status_code == 404
    assert client.get("/r/t/%3Cscript%3E/").status_code == 404


def test_resident_confirms_and_rates(client, county, users):
    case = resolved(county.grid_a, users, county)
    url = f"/r/t/{case.tracking_code}/"
    assert "问题解决了吗" in client.get(url).content.decode()
    client.post(url + "do/confirm/", {"solved": "1"})
    case.refresh_from_db()
    assert case.state == "closed"
    assert "请评价办理结果" in client.get(url).content.decode()
    response = client.post(url + "do/rate/", {"satisfaction": "9"})
    assert response.status_code == 400 and "请选择满意度" in response.content.decode()
    client.post(url + "do/rate/", {"satisfaction": "4", "comment": "处理及时"})
    case.refresh_from_db()
    assert case.satisfaction == 4
    response = client.post(url + "do/rate/", {"satisfaction": "1"})
    assert response.status_code == 409 and "已评价" in response.content.decode()
    assert client.post(url + "do/unknown/").status_code == 404


def test_resident_add_info_and_unsolved(client, county, users):
    case = resolved(county.grid_a, users, county)
    url = f"/r/t/{case.tracking_code}/"
    response = client.post(url + "do/confirm/", {"solved": "0", "note": ""})
    assert response.status_code == 400
    client.post(url + "do/confirm/", {"solved": "0", "note": "还是有垃圾"})
    case.refresh_from_db()
    assert case.state == "in_progress" and case.rework_count == 1
    client.post(url + "do/add_info/", {"note": "又多了两袋"})
    assert "add_info" in [e.transition for e in timeline(case)]
    assert client.post(url + "do/add_info/", {"note": ""}).status_code == 400


def test_merged_case_tracks_the_primary(client, county, users):
    primary = make_case(county.grid_a)
    dup = make_case(county.grid_a)
    from fengqiao.cases import services

    services.merge(dup, users["dispatcher"], data={"duplicate_of": primary.pk})
    services.dispatch(primary, users["dispatcher"], data={"department": county.urban.pk})
    html = client.get(f"/r/t/{dup.tracking_code}/").content.decode()
    assert "已合并办理" in html and "已派单" in html


def test_rejected_reason_shown(client, county, users):
    from fengqiao.cases import services

    case = make_case(county.grid_a)
    services.reject(case, users["dispatcher"], data={"reason": "属于民事纠纷请走诉讼"})
    assert "属于民事纠纷请走诉讼" in client.get(f"/r/t/{case.tracking_code}/").content.decode()


def test_qr_and_posters(client, county):
    code = county.grid_a.code
    png = client.get(f"/r/g/{code}/qr.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    pdf = client.get(f"/r/g/{code}/poster.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert county.grid_a.name in text and f"/r/g/{code}/" in text
    from tests.pdfcheck import assert_embedded_pdf

    assert_embedded_pdf(pdf.content, "有事扫一扫 · 随手拍", county.grid_a.name)
    poster = client.get(f"/r/g/{code}/poster.png")
    assert poster.status_code == 200 and poster.content.startswith(b"\x89PNG")


def test_english_is_available(client, county):
    html = client.get(f"/r/g/{county.grid_a.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Report a problem" in html and "Personal information notice" in html
    assert "个人信息告知" in client.get(f"/r/g/{county.grid_a.code}/").content.decode()

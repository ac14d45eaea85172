"""Decompression bombs (issue 14, finding 4): a small file claiming a huge picture is refused from
its header, before a single pixel is decoded, with a clear reason; the report itself is kept."""

import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ImageFile

from fengqiao.cases import uploads
from fengqiao.cases.models import Case
from fengqiao.core.models import Attachment
from tests.cases.test_resident import form


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(side=8900):
    """A valid greyscale PNG of side × side black pixels: a few hundred KB, ~80 MB decoded."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte + one byte per pixel
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def test_png_bomb_is_refused_before_decoding(monkeypatch):
    bomb = png_bomb()
    assert len(bomb) < 400_000

    def no_decoding(self, *args, **kwargs):
        raise AssertionError("the bomb was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    result = uploads.process_photo(SimpleUploadedFile("bomb.png", bomb, "image/png"))
    assert isinstance(result, uploads.Rejected)
    assert "图片尺寸过大" in result.reason and "25" in result.reason


def test_one_huge_side_is_refused_too():
    long_strip = png_bomb_strip(width=20_000, height=10)
    result = uploads.process_photo(SimpleUploadedFile("strip.png", long_strip, "image/png"))
    assert isinstance(result, uploads.Rejected) and "图片尺寸过大" in result.reason


def png_bomb_strip(width, height):
    packer = zlib.compressobj(9)
    data = packer.compress((b"\x00" * (width + 1)) * height) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def test_resident_report_with_a_bomb_is_kept_and_the_photo_explained(client, county):
    bomb = SimpleUploadedFile("bomb.png", png_bomb(), content_type="image/png")
    response = client.post(f"/r/g/{county.grid_a.code}/", form(photos=[bomb]), follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "bomb.png" in html and "图片尺寸过大" in html
    case = Case.objects.get()
    assert not Attachment.objects.filter(entry__object_id=case.pk).exists()


def test_pictures_just_over_the_cap_are_refused_by_our_own_check(monkeypatch):
    def no_decoding(self, *args, **kwargs):
        raise AssertionError("decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    over = png_bomb_strip(width=6000, height=4500)  # 27 Mpx: below Pillow's own refusal
    result = uploads.process_photo(SimpleUploadedFile("big.png", over, "image/png"))
    assert isinstance(result, uploads.Rejected) and "图片尺寸过大" in result.reason

"""Photos and voice notes: type decided by content, size/count/length limits, photos re-encoded.

A rejected file yields a clear reason and never stops the rest of the report.
"""

from __future__ import annotations

import io
import struct
import uuid
import warnings
from dataclasses import dataclass

import mutagen
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from . import conf

# Pillow's own guard as a second line (it refuses at twice this number).
Image.MAX_IMAGE_PIXELS = conf.MAX_PHOTO_PIXELS


@dataclass
class Rejected:
    name: str
    reason: str

    def __str__(self):
        return f"{self.name}: {self.reason}"


def sniff(head: bytes) -> str | None:
    """The real type of a file from its first bytes (never from its name or declared type)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B ", b"mp42", b"isom", b"mp41", b"dash", b"iso5", b"iso6"):
            return "audio/mp4"
        return None
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


def _read(upload, limit):
    """Read at most limit+1 bytes (so an oversized file is known without reading it all)."""
    upload.seek(0)
    data = upload.read(limit + 1)
    return data


def _display_name(upload):
    return (getattr(upload, "name", "") or "file")[-80:]


def _too_large(name):
    return Rejected(
        name,
        _("图片尺寸过大（超过 %(mp)d 百万像素或边长超过 %(side)d 像素），已忽略")
        % {"mp": conf.MAX_PHOTO_PIXELS // 1_000_000, "side": conf.MAX_PHOTO_SIDE_PIXELS},
    )


def process_photo(upload, *, keep_location=False):
    """A re-encoded JPEG (metadata dropped; GPS kept only if the reporter agreed) or Rejected."""
    name = _display_name(upload)
    data = _read(upload, conf.MAX_PHOTO_BYTES)
    if len(data) > conf.MAX_PHOTO_BYTES:
        return Rejected(
            name, _("照片超过 %(mb)d MB") % {"mb": conf.MAX_PHOTO_BYTES // (1024 * 1024)}
        )
    kind = sniff(data[:32])
    if kind is None or not kind.startswith("image/"):
        return Rejected(name, _("不是支持的图片（仅支持 JPEG、PNG、WebP、GIF），已忽略"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused just below
            image = Image.open(io.BytesIO(data))
        with image:
            # Image.open reads only the header: refuse oversized pictures before decoding a pixel.
            width, height = image.size
            if (
                width * height > conf.MAX_PHOTO_PIXELS
                or max(width, height) > conf.MAX_PHOTO_SIDE_PIXELS
            ):
                return _too_large(name)
            if image.format == "JPEG":
                # Decode JPEGs at the smallest scale still at least the stored size.
                image.draft("RGB", (conf.PHOTO_MAX_SIDE, conf.PHOTO_MAX_SIDE))
            image.load()
            exif = image.getexif()
            gps = exif.get_ifd(0x8825) if keep_location else None
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.thumbnail((conf.PHOTO_MAX_SIDE, conf.PHOTO_MAX_SIDE))
            out = io.BytesIO()
            params = {"quality": 85, "optimize": True}
            if gps:
                fresh = Image.Exif()
                fresh[0x8825] = gps
                params["exif"] = fresh.tobytes()
            image.save(out, "JPEG", **params)
    except Image.DecompressionBombError:  # Pillow's own check in Image.open (header only)
        return _too_large(name)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return Rejected(name, _("图片已损坏或无法识别，已忽略"))
    content = out.getvalue()
    return {
        "file": ContentFile(content, name=f"{uuid.uuid4().hex}.jpg"),
        "name": name,
        "content_type": "image/jpeg",
        "size": len(content),
        "kind": "photo",
    }


AUDIO_EXT = {
    "audio/wav": "wav",
    "audio/ogg": "ogg",
    "audio/webm": "webm",
    "audio/mp4": "m4a",
    "audio/mpeg": "mp3",
}


def process_voice(upload):
    name = _display_name(upload)
    data = _read(upload, conf.MAX_VOICE_BYTES)
    if len(data) > conf.MAX_VOICE_BYTES:
        return Rejected(
            name, _("语音超过 %(mb)d MB") % {"mb": conf.MAX_VOICE_BYTES // (1024 * 1024)}
        )
    kind = sniff(data[:32])
    if kind is None or not kind.startswith("audio/"):
        return Rejected(name, _("不是支持的语音格式（webm/ogg/m4a/mp3/wav），已忽略"))
    try:
        seconds = audio_duration(kind, data)
    except UnreadableAudio:
        return Rejected(name, _("语音文件无法读取（可能已损坏或不是真正的音频），已忽略"))
    if seconds is not None and seconds > conf.MAX_VOICE_SECONDS:
        return Rejected(name, _("语音超过 %(s)d 秒，已忽略") % {"s": conf.MAX_VOICE_SECONDS})
    return {
        "file": ContentFile(data, name=f"{uuid.uuid4().hex}.{AUDIO_EXT[kind]}"),
        "name": name,
        "content_type": kind,
        "size": len(data),
        "kind": "voice",
    }


class UnreadableAudio(ValueError):
    """The file looks like audio but its length cannot be read (damaged or not really audio)."""


# The containers mutagen reads (WAV, MP3, Ogg Opus/Vorbis, M4A), by sniffed type.
_MUTAGEN_KINDS = {"audio/wav", "audio/mpeg", "audio/ogg", "audio/mp4"}


def audio_duration(kind, data) -> float | None:
    """Length in seconds. WAV, MP3, Ogg and M4A are read with mutagen; a file of those types whose
    length cannot be read raises UnreadableAudio. WebM (what browsers record) is read from its
    Segment Info; None when it carries no duration (MediaRecorder's often do not)."""
    if kind in _MUTAGEN_KINDS:
        try:
            audio = mutagen.File(io.BytesIO(data))
        except (mutagen.MutagenError, struct.error, ValueError, IndexError, EOFError) as exc:
            raise UnreadableAudio(str(exc)) from exc
        length = getattr(getattr(audio, "info", None), "length", None)
        if not length or length < 0:
            raise UnreadableAudio("no length")
        return float(length)
    if kind == "audio/webm":
        try:
            return _webm_duration(data)
        except (struct.error, ValueError, IndexError, ZeroDivisionError):
            return None
    return None


def _webm_duration(data):
    at = data.find(b"\x44\x89")  # Segment Info → Duration (float, in TimecodeScale units)
    if at < 0:
        return None
    size_byte = data[at + 2]
    if size_byte == 0x88:
        value = struct.unpack(">d", data[at + 3 : at + 11])[0]
    elif size_byte == 0x84:
        value = struct.unpack(">f", data[at + 3 : at + 7])[0]
    else:
        return None
    scale = 1_000_000
    ts = data.find(b"\x2a\xd7\xb1")
    if 0 <= ts < at:
        length = data[ts + 3] & 0x0F if data[ts + 3] & 0x80 else None
        if length:
            scale = int.from_bytes(data[ts + 4 : ts + 4 + length], "big")
    return value * scale / 1e9


def process_files(photos=(), voice=None, *, keep_location=False):
    """(attachments, rejections) for one submission: at most MAX_PHOTOS photos, one voice note."""
    attachments, rejected = [], []
    photos = [p for p in photos if p]
    for index, upload in enumerate(photos):
        if index >= conf.MAX_PHOTOS:
            rejected.append(
                Rejected(
                    _display_name(upload),
                    _("最多上传 %(n)d 张照片，多余的已忽略") % {"n": conf.MAX_PHOTOS},
                )
            )
            continue
        result = process_photo(upload, keep_location=keep_location)
        (rejected if isinstance(result, Rejected) else attachments).append(result)
    if voice:
        result = process_voice(voice)
        (rejected if isinstance(result, Rejected) else attachments).append(result)
    return attachments, rejected

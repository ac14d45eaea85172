"""Voice-note length read with mutagen: WAV and MP3 measured, unreadable audio refused clearly."""

import io
import wave

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fengqiao.cases import uploads
from fengqiao.cases.models import Case
from fengqiao.core.models import Attachment

from .test_resident import form


def real_wav(seconds, rate=8000):
    """A WAV written by the standard library's wave module (16-bit mono silence)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * rate * seconds)
    return out.getvalue()


def mp3_frames(seconds):
    """A constant-bitrate MPEG-1 Layer III stream built by hand (no encoder offline): frame headers
    for 128 kbit/s, 44.1 kHz, mono, each followed by a zero payload. Each frame is 1152 samples."""
    header = bytes([0xFF, 0xFB, 0x90, 0xC4])  # MPEG-1 L3, no CRC, 128k, 44100, no padding, mono
    frame = header + b"\x00" * (144 * 128000 // 44100 - 4)
    return frame * round(seconds * 44100 / 1152)


def test_wav_length_is_read():
    assert uploads.audio_duration("audio/wav", real_wav(3)) == pytest.approx(3.0, abs=0.01)
    voice = uploads.process_voice(SimpleUploadedFile("v.wav", real_wav(3), "audio/wav"))
    assert not isinstance(voice, uploads.Rejected) and voice["content_type"] == "audio/wav"


def test_long_wav_is_refused():
    long = SimpleUploadedFile("long.wav", real_wav(121, rate=4000), "audio/wav")
    result = uploads.process_voice(long)
    assert isinstance(result, uploads.Rejected) and "语音超过 120 秒" in result.reason


def test_mp3_length_is_read():
    data = mp3_frames(5)
    assert uploads.sniff(data[:32]) == "audio/mpeg"
    assert uploads.audio_duration("audio/mpeg", data) == pytest.approx(5.0, abs=0.1)
    long = uploads.process_voice(SimpleUploadedFile("long.mp3", mp3_frames(150), "audio/mpeg"))
    assert isinstance(long, uploads.Rejected) and "120" in long.reason


@pytest.mark.parametrize(
    "name,data",
    [
        ("broken.wav", b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunkjunk" + b"\x01" * 50),
        ("broken.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 200),
        ("broken.ogg", b"OggS" + b"\x00" * 200),
        ("broken.m4a", b"\x00\x00\x00\x18ftypM4A " + b"\x00" * 100),
    ],
)
def test_unreadable_audio_is_refused_with_a_reason(name, data):
    assert uploads.sniff(data[:32]) is not None  # it looks like audio…
    with pytest.raises(uploads.UnreadableAudio):
        uploads.audio_duration(uploads.sniff(data[:32]), data)
    result = uploads.process_voice(SimpleUploadedFile(name, data, "audio/mpeg"))
    assert isinstance(result, uploads.Rejected) and "无法读取" in result.reason


def test_resident_report_explains_an_unreadable_voice_note_and_keeps_the_report(client, county):
    broken = SimpleUploadedFile("note.wav", b"RIFF\x10\x00\x00\x00WAVE" + b"\x01" * 60, "audio/wav")
    response = client.post(f"/r/g/{county.grid_a.code}/", form(voice=broken), follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "note.wav" in html and "无法读取" in html
    assert Case.objects.count() == 1
    assert not Attachment.objects.filter(kind="voice").exists()

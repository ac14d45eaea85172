"""Personal data: encryption at rest, keyed-hash search, masking.

Everything that touches ID numbers, phone numbers or names goes through this module, so templates,
exports, the API and logs mask the same way.

* Encryption: Fernet (AES-128-CBC + HMAC-SHA256, authenticated) through ``MultiFernet`` so that
  ``FENGQIAO_DATA_KEYS`` may list several keys: the first encrypts, all decrypt (rotation).
* Search: HMAC-SHA256 with ``FENGQIAO_HASH_KEY`` of the normalised value ("blind index").
* Display: values come back from the database wrapped in :class:`Sensitive`, whose ``str()`` is the
  masked form. Only :func:`fengqiao.core.services.reveal` hands out the clear text, and audits it.
"""

import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

KINDS = ("id_number", "phone", "name", "text")


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("no personal-data key configured (FENGQIAO_DATA_KEYS)")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.PII_DATA_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("personal data could not be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the first (newest) key."""
    return fernet().rotate(token.encode()).decode()


def normalise(value: str, kind: str) -> str:
    value = (value or "").strip()
    if kind == "id_number":
        return value.upper().replace(" ", "")
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
    return value


def blind_index(value: str, kind: str) -> str:
    """Keyed hash for exact-match search without storing the clear value."""
    data = f"{kind}:{normalise(value, kind)}".encode()
    return hmac.new(settings.PII_HASH_KEY.encode(), data, hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    value = value or ""
    if len(value) <= 5:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_phone(value: str) -> str:
    value = value or ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    value = value or ""
    return value[:1] + "*" * (len(value) - 1) if value else ""


def mask_whole(value: str) -> str:
    """A personal free-text field (kind ``text``) shows nothing of itself."""
    return "***" if value else ""


MASKS = {"id_number": mask_id_number, "phone": mask_phone, "name": mask_name, "text": mask_whole}

# Personal numbers inside free text. Digits around a match must not be digits (a 19-digit bank
# card is not an ID number plus one). Mobile numbers may carry +86 and spaces or dashes.
_TEXT_ID_RE = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_TEXT_MOBILE_RE = re.compile(r"(?<![\d+])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
_TEXT_LANDLINE_RE = re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)")
_NAME_FLAGS = ("nr", "nrt", "nrfg")


def _mask_number(match, masker):
    raw = match.group(0)
    digits = re.sub(r"[^0-9Xx]", "", raw)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return masker(digits)


def _mask_names(text: str) -> str:
    import jieba.posseg

    out, run = [], []
    for token in jieba.posseg.cut(text, HMM=True):
        if token.flag in _NAME_FLAGS:
            run.append(token.word)
            continue
        if run:
            out.append(mask_name("".join(run)))
            run = []
        out.append(token.word)
    if run:
        out.append(mask_name("".join(run)))
    return "".join(out)


def mask_text(text: str) -> str:
    """Free text as it may be shown to anyone: ID numbers, phone numbers and personal names masked.

    ``"张伟 13812345678"`` → ``"张* 138****5678"``. Numbers are found by pattern; names by
    jieba's part-of-speech tagger (person-name tags ``nr``/``nrt``/``nrfg``), keeping the surname
    as :func:`mask_name` does. The tagger errs on both sides (an unusual name may pass, a word may
    be taken for a name), so public pages show only what needs to be public in the first place;
    this is the second line, not the first.
    """
    if not text:
        return ""
    text = str(text)
    text = _TEXT_ID_RE.sub(lambda m: _mask_number(m, mask_id_number), text)
    text = _TEXT_MOBILE_RE.sub(lambda m: _mask_number(m, mask_phone), text)
    text = _TEXT_LANDLINE_RE.sub(lambda m: _mask_number(m, mask_phone), text)
    return _mask_names(text)


MASKS["free"] = mask_text  # free text that may carry names and numbers (notes, findings)


def mask_ip(value: str) -> str:
    """An IP address with its host part hidden: 10.2.*.* (IPv6: the first two groups)."""
    value = value or ""
    if "." in value:
        head = value.split(".")[:2]
        return ".".join(head + ["*", "*"])
    if ":" in value:
        return ":".join(value.split(":")[:2] + ["*"])
    return "*" * len(value)


MASKS["ip"] = mask_ip


def mask(value: str, kind: str) -> str:
    return MASKS[kind](value)


ID_NUMBER_RE = re.compile(r"^\d{17}[\dX]$")
PHONE_RE = re.compile(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def valid_id_number(value: str) -> bool:
    """GB 11643 check digit of an 18-digit resident ID number."""
    value = normalise(value, "id_number")
    if not ID_NUMBER_RE.match(value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == value[17]


def valid_phone(value: str) -> bool:
    return bool(PHONE_RE.match(normalise(value, "phone")))


class Sensitive:
    """A personal-data value that shows itself masked unless asked for the clear text.

    ``str()``, ``repr()``, templates and f-strings give the masked form; ``.clear`` gives the value
    and is only to be used by :func:`fengqiao.core.services.reveal` and by the owner's own writes.
    """

    __slots__ = ("clear", "kind")

    def __init__(self, clear: str, kind: str):
        self.clear = clear
        self.kind = kind

    @property
    def masked(self) -> str:
        return mask(self.clear, self.kind)

    def __str__(self):
        return self.masked

    def __repr__(self):
        return f"<Sensitive {self.kind} {self.masked}>"

    def __format__(self, spec):
        return format(self.masked, spec)

    def __bool__(self):
        return bool(self.clear)

    def __eq__(self, other):
        if isinstance(other, Sensitive):
            return self.clear == other.clear
        return isinstance(other, str) and self.clear == other

    def __hash__(self):
        return hash(self.clear)


def clear_value(value) -> str:
    if isinstance(value, Sensitive):
        return value.clear
    return value or ""


class EncryptedField(models.TextField):
    """Stores a personal-data string encrypted; gives back a :class:`Sensitive`.

    With ``hash_field`` set, the keyed hash of the value is written to that sibling field on save,
    so the model can be searched by exact value (declare the hash field *after* this one).
    """

    def __init__(self, *args, kind="text", hash_field=None, **kwargs):
        if kind not in KINDS:
            raise ValueError(f"unknown personal-data kind {kind!r}")
        self.kind = kind
        self.hash_field = hash_field
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        if self.hash_field:
            kwargs["hash_field"] = self.hash_field
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if not value:
            return Sensitive("", self.kind)
        return Sensitive(decrypt(value), self.kind)

    def to_python(self, value):
        if isinstance(value, Sensitive) or value is None:
            return value
        return Sensitive(str(value), self.kind)

    def get_prep_value(self, value):
        clear = clear_value(value)
        return encrypt(clear) if clear else ""

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if not isinstance(value, Sensitive):
            value = Sensitive(value or "", self.kind)
            setattr(model_instance, self.attname, value)
        if self.hash_field:
            setattr(
                model_instance,
                self.hash_field,
                blind_index(value.clear, self.kind) if value else "",
            )
        return value

    def value_to_string(self, obj):
        # Serialisers (dumpdata) never see clear text.
        return str(self.value_from_object(obj))

"""Parser of the Markdown law corpus (``../shared/data/laws``).

Plain Python, no Django: the importer, the index builder and the benchmarks all use it.

A file holds one instrument::

    # 中华人民共和国治安管理处罚法
    (adoption and amendment dates, one paragraph each)
    <!-- INFO END -->
    ## 第一章 总则
    第一条 为维护社会治安秩序……
    (further paragraphs of the same article)

The file name carries the version date: ``治安管理处罚法(2012-10-26).md``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_NUM = "零〇一二三四五六七八九十百千万两0-9"
ARTICLE_RE = re.compile(rf"^第([{_NUM}]+)条(?:之([{_NUM}]+))?(?:[\s\u3000]+|$)")
ARTICLE_REF_RE = re.compile(rf"第([{_NUM}]+)条(?:之([{_NUM}]+))?")
FILE_DATE_RE = re.compile(r"[(（](\d{4})-(\d{2})-(\d{2})[)）]\s*$")
INFO_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
INFO_END = "<!-- INFO END -->"
TITLE_PREFIX = "中华人民共和国"

# Folder → rank of the instrument in the hierarchy of norms (lower is stronger); used as a retrieval prior.
LEVELS = {
    "宪法": (0, "宪法"),
    "宪法相关法": (1, "法律"),
    "民法典": (1, "法律"),
    "民法商法": (1, "法律"),
    "行政法": (1, "法律"),
    "经济法": (1, "法律"),
    "社会法": (1, "法律"),
    "刑法": (1, "法律"),
    "诉讼与非诉讼程序法": (1, "法律"),
    "行政法规": (2, "行政法规"),
    "司法解释": (3, "司法解释"),
    "部门规章": (4, "部门规章"),
    "DLC": (5, "地方性法规"),
    "案例": (6, "案例"),
    "其他": (6, "其他"),
}


@dataclass(frozen=True)
class Supersession:
    """An instrument version known to be replaced by a text that may not be in the corpus."""

    short_title: str
    version_before: dt.date  # versions dated on or before this are superseded
    effective: dt.date
    by: str


# Known gaps of the corpus (see its README). Versions replaced by a newer version *inside* the corpus are
# detected automatically; these are the ones whose successor is missing or carries another title.
KNOWN_SUPERSESSIONS = (
    Supersession(
        "治安管理处罚法",
        dt.date(2012, 12, 31),
        dt.date(2026, 1, 1),
        "2025年6月27日修订通过的《中华人民共和国治安管理处罚法》（2026年1月1日起施行）",
    ),
    Supersession(
        "环境噪声污染防治法",
        dt.date(2018, 12, 31),
        dt.date(2022, 6, 5),
        "《中华人民共和国噪声污染防治法》（2022年6月5日起施行）",
    ),
    Supersession(
        "信访条例",
        dt.date(2005, 12, 31),
        dt.date(2022, 5, 1),
        "《信访工作条例》（2022年5月1日起施行）",
    ),
)


def cn_to_int(value: str) -> int:
    """Convert a Chinese (or Arabic) numeral such as ``一百二十三`` or ``二百零三`` to an int."""
    value = value.strip()
    if not value:
        raise ValueError("empty numeral")
    if value.isdigit():
        return int(value)
    total, section, digit = 0, 0, None
    for ch in value:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            unit = CN_UNITS[ch]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section, digit = 0, None
            else:
                section += (1 if digit is None else digit) * unit
                digit = None
        else:
            raise ValueError(f"not a numeral: {value!r}")
    return total + section + (digit or 0)


def int_to_cn(number: int) -> str:
    """Inverse of :func:`cn_to_int` for 1..9999 (article labels)."""
    if number <= 0:
        return str(number)
    digits = "零一二三四五六七八九"
    parts, zero = [], False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, number = divmod(number, unit_value)
        if d:
            if zero:
                parts.append("零")
                zero = False
            parts.append(digits[d] + unit)
        elif parts:
            zero = True
    text = "".join(parts)
    return text[1:] if text.startswith("一十") else text


def article_label(number: int, suffix: int = 0) -> str:
    return f"第{int_to_cn(number)}条" + (f"之{int_to_cn(suffix)}" if suffix else "")


def short_title(title: str) -> str:
    return title[len(TITLE_PREFIX) :] if title.startswith(TITLE_PREFIX) else title


@dataclass
class Article:
    number: int
    suffix: int  # 0, or n for 第X条之n
    text: str
    chapter: str = ""
    section: str = ""

    @property
    def label(self) -> str:
        return article_label(self.number, self.suffix)


@dataclass
class Instrument:
    title: str
    version_date: dt.date | None
    path: str  # relative to the corpus root
    folder: str
    level: int
    kind: str
    preamble: str = ""
    articles: list[Article] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    superseded_from: dt.date | None = None
    superseded_note: str = ""

    @property
    def short_title(self) -> str:
        return short_title(self.title)

    @property
    def key(self) -> str:
        """Identity of one version: title + version date."""
        return f"{self.title}@{self.version_date.isoformat() if self.version_date else '-'}"

    def is_superseded(self, on: dt.date | None = None) -> bool:
        on = on or dt.date.today()
        return self.superseded_from is not None and self.superseded_from <= on


def _date(y: str, m: str, d: str) -> dt.date | None:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        return None


def _preamble_date(preamble: str, skip: str = "") -> dt.date | None:
    dates = []
    for line in preamble.splitlines():
        if skip and skip in line:
            continue
        dates += [_date(*g) for g in INFO_DATE_RE.findall(line)]
        if ISO_DATE_RE.match(line):
            dates.append(_date(*ISO_DATE_RE.match(line).groups()))
    dates = [d for d in dates if d]
    return max(dates) if dates else None


def parse_text(text: str, path: str = "", folder: str = "") -> Instrument | None:
    """Parse one Markdown file; ``None`` for a file that is not an instrument (no ``#`` title)."""
    lines = text.splitlines()
    title = ""
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if line.startswith("# "):
            title = line[2:].strip()
            break
        if line.startswith("---"):  # front matter of index pages
            continue
    if not title:
        return None
    body_start = i
    info_end = next((j for j in range(i, len(lines)) if lines[j].strip() == INFO_END), None)
    preamble_lines = lines[i:info_end] if info_end is not None else []
    if info_end is not None:
        body_start = info_end + 1
    preamble = "\n".join(p.strip() for p in preamble_lines if p.strip())

    version_date = None
    m = FILE_DATE_RE.search(Path(path).stem) if path else None
    if m:
        version_date = _date(*m.groups())
    if version_date is None:
        # the latest adoption/amendment date; an effective date (施行) only when there is nothing else
        version_date = _preamble_date(preamble, skip="施行") or _preamble_date(preamble)

    top = folder.split("/", 1)[0] if folder else ""
    level, kind = LEVELS.get(top, (6, "其他"))
    inst = Instrument(title, version_date, path, folder, level, kind, preamble, folders=[folder])

    chapter = section = ""
    current: Article | None = None
    buf: list[str] = []

    def flush():
        if current is not None:
            current.text = "\n".join(buf).strip()
            inst.articles.append(current)

    for raw in lines[body_start:]:
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            depth = len(line) - len(line.lstrip("#"))
            flush()
            current, buf = None, []
            if depth <= 2:
                chapter, section = heading, ""
            else:
                section = heading
            continue
        m = ARTICLE_RE.match(line)
        if m:
            try:
                number = cn_to_int(m.group(1))
                suffix = cn_to_int(m.group(2)) if m.group(2) else 0
            except ValueError:
                number = None
            if number is not None:
                flush()
                current = Article(number, suffix, "", chapter, section)
                buf = [line]
                continue
        if current is not None:
            buf.append(line)
    flush()
    return inst


def iter_files(root: str | os.PathLike) -> Iterator[tuple[Path, str]]:
    """Markdown files of the corpus, in a stable order, with their folder relative to ``root``."""
    root = Path(root)
    for path in sorted(root.rglob("*.md")):
        if path.name in ("_index.md", "README.md"):
            continue
        yield path, path.parent.relative_to(root).as_posix()


def load_corpus(root: str | os.PathLike, with_empty: bool = False) -> list[Instrument]:
    """Parse every file under ``root``, merge copies of one version, mark superseded versions."""
    root = Path(root)
    by_key: dict[str, Instrument] = {}
    for path, folder in iter_files(root):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        inst = parse_text(text, path.relative_to(root).as_posix(), folder)
        if inst is None or (not inst.articles and not with_empty):
            continue
        seen = by_key.get(inst.key)
        if seen is None:
            by_key[inst.key] = inst
            continue
        numbers = {(a.number, a.suffix) for a in seen.articles}
        if not any((a.number, a.suffix) in numbers for a in inst.articles):
            # one instrument split over several files (the 民法典 by 编): join the parts
            seen.articles.extend(inst.articles)
            seen.articles.sort(key=lambda a: (a.number, a.suffix))
        else:  # the same version filed under several folders: keep the strongest level, remember all
            seen.folders.append(folder)
            if inst.level < seen.level:
                inst.folders = seen.folders
                by_key[inst.key] = inst
    instruments = sorted(by_key.values(), key=lambda x: (x.title, x.version_date or dt.date.min))
    mark_superseded(instruments)
    return instruments


def mark_superseded(instruments: Iterable[Instrument]) -> None:
    """Older versions of a title are superseded by the next newer one; plus :data:`KNOWN_SUPERSESSIONS`."""
    by_title: dict[str, list[Instrument]] = {}
    for inst in instruments:
        by_title.setdefault(inst.title, []).append(inst)
    for versions in by_title.values():
        dated = sorted((v for v in versions if v.version_date), key=lambda v: v.version_date)
        for older, newer in zip(dated, dated[1:], strict=False):
            older.superseded_from = newer.version_date
            older.superseded_note = f"已被{newer.version_date.isoformat()}版本取代"
    for rule in KNOWN_SUPERSESSIONS:
        for inst in instruments:
            if (
                inst.short_title == rule.short_title
                and inst.version_date
                and inst.version_date <= rule.version_before
                and inst.superseded_from is None
            ):
                inst.superseded_from = rule.effective
                inst.superseded_note = f"自{rule.effective.isoformat()}起已被{rule.by}取代"


def superseded_notice(title: str, version_date: dt.date | None, superseded_from, note: str) -> str:
    """The sentence an answer adds when it cites a superseded version."""
    when = version_date.isoformat() if version_date else ""
    return f"注意：所引《{short_title(title)}》（{when}版）{note}，请以现行有效文本为准。"

"""Text helpers for the report: cleaning user text, splitting paragraphs, ordinals, dates, names."""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from addin.core.numeric import fmt_score, is_blank, is_number

# XML 1.0 allows tab, LF, CR and everything from U+0020 except surrogates and U+FFFE/U+FFFF;
# python-docx (lxml) raises on the rest, so user text is cleaned before it gets there.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# vertical tab / form feed are Word's manual line and page breaks when text is pasted into Excel
_SOFT_BREAKS = re.compile("\r\n|[\r\x0b\x0c\u2028\u2029]")

_CN_DIGITS = "零一二三四五六七八九"

# ordinals of GB/T 9704 structure levels: 一、 / （一） / 1. / （1）
_LEVEL_PATTERNS = (
    (1, re.compile(r"^[一二三四五六七八九十]+、")),
    (2, re.compile(r"^[（(][一二三四五六七八九十]+[）)]")),
    (3, re.compile(r"^\d+[.．、]")),
    (4, re.compile(r"^[（(]\d+[）)]")),
)

_WIN_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_WIN_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}


def clean_text(value: Any) -> str:
    """A cell value as text python-docx accepts: illegal control characters removed, breaks as \\n.

    Emoji and other characters outside the BMP are legal XML and stay.
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return format_date(value)
    text = _SOFT_BREAKS.sub("\n", str(value))
    return _ILLEGAL_XML.sub("", text)


def paragraphs_of(text: str) -> list[str]:
    """Non-empty lines of a cell's text: one Word paragraph each (Alt+Enter starts a new one)."""
    return [line.strip() for line in text.split("\n") if line.strip()]


def heading_level(text: str) -> int | None:
    """1–4 from the ordinal the text starts with, None when it has none."""
    for level, rx in _LEVEL_PATTERNS:
        if rx.match(text):
            return level
    return None


def cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 35 -> 三十五 (for （一） headings)."""
    if n <= 0:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


def format_date(value: Any, today: _dt.date | None = None) -> str:
    """报告日期 as written in a 公文 (GB/T 9704: Arabic numerals, no leading zeros)."""
    if isinstance(value, (_dt.datetime, _dt.date)):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, str) and value.strip():
        return clean_text(value).strip()
    if is_number(value) and not isinstance(value, bool):
        return clean_text(value)
    d = today or _dt.date.today()
    return f"{d.year}年{d.month}月{d.day}日"


def year_text(value: Any) -> str:
    """评价年度 as text: 2022 / 2022.0 -> '2022'; other text as typed; '' when blank."""
    if is_number(value):
        return str(int(value)) if float(value).is_integer() else fmt_score(value)
    return "" if is_blank(value) else clean_text(value).strip()


def sanitize_filename(name: str, fallback: str = "自评报告") -> str:
    """A file name Windows accepts: no <>:"/\\|?*, no control characters, no trailing dot or space."""
    s = _WIN_BAD.sub("", clean_text(name)).replace("\n", "")
    s = re.sub(r"\s+", " ", s).strip().rstrip(". ")
    if not s:
        s = fallback
    if s.split(".")[0].upper() in _WIN_RESERVED:
        s = "_" + s
    # keep the name (without .docx) well under the 240-byte limit check_output_path applies
    while len(s.encode("utf-8")) > 200:
        s = s[:-1]
    return s

"""Excel-compatible rounding, value classification and Chinese number formatting.

Rounding happens in exactly two places: rates are rounded to the framework's
rates.RATE_DECIMALS (4, i.e. a percentage with two decimals; fixed, because the
UDFs use it too) when computed, and
suggested scores to suggest_decimals (1). Both use excel_round, which mirrors
Excel's ROUND: 15 significant digits first, then half away from zero.
"""
from __future__ import annotations

import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

# Excel's error literals as openpyxl / xlwings (err_to_str) deliver them.
EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"}
)

MAX_AMOUNT = 1e13  # 十万亿元：any department figure above this is a typing error


def excel_round(x: float, digits: int = 0) -> float:
    """ROUND(x, digits) as Excel does it: half away from zero on the 15-digit decimal value."""
    if not math.isfinite(x):
        return x  # an overflowing sum stays infinite; formatting shows #NUM! as Excel does
    d = Decimal(format(x, ".15g"))
    if d.adjusted() >= 15:  # no decimals left at 15 significant digits
        out = float(d)
    else:
        out = float(d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    return out if math.isfinite(out) else x  # 15 digits of the largest floats round past the maximum


def is_number(v: Any) -> bool:
    """A real, finite number (bool is not a number here, as in Excel's SUM over references)."""
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:  # an int too large for a float
        return False


def is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v == "")


def is_error_value(v: Any) -> bool:
    return isinstance(v, str) and v.strip().upper() in EXCEL_ERRORS


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3,
              "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7,
              "八": 8, "捌": 8, "九": 9, "玖": 9}
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}


def chinese_numeral(s: str) -> int | None:
    """'三百万' -> 3000000; None when s is not a plain Chinese numeral."""
    if not s or any(c not in _CN_DIGITS and c not in _CN_UNITS and c not in _CN_BIG for c in s):
        return None
    total, section, digit = 0, 0, None
    for c in s:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[c]
            digit = None
        else:
            section += digit or 0
            total = (total + section) * _CN_BIG[c] if c == "亿" else total + section * _CN_BIG[c]
            section, digit = 0, None
    return total + section + (digit or 0)


_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def text_to_number(text: str) -> tuple[float | None, str]:
    """Best reading of a number typed as text, for the *suggestion* in a finding.

    Returns (number or None, unit) with unit in {"", "元", "万元", "亿元", "%"}. It never
    feeds a computation: text stays text until the user fixes the cell.
    """
    s = unicodedata.normalize("NFKC", text).strip()  # full-width digits, ％, ，
    s = s.replace(",", "").replace(" ", "").replace("\u3000", "")
    unit = ""
    for u in ("亿元", "万元", "元", "%", "人", "名", "个", "项"):
        if s.endswith(u):
            unit, s = u, s[: -len(u)]
            break
    if unit in ("人", "名", "个", "项"):
        unit = ""
    mult = {"亿元": 1e8, "万元": 1e4, "%": 0.01}.get(unit, 1.0)
    if _NUM_RE.match(s):
        return float(s) * mult, unit
    if s.endswith("万") or s.endswith("亿"):
        head, big = s[:-1], _CN_BIG[s[-1]]
        if _NUM_RE.match(head):
            return float(head) * big * mult, unit or "元"
    n = chinese_numeral(s)
    if n is not None:
        return float(n) * mult, unit
    return None, unit


def clean_number(x: float) -> float | int:
    """3.0 -> 3 for display and JSON; other floats unchanged."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return int(x)
    return x


# ---------------------------------------------------------------- formatting (Chinese conventions)
def _strip_zeros(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


NUM_ERROR = "#NUM!"


def fmt_yuan(v: float) -> str:
    """3491995 -> '3,491,995'; 3010664.91 -> '3,010,664.91' (two decimals only when there are cents)."""
    if not math.isfinite(v):
        return NUM_ERROR
    r = excel_round(v, 2)
    if r == int(r):
        return f"{int(r):,}"
    return f"{r:,.2f}"


def fmt_wan(v: float, decimals: int = 2) -> str:
    """Amount in 元 shown in 万元: 3491995 -> '349.2', 148900 -> '14.89'."""
    if not math.isfinite(v):
        return NUM_ERROR
    return _strip_zeros(f"{excel_round(v / 10_000, decimals):.{decimals}f}")


def fmt_pct(rate: float, decimals: int = 2) -> str:
    """0.1599 -> '15.99%'; 1.0 -> '100%'; keeps at most `decimals` decimals, no trailing zeros."""
    if not math.isfinite(rate * 100):
        return NUM_ERROR
    return _strip_zeros(f"{excel_round(rate * 100, decimals):.{decimals}f}") + "%"


def fmt_score(v: float) -> str:
    """4.2 -> '4.2', 5.0 -> '5', 1.55 -> '1.55'."""
    if not math.isfinite(v):
        return NUM_ERROR
    return _strip_zeros(f"{excel_round(v, 2):.2f}")


def fmt_count(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else fmt_score(v)


def decimal_places(text: str) -> int:
    """Number of decimals as written: '69.6' -> 1, '100' -> 0."""
    return len(text.split(".", 1)[1]) if "." in text else 0


def parse_written_number(text: str) -> float | None:
    """A number as written in prose ('3,491,995', '349.2', '１２'); None if unreadable."""
    s = unicodedata.normalize("NFKC", text).replace(",", "").strip()
    try:
        return float(Decimal(s))
    except (InvalidOperation, ValueError):
        return None

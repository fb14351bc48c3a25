"""What is wrong with a typed value, for a field of a given kind.

`classify` never converts anything the user typed: it reports the problem and, where a
reading is obvious ("3,491,995元" -> 3491995), suggests it for the message.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from .model import arithmetic_value
from .text import has_xml_illegal, strip_xml_illegal
from .numeric import MAX_AMOUNT, is_blank, is_error_value, is_number, text_to_number

YES, NO = "是", "否"
_YES_LIKE = {"有", "y", "yes", "true", "对", "√", "1"}
_NO_LIKE = {"无", "没有", "n", "no", "false", "×", "0"}
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")  # shown as \x1b in messages (terminals obey ESC, CSI)
LARGE_AMOUNT = 1e11  # 一千亿元: possible only for very large departments


# every code classify() can return (rules turn them into finding codes: "text_number" -> "R01.text-number")
PROBLEM_CODES = ("formula", "blank_spaces", "blank", "error_value", "date", "absurd", "control_chars", "bad_yesno",
                 "bool", "text_number", "not_number", "not_finite", "negative", "large", "not_integer",
                 "rate_as_percent", "bad_year")


@dataclass(frozen=True)
class Problem:
    code: str
    severity: str  # 错误 / 警告
    message: str
    suggestion: Any = None


def _fmt(v: Any) -> str:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= 1e15:
        return f"{v:.6g}"  # not a 300-digit string
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _shown(value: str, limit: int = 30) -> str:
    """User text quoted in a message: invisible characters made visible, long text cut."""
    s = _INVISIBLE.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return f"“{s}”" if len(s) <= limit else f"“{s[:limit]}…”"


def classify(value: Any, kind: str, label: str, *, unit: str = "", required: bool = False,
             formula: str | None = None) -> Problem | None:
    """None when the value is acceptable for the kind; otherwise the problem."""
    if formula is not None and value is None:
        computed = arithmetic_value(formula)
        if computed is not None:  # "=1200+3400": checked as the number it gives (as evaluate uses it)
            return classify(computed, kind, label, unit=unit, required=required)
        return Problem("formula", "警告", f"“{label}”是公式 {strip_xml_illegal(formula[:60])}，离线无法计算其结果；请改填数值")
    if is_blank(value) or (isinstance(value, str) and not value.strip() and kind not in ("text", "longtext")):
        if isinstance(value, str) and value:
            return Problem("blank_spaces", "错误" if required else "警告", f"“{label}”只有空格，请填写数值或清空")
        if required:
            return Problem("blank", "错误", f"“{label}”未填写（必填），请填写")
        return None
    if is_error_value(value):
        return Problem("error_value", "错误", f"“{label}”是错误值 {str(value).strip()}（公式出错或引用失效的结果），"
                                           "请改为正确的数值")
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)) and kind not in ("text", "longtext"):
        return Problem("date", "错误", f"“{label}”被 Excel 识别成了日期（{value}），请把单元格格式改为数值后重新填写")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1000:
        # no float holds it (is_number would overflow); Excel cannot have produced it
        return Problem("absurd", "错误", f"“{label}”是一个约 {int(value.bit_length() * 0.30103)} 位的数，显然有误；请改为正确的数值")
    if kind in ("text", "longtext"):
        if isinstance(value, str) and has_xml_illegal(value):
            return Problem("control_chars", "警告", f"“{label}”含有不可见的控制字符，生成报告时会被删除；请检查文字")
        return None
    if kind == "yesno":
        if value in (YES, NO):
            return None
        s = unicodedata.normalize("NFKC", str(value)).strip().lower()
        guess = YES if s in _YES_LIKE or s == YES else NO if s in _NO_LIKE or s == NO else None
        hint = f"应为“{guess}”" if guess else "请从下拉列表选择“是”或“否”"
        return Problem("bad_yesno", "错误", f"“{label}”填的是{_shown(str(value))}，只能填“是”或“否”；{hint}", guess)
    if isinstance(value, bool):
        return Problem("bool", "错误", f"“{label}”是逻辑值 {'TRUE' if value else 'FALSE'}，不是数字；请填数字")
    if isinstance(value, str):
        num, u = text_to_number(value)
        if num is not None and kind == "rate" and u != "%" and num > 1.5:
            num = num / 100
        shown = _shown(value)
        if num is not None:
            unit_word = "，单元格格式会显示百分号" if kind == "rate" else (f"，单位：{unit}" if unit else "")
            return Problem("text_number", "错误",
                           f"“{label}”填的是文字{shown}，不是数字，不参与计算；请改为数字 {_fmt(num)}（只填数字{unit_word}）",
                           num)
        return Problem("not_number", "错误", f"“{label}”填的是文字{shown}，不是数字；请改为数字")
    if isinstance(value, float) and not is_number(value):
        return Problem("not_finite", "错误", f"“{label}”不是有效数字（{value}，Excel 无法保存这样的数），请改为正确的数值")
    if not is_number(value):
        return Problem("not_number", "错误", f"“{label}”不是有效数字（{_shown(repr(value))}），请改为数字")
    v = float(value)
    if kind == "amount":
        if v < 0:
            return Problem("negative", "错误", f"“{label}”为负数 {_fmt(v)}，金额不能为负；请改为实际金额（元）")
        if v > MAX_AMOUNT:
            return Problem("absurd", "错误", f"“{label}”为 {v:.3g} 元，超过十万亿元，显然有误（是否多输了位数？）；请核对后改正")
        if v > LARGE_AMOUNT:
            return Problem("large", "警告", f"“{label}”为 {v:,.0f} 元（超过一千亿元），请确认单位是“元”而不是“分”")
        return None
    if kind == "count":
        if v < 0:
            return Problem("negative", "错误", f"“{label}”为负数 {_fmt(v)}，请改为不小于 0 的整数")
        if not v.is_integer():
            return Problem("not_integer", "错误", f"“{label}”应为整数，实际为 {_fmt(v)}；请改为整数")
        if v > 1_000_000:
            return Problem("absurd", "错误", f"“{label}”为 {_fmt(v)}，显然有误；请核对后改正")
        return None
    if kind == "rate":
        if v < 0:
            return Problem("negative", "错误", f"“{label}”为负数 {_fmt(v)}，比率不能为负；请核对后改正")
        if 1.5 < v <= 1000:
            return Problem("rate_as_percent", "错误",
                           f"“{label}”填的是 {_fmt(v)}，看起来是百分数的数字部分；比率请填 {_fmt(round(v / 100, 6))} 或 {_fmt(v)}%",
                           v / 100)
        if v > 1000:
            return Problem("absurd", "错误", f"“{label}”为 {_fmt(v)}，不是有效的比率；请填小数（如 0.9231）或百分数（如 92.31%）")
        return None
    if kind == "year":
        if not v.is_integer() or not 2000 <= v <= 2100:
            return Problem("bad_year", "错误", f"“{label}”应为四位年份（如 2022），实际为 {_fmt(v)}")
        return None
    if kind == "score":
        if v < 0:
            return Problem("negative", "错误", f"“{label}”为负数 {_fmt(v)}，得分不能为负；请改为 0 或正数")
        return None
    return None

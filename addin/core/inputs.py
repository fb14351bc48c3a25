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

from .numeric import MAX_AMOUNT, is_blank, is_error_value, is_number, text_to_number

YES, NO = "是", "否"
_YES_LIKE = {"有", "y", "yes", "true", "对", "√", "1"}
_NO_LIKE = {"无", "没有", "n", "no", "false", "×", "0"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
LARGE_AMOUNT = 1e11  # 一千亿元: possible only for very large departments


@dataclass(frozen=True)
class Problem:
    code: str
    severity: str  # 错误 / 警告
    message: str
    suggestion: Any = None


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def classify(value: Any, kind: str, label: str, *, unit: str = "", required: bool = False,
             formula: str | None = None) -> Problem | None:
    """None when the value is acceptable for the kind; otherwise the problem."""
    if formula is not None and value is None:
        return Problem("formula", "警告", f"“{label}”是公式 {formula[:60]}，离线无法计算其结果；请改填数值")
    if is_blank(value) or (isinstance(value, str) and not value.strip() and kind not in ("text", "longtext")):
        if isinstance(value, str) and value:
            return Problem("blank_spaces", "错误" if required else "警告", f"“{label}”只有空格，请填写数值或清空")
        if required:
            return Problem("blank", "错误", f"“{label}”未填写（必填）")
        return None
    if is_error_value(value):
        return Problem("error_value", "错误", f"“{label}”是错误值 {str(value).strip()}，请改为正确的数值")
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)) and kind not in ("text", "longtext"):
        return Problem("date", "错误", f"“{label}”被 Excel 识别成了日期（{value}），请把单元格格式改为数值后重新填写")
    if kind in ("text", "longtext"):
        if isinstance(value, str) and _CONTROL.search(value):
            return Problem("control_chars", "警告", f"“{label}”含有不可见的控制字符，生成报告时会被删除；请检查文字")
        return None
    if kind == "yesno":
        if value in (YES, NO):
            return None
        s = unicodedata.normalize("NFKC", str(value)).strip().lower()
        guess = YES if s in _YES_LIKE or s == YES else NO if s in _NO_LIKE or s == NO else None
        hint = f"应为“{guess}”" if guess else "请从下拉列表选择“是”或“否”"
        return Problem("bad_yesno", "错误", f"“{label}”填的是“{value}”，只能填“是”或“否”；{hint}", guess)
    if isinstance(value, bool):
        return Problem("bool", "错误", f"“{label}”是逻辑值 {value}，请填数字")
    if isinstance(value, str):
        num, u = text_to_number(value)
        if num is not None and kind == "rate" and u != "%" and num > 1.5:
            num = num / 100
        shown = f"“{value}”" if len(value) <= 30 else f"“{value[:30]}…”"
        if num is not None:
            unit_word = "，单元格格式会显示百分号" if kind == "rate" else (f"，单位：{unit}" if unit else "")
            return Problem("text_number", "错误",
                           f"“{label}”填的是文字{shown}，不是数字，不参与计算；请改为数字 {_fmt(num)}（只填数字{unit_word}）",
                           num)
        return Problem("not_number", "错误", f"“{label}”填的是文字{shown}，不是数字；请改为数字")
    if not is_number(value):
        return Problem("not_number", "错误", f"“{label}”不是有效数字（{value!r}）")
    v = float(value)
    if kind == "amount":
        if v < 0:
            return Problem("negative", "错误", f"“{label}”为负数 {_fmt(v)}，金额不能为负")
        if v > MAX_AMOUNT:
            return Problem("absurd", "错误", f"“{label}”为 {v:.3g} 元，超过十万亿元，显然有误（是否多输了位数？）")
        if v > LARGE_AMOUNT:
            return Problem("large", "警告", f"“{label}”为 {v:,.0f} 元（超过一千亿元），请确认单位是“元”而不是“分”")
        return None
    if kind == "count":
        if v < 0:
            return Problem("negative", "错误", f"“{label}”为负数 {_fmt(v)}")
        if not v.is_integer():
            return Problem("not_integer", "错误", f"“{label}”应为整数，实际为 {_fmt(v)}")
        if v > 1_000_000:
            return Problem("absurd", "错误", f"“{label}”为 {_fmt(v)}，显然有误")
        return None
    if kind == "rate":
        if v < 0:
            return Problem("negative", "错误", f"“{label}”为负数")
        if 1.5 < v <= 1000:
            return Problem("rate_as_percent", "错误",
                           f"“{label}”填的是 {_fmt(v)}，看起来是百分数的数字部分；比率请填 {_fmt(round(v / 100, 6))} 或 {_fmt(v)}%",
                           v / 100)
        if v > 1000:
            return Problem("absurd", "错误", f"“{label}”为 {_fmt(v)}，不是有效的比率")
        return None
    if kind == "year":
        if not v.is_integer() or not 2000 <= v <= 2100:
            return Problem("bad_year", "错误", f"“{label}”应为四位年份（如 2022），实际为 {_fmt(v)}")
        return None
    if kind == "score":
        if v < 0:
            return Problem("negative", "错误", f"“{label}”为负数 {_fmt(v)}")
        return None
    return None

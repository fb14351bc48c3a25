"""Rate functions: the single source of truth for Excel UDFs and the command line.

Every function takes raw cell values (number, None, text, Excel error literal) exactly as
a UDF receives them, and returns a float rounded like Excel's ROUND, or raises CalcError
with a short Chinese message. Rates are fractions (0.9231); cell formats show percentages.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

from .errors import CalcError
from .numeric import excel_round, is_blank, is_error_value, is_number

RATE_DECIMALS = 4


def _num(v: Any, what: str, arg: int, *, allow_negative: bool = False) -> float:
    """Validate one argument; the message names what is wrong in the user's terms."""
    if is_blank(v):
        raise CalcError("missing", f"{what}未填写", arg)
    if is_error_value(v):
        raise CalcError("error_value", f"{what}为错误值{str(v).strip()}", arg)
    if isinstance(v, bool) or not is_number(v):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            raise CalcError("not_finite", f"{what}不是有限数", arg)
        raise CalcError("not_number", f"{what}不是数字", arg)
    if v < 0 and not allow_negative:
        raise CalcError("negative", f"{what}为负数", arg)
    return float(v)


def _div(num: float, den: float, den_what: str, digits: int) -> float:
    if den == 0:
        if num == 0:
            raise CalcError("not_applicable", f"不适用（{den_what}为0）", 1)
        raise CalcError("zero_denominator", f"{den_what}为0，无法计算", 1)
    return _finite(num / den, digits)


def _finite(x: float, digits: int) -> float:
    if not math.isfinite(x) or abs(x) > 1e9:  # a rate of a billion is a typing error, not a figure
        raise CalcError("absurd", "结果过大，请检查数值")
    return excel_round(x, digits)


def exec_rate(actual: Any, budget: Any, digits: int = RATE_DECIMALS) -> float:
    """支出率/执行率 = 实际支出 ÷ 预算数."""
    a = _num(actual, "支出数", 0)
    b = _num(budget, "预算数", 1)
    return _div(a, b, "预算数", digits)


def balance_rate(balance: Any, budget: Any, digits: int = RATE_DECIMALS) -> float:
    """结转结余率 = 结转结余资金 ÷ 预算数."""
    a = _num(balance, "结转结余资金", 0)
    b = _num(budget, "预算数", 1)
    return _div(a, b, "预算数", digits)


def coverage_rate(with_targets: Any, total: Any, digits: int = RATE_DECIMALS) -> float:
    """绩效目标覆盖率 = 设置绩效目标的项目数 ÷ 项目总数."""
    a = _num(with_targets, "设置目标的项目数", 0)
    b = _num(total, "项目总数", 1)
    return _div(a, b, "项目总数", digits)


def staff_ratio(actual_staff: Any, approved_staff: Any, digits: int = RATE_DECIMALS) -> float:
    """人员比率 = 在编人数 ÷ 核定编制数."""
    a = _num(actual_staff, "在编人数", 0)
    b = _num(approved_staff, "核定编制数", 1)
    return _div(a, b, "核定编制数", digits)


def growth_rate(current: Any, previous: Any, digits: int = RATE_DECIMALS) -> float:
    """增长率 = (本年 − 上年) ÷ 上年; negative means a decrease."""
    c = _num(current, "本年数", 0)
    p = _num(previous, "上年数", 1)
    if p == 0:
        raise CalcError("zero_denominator", "上年数为0，无法计算增长率", 1)
    return _finite((c - p) / p, digits)


def control_rate(actual: Any, budget: Any, digits: int = RATE_DECIMALS) -> float:
    """控制率 = 决算数 ÷ 预算数 (公用经费、三公经费)."""
    a = _num(actual, "决算数", 0)
    b = _num(budget, "预算数", 1)
    return _div(a, b, "预算数", digits)


def ratio(part: Any, whole: Any, digits: int = RATE_DECIMALS) -> float:
    """Generic share (固定资产利用率, 完成率): part ÷ whole."""
    a = _num(part, "分子", 0)
    b = _num(whole, "分母", 1)
    return _div(a, b, "分母", digits)


def spend_progress(spent: Any, budget: Any, reported: Any = None,
                   digits: int = RATE_DECIMALS) -> float:
    """支出进度: spent ÷ budget when the amount is filled in, else the system-reported rate."""
    if not is_blank(spent):
        return exec_rate(spent, budget, digits)
    if is_blank(reported):
        raise CalcError("missing", "未填支出金额或系统进度", 0)
    return _finite(_num(reported, "系统进度", 2), digits)


def funds_rate(h1: Any, full: Any, h1_weight: Any = 0.5, full_weight: Any = 0.5,
               digits: int = RATE_DECIMALS) -> float:
    """资金支出率: weighted mean of 上半年 and 全年 支出进度 (default: simple mean)."""
    a = _num(h1, "上半年支出进度", 0)
    b = _num(full, "全年支出进度", 1)
    wa = _num(h1_weight, "上半年权重", 2)
    wb = _num(full_weight, "全年权重", 3)
    if wa + wb == 0:
        raise CalcError("zero_denominator", "权重之和为0，无法计算", 2)
    return _finite((wa * a + wb * b) / (wa + wb), digits)


# ---- mirrors of the native Excel formulas the template uses (SUM, a-b, =ref, COUNTIFS) ----
def excel_sum(*values: Any) -> float:
    """SUM over references: numbers add, blanks/text/booleans are ignored, errors propagate."""
    total = 0.0
    for v in values:
        if is_error_value(v):
            raise CalcError("error_value", f"含错误值{str(v).strip()}")
        if is_number(v):
            total += v
    return total


def excel_difference(a: Any, b: Any) -> float:
    """=a-b: blanks count as 0, text gives #VALUE!."""
    out = []
    for i, v in enumerate((a, b)):
        if is_error_value(v):
            raise CalcError("error_value", f"含错误值{str(v).strip()}", i)
        if is_blank(v):
            out.append(0.0)
        elif is_number(v):
            out.append(float(v))
        else:
            raise CalcError("not_number", "#VALUE!（含文本）", i)
    return out[0] - out[1]


def excel_ref(v: Any) -> float:
    """=ref to a number cell: a blank shows 0; text is passed on, which we refuse."""
    if is_blank(v):
        return 0.0
    return _num(v, "金额", 0, allow_negative=True)


def count_nonblank(names: Iterable[Any]) -> int:
    """COUNTIFS(range,"<>"): cells that are not empty."""
    return sum(1 for v in names if not is_blank(v))


def count_flag(names: Iterable[Any], flags: Iterable[Any], value: str = "是") -> int:
    """COUNTIFS(names,"<>",flags,"是"): named rows whose flag is exactly 是."""
    return sum(1 for n, f in zip(names, flags) if not is_blank(n) and f == value)

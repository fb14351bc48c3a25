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
ABSURD = 1e9  # a rate of a billion is a typing error, not a figure

# Messages a rate cell shows. addin/core/native.py writes the same texts into the native
# fallback formulas, so a cell shows the same words with and without the add-in.
MSG_MISSING = "{what}未填写"
MSG_ERROR = "{what}为错误值"  # + the error literal
MSG_NOT_NUMBER = "{what}不是数字"
MSG_NEGATIVE = "{what}为负数"
MSG_NOT_APPLICABLE = "不适用（{den}为0）"
MSG_ZERO = "{den}为0，无法计算"
MSG_ZERO_GROWTH = "上年数为0，无法计算增长率"
MSG_ZERO_WEIGHTS = "权重之和为0，无法计算"
MSG_NO_PROGRESS = "未填支出金额或系统进度"
MSG_ABSURD = "结果过大，请检查数值"

# fn -> labels of its arguments (as the messages name them); for plain divisions the
# denominator's label is the last one.
ARG_LABELS: dict[str, tuple[str, ...]] = {
    "exec_rate": ("支出数", "预算数"),
    "balance_rate": ("结转结余资金", "预算数"),
    "coverage_rate": ("设置目标的项目数", "项目总数"),
    "staff_ratio": ("在编人数", "核定编制数"),
    "control_rate": ("决算数", "预算数"),
    "ratio": ("分子", "分母"),
    "growth_rate": ("本年数", "上年数"),
    "spend_progress": ("支出数", "预算数", "系统进度"),
    "funds_rate": ("上半年支出进度", "全年支出进度", "上半年权重", "全年权重"),
}
DIVISIONS = ("exec_rate", "balance_rate", "coverage_rate", "staff_ratio", "control_rate", "ratio")


def _num(v: Any, what: str, arg: int, *, allow_negative: bool = False) -> float:
    """Validate one argument; the message names what is wrong in the user's terms."""
    if is_blank(v):
        raise CalcError("missing", MSG_MISSING.format(what=what), arg)
    if is_error_value(v):
        raise CalcError("error_value", MSG_ERROR.format(what=what) + str(v).strip(), arg)
    if isinstance(v, bool) or not is_number(v):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            raise CalcError("not_finite", f"{what}不是有限数", arg)
        raise CalcError("not_number", MSG_NOT_NUMBER.format(what=what), arg)
    if v < 0 and not allow_negative:
        raise CalcError("negative", MSG_NEGATIVE.format(what=what), arg)
    return float(v)


def _division(fn: str, num: Any, den: Any, digits: int) -> float:
    what_n, what_d = ARG_LABELS[fn]
    a = _num(num, what_n, 0)
    b = _num(den, what_d, 1)
    if b == 0:
        if a == 0:
            raise CalcError("not_applicable", MSG_NOT_APPLICABLE.format(den=what_d), 1)
        raise CalcError("zero_denominator", MSG_ZERO.format(den=what_d), 1)
    return _finite(a / b, digits)


def _finite(x: float, digits: int) -> float:
    if not math.isfinite(x) or abs(x) > ABSURD:
        raise CalcError("absurd", MSG_ABSURD)
    return excel_round(x, digits)


def exec_rate(actual: Any, budget: Any, digits: int = RATE_DECIMALS) -> float:
    """支出率/执行率 = 实际支出 ÷ 预算数."""
    return _division("exec_rate", actual, budget, digits)


def balance_rate(balance: Any, budget: Any, digits: int = RATE_DECIMALS) -> float:
    """结转结余率 = 结转结余资金 ÷ 预算数."""
    return _division("balance_rate", balance, budget, digits)


def coverage_rate(with_targets: Any, total: Any, digits: int = RATE_DECIMALS) -> float:
    """绩效目标覆盖率 = 设置绩效目标的项目数 ÷ 项目总数."""
    return _division("coverage_rate", with_targets, total, digits)


def staff_ratio(actual_staff: Any, approved_staff: Any, digits: int = RATE_DECIMALS) -> float:
    """人员比率 = 在编人数 ÷ 核定编制数."""
    return _division("staff_ratio", actual_staff, approved_staff, digits)


def growth_rate(current: Any, previous: Any, digits: int = RATE_DECIMALS) -> float:
    """增长率 = (本年 − 上年) ÷ 上年; negative means a decrease."""
    what_c, what_p = ARG_LABELS["growth_rate"]
    c = _num(current, what_c, 0)
    p = _num(previous, what_p, 1)
    if p == 0:
        raise CalcError("zero_denominator", MSG_ZERO_GROWTH, 1)
    return _finite((c - p) / p, digits)


def control_rate(actual: Any, budget: Any, digits: int = RATE_DECIMALS) -> float:
    """控制率 = 决算数 ÷ 预算数 (公用经费、三公经费)."""
    return _division("control_rate", actual, budget, digits)


def ratio(part: Any, whole: Any, digits: int = RATE_DECIMALS) -> float:
    """Generic share (固定资产利用率, 完成率): part ÷ whole."""
    return _division("ratio", part, whole, digits)


def spend_progress(spent: Any, budget: Any, reported: Any = None,
                   digits: int = RATE_DECIMALS) -> float:
    """支出进度: spent ÷ budget when the amount is filled in, else the system-reported rate."""
    if not is_blank(spent):
        return exec_rate(spent, budget, digits)
    if is_blank(reported):
        raise CalcError("missing", MSG_NO_PROGRESS, 0)
    return _finite(_num(reported, ARG_LABELS["spend_progress"][2], 2), digits)


def funds_rate(h1: Any, full: Any, h1_weight: Any = 0.5, full_weight: Any = 0.5,
               digits: int = RATE_DECIMALS) -> float:
    """资金支出率: weighted mean of 上半年 and 全年 支出进度 (default: simple mean)."""
    labels = ARG_LABELS["funds_rate"]
    a = _num(h1, labels[0], 0)
    b = _num(full, labels[1], 1)
    wa = _num(h1_weight, labels[2], 2)
    wb = _num(full_weight, labels[3], 3)
    if wa + wb == 0:
        raise CalcError("zero_denominator", MSG_ZERO_WEIGHTS, 2)
    return _finite((wa * a + wb * b) / (wa + wb), digits)


# ---- mirrors of the native Excel formulas the template uses (SUM, a-b, =ref, COUNTIFS) ----
# Where these cannot compute, the message is what every spreadsheet program shows: the error
# literal (#DIV/0!, #VALUE!) or the referenced text, so the rates that read the cell see it too.
def excel_sum(*values: Any) -> float:
    """SUM over references: numbers add, blanks/text/booleans are ignored, errors propagate."""
    total = 0.0
    for v in values:
        if is_error_value(v):
            raise CalcError("error_value", str(v).strip())
        if is_number(v):
            total += v
    return total


def excel_difference(a: Any, b: Any) -> float:
    """=a-b: blanks count as 0, text gives #VALUE!."""
    out = []
    for i, v in enumerate((a, b)):
        if is_error_value(v):
            raise CalcError("error_value", str(v).strip(), i)
        if is_blank(v):
            out.append(0.0)
        elif is_number(v):
            out.append(float(v))
        else:
            raise CalcError("not_number", "#VALUE!", i)
    return out[0] - out[1]


def excel_ref(v: Any) -> float:
    """=ref to a number cell: a blank shows 0; text and errors are shown as they are."""
    if is_blank(v):
        return 0.0
    if is_error_value(v):
        raise CalcError("error_value", str(v).strip(), 0)
    if isinstance(v, bool) or not is_number(v):
        raise CalcError("not_number", str(v), 0)
    return float(v)


def count_nonblank(names: Iterable[Any]) -> int:
    """COUNTIFS(range,"<>"): cells that are not empty."""
    return sum(1 for v in names if not is_blank(v))


def count_flag(names: Iterable[Any], flags: Iterable[Any], value: str = "是") -> int:
    """COUNTIFS(names,"<>",flags,"是"): named rows whose flag is exactly 是."""
    return sum(1 for n, f in zip(names, flags) if not is_blank(n) and f == value)

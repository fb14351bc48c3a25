"""Metric functions by name: the Python side and the Excel formula side of each.

The template writes `excel_formula(metric)` into the cell; the command line calls
`compute(metric, args)`. For UDF-backed functions both are the same code in rates.py;
for native Excel functions (SUM, COUNTIFS, a-b, =ref) rates.py holds an exact mirror.
"""
from __future__ import annotations

from typing import Any, Callable

from . import native, rates
from .framework import Metric

# fn -> (python callable, UDF name or None for a native formula)
_FNS: dict[str, tuple[Callable[..., float], str | None]] = {
    "exec_rate": (rates.exec_rate, "EXEC_RATE"),
    "balance_rate": (rates.balance_rate, "BALANCE_RATE"),
    "coverage_rate": (rates.coverage_rate, "COVERAGE_RATE"),
    "staff_ratio": (rates.staff_ratio, "STAFF_RATIO"),
    "growth_rate": (rates.growth_rate, "GROWTH_RATE"),
    "control_rate": (rates.control_rate, "CONTROL_RATE"),
    "ratio": (rates.ratio, "RATIO"),
    "spend_progress": (rates.spend_progress, "SPEND_PROGRESS"),
    "funds_rate": (rates.funds_rate, "FUNDS_RATE"),
    "sum": (rates.excel_sum, None),
    "difference": (rates.excel_difference, None),
    "amount": (rates.excel_ref, None),
    "count_nonblank": (rates.count_nonblank, None),
    "count_flag": (rates.count_flag, None),
}


def _params(metric: Metric) -> list[float]:
    if metric.fn == "funds_rate":
        return [float(metric.params.get("h1_weight", 0.5)), float(metric.params.get("full_weight", 0.5))]
    return []


def udf_call(fn: str, refs: list[str], params: list[float] = ()) -> str:
    """'EXEC_RATE(a,b)' for a UDF-backed metric function."""
    return f"{_FNS[fn][1]}({','.join(list(refs) + [native.lit(p) for p in params])})"


def guarded_call(fn: str, refs: list[str], params: list[float] = ()) -> str:
    """The UDF call guarded by its native equivalent (addin/core/native.py)."""
    return native.guarded(udf_call(fn, refs, params), native.rate_expr(fn, list(refs) + list(params)))


def legacy_formula(metric: Metric) -> str | None:
    """The formula of workbooks written before the native fallback (the bare UDF call)."""
    if metric.fn == "amount":
        return f"={metric.args[0]}"
    if not _FNS[metric.fn][1]:
        return None
    return f"={_FNS[metric.fn][1]}({','.join(list(metric.args) + [repr(p) for p in _params(metric)])})"


def excel_formula(metric: Metric) -> str:
    fn, udf = _FNS[metric.fn]
    a = list(metric.args)
    if udf:
        return "=" + guarded_call(metric.fn, a, _params(metric))
    if metric.fn == "sum":
        return f"=SUM({','.join(a)})"
    if metric.fn == "difference":
        return f"={a[0]}-{a[1]}"
    if metric.fn == "amount":
        # not a bare =ref: LibreOffice passes an empty cell on as empty (ISNUMBER false), Excel as 0
        return f'=IF({a[0]}="",0,{a[0]})'
    if metric.fn == "count_nonblank":
        return f'=COUNTIFS({a[0]},"<>")'
    if metric.fn == "count_flag":
        return f'=COUNTIFS({a[0]},"<>",{a[1]},"是")'
    raise KeyError(metric.fn)  # pragma: no cover - guarded by the framework loader


def compute(metric: Metric, args: list[Any]) -> float:
    """Value of the metric from its argument values (single values or, for ranges, lists)."""
    fn, udf = _FNS[metric.fn]
    if udf:
        return fn(*args, *_params(metric))  # the UDF's own default precision, so Excel and CLI agree
    return fn(*args)


def udf_names() -> list[str]:
    return sorted(u for _, u in _FNS.values() if u)

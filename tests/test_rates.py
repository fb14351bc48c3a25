"""Rates, Excel rounding, suggested scores; property-based checks of the UDF layer."""
from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from addin import udfs
from addin.core import rates
from addin.core.errors import CalcError
from addin.core.numeric import excel_round, fmt_pct, fmt_wan, fmt_yuan
from addin.core.scoring import effective_max, suggest


def test_the_samples_figures():
    assert fmt_pct(rates.growth_rate(3491995, 3010664.91)) == "15.99%"
    assert fmt_pct(rates.growth_rate(3638346.02, 3651367.49)) == "-0.36%"
    assert fmt_pct(rates.exec_rate(3638346.02, 3491995)) == "104.19%"
    assert fmt_pct(rates.coverage_rate(12, 13)) == "92.31%"
    assert fmt_pct(rates.staff_ratio(14, 16)) == "87.5%"
    assert rates.funds_rate(0.2011, 1.1892) == 0.6952  # the report says 69.6%
    assert fmt_wan(3491995) == "349.2" and fmt_yuan(3491995) == "3,491,995" and fmt_yuan(3010664.91) == "3,010,664.91"


@pytest.mark.parametrize("x, n, expected", [
    (0.125, 2, 0.13), (2.675, 2, 2.68), (1.005, 2, 1.01), (-2.5, 0, -3.0), (2.5, 0, 3.0), (0.69515, 4, 0.6952),
    ((0.2011 + 1.1892) / 2, 4, 0.6952), (4.176, 1, 4.2), (1.15, 1, 1.2), (-0.125, 2, -0.13), (123456.785, 2, 123456.79),
])
def test_excel_round_half_away_from_zero(x, n, expected):
    assert excel_round(x, n) == expected


@pytest.mark.parametrize("fn, args, code, text", [
    (rates.exec_rate, (100, 0), "zero_denominator", "预算数为0，无法计算"),
    (rates.exec_rate, (0, 0), "not_applicable", "不适用（预算数为0）"),
    (rates.exec_rate, (None, 5), "missing", "支出数未填写"),
    (rates.exec_rate, ("三百万", 5), "not_number", "支出数不是数字"),
    (rates.exec_rate, (5, "#DIV/0!"), "error_value", "预算数为错误值#DIV/0!"),
    (rates.exec_rate, (-1, 5), "negative", "支出数为负数"),
    (rates.growth_rate, (5, 0), "zero_denominator", "上年数为0，无法计算增长率"),
    (rates.staff_ratio, (3, 0), "zero_denominator", "核定编制数为0，无法计算"),
    (rates.exec_rate, (True, 5), "not_number", "支出数不是数字"),
    (rates.exec_rate, (float("nan"), 5), "not_finite", "支出数不是有限数"),
    (rates.spend_progress, (None, 100, None), "missing", "未填支出金额或系统进度"),
])
def test_bad_values_become_typed_errors(fn, args, code, text):
    with pytest.raises(CalcError) as e:
        fn(*args)
    assert e.value.code == code and e.value.message == text


def test_spend_progress_prefers_amounts():
    assert rates.spend_progress(50, 200, 0.9) == 0.25
    assert rates.spend_progress(None, 200, 0.2011) == 0.2011
    assert rates.spend_progress("", None, 1.1892) == 1.1892


def test_suggested_scores_follow_the_rules(fw):
    no_tp = {"f_transfer_payments": "否"}.get
    with_tp = {"f_transfer_payments": "是"}.get
    assert effective_max(fw, "budget_exec_rate", no_tp) == 6 and effective_max(fw, "funds_legality", no_tp) == 0
    assert effective_max(fw, "budget_exec_rate", with_tp) == 3 and effective_max(fw, "funds_legality", with_tp) == 3
    assert effective_max(fw, "budget_exec_rate", {}.get) == 3  # unknown condition: nominal
    ind = fw.indicator
    assert suggest(fw, ind("budget_exec_rate"), 6, [0.696])[0] == 4.2  # proportional, max 6
    assert suggest(fw, ind("budget_exec_rate"), 3, [0.696])[0] == 2.1
    assert suggest(fw, ind("budget_exec_rate"), 6, [1.2])[0] == 6  # capped
    assert suggest(fw, ind("target_coverage"), 2, [1])[0] == 1.5  # 0.5 per project without targets
    assert suggest(fw, ind("target_coverage"), 2, [9])[0] == 0  # floor at 0
    assert suggest(fw, ind("carryover_rate"), 3, [0])[0] == 3
    assert suggest(fw, ind("carryover_rate"), 3, [0.05])[0] == 2.5  # 0.1 per point above 0%
    assert suggest(fw, ind("staff_mgmt"), 2, [0.875])[0] == 2  # full at ≤ 100%
    assert suggest(fw, ind("staff_mgmt"), 2, [1.05])[0] == 1  # 0.2 per point above
    assert suggest(fw, ind("procurement_rate"), 2, ["不适用（预算数为0）"])[0] == 2  # no procurement
    assert suggest(fw, ind("economy"), 6, [1.0, 0.0])[0] == 6
    assert suggest(fw, ind("economy"), 6, [1.2, 0.0])[0] == 3
    with pytest.raises(CalcError, match="需人工评分"):
        suggest(fw, ind("stock_funds"), 3, [5000])
    with pytest.raises(CalcError, match="定性指标"):
        suggest(fw, ind("budget_rationality"), 5, [])
    with pytest.raises(CalcError):
        suggest(fw, ind("budget_exec_rate"), 6, ["预算数为0，无法计算"])


# ---------------------------------------------------------------- the UDF layer
anything = st.one_of(st.none(), st.booleans(), st.integers(-10**16, 10**16),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                     st.sampled_from(["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "三百万", "3,491,995元", "92.3%", "１２"]))
UDFS2 = [udfs.EXEC_RATE, udfs.BALANCE_RATE, udfs.COVERAGE_RATE, udfs.STAFF_RATIO, udfs.GROWTH_RATE,
         udfs.CONTROL_RATE, udfs.RATIO, udfs.FUNDS_RATE]


@settings(max_examples=300, deadline=None)
@given(a=anything, b=anything)
def test_udfs_never_raise_and_return_a_number_or_a_short_message(a, b):
    for f in UDFS2:
        out = f(a, b)
        assert (isinstance(out, float) and math.isfinite(out)) or (isinstance(out, str) and 0 < len(out) <= 30)
    out = udfs.SPEND_PROGRESS(a, b, a)
    assert isinstance(out, (float, str))
    out = udfs.SUGGEST_SCORE("gd_county_2022", "budget_exec_rate", a, b)
    assert isinstance(out, (float, str))


@settings(max_examples=300, deadline=None)
@given(a=st.floats(0, 1e12), b=st.floats(0, 1e12))
def test_udf_wrappers_return_exactly_what_the_core_returns(a, b):
    pairs = [(udfs.EXEC_RATE, rates.exec_rate), (udfs.BALANCE_RATE, rates.balance_rate),
             (udfs.COVERAGE_RATE, rates.coverage_rate), (udfs.STAFF_RATIO, rates.staff_ratio),
             (udfs.GROWTH_RATE, rates.growth_rate), (udfs.CONTROL_RATE, rates.control_rate), (udfs.RATIO, rates.ratio)]
    for udf, core in pairs:
        try:
            expected = core(a, b)
        except CalcError as e:
            expected = e.message
        assert udf(a, b) == expected


@settings(max_examples=300, deadline=None)
@given(a=st.floats(0, 1e8), b=st.floats(1, 1e9), extra=st.floats(0, 1e8))
def test_rates_are_monotonic_and_in_range(a, b, extra):
    r1, r2 = rates.exec_rate(a, b), rates.exec_rate(a + extra, b)
    assert 0 <= r1 <= r2
    assert rates.exec_rate(a, b + extra) <= r1
    if a <= b:
        assert r1 <= 1
    assert rates.growth_rate(a, b) >= -1
    assert min(r1, r2) <= rates.funds_rate(r1, r2) <= max(r1, r2)


def test_importing_udfs_adds_no_heavy_modules():
    code = ("import sys, xlwings; before = set(sys.modules); import addin.udfs; "
            "new = set(sys.modules) - before; "
            "bad = [m for m in new if m.split('.')[0] in ('pandas', 'openpyxl', 'docx', 'matplotlib', 'numpy', 'lxml')]; "
            "print(','.join(sorted(bad)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("v", [1.7976931348623151e308, -1.7976931348623151e308, float("inf"), float("-inf")])
def test_formatting_the_largest_floats_never_raises(v):
    from addin.core.numeric import fmt_count, fmt_score, fmt_wan

    for fmt in (fmt_yuan, fmt_wan, fmt_pct, fmt_score, fmt_count):
        assert isinstance(fmt(v), str)
    assert excel_round(v, 2) == v

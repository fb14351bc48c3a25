"""Excel worksheet functions (xlwings UDFs): thin wrappers over addin.core.

Excel's UDF server imports this module at every start, so it imports only xlwings and
the pure core (no openpyxl, docx, pandas or matplotlib of its own). Every function
returns a number, or a short Chinese message when it cannot compute — never a traceback.
Error cells arrive as text ('#DIV/0!', err_to_str) so the core can name them.
"""
from __future__ import annotations

from typing import Any

import xlwings as xw

from .app.settings import Settings
from .core import rates
from .core.errors import CalcError

Settings.from_environment().apply()  # the UDF server (its own process) finds the user's own frameworks

__all__ = ["EXEC_RATE", "BALANCE_RATE", "COVERAGE_RATE", "STAFF_RATIO", "GROWTH_RATE", "CONTROL_RATE",
           "RATIO", "SPEND_PROGRESS", "FUNDS_RATE", "SUGGEST_SCORE", "call"]

CATEGORY = "绩效自评"


def call(fn, *args: Any) -> float | str:
    """Run a core function the way a cell shows it: its value, or its message."""
    try:
        return fn(*args)
    except CalcError as e:
        return e.message
    except Exception:  # a bug must not put a traceback into a cell
        return "计算出错，请运行“校验”查看原因"


def _udf(doc: str, *argdocs: tuple[str, str]):
    """xw.func + xw.arg for each argument (err_to_str, Chinese help) + the category."""

    def deco(f):
        f.__doc__ = doc
        # kept for the add-in build, which re-applies xlwings' Windows decorators on any OS
        f.__jxzp_udf__ = {"doc": doc, "args": argdocs, "category": CATEGORY}
        for name, help_text in argdocs:
            f = xw.arg(name, err_to_str=True, doc=help_text)(f)
        return xw.func(category=CATEGORY)(f)

    return deco


@_udf("支出率（执行率）= 实际支出 ÷ 预算数。", ("actual", "实际支出数（元）"), ("budget", "预算数（元）"))
def EXEC_RATE(actual, budget):
    return call(rates.exec_rate, actual, budget)


@_udf("结转结余率 = 结转结余资金 ÷ 预算数。", ("balance", "结转结余资金（元）"), ("budget", "预算数（元）"))
def BALANCE_RATE(balance, budget):
    return call(rates.balance_rate, balance, budget)


@_udf("绩效目标覆盖率 = 设置绩效目标的项目数 ÷ 项目总数。",
      ("with_targets", "设置绩效目标的项目数"), ("total", "项目总数"))
def COVERAGE_RATE(with_targets, total):
    return call(rates.coverage_rate, with_targets, total)


@_udf("人员比率 = 在编人数 ÷ 核定编制数。", ("actual_staff", "在编人数"), ("approved_staff", "核定编制数"))
def STAFF_RATIO(actual_staff, approved_staff):
    return call(rates.staff_ratio, actual_staff, approved_staff)


@_udf("增长率 =（本年数 − 上年数）÷ 上年数；负数表示降低。", ("current", "本年数"), ("previous", "上年数"))
def GROWTH_RATE(current, previous):
    return call(rates.growth_rate, current, previous)


@_udf("控制率 = 决算数 ÷ 预算数（公用经费、三公经费）。", ("actual", "决算数（元）"), ("budget", "预算数（元）"))
def CONTROL_RATE(actual, budget):
    return call(rates.control_rate, actual, budget)


@_udf("比率 = 分子 ÷ 分母（固定资产利用率、完成率等）。", ("part", "分子"), ("whole", "分母"))
def RATIO(part, whole):
    return call(rates.ratio, part, whole)


@_udf("支出进度：填了支出金额时为 支出 ÷ 预算，否则取系统通报的进度。",
      ("spent", "支出金额（元，可空）"), ("budget", "全年预算（元）"), ("reported", "系统进度（可空）"))
def SPEND_PROGRESS(spent, budget, reported=None):
    return call(rates.spend_progress, spent, budget, reported)


@_udf("资金支出率：上半年与全年支出进度的加权平均（默认简单平均）。",
      ("h1", "上半年支出进度"), ("full", "全年支出进度"), ("h1_weight", "上半年权重"), ("full_weight", "全年权重"))
def FUNDS_RATE(h1, full, h1_weight=0.5, full_weight=0.5):
    return call(rates.funds_rate, h1, full, h1_weight, full_weight)


@_udf("按指标体系的评分规则给出建议得分（仅供参考）。",
      ("framework", "指标体系 id（工作簿名称 jx_framework）"), ("indicator", "三级指标 id"),
      ("max_score", "适用分值"), ("values", "评分规则用到的计算值"))
def SUGGEST_SCORE(framework, indicator, max_score, *values):
    from .core.scoring import suggest_for  # noqa: PLC0415 - loads the framework on first use only

    return call(lambda: suggest_for(framework, indicator, max_score, list(values)))

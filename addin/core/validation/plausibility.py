"""R12 plausibility: the mistakes reviewers catch that no single cell shows.

Every check reads its names and bounds from the framework's `[plausibility]` table and
stays silent when the framework (or the workbook) does not have the data.
"""
from __future__ import annotations

import re
from typing import Iterable

from ..numeric import fmt_pct, fmt_score, fmt_yuan, is_number
from .codes import declare, emit, text_cells

PLAUS_CODES = declare({
    "R12.unit-slip": ("错误", "“{label}”为 {value} 元，只有{other_label}（{other} 元）的约 {ratio}；疑似按“万元”填写了“元”的格子。"
                              "若单位无误请忽略，否则请改为 {fixed} 元"),
    "R12.unit-slip-big": ("错误", "“{label}”为 {value} 元，是{other_label}（{other} 元）的约 {ratio} 倍；疑似把“元”写成了“万元”的数，"
                                  "或多输了位数，请核实"),
    "R12.growth-out-of-range": ("警告", "“{label}”为 {value}，超出常见范围（{low}～{high}）；请核实本年和上年的数，"
                                        "或在报告文字中写明原因（如新增项目、人员变动、政策性调整）"),
    "R12.carryover-zero": ("警告", "“结转结余资金”填 0，但决算支出 {spent} 元比全年预算 {budget} 元少 {gap} 元（执行率 {rate}）；"
                                   "未花完的预算通常形成结转结余，请核实{score_note}"),
    "R12.progress-vs-amounts": ("警告", "“{label}”填的系统数为 {reported}，按填写的支出金额计算为 {computed}；两个口径不一致，"
                                        "报告采用按金额计算的数，请核实"),
    "R12.year-not-evaluated": ("警告", "评分说明和报告文字中 {prev_count} 次出现 {prev} 年，却没有出现评价年度 {year} 年；"
                                       "是否沿用了上年的报告？请逐句核对年份"),
    "R12.year-future": ("警告", "文字“{quote}”提到 {when} 年，晚于评价年度 {year} 年的次年；请核对年份"),
    "R12.stale-staffing": ("警告", "文字“{quote}”的人员数据截至 {when} 年，评价年度为 {year} 年；请用评价年度年末的人数"),
    "R12.target-missed-full-marks": ("警告", "“{indicator_name}”的{metric_label}为 {value}，未达到满分标准 {target}，"
                                             "自评却给了满分 {score} 分；请扣分或在评分说明中写明依据"),
})

_YEAR_RX = re.compile(r"(?<![\d.])((?:19|20)\d{2})\s*年")


def _num(ctx, name: str) -> float | None:
    try:
        v = ctx.ev.value(name)
    except KeyError:
        return None
    return float(v) if is_number(v) else None


def _cfg(ctx) -> dict:
    return ctx.fw.plausibility or {}


def _year(ctx) -> int | None:
    y = ctx.ev.role("year")
    return int(y) if is_number(y) and float(y).is_integer() and 1900 < float(y) < 2200 else None


def check_plausibility(ctx) -> Iterable:
    cfg = _cfg(ctx)
    if not cfg:
        return
    yield from _unit_slips(ctx, cfg)
    yield from _growth(ctx, cfg)
    yield from _carryover(ctx, cfg)
    yield from _progress(ctx, cfg)
    yield from _years(ctx, cfg)
    yield from _full_marks(ctx, cfg)


def _unit_slips(ctx, cfg) -> Iterable:
    """An amount about 1/10 000 of the department's other totals was typed in 万元."""
    names = [n for n in cfg.get("unit_slip_names", []) if _num(ctx, n) not in (None, 0.0)]
    if len(names) < 2:
        return
    vals = {n: _num(ctx, n) for n in names}
    for n, v in vals.items():
        others = sorted((x for m, x in vals.items() if m != n), reverse=True)
        ref = others[len(others) // 2]  # the median of the others: one slip does not move it
        ref_name = next(m for m, x in vals.items() if m != n and x == ref)
        ratio = v / ref
        if 1 / 30000 <= ratio <= 1 / 3000:
            yield emit(ctx, "R12.unit-slip", name=n, expected=f"约 {fmt_yuan(v * 1e4)}", actual=v,
                       label=ctx.label(n), value=fmt_yuan(v), other_label=f"“{ctx.label(ref_name)}”",
                       other=fmt_yuan(ref), ratio="万分之一", fixed=fmt_yuan(v * 1e4))
        elif ratio >= 3000 and len(others) >= 2:
            yield emit(ctx, "R12.unit-slip-big", name=n, actual=v, label=ctx.label(n), value=fmt_yuan(v),
                       other_label=f"“{ctx.label(ref_name)}”", other=fmt_yuan(ref), ratio=f"{ratio:,.0f}")


def _growth(ctx, cfg) -> Iterable:
    low, high = float(cfg.get("growth_min", -0.5)), float(cfg.get("growth_max", 1.0))
    for n in cfg.get("growth_names", []):
        v = _num(ctx, n)
        if v is None or low <= v <= high:
            continue
        # a growth of −99.99% or +9999% is a unit slip, which R12.unit-slip names; say it once
        if v <= -0.99 or v >= 99:
            m = ctx.fw.metric(n)
            if m is not None and any(_num(ctx, a) is not None for a in m.args) and \
                    set(m.args) & set(cfg.get("unit_slip_names", [])):
                continue
        yield emit(ctx, "R12.growth-out-of-range", name=n, expected=f"{fmt_pct(low)}～{fmt_pct(high)}",
                   actual=fmt_pct(v), label=ctx.label(n), value=fmt_pct(v), low=fmt_pct(low), high="+" + fmt_pct(high))


def _carryover(ctx, cfg) -> Iterable:
    c = cfg.get("carryover")
    if not isinstance(c, dict):
        return
    co, spent, budget = _num(ctx, c.get("field", "")), _num(ctx, c.get("spent", "")), _num(ctx, c.get("budget", ""))
    if co is None or spent is None or budget is None or co != 0 or budget <= 0:
        return
    tol = float(c.get("tolerance", 0.005))
    if spent >= budget * (1 - tol):
        return
    score_note = ""
    ind = c.get("indicator")
    if ind in ctx.ev.indicators:
        r = ctx.ev.indicators[ind]
        if r.score is not None and r.score >= r.eff_max - 1e-6:
            score_note = f"；“{ctx.fw.indicator(ind).name}”仍给了满分 {fmt_score(r.score)} 分"
    yield emit(ctx, "R12.carryover-zero", name=c["field"], expected=f"约 {fmt_yuan(budget - spent)}", actual=0,
               spent=fmt_yuan(spent), budget=fmt_yuan(budget), gap=fmt_yuan(budget - spent),
               rate=fmt_pct(spent / budget), score_note=score_note)


def _progress(ctx, cfg) -> Iterable:
    """The system's progress figure and the one from the amounts, when both are filled."""
    tol = float(cfg.get("progress_tolerance", 0.005))
    for p in cfg.get("progress_pairs", []):
        reported, spent, budget = _num(ctx, p.get("reported", "")), _num(ctx, p.get("spent", "")), \
            _num(ctx, p.get("budget", ""))
        if reported is None or spent is None or not budget:
            continue
        computed = spent / budget
        if abs(computed - reported) > tol:
            yield emit(ctx, "R12.progress-vs-amounts", name=p["reported"], expected=fmt_pct(computed),
                       actual=fmt_pct(reported), label=ctx.label(p["reported"]), reported=fmt_pct(reported),
                       computed=fmt_pct(computed))


def _years(ctx, cfg) -> Iterable:
    year = _year(ctx)
    if year is None or not cfg.get("check_years", True):
        return
    counts: dict[int, int] = {}
    first_future = None
    for name, cell, text, ind in text_cells(ctx):
        if "{" in text and "}" in text:
            text = re.sub(r"\{[^{}]*\}", "", text)  # placeholders give the right year by construction
        for m in _YEAR_RX.finditer(text):
            y = int(m.group(1))
            counts[y] = counts.get(y, 0) + 1
            if y > year + 1 and first_future is None:
                first_future = (name, cell, ind, text[max(0, m.start() - 8):m.end() + 6], y)
    if counts.get(year, 0) == 0 and counts.get(year - 1, 0) >= int(cfg.get("stale_year_min", 2)):
        yield emit(ctx, "R12.year-not-evaluated", name=ctx.contract.role("year"), prev=year - 1, prev_count=counts[year - 1], year=year)
    if first_future is not None:
        name, cell, ind, quote, y = first_future
        yield emit(ctx, "R12.year-future", name=name, cell=cell, indicator=ind, quote=quote, when=y, year=year)
    # staffing figures dated before the evaluation year (“截至2021年底，在编人员 14 人”)
    reader = ctx.fw.text_reader
    staff = set(cfg.get("staff_quantities", []))
    if reader is None or not staff:
        return
    for name, cell, text, ind in text_cells(ctx):
        for r in reader.read(text, year):
            if r.quantity in staff and r.role == "value" and r.when in ("prev", "other"):
                before = text[max(0, r.cue_start - 16):r.cue_start]
                ym = list(_YEAR_RX.finditer(before))
                if ym and int(ym[-1].group(1)) < year:
                    yield emit(ctx, "R12.stale-staffing", name=name, cell=cell, indicator=ind,
                               quote=text[max(0, r.cue_start - 16) + ym[-1].start():r.end],
                               when=int(ym[-1].group(1)), year=year)


def _full_marks(ctx, cfg) -> Iterable:
    """A rate below its full-marks target with the full score: severity as the framework declares."""
    spec = cfg.get("target_missed_full_marks")
    if not spec:
        return
    default = spec if isinstance(spec, str) else spec.get("default", "警告")
    per = spec if isinstance(spec, dict) else {}
    for ind in ctx.fw.indicators:
        rule = ind.rule
        if rule is None or rule.type != "proportional" or not ind.metric:
            continue
        full_at = float(rule.params.get("full_at", 1.0)) if hasattr(rule, "params") else 1.0
        r = ctx.ev.indicators[ind.id]
        v = _num(ctx, ind.metric)
        if v is None or r.score is None or v >= full_at - 1e-9 or r.score < r.eff_max - 1e-6:
            continue
        sev = per.get(ind.id, default)
        m = ctx.fw.metric(ind.metric)
        yield emit(ctx, "R12.target-missed-full-marks", severity=sev, name=ind.score_name, indicator=ind.id,
                   expected=f"< {fmt_score(r.eff_max)}", actual=r.score, indicator_name=ind.name,
                   metric_label=m.label if m else ctx.label(ind.metric), value=fmt_pct(v), target=fmt_pct(full_at),
                   score=fmt_score(r.score))

"""R08 figures in the text: what the notes and report paragraphs state, read with the
framework's pattern set (`[text_reader]`), against the workbook.

Year-aware (a figure stated for last year is compared with last year's field), unit-aware
(元/万元/亿元, %, 人/名/个), bounds (≥, 不低于, 目标 …) are never compared, and a figure whose
quantity the framework does not hold is not compared at all.
"""
from __future__ import annotations

import math
from typing import Iterable

from ..placeholders import Placeholders
from ..contract import TOTAL_SCORE
from ..numeric import excel_round, fmt_pct, fmt_score, fmt_wan, fmt_yuan, is_number
from ..reading import AMOUNT_UNITS, Reading
from .codes import declare, emit, text_cells

TEXT_CODES = {
    "R08.text-mismatch": ("错误", "文字“{quote}”与表中数值不一致：{shown}。请改正文字{hint}"),
    "R08.text-prev-mismatch": ("错误", "文字“{quote}”写的是上年的数，与表中{shown}不一致；请核对上年数"),
    "R08.text-growth-mismatch": ("错误", "文字“{quote}”中的增减幅度与按表中数据计算的{shown}不一致"),
    "R08.text-change-mismatch": ("错误", "文字“{quote}”中的增减额与按表中数据计算的{shown}不一致"),
    "R08.text-unit-slip": ("错误", "文字“{quote}”的单位与表中数值差一万倍：表中{shown}。请检查“元”与“万元”"),
    "R08.text-total-contradiction": ("错误", "文字“{quote}”与表中{shown}矛盾；报告不会替您改写这句话，请改正文字或改用占位符 {{总分}}"),
    "R08.text-arithmetic": ("错误", "文字“{quote}”中的数字彼此对不上：{detail}。请核对这句话里的本年数、上年数、增减额和增减幅度"),
    "R08.text-assumed": ("提示", "文字“{quote}”与按表中数据计算的{shown}不一致；该比率的合成公式为推断，请核对口径后统一"),
}
declare(TEXT_CODES)


def check_text_figures(ctx) -> Iterable:
    reader = ctx.fw.text_reader
    if reader is None:
        return
    y = ctx.ev.role("year")
    year = int(y) if is_number(y) and 1900 < float(y) < 2200 and float(y).is_integer() else None
    for name, cell, text, ind_id in text_cells(ctx):
        readings = reader.read(text, year)
        for r in readings:
            f = _check(ctx, reader.quantities[r.quantity], r, text, name, cell, ind_id)
            if f is not None:
                yield f
        yield from _arithmetic(ctx, readings, text, name, cell, ind_id)


def _arithmetic(ctx, readings: list[Reading], text: str, name, cell, ind_id) -> Iterable:
    """A sentence's own figures must agree: this year, last year, the change and the growth rate
    (“支出决算为3.46万元，较上年增加2.4万元，增长0.24%” cannot all be true). No workbook needed."""
    by_q: dict[str, dict[str, Reading]] = {}
    for r in readings:
        if r.when == "bound" or r.role == "share":
            continue
        slot = {("value", "this"): "v", ("value", "prev"): "p", ("change", "this"): "c", ("growth", "this"): "g"}.get(
            (r.role, r.when))
        if slot:
            by_q.setdefault(r.quantity, {}).setdefault(slot, r)
    for q, d in by_q.items():
        v, p, c, g = (d[k].scaled() if k in d else None for k in "vpcg")
        if "p" in d and not d["p"].unit and "v" in d and d["v"].unit in AMOUNT_UNITS:
            p = d["p"].value * AMOUNT_UNITS[d["v"].unit]  # “较上年2.08减少0.03万元”: the unit of the sentence
        if (v is None and p is None) or (c is None and (v is None or p is None)):
            continue
        if v is not None and p is not None:
            readings_of = [(v, p)]
        else:
            # one of this/last year is written: try it as either (“上年结转和结余 8.02 万元” is this year's item)
            x = v if v is not None else p
            readings_of = [(x, x - c), (x + c, x)]
        tries = [_problems(vv, pp, c, g, d) for vv, pp in readings_of]
        problems = min(tries, key=len)
        if problems:
            first = min(d.values(), key=lambda r: r.cue_start if r.cue_start >= 0 else r.start)
            last = max(d.values(), key=lambda r: r.end)
            start = first.cue_start if first.cue_start >= 0 else first.start
            yield emit(ctx, "R08.text-arithmetic", name=name, cell=cell, indicator=ind_id, actual=text[start:last.end],
                       quote=text[start:last.end][:80], detail="；".join(problems))


def _problems(v: float, p: float, c: float | None, g: float | None, d: dict) -> list[str]:
    out = []
    if "v" in d and "p" in d and c is not None:
        tol = _tol(d["v"]) + _tol(d["p"]) + _tol(d["c"])
        if abs(v - p - c) > tol:
            out.append(f"本年 {_fig(d['v'])} 减上年 {_fig(d['p'])} 应为 {_num(v - p, d['c'])}，文字写的是 {_fig(d['c'])}")
    if g is not None and p:
        calc = (v - p) / p
        tol = max(0.0006, abs(calc) * 0.02) + 10 ** -(d["g"].decimals + 2)
        if abs(calc - g) > tol:
            out.append(f"按本年与上年算出的增减幅度为 {calc * 100:.2f}%，文字写的是 {d['g'].value:g}%")
    return out


def _tol(r: Reading) -> float:
    return 0.5 * 10 ** -r.decimals * (AMOUNT_UNITS.get(r.unit, 1.0) if r.unit in AMOUNT_UNITS else 1.0) + 1e-9


def _fig(r: Reading) -> str:
    return f"{r.written}{r.unit}"


def _num(x: float, like: Reading) -> str:
    return f"{x / AMOUNT_UNITS.get(like.unit, 1.0):,.{like.decimals}f}{like.unit}"


def _report_name(ctx) -> str:
    return ctx.contract.table("report_text").column("text")


def _from_empty_table(ctx, name: str, depth: int = 0) -> bool:
    """A count over a table nobody filled (项目个数 0 of an empty 项目清单) is not a figure to compare."""
    m = ctx.fw.metric(name)
    if m is None or depth > 4:
        return False
    for a in m.args:
        if ctx.contract.table_of(a) is not None and not any(
                c.value not in (None, "") for c in ctx.book.column(a)):
            return True
        if _from_empty_table(ctx, a, depth + 1):
            return True
    return False


def _values(ctx, names) -> list[tuple[str, float]]:
    out = []
    for n in names:
        if _from_empty_table(ctx, n):
            continue
        try:
            v = ctx.ev.value(n)
        except KeyError:
            continue  # a name this framework does not have: silent
        if is_number(v):
            out.append((n, float(v)))
    return out


def _check(ctx, q, r: Reading, text: str, name, cell, ind_id):
    if r.when in ("bound", "other") or r.role == "share":
        return None
    if r.role == "value":
        names = q.this if r.when == "this" else q.prev
        if q.id == "score" and r.when == "this" and not names:
            # “自评得分 X 分”: in an indicator's note it is that indicator's score; in the report, the total
            names = (ctx.fw.indicator(ind_id).score_name,) if ind_id else \
                ((ctx.contract.role("total") or TOTAL_SCORE,) if name == _report_name(ctx) else ())
        values = _values(ctx, names)
        if q.id == "score" and ind_id and r.when == "this":
            sc = ctx.ev.indicators[ind_id].score if ind_id in ctx.ev.indicators else None
            values = [(names[0], float(sc))] if is_number(sc) else []
    elif r.role == "growth":
        names = q.growth
        values = [(n, v * 100.0) for n, v in _values(ctx, names)]
    else:  # change against last year: this − prev
        this, prev = _values(ctx, q.this[:1]), _values(ctx, q.prev[:1])
        if not this or not prev:
            return None
        names = q.this[:1]
        values = [(q.this[0], (this[0][1] - prev[0][1]) / _scale(r.unit))]
    if not values:
        return None  # the framework lacks this quantity, or it is not filled: nothing to compare
    if r.role == "value":
        values = [(n, v / _scale(r.unit) if r.unit in AMOUNT_UNITS else (v * 100.0 if r.unit == "%" else v))
                  for n, v in values]
    if any(_same(v, r) for _, v in values):
        return None
    quote = r.quote(text)
    shown = "；".join(_shown(ctx, n, v, r) for n, v in values)
    key = ctx.label(names[0]) if names else ""
    kw = dict(name=name, cell=cell, indicator=ind_id, expected=shown, actual=quote, quote=quote, shown=shown)
    if r.role == "value" and r.unit in AMOUNT_UNITS and any(_same(v * 1e4, r) or _same(v / 1e4, r) for _, v in values):
        return emit(ctx, "R08.text-unit-slip", **kw)
    assumed = all(ctx.fw.metric(n) is not None and ctx.fw.metric(n).assumption for n, _ in values)
    if assumed:
        return emit(ctx, "R08.text-assumed", **kw)
    if r.quantity == TOTAL_SCORE or TOTAL_SCORE in names or (r.quantity == "score" and not ind_id):
        return emit(ctx, "R08.text-total-contradiction", **kw)
    if r.role == "growth":
        return emit(ctx, "R08.text-growth-mismatch", **kw)
    if r.role == "change":
        return emit(ctx, "R08.text-change-mismatch", **kw)
    if r.when == "prev":
        return emit(ctx, "R08.text-prev-mismatch", **kw)
    hint = f"，或改用占位符 {{{key}}} 引用表中数值" if key and key in Placeholders(ctx.fw).keys() else ""
    return emit(ctx, "R08.text-mismatch", hint=hint, **kw)


def _scale(unit: str) -> float:
    return AMOUNT_UNITS.get(unit, 1.0)


def _same(v: float, r: Reading) -> bool:
    """The workbook's value, shown with the text's decimals (rounded or cut), is what the text says."""
    nd = r.decimals
    scaled = abs(v) * 10 ** nd
    if not (math.isfinite(scaled) and math.isfinite(r.value)):  # inf/nan or beyond float range: never equal
        return False
    tol = 10 ** -(nd + 3)
    if abs(excel_round(v, nd) - r.value) < tol:
        return True
    cut = int(scaled) / 10 ** nd * (1 if v >= 0 else -1)
    return abs(cut - r.value) < tol


def _shown(ctx, name: str, v: float, r: Reading) -> str:
    label = ctx.label(name)
    if r.role == "growth":
        return f"{label} {'增长' if v >= 0 else '降低'} {fmt_pct(abs(v) / 100)}"
    if r.role == "change":
        return f"{label}比上年{'增加' if v >= 0 else '减少'} {abs(v):,.2f} {r.unit or '元'}"
    if r.unit in AMOUNT_UNITS:
        yuan = v * _scale(r.unit)
        return f"{label} {fmt_yuan(yuan)} 元" + (f"（即 {fmt_wan(yuan)} 万元）" if r.unit == "万元" else "")
    if r.unit == "%":
        return f"{label} {fmt_pct(v / 100)}"
    return f"{label} {fmt_score(v)}"

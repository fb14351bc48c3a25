"""R08 figures in the text: what the notes and report paragraphs state, read with the
framework's pattern set (`[text_reader]`), against the workbook.

Year-aware (a figure stated for last year is compared with last year's field), unit-aware
(元/万元/亿元, %, 人/名/个), bounds (≥, 不低于, 目标 …) are never compared, and a figure whose
quantity the framework does not hold is not compared at all.
"""
from __future__ import annotations

from typing import Iterable

from ..numeric import excel_round, fmt_pct, fmt_score, fmt_wan, fmt_yuan, is_number
from ..reading import AMOUNT_UNITS, Reading
from .codes import declare, emit, text_cells

TEXT_CODES = {
    "R08.text-mismatch": ("错误", "文字“{quote}”与表中数值不一致：{shown}。请改正文字，或改用占位符（如 {{{key}}}）引用表中数值"),
    "R08.text-prev-mismatch": ("错误", "文字“{quote}”写的是上年的数，与表中{shown}不一致；请核对上年数"),
    "R08.text-growth-mismatch": ("错误", "文字“{quote}”中的增减幅度与按表中数据计算的{shown}不一致"),
    "R08.text-change-mismatch": ("错误", "文字“{quote}”中的增减额与按表中数据计算的{shown}不一致"),
    "R08.text-unit-slip": ("错误", "文字“{quote}”的单位与表中数值差一万倍：表中{shown}。请检查“元”与“万元”"),
    "R08.text-total-contradiction": ("错误", "文字“{quote}”与表中{shown}矛盾；报告不会替您改写这句话，请改正文字或改用占位符 {{总分}}"),
    "R08.text-assumed": ("提示", "文字“{quote}”与按表中数据计算的{shown}不一致；该比率的合成公式为推断，请核对口径后统一"),
}
declare(TEXT_CODES)


def check_text_figures(ctx) -> Iterable:
    reader = ctx.fw.text_reader
    if reader is None:
        return
    y = ctx.ev.inputs.get("f_year")
    year = int(y) if is_number(y) and 1900 < float(y) < 2200 and float(y).is_integer() else None
    for name, cell, text, ind_id in text_cells(ctx):
        for r in reader.read(text, year):
            f = _check(ctx, reader.quantities[r.quantity], r, text, name, cell, ind_id)
            if f is not None:
                yield f


def _values(ctx, names) -> list[tuple[str, float]]:
    out = []
    for n in names:
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
        values = _values(ctx, names)
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
    if r.quantity == "total_score" or "total_score" in names:
        return emit(ctx, "R08.text-total-contradiction", **kw)
    if r.role == "growth":
        return emit(ctx, "R08.text-growth-mismatch", **kw)
    if r.role == "change":
        return emit(ctx, "R08.text-change-mismatch", **kw)
    if r.when == "prev":
        return emit(ctx, "R08.text-prev-mismatch", **kw)
    return emit(ctx, "R08.text-mismatch", key=key, **kw)


def _scale(unit: str) -> float:
    return AMOUNT_UNITS.get(unit, 1.0)


def _same(v: float, r: Reading) -> bool:
    """The workbook's value, shown with the text's decimals (rounded or cut), is what the text says."""
    nd = r.decimals
    tol = 10 ** -(nd + 3)
    if abs(excel_round(v, nd) - r.value) < tol:
        return True
    cut = int(abs(v) * 10 ** nd) / 10 ** nd * (1 if v >= 0 else -1)
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

"""The formula of every computed cell, built from the framework.

The template writes these; validation compares a workbook's formulas against them (a
formula overwritten with a number, or edited) — one source, so the two cannot drift.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Mapping

from .contract import ADJ_TOTAL, GRADE, TOTAL_SCORE
from .framework import Framework, Indicator
from . import native
from .metrics import excel_formula, legacy_formula, udf_names
from .model import META_FRAMEWORK
from .scoring import rule_inputs


def max_formula(fw: Framework, ind: Indicator) -> str | float:
    """适用分值: the nominal maximum moved by reallocations whose condition holds."""
    parts = []
    for r in fw.reallocations:
        delta = (-r.points if r.source == ind.id else 0) + (r.points if r.target == ind.id else 0)
        if delta:
            parts.append(f'IF({r.when_field}="{r.when_value}",{delta:g},0)')
    if not parts:
        return ind.max
    return f"={ind.max:g}+" + "+".join(parts)


SUGGEST_UDF = "SUGGEST_SCORE"


def template_udfs() -> list[str]:
    """Every add-in function the template's formulas call."""
    return sorted(udf_names() + [SUGGEST_UDF])


def _suggest_call(ind: Indicator) -> str:
    args = [META_FRAMEWORK, f'"{ind.id}"', ind.max_name] + rule_inputs(ind)
    return f"{SUGGEST_UDF}({','.join(args)})"


def suggest_formula(fw: Framework, ind: Indicator) -> str | None:
    """SUGGEST_SCORE guarded by the rule's native expression (addin/core/native.py)."""
    if ind.rule is None:
        return None
    return "=" + native.guarded(_suggest_call(ind), native.suggest_expr(fw, ind, ind.max_name, rule_inputs(ind)))


def value_formula(ind: Indicator) -> str | None:
    return f"={ind.metric}" if ind.metric else None


def adj_total_formula(fw: Framework) -> str:
    plus = [a.score_name for a in fw.adjustments if a.sign > 0]
    minus = [a.score_name for a in fw.adjustments if a.sign < 0]
    return f"=SUM({','.join(plus) or '0'})-SUM({','.join(minus) or '0'})"


def total_formula(fw: Framework) -> str:
    groups = ",".join([g[3] for g in fw.score_groups()] + [a.score_name for a in fw.adjustments if a.sign > 0])
    minus = ",".join(a.score_name for a in fw.adjustments if a.sign < 0) or "0"
    total = f"SUM({groups})-SUM({minus})"
    if fw.total_cap is not None:
        total = f"MIN({fw.total_cap:g},{total})"
    return "=" + total


def grade_formula(fw: Framework) -> str:
    grades = sorted(fw.grades, key=lambda g: -g.min)
    expr = f'"{grades[-1].name}"'
    for g in reversed(grades[:-1]):
        expr = f'IF({TOTAL_SCORE}>={g.min:g},"{g.name}",{expr})'
    return "=" + expr


def _per_framework(kind: str, fw: Framework, make) -> Mapping:
    """make(fw), made once per Framework object (as contract_for: nothing changes a loaded one).
    Shared by every caller: read it, never change it."""
    key = f"_formulas_{kind}"
    value = fw.__dict__.get(key)
    if value is None:
        value = fw.__dict__[key] = make(fw)
    return value


def computed_formulas(fw: Framework) -> Mapping[str, str]:
    """name -> formula for every single-cell computed name."""
    return _per_framework("computed", fw, _computed_formulas)


def _computed_formulas(fw: Framework) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in fw.metrics:
        out[m.name] = excel_formula(m)
    for ind in fw.indicators:
        mx = max_formula(fw, ind)
        if isinstance(mx, str):
            out[ind.max_name] = mx
        if ind.metric:
            out[ind.value_name] = value_formula(ind)
        if ind.rule:
            out[ind.suggest_name] = suggest_formula(fw, ind)
    for l2 in fw.level2:
        out[l2.subtotal_name] = f"=SUM({','.join(i.score_name for i in fw.indicators_of(l2.id))})"
    for l1 in fw.level1:
        out[l1.total_name] = f"=SUM({','.join(i.score_name for i in fw.indicators_of_level1(l1.id))})"
    if fw.target is not None:
        from .target import group_total_formula  # noqa: PLC0415

        for g in fw.target.groups:
            out[g.total_name] = group_total_formula(g, "score")
            out[g.weight_sum_name] = group_total_formula(g, "weight")
    out[ADJ_TOTAL] = adj_total_formula(fw)
    out[TOTAL_SCORE] = total_formula(fw)
    out[GRADE] = grade_formula(fw)
    return out


def accepted_formulas(fw: Framework) -> Mapping[str, tuple[str, ...]]:
    """name -> formulas a workbook may carry: today's, then older templates' (bare UDF calls)."""
    return _per_framework("accepted", fw, _accepted_formulas)


def _accepted_formulas(fw: Framework) -> dict[str, tuple[str, ...]]:
    out = {name: [f] for name, f in computed_formulas(fw).items()}
    for m in fw.metrics:
        old = legacy_formula(m)
        if old:
            out[m.name].append(old)
    for ind in fw.indicators:
        if ind.rule is not None:
            out[ind.suggest_name].append("=" + _suggest_call(ind))
    return {name: tuple(v) for name, v in out.items()}


_NUMBER = re.compile(r"(?<![A-Z0-9_.!:$])(\d+\.?\d*(?:E[+-]?\d+)?)(?![A-Z0-9_(!:])")


def _canonical_number(m: re.Match) -> str:
    try:
        return repr(float(m.group(1)))
    except ValueError:  # pragma: no cover - the pattern only matches numbers
        return m.group(1)


def _split_strings(s: str, fn) -> str:
    """Apply fn to the parts of a formula outside "string literals"."""
    parts = s.split('"')
    return '"'.join(fn(p) if i % 2 == 0 else p for i, p in enumerate(parts))


_ADDIN_PATH = re.compile(r"'[^']*\.xla[mx]?'!|\[\d+\]!|_XLFN\.|_XLL\.|_XLUDF\.", re.IGNORECASE)


@lru_cache(maxsize=8192)  # workbooks of one template repeat the same formulas
def normalize_formula(f: str) -> str:
    """Compare formulas as Excel would: case, $, spaces, add-in path qualifiers and _xlfn. do not matter."""
    s = _ADDIN_PATH.sub("", f.strip())
    out, in_str = [], False
    for ch in s:
        if ch == '"':
            in_str = not in_str
            out.append(ch)
        elif in_str:
            out.append(ch)
        elif ch not in " $\n\r\t":
            out.append(ch.upper())
    s = "".join(out).replace("TRUE()", "TRUE").replace("FALSE()", "FALSE")  # LibreOffice writes TRUE()
    s = _split_strings(s, lambda part: _NUMBER.sub(_canonical_number, part))  # 1E-12 == 0.000000000001
    return s if s.startswith("=") else "=" + s

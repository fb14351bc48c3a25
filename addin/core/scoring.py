"""Suggested scores and effective maxima from the framework's rules.

Inputs are the values as the cells show them (numbers, or the short Chinese message a
rate cell shows when it cannot compute), so Excel's SUGGEST_SCORE and the command line
give the same result. A metric that is 'not applicable' (0/0, e.g. no procurement) shows
a text beginning with NA_PREFIX.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from .errors import CalcError
from .framework import Framework, Indicator
from .numeric import excel_round, fmt_pct, fmt_score, is_blank, is_error_value, is_number

NA_PREFIX = "不适用"
# Messages a 建议得分 cell shows; addin/core/native.py writes the same texts into the fallback formulas.
SUGGEST_MESSAGES = {
    "missing": "{what}为空，无法给出建议得分",
    "no_value": "{what}无法计算，无建议得分",
    "not_applicable": "计算值不适用，无建议得分",
    "bad_count": "扣分项个数无法计算",
    "manual": "计算值未{word} {shown}，需人工评分",
    "no_max": "适用分值无效",
}


def effective_max(fw: Framework, ind_id: str, field_value: Callable[[str], Any]) -> float:
    """Maximum score this year: the nominal one, moved by reallocations whose condition holds."""
    mx = fw.indicator(ind_id).max
    for r in fw.reallocations:
        if field_value(r.when_field) == r.when_value:
            if r.source == ind_id:
                mx -= r.points
            if r.target == ind_id:
                mx += r.points
    return mx


def realloc_note(fw: Framework, ind_id: str, field_value: Callable[[str], Any]) -> str:
    """'含无转移支付 3 分' style remark for the report, or ''."""
    parts = []
    for r in fw.reallocations:
        if r.target == ind_id and field_value(r.when_field) == r.when_value:
            src = fw.indicator(r.source).name
            parts.append(f"含{src}转入 {fmt_score(r.points)} 分")
    return "，".join(parts)


def _value(v: Any, what: str) -> float | None:
    """A number, None for 'not applicable', CalcError otherwise."""
    if isinstance(v, str) and v.startswith(NA_PREFIX):
        return None
    if is_blank(v):
        raise CalcError("missing", SUGGEST_MESSAGES["missing"].format(what=what))
    if is_error_value(v) or not is_number(v):
        raise CalcError("no_value", SUGGEST_MESSAGES["no_value"].format(what=what))
    return float(v)


def suggest(fw: Framework, ind: Indicator, eff_max: Any, values: list[Any]) -> tuple[float, str]:
    """(suggested score, how it was derived). Raises CalcError when there is none."""
    if ind.rule is None:
        raise CalcError("qualitative", "定性指标，无建议得分")
    if not is_number(eff_max) or eff_max < 0:
        raise CalcError("no_max", SUGGEST_MESSAGES["no_max"])
    mx = float(eff_max)
    p = ind.rule.params
    t = ind.rule.type
    nd = fw.suggest_decimals
    if mx == 0:
        return 0.0, "本年度不考核（适用分值为 0）"
    if t == "proportional":
        v = _value(values[0] if values else None, "计算值")
        if v is None:
            if p.get("no_base") == "max":
                return mx, "不适用（无预算基数），按满分"
            raise CalcError("not_applicable", SUGGEST_MESSAGES["not_applicable"])
        full_at = float(p.get("full_at", 1.0))
        score = max(0.0, min(mx, mx * v / full_at))
        return excel_round(score, nd), f"按比例计分：{fmt_score(mx)} × {fmt_pct(v)} = {fmt_score(excel_round(score, nd))}"
    if t == "deduct_per_item":
        n = _value(values[0] if values else None, "扣分项个数")
        if n is None or n < 0:
            raise CalcError("no_value", SUGGEST_MESSAGES["bad_count"])
        per = float(p["per_item"])
        score = max(0.0, mx - per * n)
        return excel_round(score, nd), f"每项扣 {fmt_score(per)} 分：{fmt_score(mx)} − {fmt_score(per)} × {n:g} = {fmt_score(excel_round(score, nd))}"
    if t == "threshold":
        v = _value(values[0] if values else None, "计算值")
        if v is None:
            return mx, "不适用，按满分"
        th = float(p["threshold"])
        ok = v <= th + 1e-12 if p["op"] == "le" else v >= th - 1e-12
        words = threshold_words(fw, ind)
        if ok:
            return mx, "计算值{word} {shown}，得满分".format(**words)
        per = p.get("deduct_per_point")
        if per is None:
            raise CalcError("manual", SUGGEST_MESSAGES["manual"].format(**words))
        points = abs(v - th) * 100
        score = max(0.0, mx - float(per) * points)
        return excel_round(score, nd), f"超出 {points:.2f} 个百分点，每个百分点扣 {per:g} 分"
    if t == "conditions":
        items = p["items"]
        if len(values) < len(items):
            raise CalcError("no_value", "计算值个数不足")
        score, parts = 0.0, []
        for it, raw in zip(items, values):
            m = fw.metric(it["metric"])
            label = m.label if m else it["metric"]
            v = _value(raw, label)
            ok = v is None or (v <= it["threshold"] + 1e-12 if it["op"] == "le" else v >= it["threshold"] - 1e-12)
            if ok:
                score += float(it["points"])
            parts.append(f"{label}{'符合' if ok else '不符合'}（{fmt_score(it['points'])} 分）")
        score = min(score, mx)
        return excel_round(score, nd), "；".join(parts)
    raise CalcError("bad_rule", f"未知评分规则 {t}")  # pragma: no cover - the loader refuses these


def threshold_words(fw: Framework, ind: Indicator) -> dict[str, str]:
    """{word, shown} of a threshold rule: '不超过', '0%'."""
    p = ind.rule.params
    th = float(p["threshold"])
    m = fw.metric(ind.metric) if ind.metric else None
    return {"word": "不超过" if p["op"] == "le" else "不低于",
            "shown": fmt_pct(th) if m is not None and m.is_rate else f"{th:g}"}


def rule_inputs(ind: Indicator) -> list[str]:
    """Names whose values the rule reads, in order (the SUGGEST_SCORE arguments after the max)."""
    if ind.rule is None:
        return []
    if ind.rule.type == "deduct_per_item":
        return [ind.rule.params["count"]]
    if ind.rule.type == "conditions":
        return [it["metric"] for it in ind.rule.params["items"]]
    return [ind.metric] if ind.metric else []


def suggest_for(framework_id: Any, indicator_id: Any, eff_max: Any, values: list[Any]) -> float:
    """SUGGEST_SCORE's core: the suggested score for an indicator of a bundled framework."""
    from .errors import FrameworkError  # noqa: PLC0415
    from .framework import load_framework  # noqa: PLC0415

    if not isinstance(framework_id, str) or not isinstance(indicator_id, str):
        raise CalcError("bad_args", "指标体系或指标 id 不是文字")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", framework_id):  # an id, never a path from a workbook
        raise CalcError("bad_framework", "指标体系 id 无效")
    try:
        fw = load_framework(framework_id)
    except FrameworkError:
        raise CalcError("bad_framework", f"找不到指标体系 {framework_id}") from None
    try:
        ind = fw.indicator(indicator_id)
    except KeyError:
        raise CalcError("bad_indicator", f"指标 {indicator_id} 不在指标体系中") from None
    return suggest(fw, ind, eff_max, values)[0]

"""校验 of the target-table family (T01–T12): the department's own indicator rows and the budget block.

Every rule is silent when the framework has no [target] section (the fixed-indicator family),
and each part is silent when the framework lacks the names it needs (no reason field, no
conclusion field…), so a province's variant that leaves a part out gets no false finding.
"""
from __future__ import annotations

import re
from typing import Iterable

from .. import contract as ct
from ..findings import ERROR, INFO, WARNING, Finding
from ..model import Cell
from ..numeric import fmt_pct, fmt_score, is_blank, is_number
from ..target import QUAL, RowResult, column_name, looks_like_target, nature_kind, unit_of
from .context import Context
from .registry import rule

_EPS = 1e-6


def _cell(r: RowResult, col: str) -> Cell | None:
    where = r.row.coords.get(col)
    return Cell(where[0], where[1], r.row.get(col)) if where else None


def _rows(ctx: Context) -> list[RowResult]:
    return [r for r in ctx.ev.rows if not r.row.is_empty] if ctx.fw.target is not None else []


def _label(r: RowResult) -> str:
    name = str(r.row.get("name") or "").strip()
    return f"第 {r.row.index + 1} 行“{name[:30]}”" if name else f"第 {r.row.index + 1} 行"


@rule("T01.row-scores", "三级指标得分", "得分不超过分值；得满分而完成率不足；失分须写偏差原因", codes={
    "T01.score-over-weight": (ERROR, "{table}{row}：得分 {score} 超过该指标的分值 {weight}"),
    "T01.full-marks-not-met": (WARNING, "{table}{row}：完成率为 {ratio}，未完成年度指标值，却给了满分 {weight}；"
                                        "建议得分 {suggested}"),
    "T01.reason-missing": (WARNING, "{table}{row}：扣了 {lost} 分，但“偏差原因分析及改进措施”为空"),
    "T01.score-missing": (WARNING, "{table}{row}：填了指标却没有填得分"),
})
def check_row_scores(ctx: Context) -> Iterable[Finding]:
    sheet = ctx.fw.target.sheet if ctx.fw.target else ""
    for r in _rows(ctx):
        if r.row.is_placeholder:
            continue
        w, s = r.weight, r.score
        if s is None and is_blank(r.row.get("score")) and not is_blank(r.row.get("name")) and w \
                and not is_blank(r.row.get("actual")):
            yield ctx.emit("T01.score-missing", cell=_cell(r, "score"), name=column_name("score"), table=sheet, row=_label(r))
        if w is None or s is None:
            continue
        if s > w + _EPS:
            yield ctx.emit("T01.score-over-weight", cell=_cell(r, "score"), name=column_name("score"), expected=w, actual=s,
                           table=sheet, row=_label(r), score=fmt_score(s), weight=fmt_score(w))
        elif abs(s - w) <= _EPS and r.ratio is not None and r.ratio < 1 - _EPS and w > 0:
            yield ctx.emit("T01.full-marks-not-met", cell=_cell(r, "score"), name=column_name("score"),
                           expected=r.suggested, actual=s, table=sheet, row=_label(r), ratio=fmt_pct(r.ratio),
                           weight=fmt_score(w), suggested=fmt_score(r.suggested) if r.suggested is not None else "—")
        if s < w - _EPS and is_blank(str(r.row.get("reason") or "").strip()):
            yield ctx.emit("T01.reason-missing", cell=_cell(r, "reason"), name=column_name("reason"), table=sheet,
                           row=_label(r), lost=fmt_score(w - s))


@rule("T02.row-values", "年度指标值与实际完成值", "实际完成值写成目标（含 ≥ ≤ =）；完成值与指标值单位不同；完成值远超目标", codes={
    "T02.target-as-actual": (ERROR, "{table}{row}：实际完成值“{value}”写成了目标的形式（含比较符号），请填写实际达到的数值"),
    "T02.unit-mismatch": (WARNING, "{table}{row}：实际完成值的单位“{actual_unit}”与年度指标值的单位“{unit}”不同，完成率无法比较"),
    "T02.not-computable": (WARNING, "{table}{row}：完成率无法计算（{problem}）"),
    "T02.overrun": (INFO, "{table}{row}：实际完成值为年度指标值的 {ratio}，大幅超出目标，请核实目标设置是否偏低"),
})
def check_row_values(ctx: Context) -> Iterable[Finding]:
    spec = ctx.fw.target
    for r in _rows(ctx):
        if r.row.is_placeholder:
            continue
        sheet, actual = spec.sheet, r.row.get("actual")
        if looks_like_target(actual):
            yield ctx.emit("T02.target-as-actual", cell=_cell(r, "actual"), name=column_name("actual"), actual=actual,
                           table=sheet, row=_label(r), value=actual)
            continue
        kind = nature_kind(spec, r.row.get("nature"))
        unit = str(r.row.get("unit") or "").strip() or unit_of(r.row.get("target"))
        au = unit_of(actual)
        if kind != QUAL and au and unit and au != unit:
            yield ctx.emit("T02.unit-mismatch", cell=_cell(r, "actual"), name=column_name("actual"), expected=unit, actual=au,
                           table=sheet, row=_label(r), unit=unit, actual_unit=au)
            continue
        if r.ratio_error is not None and r.row.computes:
            yield ctx.emit("T02.not-computable", cell=_cell(r, "actual"), name=column_name("actual"), table=sheet,
                           row=_label(r), problem=r.ratio_error.message)
        elif r.ratio is not None and kind in ("ge",) and r.ratio > 1 + spec.overrun_tolerance:
            yield ctx.emit("T02.overrun", cell=_cell(r, "actual"), name=column_name("actual"), table=sheet, row=_label(r),
                           ratio=fmt_pct(r.ratio))


@rule("T03.rows", "三级指标行", "一级、二级指标须取框架规定的值；指标性质可识别；同一指标不重复；表单的空白示例行", codes={
    "T03.unknown-level1": (ERROR, "{table}{row}：一级指标“{value}”不在本指标体系中（{choices}），该行得分不计入任何一级指标"),
    "T03.unknown-level2": (WARNING, "{table}{row}：二级指标“{value}”不属于“{level1}”（{choices}）"),
    "T03.nature-unknown": (WARNING, "{table}{row}：指标性质“{value}”无法识别（应为 ≥、≤、= 或 定性）"),
    "T03.weight-missing": (WARNING, "{table}{row}：没有填写分值"),
    "T03.duplicate": (WARNING, "{table}{row}：与第 {first} 行是同一指标（一级、二级、三级相同），请合并或删除"),
    "T03.placeholder": (INFO, "{table}{row}：是表单的空白示例行，请填写或删除"),
})
def check_rows(ctx: Context) -> Iterable[Finding]:
    spec = ctx.fw.target
    seen: dict[tuple, int] = {}
    for r in _rows(ctx):
        sheet = spec.sheet
        if r.row.is_placeholder:
            yield ctx.emit("T03.placeholder", cell=_cell(r, "name"), name=column_name("name"), table=sheet, row=_label(r))
            continue
        l1 = r.row.get("level1")
        if r.group is None:
            yield ctx.emit("T03.unknown-level1", cell=_cell(r, "level1"), name=column_name("level1"), actual=l1, table=sheet,
                           row=_label(r), value="" if l1 is None else l1, choices="、".join(g.name for g in spec.groups))
        else:
            l2 = str(r.row.get("level2") or "").strip()
            if l2 and l2 not in r.group.level2 and l2 + "指标" not in r.group.level2:
                yield ctx.emit("T03.unknown-level2", cell=_cell(r, "level2"), name=column_name("level2"), actual=l2,
                               table=sheet, row=_label(r), value=l2, level1=r.group.name,
                               choices="、".join(r.group.level2))
        nat = r.row.get("nature")
        if not is_blank(nat) and nature_kind(spec, nat) is None:
            yield ctx.emit("T03.nature-unknown", cell=_cell(r, "nature"), name=column_name("nature"), actual=nat, table=sheet,
                           row=_label(r), value=nat)
        if r.weight is None and not is_blank(r.row.get("name")):
            yield ctx.emit("T03.weight-missing", cell=_cell(r, "weight"), name=column_name("weight"), table=sheet, row=_label(r))
        key = tuple(re.sub(r"\s+", "", str(r.row.get(c) or "")) for c in ("level1", "level2", "name"))
        if key[2]:
            if key in seen:
                yield ctx.emit("T03.duplicate", cell=_cell(r, "name"), name=column_name("name"), table=sheet, row=_label(r),
                               first=seen[key] + 1)
            else:
                seen[key] = r.row.index


@rule("T04.weights", "一级指标分值", "各一级指标下三级指标的分值之和等于该一级指标的分值", codes={
    "T04.weight-sum": (ERROR, "“{group}”下三级指标的分值合计为 {got}，应为 {want}（指标体系规定的一级指标分值）"),
    "T04.group-empty": (WARNING, "“{group}”（{want} 分）下没有任何三级指标"),
    "T04.table-empty": (WARNING, "“{table}”表中没有任何三级指标，绩效指标 {want} 分无从评价；请逐行填写本单位的三级指标"),
})
def check_weights(ctx: Context) -> Iterable[Finding]:
    spec = ctx.fw.target
    if spec is None:
        return
    if not _rows(ctx):
        name = ctx.contract.tables["indicators"].key if "indicators" in ctx.contract.tables else None
        cells = ctx.book.column(name) if name else []
        yield ctx.emit("T04.table-empty", cell=cells[0] if cells else None, name=name, table=spec.sheet,
                       want=fmt_score(spec.weight_total))
        return
    for g in spec.groups:
        got = ctx.ev.weight_sums.get(g.id, 0.0)
        has_rows = any(r.group is g for r in ctx.ev.rows if not r.row.is_empty)
        if not has_rows:
            yield ctx.emit("T04.group-empty", name=g.weight_sum_name, expected=g.weight, group=g.name,
                           want=fmt_score(g.weight))
        elif abs(got - g.weight) > _EPS:
            yield ctx.emit("T04.weight-sum", name=g.weight_sum_name, expected=g.weight, actual=got, group=g.name,
                           want=fmt_score(g.weight), got=fmt_score(got))


def _value(ctx: Context, name: str):
    if not name:
        return None
    try:
        return ctx.ev.value(name)
    except KeyError:
        return None


@rule("T05.budget", "年度预算执行情况", "执行率低于阈值或年中调整预算须说明原因；执行率须以全年预算数为分母", codes={
    "T05.low-rate-no-reason": (WARNING, "预算执行率为 {rate}，低于 {threshold}，但没有说明原因（{field}）"),
    "T05.adjusted-no-reason": (WARNING, "全年预算数（{full}）与年初预算数（{initial}）不同（年中调整预算），但没有说明调整原因（{field}）"),
    "T05.rate-on-initial": (ERROR, "{where}写的执行率 {written} 是“全年执行数 ÷ 年初预算数”；执行率应以全年预算数为分母，为 {rate}"),
    "T05.reason-too-long": (INFO, "执行率或预算调整的原因说明有 {n} 字，表式要求 {limit} 字以内"),
    "T05.score-on-initial": (WARNING, "预算执行率得分 {score} 按年初预算口径计算（{max} × {initial}）；按全年预算口径应为 {suggested}"),
})
def check_budget(ctx: Context) -> Iterable[Finding]:
    spec = ctx.fw.target
    if spec is None:
        return
    rate = _value(ctx, spec.rate_metric)
    initial, full, spent = (_value(ctx, n) for n in (spec.budget_initial, spec.budget_full, spec.budget_exec))
    reason = _value(ctx, spec.reason_field) if spec.reason_field else None
    has_reason = isinstance(reason, str) and bool(reason.strip())
    field_label = ctx.label(spec.reason_field) if spec.reason_field else ""
    if spec.reason_field and is_number(rate) and rate < spec.reason_threshold - _EPS and not has_reason:
        yield ctx.emit("T05.low-rate-no-reason", name=spec.reason_field, actual=rate, rate=fmt_pct(rate),
                       threshold=fmt_pct(spec.reason_threshold), field=field_label)
    if has_reason and spec.reason_max_chars and len(reason.strip()) > spec.reason_max_chars:
        yield ctx.emit("T05.reason-too-long", name=spec.reason_field, n=len(reason.strip()),
                       limit=spec.reason_max_chars)
    adjusted = is_number(initial) and is_number(full) and abs(full - initial) > 0.005
    if spec.reason_field and adjusted and not has_reason:
        yield ctx.emit("T05.adjusted-no-reason", name=spec.reason_field, full=f"{full:,.2f} 元",
                       initial=f"{initial:,.2f} 元", field=field_label)
    if not (adjusted and is_number(spent) and is_number(rate) and initial):
        return
    wrong = spent / initial
    # texts where a rate is written: the reason, the conclusion, the exec indicator's note, 报告文字
    texts = [n for n in (spec.reason_field, spec.conclusion_field) if n]
    if spec.exec_indicator:
        texts.append(ctx.fw.indicator(spec.exec_indicator).note_name)
    cells = [(n, ctx.book.cell(n)) for n in texts]
    table = ctx.contract.tables.get("report_text")
    if table is not None:
        tn = table.column("text")
        cells += [(tn, c) for c in ctx.book.column(tn)]
    for name, c in cells:
        if c is None or not isinstance(c.value, str):
            continue
        for m in re.finditer(r"执行率[^0-9，。；]{0,6}?(\d+(?:\.\d+)?)\s*[%％]", c.value):
            v = float(m.group(1)) / 100
            if abs(v - wrong) <= 0.00006 and abs(v - rate) > 0.00006:
                yield ctx.emit("T05.rate-on-initial", cell=c, name=name, expected=rate, actual=v,
                               where=ctx.label(name), written=m.group(1) + "%", rate=fmt_pct(rate))
    if spec.exec_indicator:
        ind = ctx.fw.indicator(spec.exec_indicator)
        res = ctx.ev.indicators.get(ind.id)
        if res and res.score is not None and res.suggested is not None:
            on_initial = round(min(res.eff_max, res.eff_max * wrong), ctx.fw.suggest_decimals)
            if abs(res.score - on_initial) < 0.005 and abs(res.score - res.suggested) >= 0.005:
                yield ctx.emit("T05.score-on-initial", name=ind.score_name, indicator=ind.name,
                               expected=res.suggested, actual=res.score, score=fmt_score(res.score),
                               max=fmt_score(res.eff_max), initial=fmt_pct(wrong),
                               suggested=fmt_score(res.suggested))


@rule("T06.conclusion", "评价结论", "评价结论写出的总分、等级与表中一致", codes={
    "T06.total-differs": (ERROR, "评价结论写的总分为 {written} 分，表中总分为 {total} 分"),
    "T06.grade-differs": (WARNING, "评价结论写的等级为“{written}”，表中等级为“{grade}”"),
})
def check_conclusion(ctx: Context) -> Iterable[Finding]:
    spec = ctx.fw.target
    if spec is None or not spec.conclusion_field:
        return
    text = ctx.book.raw(spec.conclusion_field)
    if not isinstance(text, str) or not text.strip():
        return
    total = ctx.ev.total
    m = re.search(r"(?:自评|总)(?:得分|总分|分)[^0-9，。；]{0,8}?(\d+(?:\.\d+)?)\s*分", text) or \
        re.search(r"(\d+(?:\.\d+)?)\s*分", text)
    if m and is_number(total):
        written = float(m.group(1))
        if abs(written - total) >= 0.005:
            yield ctx.emit("T06.total-differs", name=spec.conclusion_field, expected=total, actual=written,
                           written=m.group(1), total=fmt_score(total))
    g = re.search(r"等级[^，。；]{0,4}?[为是：:]?\s*[“\"]?(" + "|".join(re.escape(x.name) for x in ctx.fw.grades) + ")",
                  text)
    if g and ctx.ev.grade and g.group(1) != ctx.ev.grade:
        yield ctx.emit("T06.grade-differs", name=spec.conclusion_field, expected=ctx.ev.grade, actual=g.group(1),
                       written=g.group(1), grade=ctx.ev.grade)


@rule("T07.row-formulas", "绩效指标表的计算列", "完成率、建议得分两列保留模板公式（插入的行须从上一行复制公式）", codes={
    "T07.formula-missing": (WARNING, "{table}第 {row} 行填了指标，但“{column}”没有公式（插入的行不会自动带公式）；"
                                     "请从上一行复制该单元格。校验和报告按规则重新计算，不受影响"),
    "T07.formula-overwritten": (ERROR, "{table}第 {row} 行的“{column}”是计算列，公式被改成了数值 {value}；请从上一行复制公式"),
})
def check_row_formulas(ctx: Context) -> Iterable[Finding]:
    spec = ctx.fw.target
    if spec is None or "indicators" not in ctx.contract.tables:
        return
    table = ctx.contract.tables["indicators"]
    for col in ("ratio", "suggest"):
        name = table.column(col)
        label = ctx.contract.get(name).anchor if name in ctx.contract else col
        cells = ctx.book.column(name) if name else []
        for r in ctx.ev.rows:
            i = r.row.index
            if i >= len(cells) or cells[i].formula is not None:
                continue
            c = cells[i]
            if not is_blank(c.value):
                yield ctx.emit("T07.formula-overwritten", cell=c, name=name, actual=c.value, table=spec.sheet,
                               row=i + 1, column=label, value=c.value)
            elif r.row.computes:
                yield ctx.emit("T07.formula-missing", cell=c, name=name, table=spec.sheet, row=i + 1, column=label)


__all__ = ["check_row_scores", "check_row_values", "check_rows", "check_weights", "check_budget",
           "check_conclusion", "check_row_formulas"]

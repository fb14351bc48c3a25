"""The 校验 rules. Each is declared with an id, a title and what it checks.

R01 inputs · R02 scores · R03 transfer payments · R04 formulas/subtotals/total/grade ·
R05 rates and the same quantity in two places · R06 suggested vs self score ·
R07 reasons for lost points · R08 numbers in the text · R09 cross-field sanity ·
R10 项目清单 · R11 报告文字 · R00 structure of the workbook.
"""
from __future__ import annotations

from typing import Iterable

from ..chapters import PARAGRAPH_KINDS, chapter_keys, expected_chapters
from ..findings import ERROR, INFO, WARNING, Finding
from ..formulas import accepted_formulas, computed_formulas, normalize_formula
from ..contract import Kind
from ..inputs import PROBLEM_CODES, classify
from ..numeric import (decimal_places, excel_round, fmt_pct, fmt_score, fmt_wan, fmt_yuan, is_number,
                       parse_written_number)
from ..placeholders import Placeholders
from ..text import has_xml_illegal
from .context import Context
from .codes import text_cells
from .plausibility import PLAUS_CODES
from .plausibility import check_plausibility as _plausibility
from .registry import rule
from .textfigures import TEXT_CODES
from .textfigures import check_text_figures as _text_figures

EPS = 1e-6
SCORE_TOL = 0.005


def _num(v) -> float | None:
    return float(v) if is_number(v) else None


def _input_codes(rule_no: str, template: str = "{problem}") -> dict:
    """One finding code per kind of input problem (inputs.classify), e.g. R01.text-number."""
    return {f"{rule_no}.{c.replace('_', '-')}": (ERROR, template) for c in PROBLEM_CODES}


def _input_code(rule_no: str, problem) -> str:
    return f"{rule_no}.{problem.code.replace('_', '-')}"


# ---------------------------------------------------------------- R00 structure
@rule("R00.structure", "工作簿结构", "模板的工作表和名称是否齐全、有效；表格以外是否有被忽略的数据", codes={
    "R00.name-missing": (ERROR, "缺少名称“{name_}”（{label}），该项无法读取。"
                                "请勿删除名称；可用 jxzp new 生成新模板后用 jxzp export/fill 迁移数据"),
    "R00.name-broken": (ERROR, "名称“{name_}”（{label}）已失效：{problem}{fix}"),
    "R00.sheet-missing": (ERROR, "{count} 个名称{problem}，无法读取：{shown}{fix}"),
    "R00.table-overflow": (WARNING, "{table}表格范围以外的第 {first} 起有 {rows} 行内容，不会被读取。"
                                    "请把这些行移到表格范围内（在表格中间插入行可扩大范围）"),
    "R00.year-outside-framework": (WARNING, "评价年度 {year} 不在指标体系“{framework}”的适用年度（{years}）内，"
                                            "请确认所用指标体系"),
})
def check_structure(ctx: Context) -> Iterable[Finding]:
    fw, book = ctx.fw, ctx.book
    contract = ctx.contract
    inputs = set(contract.inputs())
    tables = {t: contract.table(t).input_columns for t in ("projects", "report_text")}
    in_table = {n for cols in tables.values() for n in cols}  # typed data: unreadable is an error
    expected = inputs | set(computed_formulas(fw)) | in_table
    gone_sheets: dict[str, list[str]] = {}  # one finding per missing sheet, not one per name
    for name in sorted(expected):
        ref = book.names.get(name)
        sev = ERROR if name in inputs or name in in_table else WARNING
        if ref is None:
            yield ctx.emit("R00.name-missing", severity=sev, name=name, name_=name, label=ctx.label(name))
        elif ref.problem and ref.problem.startswith("指向不存在的工作表"):
            gone_sheets.setdefault(ref.problem, []).append(name)
        elif ref.problem:
            fix = "" if "请" in ref.problem else "。可能删除了所在的工作表或单元格；请在“公式→名称管理器”中修复"
            yield ctx.emit("R00.name-broken", severity=sev, name=name, cell=ref.cell, name_=name,
                           label=ctx.label(name), problem=ref.problem, fix=fix)
    for problem, names in gone_sheets.items():
        names.sort(key=lambda n: (n not in inputs, contract.kind(n) != Kind.SCORE, n))  # scores first: they count
        sev = ERROR if any(n in inputs or n in in_table for n in names) else WARNING
        shown = "、".join(f"名称“{n}”（{ctx.label(n)}）" for n in names[:4]) + (f"等 {len(names)} 项" if len(names) > 4 else "")
        fix = "" if "请" in problem else ("。请恢复该工作表，或在“公式→名称管理器”中修复"
                                          "（也可用 jxzp new 生成新模板后用 jxzp export/fill 迁移数据）")
        yield ctx.emit("R00.sheet-missing", severity=sev, name=names[0], count=len(names), problem=problem,
                       shown=shown, fix=fix)
    for nm, cells in book.overflow.items():
        table = contract.table_of(nm)
        what = table.label if table else contract.label(nm)
        first = cells[0]
        yield ctx.emit("R00.table-overflow", cell=first, name=nm, table=what, first=first.coord, rows=len(cells))
    year = _num(ctx.ev.role("year"))
    if year is not None and fw.years and year not in fw.years:
        shown = f"{int(year)}" if abs(year) < 1e6 and float(year).is_integer() else f"{year:g}"
        yield ctx.emit("R00.year-outside-framework", name=contract.role("year"), year=shown, framework=fw.name,
                       years="、".join(map(str, fw.years)))


# ---------------------------------------------------------------- R01 inputs
@rule("R01.input-type", "录入项类型与必填", "数字格里的文字、全角数字、带单位的金额、错误值、空白必填项、负数、比率写成百分数等",
      codes={**_input_codes("R01"),
             "R01.progress-unknown": (ERROR, "“{metric}”无法计算：请填写“{spent}”或“{reported}”之一")})
def check_inputs(ctx: Context) -> Iterable[Finding]:
    for f in ctx.fw.fields:
        c = ctx.book.cell(f.name)
        if c is None:
            continue
        p = classify(c.value, f.kind, f.label, unit=f.unit, required=f.required, formula=c.formula)
        if p:
            yield ctx.emit(_input_code("R01", p), severity=p.severity, name=f.name, expected=p.suggestion,
                           actual=c.value, problem=p.message)
    # 支出进度 needs either the amount or the system's figure
    for m in ctx.fw.metrics:
        if m.fn == "spend_progress":
            spent, _, reported = m.args
            if ctx.book.has(spent) and ctx.book.has(reported) and \
                    ctx.book.raw(spent) in (None, "") and ctx.book.raw(reported) in (None, ""):
                yield ctx.emit("R01.progress-unknown", name=reported, metric=m.label, spent=ctx.label(spent),
                               reported=ctx.label(reported))


# ---------------------------------------------------------------- R02 scores
@rule("R02.score-range", "自评得分范围与精度", "每项自评得分在 0 到适用分值之间，最多保留规定位数的小数", codes={
    **_input_codes("R02", "{problem}{effect}"),
    "R02.score-over-max": (ERROR, "“{label}”自评得分 {score} 超过适用分值 {max}"),
    "R02.score-decimals": (WARNING, "“{label}”自评得分 {score} 的小数超过 {decimals} 位，请保留 {decimals} 位以内"),
})
def check_scores(ctx: Context) -> Iterable[Finding]:
    fw, ev = ctx.fw, ctx.ev
    targets = {r.target for r in fw.reallocations} | {r.source for r in fw.reallocations}
    for ind in fw.indicators:
        r = ev.indicators[ind.id]
        yield from _score_cell(ctx, ind.score_name, ind.name, r.raw_score, r.eff_max, ind.id,
                               skip_over=ind.id in targets)
    for a in ev.adjustments.values():
        adj = next(x for x in fw.adjustments if x.id == a.id)
        yield from _score_cell(ctx, adj.score_name, adj.name, a.raw_score, a.max, None, skip_over=False,
                               blank_ok=True)


def _score_cell(ctx: Context, name: str, label: str, raw, mx: float, ind_id, *, skip_over: bool,
                blank_ok: bool = False) -> Iterable[Finding]:
    c = ctx.book.cell(name)
    if c is None:
        return
    p = classify(c.value, "score", f"{label}·自评得分", required=not blank_ok, formula=c.formula)
    if p:
        yield ctx.emit(_input_code("R02", p), severity=p.severity, name=name, indicator=ind_id,
                       expected=p.suggestion, actual=c.value, problem=p.message,
                       effect="；不计入合计" if p.code != "blank" else "，合计按 0 分计")
        return
    v = _num(raw)
    if v is None:
        return
    if v > mx + EPS and not skip_over:
        yield ctx.emit("R02.score-over-max", name=name, indicator=ind_id, expected=f"0～{fmt_score(mx)}", actual=v,
                       label=label, score=fmt_score(v), max=fmt_score(mx))
    nd = ctx.fw.score_decimals
    if abs(excel_round(v, nd) - v) > 1e-9:
        yield ctx.emit("R02.score-decimals", name=name, indicator=ind_id, expected=excel_round(v, nd), actual=v,
                       label=label, score=f"{v:g}", decimals=nd)


# ---------------------------------------------------------------- R03 transfer payments
@rule("R03.transfer-payments", "转移支付与分值转移",
      "无转移支付时资金下达合法性应为 0 分、其分值计入部门预算资金支出率；有转移支付时两项各按原分值", codes={
    "R03.condition-unknown": (ERROR, "“{field}”未按“是/否”填写，无法判断分值是否转移；“{target}”得分 {score} "
                                     "超过其原分值 {max}。请先填写“{field}”"),
    "R03.source-not-zero": (ERROR, "“{field}”为“{value}”时，“{source}”不考核，应为 0 分（其 {points} 分"
                                   "已计入“{target}”），实际为 {score} 分"),
    "R03.target-over-max": (ERROR, "“{target}”得分 {score} 超过适用分值 {max}（已含“{source}”转入的 {points} 分）"),
    "R03.score-over-max": (ERROR, "“{indicator_name}”得分 {score} 超过适用分值 {max}{extra}"),
})
def check_reallocations(ctx: Context) -> Iterable[Finding]:
    fw, ev = ctx.fw, ctx.ev
    for r in fw.reallocations:
        cond = ev.inputs.get(r.when_field)
        src, dst = fw.indicator(r.source), fw.indicator(r.target)
        rs, rd = ev.indicators[src.id], ev.indicators[dst.id]
        label = ctx.label(r.when_field)
        if cond not in ("是", "否"):
            # the condition is unknown: both indicators keep their nominal maximum
            if rd.score is not None and rd.score > dst.max + EPS:
                yield ctx.emit("R03.condition-unknown", name=dst.score_name, indicator=dst.id, actual=rd.score,
                               field=label, target=dst.name, score=fmt_score(rd.score), max=fmt_score(dst.max))
            continue
        applies = cond == r.when_value
        if applies:
            if rs.score is not None and rs.score > EPS:
                yield ctx.emit("R03.source-not-zero", name=src.score_name, indicator=src.id, expected=0,
                               actual=rs.score, field=label, value=cond, source=src.name, points=fmt_score(r.points),
                               target=dst.name, score=fmt_score(rs.score))
            if rd.score is not None and rd.score > rd.eff_max + EPS:
                yield ctx.emit("R03.target-over-max", name=dst.score_name, indicator=dst.id,
                               expected=f"0～{fmt_score(rd.eff_max)}", actual=rd.score, target=dst.name,
                               score=fmt_score(rd.score), max=fmt_score(rd.eff_max), source=src.name,
                               points=fmt_score(r.points))
        else:
            for ind, res in ((dst, rd), (src, rs)):
                if res.score is not None and res.score > res.eff_max + EPS:
                    extra = (f"；“{label}”为“{cond}”，“{src.name}”的分值不转入本项" if ind is dst else "")
                    yield ctx.emit("R03.score-over-max", name=ind.score_name, indicator=ind.id,
                                   expected=f"0～{fmt_score(res.eff_max)}", actual=res.score,
                                   indicator_name=ind.name, score=fmt_score(res.score), max=fmt_score(res.eff_max),
                                   extra=extra)


# ---------------------------------------------------------------- R04 formulas, subtotals, total, grade
@rule("R04.formulas", "计算单元格与合计", "计算值、适用分值、建议得分、小计、合计、总分和等级仍是模板公式，显示值与重新计算一致",
      codes={
    "R04.formula-replaced": (ERROR, "“{label}”的公式被改成了固定值 {shown!r}{difference}。"
                                    "请恢复公式 {formula}（或用 jxzp new 生成新模板）"),
    "R04.formula-changed": (WARNING, "“{label}”的公式被修改为 {actual_formula}，模板公式为 {formula}；"
                                     "离线校验和报告按模板公式重新计算"),
    "R04.value-stale": (ERROR, "“{label}”显示 {shown}，按录入数据重新计算应为 {recomputed}；"
                               "请重新计算工作簿（F9）或检查加载项"),
})
def check_formulas(ctx: Context) -> Iterable[Finding]:
    for name, variants in accepted_formulas(ctx.fw).items():
        formula = variants[0]
        c = ctx.book.cell(name)
        if c is None:
            continue
        try:
            expected = ctx.ev.expected(name)
        except KeyError:
            expected = None
        label = ctx.label(name)
        if c.formula is None:
            shown = c.value
            same = _same(shown, expected)
            diff = "" if same else f"，与按录入数据重新计算的 {_show(expected)} 不一致"
            yield ctx.emit("R04.formula-replaced", severity=WARNING if same else ERROR, name=name,
                           expected=_show(expected), actual=shown, label=label, shown=shown, difference=diff,
                           formula=formula)
            continue
        if normalize_formula(c.formula) not in {normalize_formula(f) for f in variants}:
            yield ctx.emit("R04.formula-changed", name=name, expected=formula, actual=c.formula, label=label,
                           actual_formula=c.formula[:80], formula=formula[:80])
        elif c.value is not None and not _same(c.value, expected):
            # a live workbook (xlwings) shows a value: it must match the recomputation
            yield ctx.emit("R04.value-stale", name=name, expected=_show(expected), actual=c.value, label=label,
                           shown=_show(c.value), recomputed=_show(expected))


def _same(a, b) -> bool:
    if is_number(a) and is_number(b):
        return abs(float(a) - float(b)) <= SCORE_TOL * max(1.0, abs(float(b)) * 1e-6)
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip()
    return a == b


def _show(v):
    if isinstance(v, float):
        return float(f"{v:.10g}")
    return v


# ---------------------------------------------------------------- R05 rates
@rule("R05.rates", "比率的合理范围与一致性", "支出进度、覆盖率、人员比率、控制率等超过 100%；同一数量在不同地方的值不同",
      codes={
    "R05.rate-over-bound": (WARNING, "“{label}”为 {value}，超过 {limit}{explained}{source}。{hint}"),
    "R05.figures-disagree": (WARNING, "“{a_label}”为 {a}，“{b_label}”为 {b}。{message}"),
})
def check_rates(ctx: Context) -> Iterable[Finding]:
    fw, ev = ctx.fw, ctx.ev
    for m in fw.metrics:
        res = ev.metrics[m.name]
        if res.value is None or m.upper is None or res.value <= m.upper + EPS:
            continue
        severity, explained = m.upper_severity, ""
        if m.explained_by:
            note = ev.indicators[m.explained_by["indicator"]].note if m.explained_by.get("indicator") in ev.indicators else ""
            words = [w for w in m.explained_by.get("words", []) if w in note]
            if words and severity == ERROR:
                severity, explained = WARNING, f"（评分说明已提到“{words[0]}”）"
        shown = fmt_pct(res.value) if m.is_rate else f"{res.value:g}"
        limit = fmt_pct(m.upper) if m.is_rate else f"{m.upper:g}"
        src = _source_hint(ctx, m)
        yield ctx.emit("R05.rate-over-bound", severity=severity, name=m.name, expected=f"≤ {limit}",
                       actual=res.value, label=m.label, value=shown, limit=limit, explained=explained, source=src,
                       hint=m.upper_hint)
    for c in fw.consistency:
        a, b = _figure(ctx, c.a), _figure(ctx, c.b)
        if a is None or b is None:
            continue
        la, lb = ctx.label(c.a), ctx.label(c.b)
        bad = a > b + EPS if c.op == "le" else abs(a - b) > c.tolerance + EPS
        if bad:
            yield ctx.emit("R05.figures-disagree", severity=c.severity, name=c.a, expected=_fmt_fig(ctx, c.b, b),
                           actual=_fmt_fig(ctx, c.a, a), a_label=la, a=_fmt_fig(ctx, c.a, a), b_label=lb,
                           b=_fmt_fig(ctx, c.b, b), message=c.message)


def _source_hint(ctx: Context, m) -> str:
    """Where a spend_progress figure came from, so the user edits the right cell."""
    if m.fn != "spend_progress":
        return ""
    spent, _, reported = m.args
    if ctx.book.raw(spent) in (None, "") and ctx.book.cell(reported):
        return f"（取自“{ctx.label(reported)}” {ctx.book.cell(reported).address}）"
    return ""


def _figure(ctx: Context, name: str) -> float | None:
    try:
        return _num(ctx.ev.value(name))
    except KeyError:
        return None


def _fmt_fig(ctx: Context, name: str, v: float) -> str:
    m = ctx.fw.metric(name)
    if m is not None and m.is_rate:
        return fmt_pct(v)
    f = ctx.fw.field(name)
    if f is not None and f.kind == "rate":
        return fmt_pct(v)
    return f"{v:,.2f}".rstrip("0").rstrip(".") if f and f.kind == "amount" else f"{v:g}"


# ---------------------------------------------------------------- R06 suggested vs self
@rule("R06.suggested", "建议得分与自评得分", "按指标体系的评分规则算出的建议得分与自评得分不同（规则多为推断，仅作提示）",
      codes={
    "R06.no-suggestion": (INFO, "“{indicator_name}”无法给出建议得分：{reason}{missing}"),
    "R06.score-differs": (INFO, "“{indicator_name}”自评得分 {score}，按评分规则建议 {suggested}（{how}）{basis}；"
                                "如有其他依据请在评分说明中写明"),
    "R06.full-marks-unmet": (ERROR, "“{indicator_name}”给了满分 {score}，但表中数据显示{how}；请核实数据或扣分"),
})
def check_suggested(ctx: Context) -> Iterable[Finding]:
    for ind in ctx.fw.indicators:
        r = ctx.ev.indicators[ind.id]
        if ind.rule is None:
            continue
        basis = "（规则为推断）" if ind.assumption else ""
        if r.suggested is None:
            if r.suggest_error and r.suggest_error.code not in ("qualitative",):
                yield ctx.emit("R06.no-suggestion", name=ind.suggest_name, indicator=ind.id, indicator_name=ind.name,
                               reason=r.suggest_error.message, missing=_missing_inputs(ctx, ind))
            continue
        if r.score is None:
            continue
        if abs(r.score - r.suggested) > 0.05 + EPS:
            yield ctx.emit("R06.score-differs", name=ind.score_name, indicator=ind.id, expected=r.suggested,
                           actual=r.score, indicator_name=ind.name, score=fmt_score(r.score),
                           suggested=fmt_score(r.suggested), how=r.suggest_how, basis=basis)
        if ind.rule.type in ("threshold", "conditions") and r.score >= r.eff_max - EPS and r.suggested < r.eff_max - EPS:
            # full marks while the figures show a condition not met
            yield ctx.emit("R06.full-marks-unmet", name=ind.score_name, indicator=ind.id, expected=r.suggested,
                           actual=r.score, indicator_name=ind.name, score=fmt_score(r.score), how=r.suggest_how)


def _missing_inputs(ctx: Context, ind) -> str:
    """Name the blank input cells behind an indicator's metric, so the hint is actionable."""
    m = ctx.fw.metric(ind.metric) if ind.metric else None
    if m is None:
        return ""
    blanks = [ctx.label(a) for a in m.args if ctx.contract.kind(a) == Kind.INPUT and ctx.book.raw(a) in (None, "")]
    return f"（未填：{'、'.join(blanks)}）" if blanks else ""


# ---------------------------------------------------------------- R07 reasons
@rule("R07.reasons", "扣分须有评分说明", "得分低于适用分值时须在评分说明中写明扣分原因；各指标的评分说明不应雷同", codes={
    "R07.reason-missing": (WARNING, "“{indicator_name}”得分 {score}，低于适用分值 {max}，评分说明为空；请写明扣分原因"),
    "R07.note-copied": (INFO, "“{indicator_name}”的评分说明与“{other}”完全相同，疑似复制；请按本指标的内容填写"),
    "R07.adjustment-basis-missing": (WARNING, "“{adjustment}”有 {score} 分，但未写依据（表彰或问题的文件名称）"),
})
def check_reasons(ctx: Context) -> Iterable[Finding]:
    seen: dict[str, str] = {}
    for ind in ctx.fw.indicators:
        r = ctx.ev.indicators[ind.id]
        note = r.note.strip()
        if r.score is not None and r.score < r.eff_max - EPS and not note:
            yield ctx.emit("R07.reason-missing", name=ind.note_name, indicator=ind.id, indicator_name=ind.name,
                           score=fmt_score(r.score), max=fmt_score(r.eff_max))
        if len(note) >= 20:
            if note in seen:
                yield ctx.emit("R07.note-copied", name=ind.note_name, indicator=ind.id, indicator_name=ind.name,
                               other=seen[note])
            else:
                seen[note] = ind.name
    for a in ctx.ev.adjustments.values():
        adj = next(x for x in ctx.fw.adjustments if x.id == a.id)
        if a.score and a.score > EPS and not a.note.strip():
            yield ctx.emit("R07.adjustment-basis-missing", name=adj.note_name, adjustment=a.name,
                           score=fmt_score(a.score))


# ---------------------------------------------------------------- R08 numbers in text
@rule("R08.text-numbers", "文字中的数字与表中数值", "评分说明和报告文字中写出的比率、金额、人数、项目数与工作簿中的数值一致（含元/万元单位）",
      codes={
    "R08.control-chars": (WARNING, "“{label}”含不可见的控制字符，生成报告时会被删除；请检查文字"),
    "R08.placeholder": (ERROR, "{problem}；生成的报告中会留下这个占位符"),
    "R08.number-unverifiable": (INFO, "文字“{snippet}”中的数字无法与表中数值核对：{labels}未填写或无法计算"),
    "R08.number-assumed": (INFO, "文字“{snippet}”与按表中数据计算的 {shown} 不一致；该比率的合成公式为推断，请核对口径后统一"),
    "R08.text-number": (ERROR, "文字“{snippet}”与表中数值不一致：{shown}{unit_note}。请改正文字，"
                               "或改用占位符（如 {{年初预算}}）引用表中数值"),
})
def check_text_numbers(ctx: Context) -> Iterable[Finding]:
    ph = Placeholders(ctx.fw, ctx.ev)
    for name, cell, text, ind_id in _texts(ctx):
        if ctx.contract.table_of(name) is None and has_xml_illegal(text):  # R11 covers 报告文字
            yield ctx.emit("R08.control-chars", cell=cell, name=name, indicator=ind_id, label=ctx.label(name))
        rendered, problems = ph.render(text)
        for p in problems:
            src = ph.name_of(p.key.strip("{}").split("|")[0].strip())
            if src and ctx.contract.kind(src) == Kind.INPUT and not ctx.book.has(src):
                continue  # its name is unreadable: R00 already says so, once
            yield ctx.emit("R08.placeholder", cell=cell, name=name, indicator=ind_id, problem=p.message,
                           placeholder=p.key)
        if ctx.fw.text_reader is None:  # frameworks without a [text_reader] keep their text_checks
            yield from _check_numbers_in(ctx, text, name, cell, ind_id)


@rule("R08.text-figures", "文字中的数字（按句式集读取）",
      "按指标体系的句式集读出评分说明和报告文字中的人数、金额、比率、得分及上年数、增减，与工作簿核对；"
      "目标值（≥、不低于、目标）不核对，指标体系没有的数量不核对", codes=TEXT_CODES)
def check_text_figures(ctx: Context) -> Iterable[Finding]:
    yield from _text_figures(ctx)


_texts = text_cells  # every note and report paragraph with text (shared with R08.text-figures, R12)


_UNIT_SCALE = {"%": 100.0, "万元": 1e-4, "元": 1.0, "": 1.0}


def _check_numbers_in(ctx: Context, text: str, name: str, cell, ind_id) -> Iterable[Finding]:
    for tc in ctx.fw.text_checks:
        for m in tc.pattern.finditer(text):
            groups = m.groups()
            sign = 1.0
            if tc.signed:
                word, written, unit = groups[0], groups[1], (groups[2] if len(groups) > 2 else None) or ""
                sign = -1.0 if word in ("降低", "减少", "下降") else 1.0
            else:
                written, unit = groups[0], (groups[1] if len(groups) > 1 else None) or ""
            written = written.rstrip(".,")
            number = parse_written_number(written)
            if number is None:
                continue
            number *= sign
            nd = decimal_places(written.replace(",", ""))
            candidates = []
            for n in tc.names:
                try:
                    v = ctx.ev.value(n)
                except KeyError:
                    continue
                candidates.append((n, v))
            values = [(n, float(v)) for n, v in candidates if is_number(v)]
            snippet = m.group(0)
            if not values:
                labels = "、".join(ctx.label(n) for n, _ in candidates)
                yield ctx.emit("R08.number-unverifiable", cell=cell, name=name, indicator=ind_id, actual=snippet,
                               snippet=snippet, labels=labels)
                continue
            scale = _UNIT_SCALE.get(unit, 1.0)
            if any(abs(excel_round(v * scale, nd) - number) < 10 ** -(nd + 3) for _, v in values):
                continue
            assumed = all(ctx.fw.metric(n) is not None and ctx.fw.metric(n).assumption for n, _ in values)
            shown = "；".join(f"{ctx.label(n)} {_fmt_value(ctx, n, v, unit)}" for n, v in values)
            unit_note = "（注意单位：元与万元）" if unit in ("元", "万元") else ""
            if assumed:
                yield ctx.emit("R08.number-assumed", cell=cell, name=name, indicator=ind_id, expected=shown,
                               actual=snippet, snippet=snippet, shown=shown)
            else:
                yield ctx.emit("R08.text-number", cell=cell, name=name, indicator=ind_id, expected=shown,
                               actual=snippet, snippet=snippet, shown=shown, unit_note=unit_note)


def _fmt_value(ctx: Context, name: str, v: float, unit: str = "") -> str:
    m = ctx.fw.metric(name)
    f = ctx.fw.field(name)
    if (m is not None and m.is_rate) or (f is not None and f.kind == "rate"):
        return fmt_pct(v)
    if (f is not None and f.kind == "amount") or (m is not None and m.unit == "元"):
        yuan = f"{fmt_yuan(v)} 元"
        return f"{yuan}（即 {fmt_wan(v)} 万元）" if unit == "万元" else yuan
    return fmt_score(v)


# ---------------------------------------------------------------- R09 cross-field
@rule("R09.cross-field", "字段之间的关系", "上半年支出 ≤ 全年支出、实有 ≤ 编制、在用资产 ≤ 资产总额等", codes={
    "R09.relation-violated": (WARNING, "{message}：“{left_label}”为 {left}，“{right_label}”为 {right}"),
})
def check_cross(ctx: Context) -> Iterable[Finding]:
    for c in ctx.fw.cross_checks:
        a, b = _figure(ctx, c.left), _figure(ctx, c.right)
        if a is None or b is None:
            continue
        bad = a > b + EPS if c.op == "le" else a < b - EPS
        if bad:
            yield ctx.emit("R09.relation-violated", severity=c.severity, name=c.left,
                           expected=f"{'≤' if c.op == 'le' else '≥'} {_fmt_fig(ctx, c.right, b)}",
                           actual=_fmt_fig(ctx, c.left, a), message=c.message, left_label=ctx.label(c.left),
                           left=_fmt_fig(ctx, c.left, a), right_label=ctx.label(c.right),
                           right=_fmt_fig(ctx, c.right, b))


# ---------------------------------------------------------------- R10 项目清单
@rule("R10.projects", "项目清单", "每行须有项目名称；是/否列只填是或否；金额为数字；实际支出不超过预算；名称不重复", codes={
    **_input_codes("R10"),
    "R10.name-missing": (WARNING, "项目清单第 {row} 行填了其他列但没有项目名称，该行不计入项目数；请补填名称或清空该行"),
    "R10.duplicate": (WARNING, "项目“{project}”重复出现（另见 {other}），项目数会多算；请核对"),
    "R10.yesno-blank": (WARNING, "项目“{project}”的“{column}”未填，按“否”计算；请选择“是”或“否”"),
    "R10.spent-over-budget": (WARNING, "项目“{project}”实际支出 {spent} 元超过预算 {budget} 元，请核实"),
    "R10.empty": (WARNING, "项目清单为空：绩效目标覆盖率、项目完成及时性无法计算。请逐个填写本年度实施的项目"),
})
def check_projects(ctx: Context) -> Iterable[Finding]:
    fw, book = ctx.fw, ctx.book
    cols = {c.id: (c, book.column(c.name)) for c in fw.project_columns}
    if "name" not in cols or not cols["name"][1]:
        return
    names = cols["name"][1]
    key_name = cols["name"][0].name
    seen: dict[str, str] = {}
    any_row = False
    for i, name_cell in enumerate(names):
        row_cells = {cid: (cdef, col[i] if i < len(col) else None) for cid, (cdef, col) in cols.items()}
        filled = [cid for cid, (_, c) in row_cells.items() if c is not None and c.value not in (None, "")]
        name = name_cell.value
        if not filled:
            continue
        any_row = True
        if name in (None, "") or (isinstance(name, str) and not name.strip()):
            yield ctx.emit("R10.name-missing", cell=name_cell, name=key_name, row=i + 1)
            continue
        key = str(name).strip()
        if key in seen:
            yield ctx.emit("R10.duplicate", cell=name_cell, name=key_name, project=key, other=seen[key])
        else:
            seen[key] = name_cell.address
        for cid, (cdef, c) in row_cells.items():
            if c is None or cid == "name" or cdef.kind in ("text", "longtext"):
                continue
            p = classify(c.value, cdef.kind, f"项目“{key}”的{cdef.label}", required=cdef.kind == "yesno",
                         formula=c.formula)
            if p:
                if cdef.kind == "yesno" and p.code == "blank":
                    yield ctx.emit("R10.yesno-blank", cell=c, name=cdef.name, project=key, column=cdef.label)
                else:
                    yield ctx.emit(_input_code("R10", p), severity=p.severity, cell=c, name=cdef.name,
                                   expected=p.suggestion, actual=c.value, problem=p.message)
        b = row_cells.get("budget", (None, None))[1]
        s = row_cells.get("spent", (None, None))[1]
        s_name = row_cells["spent"][0].name if "spent" in row_cells else None
        if b is not None and s is not None and is_number(b.value) and is_number(s.value) and s.value > b.value + EPS:
            yield ctx.emit("R10.spent-over-budget", cell=s, name=s_name, project=key, spent=f"{s.value:,.2f}",
                           budget=f"{b.value:,.2f}")
    if not any_row and fw.target is None:  # the target family's list is informative, not scored
        yield ctx.emit("R10.empty", cell=names[0], name=key_name)


# ---------------------------------------------------------------- R11 报告文字
@rule("R11.report-text", "报告文字", "每段须选择章节；章节、类型只能取下拉列表中的值；正文不含控制字符", codes={
    "R11.chapter-without-text": (INFO, "报告文字第 {row} 行选了章节“{chapter}”但没有文字，将被忽略"),
    "R11.number-as-text": (WARNING, "报告文字第 {row} 行是数字 {value!r} 而不是文字，将按文字写入报告"),
    "R11.chapter-missing": (ERROR, "报告文字第 {row} 行没有选择章节，不会写入报告；请在“章节”列选择"),
    "R11.chapter-unknown": (ERROR, "报告文字第 {row} 行的章节“{chapter}”不在可选范围（{choices}）内"),
    "R11.kind-unknown": (WARNING, "报告文字第 {row} 行的类型“{kind}”无效，按“正文”处理"),
    "R11.control-chars": (WARNING, "报告文字第 {row} 行含不可见的控制字符，生成报告时会被删除"),
    "R11.chapter-empty": (INFO, "报告文字中没有“{chapter}”一章的内容，报告中该章将为空"),
})
def check_report_text(ctx: Context) -> Iterable[Finding]:
    book = ctx.book
    table = ctx.contract.table("report_text")
    ch_name, kind_name, text_name = (table.column(r) for r in ("chapter", "kind", "text"))
    chapters, kinds, texts = book.column(ch_name), book.column(kind_name), book.column(text_name)
    used = set()
    for i, t in enumerate(texts):
        ch = chapters[i] if i < len(chapters) else None
        kd = kinds[i] if i < len(kinds) else None
        text = t.value
        has_text = text not in (None, "") and not (isinstance(text, str) and not text.strip())
        chv = ch.value if ch is not None else None
        if not has_text:
            if chv not in (None, ""):
                yield ctx.emit("R11.chapter-without-text", cell=t, name=text_name, row=i + 1, chapter=chv)
            continue
        if not isinstance(text, str):
            yield ctx.emit("R11.number-as-text", cell=t, name=text_name, row=i + 1, value=text)
        if chv in (None, ""):
            yield ctx.emit("R11.chapter-missing", cell=ch or t, name=ch_name, row=i + 1)
        elif chv not in chapter_keys(ctx.fw):
            yield ctx.emit("R11.chapter-unknown", cell=ch, name=ch_name, actual=chv, row=i + 1, chapter=chv,
                           choices="、".join(chapter_keys(ctx.fw)))
        else:
            used.add(chv)
        if kd is not None and kd.value not in (None, "") and kd.value not in PARAGRAPH_KINDS:
            yield ctx.emit("R11.kind-unknown", cell=kd, name=kind_name, row=i + 1, kind=kd.value)
        if isinstance(text, str) and has_xml_illegal(text):
            yield ctx.emit("R11.control-chars", cell=t, name=text_name, row=i + 1)
    if texts:
        for key in expected_chapters(ctx.fw):
            if key not in used:
                yield ctx.emit("R11.chapter-empty", cell=texts[0], name=text_name, chapter=key)


@rule("R12.plausibility", "数据的合理性",
      "元与万元填错、与上年相比增减过大、结转结余为 0 而支出低于预算、系统进度与金额不符、文字中的年份与评价年度、"
      "比率未达标准却给满分（名称和界限见指标体系的 [plausibility]）", codes=PLAUS_CODES)
def check_plausibility(ctx: Context) -> Iterable[Finding]:
    yield from _plausibility(ctx)



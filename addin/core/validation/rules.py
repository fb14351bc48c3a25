"""The 校验 rules. Each is declared with an id, a title and what it checks.

R01 inputs · R02 scores · R03 transfer payments · R04 formulas/subtotals/total/grade ·
R05 rates and the same quantity in two places · R06 suggested vs self score ·
R07 reasons for lost points · R08 numbers in the text · R09 cross-field sanity ·
R10 项目清单 · R11 报告文字 · R00 structure of the workbook.
"""
from __future__ import annotations

from typing import Iterable

from ..chapters import CHAPTER_KEYS, PARAGRAPH_KINDS
from ..findings import ERROR, WARNING, Finding
from ..formulas import computed_formulas, normalize_formula
from ..inputs import classify
from ..interchange import TABLES, table_columns
from ..numeric import (decimal_places, excel_round, fmt_pct, fmt_score, fmt_wan, fmt_yuan, is_number,
                       parse_written_number)
from ..placeholders import Placeholders
from ..text import has_xml_illegal
from .engine import Context, rule

EPS = 1e-6
SCORE_TOL = 0.005


def _num(v) -> float | None:
    return float(v) if is_number(v) else None


# ---------------------------------------------------------------- R00 structure
@rule("R00.structure", "工作簿结构", "模板的工作表和名称是否齐全、有效；表格以外是否有被忽略的数据")
def check_structure(ctx: Context) -> Iterable[Finding]:
    fw, book = ctx.fw, ctx.book
    inputs = set(fw.input_names())
    expected = inputs | set(computed_formulas(fw)) | {c.name for c in fw.project_columns}
    expected |= set(table_columns(fw, "report_text"))
    gone_sheets: dict[str, list[str]] = {}  # one finding per missing sheet, not one per name
    for name in sorted(expected):
        ref = book.names.get(name)
        sev = ERROR if name in inputs or name.startswith(("p_", "rpt_")) else WARNING
        if ref is None:
            yield ctx.finding(sev, f"缺少名称“{name}”（{ctx.label(name)}），该项无法读取。"
                                   "请勿删除名称；可用 jxzp new 生成新模板后用 jxzp export/fill 迁移数据", name=name)
        elif ref.problem and ref.problem.startswith("指向不存在的工作表"):
            gone_sheets.setdefault(ref.problem, []).append(name)
        elif ref.problem:
            fix = "" if "请" in ref.problem else "。可能删除了所在的工作表或单元格；请在“公式→名称管理器”中修复"
            yield ctx.finding(sev, f"名称“{name}”（{ctx.label(name)}）已失效：{ref.problem}{fix}", name=name,
                              cell=ref.cell)
    for problem, names in gone_sheets.items():
        names.sort(key=lambda n: (n not in inputs, not n.startswith("s_"), n))  # scores first: they count
        sev = ERROR if any(n in inputs or n.startswith(("p_", "rpt_")) for n in names) else WARNING
        shown = "、".join(f"名称“{n}”（{ctx.label(n)}）" for n in names[:4]) + (f"等 {len(names)} 项" if len(names) > 4 else "")
        fix = "" if "请" in problem else ("。请恢复该工作表，或在“公式→名称管理器”中修复"
                                          "（也可用 jxzp new 生成新模板后用 jxzp export/fill 迁移数据）")
        yield ctx.finding(sev, f"{len(names)} 个名称{problem}，无法读取：{shown}{fix}", name=names[0])
    for nm, cells in book.overflow.items():
        what = "项目清单" if nm == "p_name" else "报告文字"
        first = cells[0]
        yield ctx.warning(f"{what}表格范围以外的第 {first.coord} 起有 {len(cells)} 行内容，不会被读取。"
                          "请把这些行移到表格范围内（在表格中间插入行可扩大范围）", cell=first, name=nm)
    year = _num(ctx.ev.inputs.get("f_year"))
    if year is not None and fw.years and year not in fw.years:
        shown = f"{int(year)}" if abs(year) < 1e6 and float(year).is_integer() else f"{year:g}"
        yield ctx.warning(f"评价年度 {shown} 不在指标体系“{fw.name}”的适用年度"
                          f"（{'、'.join(map(str, fw.years))}）内，请确认所用指标体系", name="f_year")


# ---------------------------------------------------------------- R01 inputs
@rule("R01.input-type", "录入项类型与必填", "数字格里的文字、全角数字、带单位的金额、错误值、空白必填项、负数、比率写成百分数等")
def check_inputs(ctx: Context) -> Iterable[Finding]:
    for f in ctx.fw.fields:
        c = ctx.book.cell(f.name)
        if c is None:
            continue
        p = classify(c.value, f.kind, f.label, unit=f.unit, required=f.required, formula=c.formula)
        if p:
            yield ctx.finding(p.severity, p.message, name=f.name, expected=p.suggestion, actual=c.value)
    # 支出进度 needs either the amount or the system's figure
    for m in ctx.fw.metrics:
        if m.fn == "spend_progress":
            spent, _, reported = m.args
            if ctx.book.has(spent) and ctx.book.has(reported) and \
                    ctx.book.raw(spent) in (None, "") and ctx.book.raw(reported) in (None, ""):
                yield ctx.error(f"“{m.label}”无法计算：请填写“{ctx.label(spent)}”或“{ctx.label(reported)}”之一", name=reported)


# ---------------------------------------------------------------- R02 scores
@rule("R02.score-range", "自评得分范围与精度", "每项自评得分在 0 到适用分值之间，最多保留规定位数的小数")
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
        yield ctx.finding(p.severity, p.message + ("；不计入合计" if p.code != "blank" else "，合计按 0 分计"),
                          name=name, indicator=ind_id, expected=p.suggestion, actual=c.value)
        return
    v = _num(raw)
    if v is None:
        return
    if v > mx + EPS and not skip_over:
        yield ctx.error(f"“{label}”自评得分 {fmt_score(v)} 超过适用分值 {fmt_score(mx)}", name=name,
                        indicator=ind_id, expected=f"0～{fmt_score(mx)}", actual=v)
    nd = ctx.fw.score_decimals
    if abs(excel_round(v, nd) - v) > 1e-9:
        yield ctx.warning(f"“{label}”自评得分 {v:g} 的小数超过 {nd} 位，请保留 {nd} 位以内", name=name,
                          indicator=ind_id, expected=excel_round(v, nd), actual=v)


# ---------------------------------------------------------------- R03 transfer payments
@rule("R03.transfer-payments", "转移支付与分值转移", "无转移支付时资金下达合法性应为 0 分、其分值计入部门预算资金支出率；有转移支付时两项各按原分值")
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
                yield ctx.error(f"“{label}”未按“是/否”填写，无法判断分值是否转移；“{dst.name}”得分 {fmt_score(rd.score)} "
                                f"超过其原分值 {fmt_score(dst.max)}。请先填写“{label}”", name=dst.score_name,
                                indicator=dst.id, actual=rd.score)
            continue
        applies = cond == r.when_value
        if applies:
            if rs.score is not None and rs.score > EPS:
                yield ctx.error(f"“{label}”为“{cond}”时，“{src.name}”不考核，应为 0 分（其 {fmt_score(r.points)} 分"
                                f"已计入“{dst.name}”），实际为 {fmt_score(rs.score)} 分", name=src.score_name,
                                indicator=src.id, expected=0, actual=rs.score)
            if rd.score is not None and rd.score > rd.eff_max + EPS:
                yield ctx.error(f"“{dst.name}”得分 {fmt_score(rd.score)} 超过适用分值 {fmt_score(rd.eff_max)}"
                                f"（已含“{src.name}”转入的 {fmt_score(r.points)} 分）", name=dst.score_name,
                                indicator=dst.id, expected=f"0～{fmt_score(rd.eff_max)}", actual=rd.score)
        else:
            for ind, res in ((dst, rd), (src, rs)):
                if res.score is not None and res.score > res.eff_max + EPS:
                    extra = (f"；“{label}”为“{cond}”，“{src.name}”的分值不转入本项" if ind is dst else "")
                    yield ctx.error(f"“{ind.name}”得分 {fmt_score(res.score)} 超过适用分值 {fmt_score(res.eff_max)}{extra}",
                                    name=ind.score_name, indicator=ind.id, expected=f"0～{fmt_score(res.eff_max)}",
                                    actual=res.score)


# ---------------------------------------------------------------- R04 formulas, subtotals, total, grade
@rule("R04.formulas", "计算单元格与合计", "计算值、适用分值、建议得分、小计、合计、总分和等级仍是模板公式，显示值与重新计算一致")
def check_formulas(ctx: Context) -> Iterable[Finding]:
    for name, formula in computed_formulas(ctx.fw).items():
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
            msg = (f"“{label}”的公式被改成了固定值 {shown!r}" + ("" if same else f"，与按录入数据重新计算的 {_show(expected)} 不一致")
                   + f"。请恢复公式 {formula}（或用 jxzp new 生成新模板）")
            yield ctx.finding(WARNING if same else ERROR, msg, name=name, expected=_show(expected), actual=shown)
            continue
        if normalize_formula(c.formula) != normalize_formula(formula):
            yield ctx.warning(f"“{label}”的公式被修改为 {c.formula[:80]}，模板公式为 {formula[:80]}；"
                              "离线校验和报告按模板公式重新计算", name=name, expected=formula, actual=c.formula)
        elif c.value is not None and not _same(c.value, expected):
            # a live workbook (xlwings) shows a value: it must match the recomputation
            yield ctx.error(f"“{label}”显示 {_show(c.value)}，按录入数据重新计算应为 {_show(expected)}；"
                            "请重新计算工作簿（F9）或检查加载项", name=name, expected=_show(expected), actual=c.value)


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
@rule("R05.rates", "比率的合理范围与一致性", "支出进度、覆盖率、人员比率、控制率等超过 100%；同一数量在不同地方的值不同")
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
        yield ctx.finding(severity, f"“{m.label}”为 {shown}，超过 {limit}{explained}{src}。{m.upper_hint}",
                          name=m.name, expected=f"≤ {limit}", actual=res.value)
    for c in fw.consistency:
        a, b = _figure(ctx, c.a), _figure(ctx, c.b)
        if a is None or b is None:
            continue
        la, lb = ctx.label(c.a), ctx.label(c.b)
        bad = a > b + EPS if c.op == "le" else abs(a - b) > c.tolerance + EPS
        if bad:
            yield ctx.finding(c.severity, f"“{la}”为 {_fmt_fig(ctx, c.a, a)}，“{lb}”为 {_fmt_fig(ctx, c.b, b)}。{c.message}",
                              name=c.a, expected=_fmt_fig(ctx, c.b, b), actual=_fmt_fig(ctx, c.a, a))


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
@rule("R06.suggested", "建议得分与自评得分", "按指标体系的评分规则算出的建议得分与自评得分不同（规则多为推断，仅作提示）")
def check_suggested(ctx: Context) -> Iterable[Finding]:
    for ind in ctx.fw.indicators:
        r = ctx.ev.indicators[ind.id]
        if ind.rule is None:
            continue
        basis = "（规则为推断）" if ind.assumption else ""
        if r.suggested is None:
            if r.suggest_error and r.suggest_error.code not in ("qualitative",):
                yield ctx.info(f"“{ind.name}”无法给出建议得分：{r.suggest_error.message}"
                               f"{_missing_inputs(ctx, ind)}", name=ind.suggest_name, indicator=ind.id)
            continue
        if r.score is None:
            continue
        if abs(r.score - r.suggested) > 0.05 + EPS:
            yield ctx.info(f"“{ind.name}”自评得分 {fmt_score(r.score)}，按评分规则建议 {fmt_score(r.suggested)}"
                           f"（{r.suggest_how}）{basis}；如有其他依据请在评分说明中写明", name=ind.score_name,
                           indicator=ind.id, expected=r.suggested, actual=r.score)
        if ind.rule.type in ("threshold", "conditions") and r.score >= r.eff_max - EPS and r.suggested < r.eff_max - EPS:
            # full marks while the figures show a condition not met
            yield ctx.error(f"“{ind.name}”给了满分 {fmt_score(r.score)}，但表中数据显示{r.suggest_how}；"
                            "请核实数据或扣分", name=ind.score_name, indicator=ind.id, expected=r.suggested, actual=r.score)


def _missing_inputs(ctx: Context, ind) -> str:
    """Name the blank input cells behind an indicator's metric, so the hint is actionable."""
    m = ctx.fw.metric(ind.metric) if ind.metric else None
    if m is None:
        return ""
    blanks = [ctx.label(a) for a in m.args if a.startswith("f_") and ctx.book.raw(a) in (None, "")]
    return f"（未填：{'、'.join(blanks)}）" if blanks else ""


# ---------------------------------------------------------------- R07 reasons
@rule("R07.reasons", "扣分须有评分说明", "得分低于适用分值时须在评分说明中写明扣分原因；各指标的评分说明不应雷同")
def check_reasons(ctx: Context) -> Iterable[Finding]:
    seen: dict[str, str] = {}
    for ind in ctx.fw.indicators:
        r = ctx.ev.indicators[ind.id]
        note = r.note.strip()
        if r.score is not None and r.score < r.eff_max - EPS and not note:
            yield ctx.warning(f"“{ind.name}”得分 {fmt_score(r.score)}，低于适用分值 {fmt_score(r.eff_max)}，"
                              "评分说明为空；请写明扣分原因", name=ind.note_name, indicator=ind.id)
        if len(note) >= 20:
            if note in seen:
                yield ctx.info(f"“{ind.name}”的评分说明与“{seen[note]}”完全相同，疑似复制；请按本指标的内容填写",
                               name=ind.note_name, indicator=ind.id)
            else:
                seen[note] = ind.name
    for a in ctx.ev.adjustments.values():
        adj = next(x for x in ctx.fw.adjustments if x.id == a.id)
        if a.score and a.score > EPS and not a.note.strip():
            yield ctx.warning(f"“{a.name}”有 {fmt_score(a.score)} 分，但未写依据（表彰或问题的文件名称）",
                              name=adj.note_name)


# ---------------------------------------------------------------- R08 numbers in text
@rule("R08.text-numbers", "文字中的数字与表中数值", "评分说明和报告文字中写出的比率、金额、人数、项目数与工作簿中的数值一致（含元/万元单位）")
def check_text_numbers(ctx: Context) -> Iterable[Finding]:
    ph = Placeholders(ctx.fw, ctx.ev)
    for name, cell, text, ind_id in _texts(ctx):
        if name != "rpt_text" and has_xml_illegal(text):  # R11 covers 报告文字
            yield ctx.warning(f"“{ctx.label(name)}”含不可见的控制字符，生成报告时会被删除；请检查文字",
                              cell=cell, name=name, indicator=ind_id)
        rendered, problems = ph.render(text)
        for p in problems:
            src = ph.name_of(p.key.strip("{}").split("|")[0].strip())
            if src and src.startswith("f_") and not ctx.book.has(src):
                continue  # its name is unreadable: R00 already says so, once
            yield ctx.error(p.message + "；生成的报告中会留下这个占位符", cell=cell, name=name, indicator=ind_id)
        yield from _check_numbers_in(ctx, text, name, cell, ind_id)


def _texts(ctx: Context):
    for ind in ctx.fw.indicators:
        c = ctx.book.cell(ind.note_name)
        if c is not None and isinstance(c.value, str) and c.value.strip():
            yield ind.note_name, c, c.value, ind.id
    for adj in ctx.fw.adjustments:
        c = ctx.book.cell(adj.note_name)
        if c is not None and isinstance(c.value, str) and c.value.strip():
            yield adj.note_name, c, c.value, None
    for c in ctx.book.column("rpt_text"):
        if isinstance(c.value, str) and c.value.strip():
            yield "rpt_text", c, c.value, None


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
                yield ctx.info(f"文字“{snippet}”中的数字无法与表中数值核对：{labels}未填写或无法计算",
                               cell=cell, name=name, indicator=ind_id, actual=snippet)
                continue
            scale = _UNIT_SCALE.get(unit, 1.0)
            if any(abs(excel_round(v * scale, nd) - number) < 10 ** -(nd + 3) for _, v in values):
                continue
            assumed = all(ctx.fw.metric(n) is not None and ctx.fw.metric(n).assumption for n, _ in values)
            shown = "；".join(f"{ctx.label(n)} {_fmt_value(ctx, n, v, unit)}" for n, v in values)
            unit_note = "（注意单位：元与万元）" if unit in ("元", "万元") else ""
            if assumed:
                yield ctx.info(f"文字“{snippet}”与按表中数据计算的 {shown} 不一致；该比率的合成公式为推断，"
                               "请核对口径后统一", cell=cell, name=name, indicator=ind_id,
                               expected=shown, actual=snippet)
            else:
                yield ctx.error(f"文字“{snippet}”与表中数值不一致：{shown}{unit_note}。请改正文字，"
                                "或改用占位符（如 {年初预算}）引用表中数值", cell=cell, name=name, indicator=ind_id,
                                expected=shown, actual=snippet)


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
@rule("R09.cross-field", "字段之间的关系", "上半年支出 ≤ 全年支出、实有 ≤ 编制、在用资产 ≤ 资产总额等")
def check_cross(ctx: Context) -> Iterable[Finding]:
    for c in ctx.fw.cross_checks:
        a, b = _figure(ctx, c.left), _figure(ctx, c.right)
        if a is None or b is None:
            continue
        bad = a > b + EPS if c.op == "le" else a < b - EPS
        if bad:
            yield ctx.finding(c.severity, f"{c.message}：“{ctx.label(c.left)}”为 {_fmt_fig(ctx, c.left, a)}，"
                                          f"“{ctx.label(c.right)}”为 {_fmt_fig(ctx, c.right, b)}",
                              name=c.left, expected=f"{'≤' if c.op == 'le' else '≥'} {_fmt_fig(ctx, c.right, b)}",
                              actual=_fmt_fig(ctx, c.left, a))


# ---------------------------------------------------------------- R10 项目清单
@rule("R10.projects", "项目清单", "每行须有项目名称；是/否列只填是或否；金额为数字；实际支出不超过预算；名称不重复")
def check_projects(ctx: Context) -> Iterable[Finding]:
    fw, book = ctx.fw, ctx.book
    cols = {c.id: (c, book.column(c.name)) for c in fw.project_columns}
    if "name" not in cols or not cols["name"][1]:
        return
    names = cols["name"][1]
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
            yield ctx.warning(f"项目清单第 {i + 1} 行填了其他列但没有项目名称，该行不计入项目数；请补填名称或清空该行",
                              cell=name_cell, name="p_name")
            continue
        key = str(name).strip()
        if key in seen:
            yield ctx.warning(f"项目“{key}”重复出现（另见 {seen[key]}），项目数会多算；请核对", cell=name_cell, name="p_name")
        else:
            seen[key] = name_cell.address
        for cid, (cdef, c) in row_cells.items():
            if c is None or cid == "name" or cdef.kind in ("text", "longtext"):
                continue
            p = classify(c.value, cdef.kind, f"项目“{key}”的{cdef.label}", required=cdef.kind == "yesno",
                         formula=c.formula)
            if p:
                if cdef.kind == "yesno" and p.code == "blank":
                    p_msg = f"项目“{key}”的“{cdef.label}”未填，按“否”计算；请选择“是”或“否”"
                    yield ctx.warning(p_msg, cell=c, name=cdef.name)
                else:
                    yield ctx.finding(p.severity, p.message, cell=c, name=cdef.name, expected=p.suggestion, actual=c.value)
        b = row_cells.get("budget", (None, None))[1]
        s = row_cells.get("spent", (None, None))[1]
        if b is not None and s is not None and is_number(b.value) and is_number(s.value) and s.value > b.value + EPS:
            yield ctx.warning(f"项目“{key}”实际支出 {s.value:,.2f} 元超过预算 {b.value:,.2f} 元，请核实", cell=s, name="p_spent")
    if not any_row:
        yield ctx.warning("项目清单为空：绩效目标覆盖率、项目完成及时性无法计算。请逐个填写本年度实施的项目",
                          cell=names[0], name="p_name")


# ---------------------------------------------------------------- R11 报告文字
@rule("R11.report-text", "报告文字", "每段须选择章节；章节、类型只能取下拉列表中的值；正文不含控制字符")
def check_report_text(ctx: Context) -> Iterable[Finding]:
    book = ctx.book
    chapters = book.column("rpt_chapter")
    kinds = book.column("rpt_kind")
    texts = book.column("rpt_text")
    used = set()
    for i, t in enumerate(texts):
        ch = chapters[i] if i < len(chapters) else None
        kd = kinds[i] if i < len(kinds) else None
        text = t.value
        has_text = text not in (None, "") and not (isinstance(text, str) and not text.strip())
        chv = ch.value if ch is not None else None
        if not has_text:
            if chv not in (None, ""):
                yield ctx.info(f"报告文字第 {i + 1} 行选了章节“{chv}”但没有文字，将被忽略", cell=t, name="rpt_text")
            continue
        if not isinstance(text, str):
            yield ctx.warning(f"报告文字第 {i + 1} 行是数字 {text!r} 而不是文字，将按文字写入报告", cell=t, name="rpt_text")
        if chv in (None, ""):
            yield ctx.error(f"报告文字第 {i + 1} 行没有选择章节，不会写入报告；请在“章节”列选择", cell=ch or t,
                            name="rpt_chapter")
        elif chv not in CHAPTER_KEYS:
            yield ctx.error(f"报告文字第 {i + 1} 行的章节“{chv}”不在可选范围（{'、'.join(CHAPTER_KEYS)}）内",
                            cell=ch, name="rpt_chapter", actual=chv)
        else:
            used.add(chv)
        if kd is not None and kd.value not in (None, "") and kd.value not in PARAGRAPH_KINDS:
            yield ctx.warning(f"报告文字第 {i + 1} 行的类型“{kd.value}”无效，按“正文”处理", cell=kd, name="rpt_kind")
        if isinstance(text, str) and has_xml_illegal(text):
            yield ctx.warning(f"报告文字第 {i + 1} 行含不可见的控制字符，生成报告时会被删除", cell=t, name="rpt_text")
    if texts:
        for key in ("部门主要职责", "主要绩效", "存在问题", "相关建议"):
            if key not in used:
                yield ctx.info(f"报告文字中没有“{key}”一章的内容，报告中该章将为空", cell=texts[0], name="rpt_text")


assert set(TABLES) == {"projects", "report_text"}  # R10/R11 cover both tables

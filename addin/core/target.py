"""The target-table family (绩效目标自评表): the department's own indicator rows, as data.

A framework with `family = "target_table"` declares, besides the usual fields and metrics,
a `[target]` section: the sheet of the indicator table, its 一级 groups with their weights
and the 二级 categories each allows, the symbols of 指标性质, the grade words of qualitative
indicators and the scoring constants. The rows themselves (三级指标) are the department's;
they live in a table whose columns are defined names (t_...), like 项目清单.

Pure: no spreadsheet library, no environment. The same functions give the cell formulas'
results (the template writes native formulas that mirror them) and the command line's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from . import contract as ct
from .errors import CalcError
from .numeric import excel_round, is_blank, is_error_value, is_number

FAMILY_FIXED = "fixed_indicators"
FAMILY_TARGET = "target_table"
FAMILIES = (FAMILY_FIXED, FAMILY_TARGET)

# 指标性质 kinds
GE, LE, EQ, QUAL = "ge", "le", "eq", "qual"
NATURE_KINDS = (GE, LE, EQ, QUAL)
NATURE_LABELS = {GE: "正向（≥）", LE: "反向（≤）", EQ: "等于（=）", QUAL: "定性"}

# column id -> (header, kind, width); kinds: text / nature / value / number / score; "calc" columns are formulas
TABLE_COLUMNS = ct.TARGET_TABLE_COLUMNS  # the indicator table is part of the workbook contract
INPUT_COLUMNS = tuple(c[0] for c in TABLE_COLUMNS if c[2] != "calc")
CALC_COLUMNS = tuple(c[0] for c in TABLE_COLUMNS if c[2] == "calc")


def column_name(col_id: str) -> str:
    """Defined name of a column of the indicator table."""
    return ct.target_column_name(col_id)


@dataclass(frozen=True)
class TargetGroup:
    id: str
    name: str  # 产出指标
    weight: float  # 50
    level2: tuple[str, ...]  # 数量指标, 质量指标, ...

    @property
    def total_name(self) -> str:
        return ct.total_name(self.id)

    @property
    def weight_sum_name(self) -> str:
        return ct.weight_sum_name(self.id)


@dataclass(frozen=True)
class QualWord:
    word: str
    ratio: float


@dataclass(frozen=True)
class TargetSpec:
    sheet: str
    rows: int
    groups: tuple[TargetGroup, ...]
    natures: dict  # symbol -> kind
    qualitative: tuple[QualWord, ...]  # longest word first (matching order)
    ratio_cap: float = 1.0  # completion above this scores no more
    eq_tolerance: float = 1e-9
    reason_threshold: float = 0.9  # 执行率 below this needs a written reason
    exec_indicator: str = ""  # the fixed indicator scoring 预算执行率
    reason_field: str = ""  # f_... where the reason is written
    budget_initial: str = ""  # names of 年初预算数 / 全年预算数 / 全年执行数 totals (metrics or fields)
    budget_full: str = ""
    budget_exec: str = ""
    rate_metric: str = ""  # m_... 执行率
    conclusion_field: str = ""  # f_... 评价结论 (its total is checked against the table)
    overrun_tolerance: float = 0.3  # 完成值 above target by more than this: 偏离 (提示)
    reason_max_chars: int = 0  # the form's limit on the written reason (四川: 100 字); 0: none
    notes: tuple[str, ...] = ()  # scoring notes printed under the table
    extra: dict = field(default_factory=dict, hash=False, compare=False)

    def group(self, gid: str) -> TargetGroup:
        return next(g for g in self.groups if g.id == gid)

    def group_by_name(self, name: Any) -> TargetGroup | None:
        s = _norm(name)
        return next((g for g in self.groups if _norm(g.name) == s or _norm(g.name).rstrip("指标") == s), None)

    @property
    def weight_total(self) -> float:
        return sum(g.weight for g in self.groups)

    def symbols(self, kind: str) -> list[str]:
        return [s for s, k in self.natures.items() if k == kind]

    def nature_choices(self) -> list[str]:
        """One symbol per kind for the drop-down list (the first declared)."""
        out = []
        for k in NATURE_KINDS:
            syms = self.symbols(k)
            if syms:
                out.append(syms[0])
        return out


def _norm(v: Any) -> str:
    return re.sub(r"\s+", "", str(v or "")).replace("（", "(").replace("）", ")")


# ---------------------------------------------------------------- parsing the [target] section
def parse_target(ctx, data: dict, known_names: set[str], indicator_ids: set[str]) -> TargetSpec | None:
    """The [target] table of a framework file; problems go to ctx (framework._Ctx)."""
    t = data.get("target")
    if not isinstance(t, dict):
        ctx.err("[target]", "family = \"target_table\" 的指标体系须有 [target] 表")
        return None
    w = "[target]"
    sheet = t.get("sheet", "绩效指标")
    rows = t.get("rows", 120)
    if not isinstance(rows, int) or isinstance(rows, bool) or not 5 <= rows <= 2000:
        ctx.err(w, f"rows 须为 5–2000 的整数，实际 {rows!r}")
        rows = 120
    if not isinstance(sheet, str) or not sheet or len(sheet) > 31 or re.search(r"[\[\]:*?/\\']", sheet):
        ctx.err(w, f"sheet “{sheet}” 不符合 Excel 工作表名规则")
    groups, seen = [], set()
    for i, g in enumerate(t.get("groups", [])):
        gw = f"target.groups[{i}]（{g.get('name', '?')}）"
        gid = g.get("id")
        if not isinstance(gid, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", gid) or gid in seen:
            ctx.err(gw, f"id “{gid}” 须为唯一的小写 ASCII 标识符")
        seen.add(gid)
        weight = g.get("weight")
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight <= 0:
            ctx.err(gw, f"weight 须为正数，实际 {weight!r}")
            weight = 0
        l2 = g.get("level2", [])
        if not isinstance(l2, list) or not l2 or not all(isinstance(x, str) and x for x in l2):
            ctx.err(gw, "level2 须为二级指标名称的列表")
            l2 = []
        name = g.get("name")
        if not isinstance(name, str) or not name:
            ctx.err(gw, "缺少 name")
            name = "?"
        groups.append(TargetGroup(str(gid), name, float(weight), tuple(l2)))
    if not groups:
        ctx.err(w, "至少需要一个 [[target.groups]]（一级指标及其分值）")
    names = [g.name for g in groups]
    for n in {x for x in names if names.count(x) > 1}:
        ctx.err(w, f"一级指标“{n}”重复")
    natures = t.get("natures", {})
    if not isinstance(natures, dict) or not natures:
        ctx.err(w, "须有 natures（指标性质符号 → ge/le/eq/qual）")
        natures = {}
    for sym, kind in natures.items():
        if kind not in NATURE_KINDS:
            ctx.err(w, f"指标性质“{sym}”的类型 “{kind}” 须为 {'/'.join(NATURE_KINDS)}")
    quals = []
    for i, q in enumerate(t.get("qualitative", [])):
        word, ratio = q.get("word"), q.get("ratio")
        if not isinstance(word, str) or not word or not isinstance(ratio, (int, float)) or isinstance(ratio, bool) \
                or not 0 <= ratio <= 1:
            ctx.err(f"target.qualitative[{i}]", "须有 word（文字）和 ratio（0–1 的完成比例）")
            continue
        quals.append(QualWord(word, float(ratio)))
    quals.sort(key=lambda q: -len(q.word))  # "未达成" is tried before "达成"

    def name_ref(key: str, allowed: set[str]) -> str:
        v = t.get(key, "")
        if v and v not in allowed:
            ctx.err(w, f"{key} “{v}” 不是已声明的名称")
        return v or ""

    exec_ind = t.get("exec_indicator", "")
    if exec_ind and exec_ind not in indicator_ids:
        ctx.err(w, f"exec_indicator “{exec_ind}” 不是已声明的指标")

    def num(key: str, default: float, lo: float, hi: float) -> float:
        v = t.get(key, default)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not lo <= v <= hi:
            ctx.err(w, f"{key} 须为 {lo:g}–{hi:g} 的数，实际 {v!r}")
            return default
        return float(v)

    notes = t.get("notes", [])
    return TargetSpec(
        sheet=sheet if isinstance(sheet, str) else "绩效指标", rows=rows, groups=tuple(groups),
        natures=dict(natures), qualitative=tuple(quals),
        ratio_cap=num("ratio_cap", 1.0, 0.1, 10), eq_tolerance=num("eq_tolerance", 1e-9, 0, 1),
        reason_threshold=num("reason_threshold", 0.9, 0, 1),
        exec_indicator=exec_ind or "", reason_field=name_ref("reason_field", known_names),
        budget_initial=name_ref("budget_initial", known_names), budget_full=name_ref("budget_full", known_names),
        budget_exec=name_ref("budget_exec", known_names), rate_metric=name_ref("rate_metric", known_names),
        conclusion_field=name_ref("conclusion_field", known_names),
        overrun_tolerance=num("overrun_tolerance", 0.3, 0, 100),
        reason_max_chars=int(num("reason_max_chars", 0, 0, 10000)),
        notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (),
    )


# ---------------------------------------------------------------- values written in cells
_NUM_RE = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?|[-+]?\.\d+")
_SYMBOLS = "≥≧>=≤≦<＝﹦═="


def nature_kind(spec: TargetSpec, nature: Any) -> str | None:
    """ge/le/eq/qual for the symbol typed in 指标性质 (full-width variants as declared), or None."""
    if is_blank(nature):
        return None
    s = str(nature).strip()
    if s in spec.natures:
        return spec.natures[s]
    s2 = s.replace(" ", "")
    return spec.natures.get(s2)


def parse_number(v: Any) -> float | None:
    """A cell's number as Excel's VALUE() reads it: 1200, "1,200", "95%" (0.95); None otherwise."""
    if is_number(v):
        return float(v)
    if not isinstance(v, str) or is_error_value(v):
        return None
    s = v.strip().replace(",", "")
    pct = s.endswith("%")
    if pct:
        s = s[:-1].strip()
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", s):
        return None
    return float(s) / 100 if pct else float(s)


def first_number(v: Any) -> float | None:
    """The first number written in a text ('≥ 1,200 人' -> 1200), for messages and checks."""
    if is_number(v):
        return float(v)
    if not isinstance(v, str):
        return None
    m = _NUM_RE.search(v)
    return float(m.group(0).replace(",", "")) if m else None


def looks_like_target(v: Any) -> bool:
    """'≥98%' / '≤ 90 万元' written where a result belongs."""
    return isinstance(v, str) and bool(re.match(r"\s*[≥≧≤≦>＞<＜＝﹦═=]", v))


def unit_of(v: Any) -> str:
    """The unit written after a number ('95%' -> '%', '12 人' -> '人'), or ''."""
    if not isinstance(v, str):
        return ""
    m = re.search(r"\d\s*([%％‰]|[\u4e00-\u9fffA-Za-z/²³]+)\s*$", v.strip())
    return m.group(1).replace("％", "%") if m else ""


def qualitative_ratio(spec: TargetSpec, actual: Any) -> float:
    """Completion of a 定性 indicator from the grade words in 实际完成值."""
    if is_blank(actual):
        raise CalcError("missing", "实际完成值未填写")
    s = _norm(actual)
    for q in spec.qualitative:
        if q.word in s:
            return q.ratio
    raise CalcError("no_grade_word", "定性指标的完成值未写明完成程度")


def completion_ratio(spec: TargetSpec, nature: Any, target: Any, actual: Any, digits: int = 4) -> float:
    """完成率 by 指标性质: 正向 实际/目标, 反向 目标/实际, = exact (else the nearer ratio), 定性 by words.

    Not capped (a ratio above 100% is shown as it is); scores cap it.
    """
    kind = nature_kind(spec, nature)
    if kind is None:
        raise CalcError("no_nature", "指标性质未填写或不可识别")
    if kind == QUAL:
        return qualitative_ratio(spec, actual)
    if is_blank(actual):
        raise CalcError("missing", "实际完成值未填写")
    t, a = parse_number(target), parse_number(actual)
    if t is None:
        raise CalcError("no_target", "年度指标值不是数字")
    if a is None:
        raise CalcError("no_actual", "实际完成值不是数字")
    if kind == GE:
        if t == 0:
            return 1.0 if a >= 0 else 0.0
        return excel_round(max(0.0, a / t), digits)
    if kind == LE:
        if a <= t:
            return 1.0
        if a == 0:  # pragma: no cover - a <= t covers a == 0 with t >= 0
            return 1.0
        return excel_round(max(0.0, t / a), digits)
    # EQ
    if abs(a - t) <= spec.eq_tolerance * max(1.0, abs(t)):
        return 1.0
    if t == 0 or a == 0 or (a < 0) != (t < 0):
        return 0.0
    return excel_round(min(a / t, t / a), digits)


def suggested_row_score(spec: TargetSpec, weight: Any, ratio: Any, decimals: int = 2) -> float:
    """建议得分 = 分值 × MIN(完成率, ratio_cap), never above 分值."""
    if not is_number(weight):
        raise CalcError("no_weight", "分值未填写或不是数字")
    if not is_number(ratio):
        raise CalcError("no_ratio", "完成率无法计算")
    r = max(0.0, min(float(ratio), spec.ratio_cap))
    return excel_round(min(float(weight), float(weight) * r), decimals)


# ---------------------------------------------------------------- rows
@dataclass
class TargetRow:
    index: int  # 0-based position in the table
    cells: dict  # column id -> value as typed
    coords: dict = field(default_factory=dict)  # column id -> (sheet, coord)

    def get(self, col: str) -> Any:
        return self.cells.get(col)

    @property
    def is_empty(self) -> bool:
        return all(is_blank(self.cells.get(c)) for c in INPUT_COLUMNS)

    @property
    def computes(self) -> bool:
        """The computed columns show something (as the cell formulas decide)."""
        return not all(is_blank(self.cells.get(c)) for c in ("name", "nature", "actual"))

    @property
    def is_placeholder(self) -> bool:
        """An untouched '指标2：……' row the form leaves in."""
        name = str(self.cells.get("name") or "")
        others = [c for c in INPUT_COLUMNS if c not in ("name", "level1", "level2")]
        return bool(re.fullmatch(r"\s*指标\s*\d+\s*[:：]\s*[…\.。]*\s*", name)) and \
            all(is_blank(self.cells.get(c)) for c in others)


@dataclass
class RowResult:
    row: TargetRow
    group: TargetGroup | None
    ratio: float | None
    ratio_error: CalcError | None
    suggested: float | None
    suggest_error: CalcError | None
    weight: float | None
    score: float | None

    @property
    def ratio_display(self) -> Any:
        if not self.row.computes:
            return ""
        return self.ratio if self.ratio_error is None else self.ratio_error.message

    @property
    def suggest_display(self) -> Any:
        if not self.row.computes:
            return ""
        return self.suggested if self.suggest_error is None else ""


def evaluate_rows(spec: TargetSpec, rows: Iterable[TargetRow], decimals: int = 2) -> list[RowResult]:
    out = []
    for r in rows:
        grp = spec.group_by_name(r.get("level1"))
        ratio = rerr = sug = serr = None
        if r.computes:
            try:
                ratio = completion_ratio(spec, r.get("nature"), r.get("target"), r.get("actual"))
            except CalcError as e:
                rerr = e.with_traceback(None)
            try:
                sug = suggested_row_score(spec, r.get("weight"), ratio, decimals)
            except CalcError as e:
                serr = e.with_traceback(None)
        w, s = r.get("weight"), r.get("score")
        out.append(RowResult(r, grp, ratio, rerr, sug, serr, float(w) if is_number(w) else None,
                             float(s) if is_number(s) else None))
    return out


def group_totals(spec: TargetSpec, results: list[RowResult]) -> tuple[dict[str, float], dict[str, float]]:
    """(scores, weights) by group id, as SUMIF over the table shows them."""
    scores = {g.id: 0.0 for g in spec.groups}
    weights = {g.id: 0.0 for g in spec.groups}
    for r in results:
        if r.group is None:
            continue
        if r.score is not None:
            scores[r.group.id] += r.score
        if r.weight is not None:
            weights[r.group.id] += r.weight
    return ({k: excel_round(v, 4) for k, v in scores.items()}, {k: excel_round(v, 4) for k, v in weights.items()})


# ---------------------------------------------------------------- native Excel formulas (mirrors of the above)
def _q(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def ratio_formula(spec: TargetSpec, row: int, col: dict[str, str]) -> str:
    """完成率 of one row in native Excel functions (works without the add-in, in WPS and LibreOffice)."""
    n, nat, t, a = (f"{col[c]}{row}" for c in ("name", "nature", "target", "actual"))

    def any_of(kind: str) -> str:
        syms = spec.symbols(kind)
        return "OR(" + ",".join(f"TRIM({nat})={_q(s)}" for s in syms) + ")" if syms else "FALSE"

    tv, av = f"VALUE({t})", f"VALUE({a})"
    qual = '"定性指标的完成值未写明完成程度"'
    for q in reversed(spec.qualitative):  # longest word tested first, as qualitative_ratio does
        qual = f"IF(ISNUMBER(SEARCH({_q(q.word)},{a})),{q.ratio:g},{qual})"
    ge = f"IF({tv}=0,IF({av}>=0,1,0),ROUND(MAX(0,{av}/{tv}),4))"
    le = f"IF({av}<={tv},1,ROUND(MAX(0,{tv}/{av}),4))"
    eq = (f"IF(ABS({av}-{tv})<={spec.eq_tolerance:g}*MAX(1,ABS({tv})),1,"
          f"IF(OR({tv}=0,{av}=0,({av}<0)<>({tv}<0)),0,ROUND(MIN({av}/{tv},{tv}/{av}),4)))")
    numeric = (f'IF({a}="","实际完成值未填写",IF(OR({t}="",ISERROR({tv})),"年度指标值不是数字",'
               f'IF(ISERROR({av}),"实际完成值不是数字",IF({any_of(GE)},{ge},IF({any_of(LE)},{le},{eq})))))')
    return (f'=IF(AND({n}="",{nat}="",{a}=""),"",IF({any_of(QUAL)},IF({a}="","实际完成值未填写",{qual}),'
            f'IF(OR({any_of(GE)},{any_of(LE)},{any_of(EQ)}),{numeric},"指标性质未填写或不可识别")))')


def suggest_formula(spec: TargetSpec, row: int, col: dict[str, str], decimals: int) -> str:
    w, r = f"{col['weight']}{row}", f"{col['ratio']}{row}"
    return (f'=IF(OR(NOT(ISNUMBER({w})),NOT(ISNUMBER({r}))),"",'
            f"ROUND(MIN({w},{w}*MAX(0,MIN({r},{spec.ratio_cap:g}))),{decimals}))")


def group_total_formula(group: TargetGroup, column: str) -> str:
    return f"=SUMIF({column_name('level1')},{_q(group.name)},{column_name(column)})"


# ---------------------------------------------------------------- the report outline ([report] section)
# blocks the report writes from the workbook (the user's paragraphs of the same chapter follow them)
AUTO_BLOCKS = ("budget", "goals", "groups", "deviations", "conclusion", "problems", "measures", "staff")


@dataclass(frozen=True)
class ReportChapter:
    key: str  # the value in 报告文字's 章节 column
    headings: tuple[str, ...]  # headings opened before its paragraphs, outermost first
    auto: tuple[str, ...] = ()  # generated blocks, from AUTO_BLOCKS
    optional: bool = False  # no 提示 when 报告文字 has nothing for it


def parse_report_outline(ctx, data: dict) -> tuple[ReportChapter, ...]:
    rep = data.get("report")
    if rep is None:
        return ()
    if not isinstance(rep, dict):
        ctx.err("[report]", "须为表")
        return ()
    out, keys = [], set()
    for i, c in enumerate(rep.get("chapters", [])):
        w = f"report.chapters[{i}]"
        key, heads, auto = c.get("key"), c.get("headings"), c.get("auto", [])
        if not isinstance(key, str) or not key or key in keys:
            ctx.err(w, f"key “{key}” 须为唯一的章节名")
            continue
        keys.add(key)
        if not isinstance(heads, list) or not heads or not all(isinstance(h, str) and h for h in heads):
            ctx.err(w, "headings 须为标题文字的列表（由外到内）")
            heads = [key]
        if not isinstance(auto, list) or any(a not in AUTO_BLOCKS for a in auto):
            ctx.err(w, f"auto 只能取 {', '.join(AUTO_BLOCKS)}")
            auto = []
        optional = c.get("optional", False)
        if not isinstance(optional, bool):
            ctx.err(w, "optional 须为 true 或 false")
            optional = False
        out.append(ReportChapter(key, tuple(heads), tuple(auto), optional))
    if not out:
        ctx.err("[report]", "至少需要一个 [[report.chapters]]")
    return tuple(out)

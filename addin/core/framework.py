"""The indicator framework as data: load a TOML file, check it, expose typed objects.

A framework file declares fields (inputs), metrics (computed figures), the indicator
tree with maxima and scoring rules, reallocations (conditional maxima), adjustments
(加减分), grades and text checks. Loading verifies that children sum to their parent,
that groups sum to total_max, that every reference resolves; a broken file fails with
a message naming the file, the entry and what is wrong.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import contract as ct
from .errors import FrameworkError

FRAMEWORK_DIR = Path(__file__).with_name("frameworks")
# Where a department puts its own frameworks (so Excel's UDF server finds them too). Set by the
# edges from their Settings (addin.app.Settings.apply); the core itself reads no environment.
_user_dirs: list[Path] = []


def set_user_framework_dir(path: Path | None) -> None:
    """Search `path` (after the bundled ones) for frameworks named by id; None: bundled only."""
    new = [Path(path)] if path else []
    if new != _user_dirs:
        _user_dirs[:] = new
        load_framework.cache_clear()


def user_framework_dir() -> Path | None:
    return _user_dirs[0] if _user_dirs else None
DEFAULT_FRAMEWORK = "gd_county_2022"

FIELD_KINDS = {"text", "longtext", "year", "amount", "count", "rate", "yesno"}
RULE_TYPES = {"proportional", "deduct_per_item", "threshold", "conditions"}
# fn -> number of args (None: any); the Excel side of each lives in addin/core/metrics.py
METRIC_FNS = {
    "exec_rate": 2, "balance_rate": 2, "coverage_rate": 2, "staff_ratio": 2, "growth_rate": 2,
    "control_rate": 2, "ratio": 2, "spend_progress": 3, "funds_rate": 2, "sum": None,
    "difference": 2, "amount": 1, "count_nonblank": 1, "count_flag": 2,
}
_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_NAME_EPS = 1e-9


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    kind: str
    section: str
    required: bool = False
    unit: str = ""
    help: str = ""
    aliases: tuple[str, ...] = ()
    role: str | None = None  # what the report and rules use it for: "department", "year", … (contract.ROLES)

    @property
    def name(self) -> str:
        return ct.field_name(self.id)


@dataclass(frozen=True)
class ProjectColumn:
    id: str
    label: str
    kind: str
    width: int = 14

    @property
    def name(self) -> str:
        return ct.column_name(self.id)


@dataclass(frozen=True)
class Metric:
    id: str
    label: str
    fn: str
    args: tuple[str, ...]
    params: dict = field(default_factory=dict, hash=False, compare=False)
    unit: str = ""  # "" means a rate shown as a percentage
    help: str = ""
    assumption: str = ""
    upper: float | None = None  # above this the figure is implausible (validation)
    upper_severity: str = "警告"
    upper_hint: str = ""
    explained_by: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def name(self) -> str:
        return ct.metric_name(self.id)

    @property
    def is_rate(self) -> bool:
        return self.unit == ""


@dataclass(frozen=True)
class Rule:
    type: str
    params: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    max: float
    level1: str  # ids
    level2: str
    explanation: str = ""
    criteria: str = ""
    metric: str | None = None  # a metric name (m_...)
    rule: Rule | None = None
    assumption: str = ""

    # names of this indicator's cells
    @property
    def score_name(self) -> str:
        return ct.score_name(self.id)

    @property
    def suggest_name(self) -> str:
        return ct.suggest_name(self.id)

    @property
    def value_name(self) -> str:
        return ct.value_name(self.id)

    @property
    def max_name(self) -> str:
        return ct.max_name(self.id)

    @property
    def note_name(self) -> str:
        return ct.note_name(self.id)


@dataclass(frozen=True)
class Level2:
    id: str
    name: str
    max: float
    parent: str

    @property
    def subtotal_name(self) -> str:
        return ct.subtotal_name(self.id)


@dataclass(frozen=True)
class Level1:
    id: str
    name: str
    max: float
    sheet: str

    @property
    def total_name(self) -> str:
        return ct.total_name(self.id)


@dataclass(frozen=True)
class Reallocation:
    source: str  # indicator ids
    target: str
    points: float
    when_field: str  # a field name (f_...)
    when_value: str


@dataclass(frozen=True)
class Adjustment:
    id: str
    name: str
    sign: int
    max: float
    explanation: str = ""
    criteria: str = ""
    assumption: str = ""

    @property
    def score_name(self) -> str:
        return ct.score_name(self.id)

    @property
    def note_name(self) -> str:
        return ct.note_name(self.id)


@dataclass(frozen=True)
class Grade:
    name: str
    min: float


@dataclass(frozen=True)
class Consistency:
    a: str
    b: str
    op: str  # "eq" (within tolerance) or "le"
    tolerance: float
    severity: str
    message: str


@dataclass(frozen=True)
class CrossCheck:
    left: str
    op: str  # "le" or "ge"
    right: str
    severity: str
    message: str


@dataclass(frozen=True)
class TextCheck:
    pattern: re.Pattern
    names: tuple[str, ...]
    signed: bool = False


@dataclass
class Framework:
    id: str
    name: str
    region: str
    years: tuple[int, ...]
    version: str
    source: str
    total_max: float
    total_cap: float | None
    suggest_decimals: int
    score_decimals: int
    grades: list[Grade]
    fields: list[Field]
    project_columns: list[ProjectColumn]
    metrics: list[Metric]
    level1: list[Level1]
    level2: list[Level2]
    indicators: list[Indicator]
    reallocations: list[Reallocation]
    adjustments: list[Adjustment]
    text_checks: list[TextCheck]
    consistency: list[Consistency] = field(default_factory=list)
    cross_checks: list[CrossCheck] = field(default_factory=list)
    path: Path | None = None
    family: str = "fixed_indicators"  # or "target_table" (see core/target.py)
    purpose: str = ""  # what the framework is for (jxzp frameworks)
    form_title: str = "部门整体支出绩效自评表"  # the official form's title (sheets, report's attached table)
    target: Any = None  # TargetSpec of the target-table family
    report_outline: tuple = ()  # ReportChapter of the framework's [report] section
    report_texts: tuple = ()  # (chapter, kind, text): default paragraphs of 报告文字 ([[report.texts]])
    sheets: Any = None  # contract.Sheets: names of the template's own sheets ([sheets])
    prev_fields: dict = field(default_factory=dict)  # f_ name -> name whose value becomes it next year (上年 fields)
    carry_fields: tuple = ()  # f_ names copied unchanged into next year's workbook (部门、人员编制…)

    @property
    def is_target(self) -> bool:
        return self.target is not None

    def score_groups(self) -> list[tuple[str, str, float, str]]:
        """(id, name, max, total name) of every scored group: fixed 一级 and the indicator table's."""
        out = [(g.id, g.name, g.max, g.total_name) for g in self.level1]
        if self.target is not None:
            out += [(g.id, g.name, g.weight, g.total_name) for g in self.target.groups]
        return out
    text_reader: "PatternSet | None" = None  # [text_reader]: how figures in sentences are read
    plausibility: dict = field(default_factory=dict)  # [plausibility]: bounds and names of the plausibility rules
    explanations: list = field(default_factory=list)  # [[explanations]]: reasons that lower a finding

    # ---- lookups
    def field(self, name: str) -> Field | None:
        return self._fields_by_name.get(name)

    def metric(self, name: str) -> Metric | None:
        return self._metrics_by_name.get(name)

    def indicator(self, ind_id: str) -> Indicator:
        return self._ind_by_id[ind_id]

    def level1_by_id(self, lid: str) -> Level1:
        return next(g for g in self.level1 if g.id == lid)

    def level2_by_id(self, lid: str) -> Level2:
        return next(g for g in self.level2 if g.id == lid)

    def level2_of(self, level1_id: str) -> list[Level2]:
        return [g for g in self.level2 if g.parent == level1_id]

    def indicators_of(self, level2_id: str) -> list[Indicator]:
        return [i for i in self.indicators if i.level2 == level2_id]

    def indicators_of_level1(self, level1_id: str) -> list[Indicator]:
        return [i for i in self.indicators if i.level1 == level1_id]

    def grade_for(self, total: float) -> str:
        for g in sorted(self.grades, key=lambda g: -g.min):
            if total >= g.min - _NAME_EPS:
                return g.name
        return self.grades[-1].name

    def input_names(self) -> list[str]:
        """Every single-cell input name, in sheet order."""
        return ct.contract_for(self).inputs()

    def __post_init__(self) -> None:
        self._fields_by_name = {f.name: f for f in self.fields}
        self._metrics_by_name = {m.name: m for m in self.metrics}
        self._ind_by_id = {i.id: i for i in self.indicators}


# ---------------------------------------------------------------- loading
class _Ctx:
    """Collects every problem in a file so the author sees them all at once."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[str] = []

    def err(self, where: str, msg: str) -> None:
        self.problems.append(f"{where}：{msg}")

    def raise_if_any(self) -> None:
        if self.problems:
            lines = "\n  - ".join(self.problems)
            raise FrameworkError(f"指标体系文件 {self.path} 有误：\n  - {lines}")


def _get(ctx: _Ctx, d: dict, key: str, where: str, typ: type | tuple, default: Any = ...) -> Any:
    if key not in d:
        if default is ...:
            ctx.err(where, f"缺少“{key}”")
            return None
        return default
    v = d[key]
    if typ is float and isinstance(v, int) and not isinstance(v, bool):
        v = float(v)
    if not isinstance(v, typ) or (typ is not bool and isinstance(v, bool)):
        ctx.err(where, f"“{key}”的类型应为 {getattr(typ, '__name__', typ)}，实际为 {v!r}")
        return None if default is ... else default
    return v


def _check_id(ctx: _Ctx, ident: Any, where: str, seen: set) -> None:
    if not isinstance(ident, str) or not _ID_RE.match(ident):
        ctx.err(where, f"id “{ident}” 须为小写字母开头的 ASCII 标识符（a-z、0-9、_）")
    elif ident in seen:
        ctx.err(where, f"id “{ident}” 重复")
    else:
        seen.add(ident)


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 1e-6


def parse_framework(data: dict, path: Path) -> Framework:
    ctx = _Ctx(path)
    head = data.get("framework")
    if not isinstance(head, dict):
        ctx.err("[framework]", "缺少 [framework] 表")
        ctx.raise_if_any()
    fid = _get(ctx, head, "id", "[framework]", str)
    if fid is not None and not _ID_RE.match(fid):
        ctx.err("[framework]", f"id “{fid}” 须为小写 ASCII 标识符")

    grades = []
    for i, g in enumerate(data.get("grades", [])):
        grades.append(Grade(_get(ctx, g, "name", f"grades[{i}]", str) or "?",
                            _get(ctx, g, "min", f"grades[{i}]", float) or 0.0))
    if not grades:
        ctx.err("grades", "至少需要一个等级")

    seen_f: set = set()
    fields = []
    for i, f in enumerate(data.get("fields", [])):
        w = f"fields[{i}]（{f.get('label', f.get('id', '?'))}）"
        _check_id(ctx, f.get("id"), w, seen_f)
        kind = _get(ctx, f, "kind", w, str)
        if kind is not None and kind not in FIELD_KINDS:
            ctx.err(w, f"kind “{kind}” 不在 {sorted(FIELD_KINDS)} 中")
        fields.append(Field(
            id=str(f.get("id")), label=_get(ctx, f, "label", w, str) or "?", kind=kind or "text",
            section=_get(ctx, f, "section", w, str, "基本情况"), required=_get(ctx, f, "required", w, bool, False),
            unit=_get(ctx, f, "unit", w, str, ""), help=_get(ctx, f, "help", w, str, ""),
            aliases=tuple(_get(ctx, f, "aliases", w, list, [])), role=_get(ctx, f, "role", w, str, None),
        ))
    labels = [f.label for f in fields]
    for lab in {x for x in labels if labels.count(x) > 1}:
        ctx.err("fields", f"标签“{lab}”重复（报告占位符按标签查找，须唯一）")

    seen_p: set = set()
    pcols = []
    for i, c in enumerate(data.get("project_columns", [])):
        w = f"project_columns[{i}]"
        _check_id(ctx, c.get("id"), w, seen_p)
        pcols.append(ProjectColumn(str(c.get("id")), _get(ctx, c, "label", w, str) or "?",
                                   _get(ctx, c, "kind", w, str, "text"), int(c.get("width", 14))))
    if "name" not in seen_p:
        ctx.err("project_columns", "须有 id 为 name 的“项目名称”列")

    pcol_names = {ct.column_name(x) for x in seen_p}
    known_names = {ct.field_name(x) for x in seen_f} | pcol_names
    seen_m: set = set()
    metrics = []
    for i, m in enumerate(data.get("metrics", [])):
        w = f"metrics[{i}]（{m.get('label', m.get('id', '?'))}）"
        _check_id(ctx, m.get("id"), w, seen_m)
        fn = _get(ctx, m, "fn", w, str)
        args = tuple(_get(ctx, m, "args", w, list, []))
        if fn is not None and fn not in METRIC_FNS:
            ctx.err(w, f"计算函数 “{fn}” 不存在，可用：{', '.join(sorted(METRIC_FNS))}")
        elif fn is not None and METRIC_FNS[fn] is not None and len(args) != METRIC_FNS[fn]:
            ctx.err(w, f"函数 {fn} 需要 {METRIC_FNS[fn]} 个参数，实际 {len(args)} 个")
        for a in args:
            # metrics may only use fields, project columns and metrics declared before them
            if a not in known_names:
                ctx.err(w, f"参数 “{a}” 不是已声明的录入项、项目清单列或（在此之前声明的）计算值")
        if fn in ("count_nonblank", "count_flag") and any(a not in pcol_names for a in args):
            ctx.err(w, f"{fn} 的参数须为项目清单列（p_...）")
        metrics.append(Metric(
            id=str(m.get("id")), label=_get(ctx, m, "label", w, str) or "?", fn=fn or "ratio",
            args=args, params=dict(m.get("params", {})), unit=_get(ctx, m, "unit", w, str, ""),
            help=_get(ctx, m, "help", w, str, ""), assumption=_get(ctx, m, "assumption", w, str, ""),
            upper=_get(ctx, m, "upper", w, float, None),
            upper_severity=_severity(ctx, w, _get(ctx, m, "upper_severity", w, str, "警告")),
            upper_hint=_get(ctx, m, "upper_hint", w, str, ""),
            explained_by=dict(_get(ctx, m, "explained_by", w, dict, {})),
        ))
        known_names.add(ct.metric_name(str(m.get("id"))))
    mlabels = [m.label for m in metrics] + labels
    for lab in {x for x in mlabels if mlabels.count(x) > 1}:
        ctx.err("metrics", f"标签“{lab}”与其他计算值或录入项重复")

    seen_1: set = set()
    level1 = []
    for i, g in enumerate(data.get("level1", [])):
        w = f"level1[{i}]（{g.get('name', '?')}）"
        _check_id(ctx, g.get("id"), w, seen_1)
        level1.append(Level1(str(g.get("id")), _get(ctx, g, "name", w, str) or "?",
                             _get(ctx, g, "max", w, float) or 0.0, _get(ctx, g, "sheet", w, str) or "?"))
    seen_2: set = set()
    level2 = []
    for i, g in enumerate(data.get("level2", [])):
        w = f"level2[{i}]（{g.get('name', '?')}）"
        _check_id(ctx, g.get("id"), w, seen_2)
        parent = _get(ctx, g, "parent", w, str)
        if parent is not None and parent not in seen_1:
            ctx.err(w, f"上级 “{parent}” 不是已声明的一级指标")
        level2.append(Level2(str(g.get("id")), _get(ctx, g, "name", w, str) or "?",
                             _get(ctx, g, "max", w, float) or 0.0, parent or "?"))
    parent_of2 = {g.id: g.parent for g in level2}

    seen_i: set = set()
    indicators = []
    for i, d in enumerate(data.get("indicators", [])):
        w = f"indicators[{i}]（{d.get('name', d.get('id', '?'))}）"
        _check_id(ctx, d.get("id"), w, seen_i)
        parent = _get(ctx, d, "parent", w, str)
        if parent is not None and parent not in parent_of2:
            ctx.err(w, f"上级 “{parent}” 不是已声明的二级指标")
        mx = _get(ctx, d, "max", w, float)
        if mx is not None and mx <= 0:
            ctx.err(w, f"分值须大于 0，实际 {mx}")
        metric = _get(ctx, d, "metric", w, str, None)
        if metric is not None and metric not in {ct.metric_name(x) for x in seen_m}:
            ctx.err(w, f"计算值 “{metric}” 未声明")
        rule = None
        if "rule" in d:
            rd = dict(d["rule"])
            rtype = rd.pop("type", None)
            if rtype not in RULE_TYPES:
                ctx.err(w, f"评分规则类型 “{rtype}” 不在 {sorted(RULE_TYPES)} 中")
            else:
                _check_rule(ctx, w, rtype, rd, metric, {ct.metric_name(x) for x in seen_m})
            rule = Rule(rtype or "?", rd)
        indicators.append(Indicator(
            id=str(d.get("id")), name=_get(ctx, d, "name", w, str) or "?", max=mx or 0.0,
            level1=parent_of2.get(parent or "", "?"), level2=parent or "?",
            explanation=_get(ctx, d, "explanation", w, str, ""), criteria=_get(ctx, d, "criteria", w, str, ""),
            metric=metric, rule=rule, assumption=_get(ctx, d, "assumption", w, str, ""),
        ))

    realloc = []
    for i, r in enumerate(data.get("reallocations", [])):
        w = f"reallocations[{i}]"
        src, dst = _get(ctx, r, "from", w, str), _get(ctx, r, "to", w, str)
        for x in (src, dst):
            if x is not None and x not in seen_i:
                ctx.err(w, f"指标 “{x}” 未声明")
        pts = _get(ctx, r, "points", w, float)
        wf = _get(ctx, r, "when_field", w, str)
        if wf is not None and wf not in {ct.field_name(x) for x in seen_f}:
            ctx.err(w, f"条件字段 “{wf}” 未声明")
        realloc.append(Reallocation(src or "?", dst or "?", pts or 0.0, wf or "?",
                                    str(_get(ctx, r, "when_value", w, str) or "")))

    seen_a: set = set(seen_i)
    adjustments = []
    for i, a in enumerate(data.get("adjustments", [])):
        w = f"adjustments[{i}]（{a.get('name', '?')}）"
        _check_id(ctx, a.get("id"), w, seen_a)
        sign = _get(ctx, a, "sign", w, int)
        if sign not in (1, -1, None):
            ctx.err(w, "sign 须为 1（加分）或 -1（减分）")
        adjustments.append(Adjustment(
            str(a.get("id")), _get(ctx, a, "name", w, str) or "?", sign or 1,
            _get(ctx, a, "max", w, float) or 0.0, _get(ctx, a, "explanation", w, str, ""),
            _get(ctx, a, "criteria", w, str, ""), _get(ctx, a, "assumption", w, str, "")))

    all_names = ({ct.field_name(x) for x in seen_f} | {ct.metric_name(x) for x in seen_m} | {ct.TOTAL_SCORE, ct.ADJ_TOTAL}
                 | {ct.total_name(x) for x in seen_1} | {ct.subtotal_name(x) for x in seen_2})
    def pair(c: dict, w: str, keys: tuple[str, str], ops: tuple[str, ...]) -> tuple[str, str, str, str, str]:
        """Two declared names, an operator, a severity and a message (consistency / cross_checks)."""
        x, y = (_get(ctx, c, k, w, str) for k in keys)
        for n in (x, y):
            if n is not None and n not in all_names:
                ctx.err(w, f"名称 “{n}” 未声明")
        op = _get(ctx, c, "op", w, str, ops[0])
        if op not in ops:
            ctx.err(w, f"op 须为 {' 或 '.join(ops)}")
        return (x or "?", y or "?", op, _severity(ctx, w, _get(ctx, c, "severity", w, str, "警告")),
                _get(ctx, c, "message", w, str) or "?")

    consistency = []
    for i, c in enumerate(data.get("consistency", [])):
        a, b, op, sev, msg = pair(c, f"consistency[{i}]", ("a", "b"), ("eq", "le"))
        consistency.append(Consistency(a, b, op, _get(ctx, c, "tolerance", f"consistency[{i}]", float, 0.0), sev, msg))
    cross = []
    for i, c in enumerate(data.get("cross_checks", [])):
        left, right, op, sev, msg = pair(c, f"cross_checks[{i}]", ("left", "right"), ("le", "ge"))
        cross.append(CrossCheck(left, op, right, sev, msg))
    checks = []
    for i, t in enumerate(data.get("text_checks", [])):
        w = f"text_checks[{i}]"
        pat = _get(ctx, t, "pattern", w, str)
        try:
            rx = re.compile(pat or "")
        except re.error as e:
            ctx.err(w, f"正则表达式有误：{e}")
            continue
        names = tuple(_get(ctx, t, "names", w, list, []))
        for n in names:
            if n not in all_names:
                ctx.err(w, f"名称 “{n}” 未声明")
        checks.append(TextCheck(rx, names, bool(t.get("signed", False))))

    from .target import FAMILIES, FAMILY_TARGET, parse_report_outline, parse_target  # noqa: PLC0415

    family = _get(ctx, head, "family", "[framework]", str, "fixed_indicators")
    if family not in FAMILIES:
        ctx.err("[framework]", f"family “{family}” 须为 {' 或 '.join(FAMILIES)}")
    target = None
    if family == FAMILY_TARGET:
        target = parse_target(ctx, data, all_names, seen_i)
    outline = parse_report_outline(ctx, data)
    prev_fields, carry_fields = {}, []
    for i, f in enumerate(data.get("fields", [])):
        if f.get("carry") is True:
            carry_fields.append(ct.field_name(str(f.get('id'))))
        src = f.get("prev_of")
        if src is None:
            continue
        if src not in all_names:
            ctx.err(f"fields[{i}]", f"prev_of “{src}” 不是已声明的录入项、计算值或 total_score")
        else:
            prev_fields[ct.field_name(str(f.get('id')))] = src
    reader = None
    if "text_reader" in data:
        from .reading import PatternError, PatternSet  # noqa: PLC0415

        try:
            reader = PatternSet.from_data(data["text_reader"], all_names | {ct.TOTAL_SCORE})
        except PatternError as e:
            ctx.err("text_reader", str(e))

    plaus = data.get("plausibility", {})
    if not isinstance(plaus, dict):
        ctx.err("plausibility", "应为表")
        plaus = {}
    for key, v in plaus.items():
        for n in ([v] if isinstance(v, str) else v if isinstance(v, list) else []):
            if isinstance(n, str) and ct.is_ours(n) and n not in all_names:
                ctx.err(f"plausibility.{key}", f"名称 “{n}” 未声明")
    expl = []
    for i, e in enumerate(data.get("explanations", [])):
        w = f"explanations[{i}]"
        if not isinstance(e, dict) or not e.get("codes") or not e.get("words"):
            ctx.err(w, "需要 codes（被说明的校验代码）和 words（说明原因的词）")
            continue
        for n in e.get("names", []):
            if n not in all_names:
                ctx.err(w, f"名称 “{n}” 未声明")
        if e.get("lower_to", "提示") not in ("警告", "提示"):
            ctx.err(w, "lower_to 须为 警告 或 提示")
        expl.append(dict(e))

    # ---- arithmetic of the tree
    total_max = _get(ctx, head, "total_max", "[framework]", float, 100.0)
    s1 = sum(g.max for g in level1) + (target.weight_total if target is not None else 0.0)
    if not _close(s1, total_max):
        ctx.err("level1", f"一级指标分值之和为 {s1:g}，应为 {total_max:g}")
    for g in level1:
        s = sum(x.max for x in level2 if x.parent == g.id)
        if not _close(s, g.max):
            ctx.err(f"一级指标“{g.name}”", f"下属二级指标分值之和为 {s:g}，应为 {g.max:g}")
    for g in level2:
        kids = [x for x in indicators if x.level2 == g.id]
        if not kids:
            ctx.err(f"二级指标“{g.name}”", "没有三级指标")
            continue
        s = sum(x.max for x in kids)
        if not _close(s, g.max):
            ctx.err(f"二级指标“{g.name}”", f"下属三级指标分值之和为 {s:g}，应为 {g.max:g}")
    ind_max = {x.id: x.max for x in indicators}
    for r in realloc:
        if r.source in ind_max and not _close(r.points, ind_max[r.source]):
            ctx.err("reallocations", f"转出分值 {r.points:g} 应等于“{r.source}”的分值 {ind_max[r.source]:g}")
    fixed_sheets = _parse_sheets(ctx, data)
    report_texts = _parse_report_texts(ctx, data, outline)
    _check_roles(ctx, fields)
    sheets = [g.sheet for g in level1]
    reserved = set(fixed_sheets.fixed())
    if target is not None:
        sheets.append(target.sheet)
    for s in sheets:
        if sheets.count(s) > 1 or s in reserved:
            ctx.err("level1", f"工作表名“{s}”重复或与固定工作表重名")
        if len(s) > 31 or re.search(r"[\[\]:*?/\\']", s):
            ctx.err("level1", f"工作表名“{s}”不符合 Excel 规则（≤31 字符，不含 []:*?/\\'）")
    from .dv_text import problems as dv_problems  # noqa: PLC0415

    for where, msg in dv_problems(fields, indicators, adjustments):
        ctx.err(where, msg)

    ctx.raise_if_any()
    return Framework(
        id=fid, name=_get(ctx, head, "name", "[framework]", str, fid), region=head.get("region", ""),
        years=tuple(head.get("years", ())), version=str(head.get("version", "1")),
        source=head.get("source", ""), total_max=total_max, total_cap=head.get("total_cap"),
        suggest_decimals=int(head.get("suggest_decimals", 1)), score_decimals=int(head.get("score_decimals", 2)),
        grades=grades, fields=fields,
        project_columns=pcols, metrics=metrics, level1=level1, level2=level2, indicators=indicators,
        reallocations=realloc, adjustments=adjustments, text_checks=checks, consistency=consistency,
        cross_checks=cross, path=path, family=family or "fixed_indicators",
        purpose=head.get("purpose", ""), form_title=head.get("form_title", "部门整体支出绩效自评表"), target=target, report_outline=outline, prev_fields=prev_fields,
        carry_fields=tuple(carry_fields), report_texts=report_texts, sheets=fixed_sheets,
        text_reader=reader, plausibility=dict(plaus), explanations=expl,
    )


_SHEET_KEYS = ("guide", "info", "projects", "adjust", "summary", "text")  # 校验结果 and the marks sheet keep their names


def _sheet_name_problem(s: str) -> str | None:
    if not s or len(s) > 31 or re.search(r"[\[\]:*?/\\']", s) or s.startswith("_jxzp"):
        return f"工作表名“{s}”不符合 Excel 规则（1–31 个字符，不含 []:*?/\\'）"
    return None


def _parse_sheets(ctx: _Ctx, data: dict) -> "ct.Sheets":
    """[sheets]: the template's own sheets renamed (校验结果 keeps its name)."""
    raw = data.get("sheets", {})
    if not isinstance(raw, dict):
        ctx.err("[sheets]", "须为表")
        return ct.SHEETS
    names = {}
    for key, v in raw.items():
        if key not in _SHEET_KEYS:
            ctx.err("[sheets]", f"“{key}”不是可改名的工作表，可用：{'、'.join(_SHEET_KEYS)}")
        elif not isinstance(v, str) or _sheet_name_problem(v):
            ctx.err("[sheets]", _sheet_name_problem(str(v)) or f"{key} 须为文字")
        else:
            names[key] = v
    sheets = ct.Sheets(**names)
    fixed = sheets.fixed()
    for s in {x for x in fixed if fixed.count(x) > 1}:
        ctx.err("[sheets]", f"工作表名“{s}”重复")
    return sheets


def _parse_report_texts(ctx: _Ctx, data: dict, outline) -> tuple[tuple[str, str, str], ...]:
    """[[report.texts]]: default paragraphs; each names a chapter of the outline."""
    rep = data.get("report")
    items = rep.get("texts", []) if isinstance(rep, dict) else []
    keys = {c.key for c in outline}
    out = []
    for i, t in enumerate(items if isinstance(items, list) else []):
        w = f"report.texts[{i}]"
        if not isinstance(t, dict):
            ctx.err(w, "须为表")
            continue
        chapter, text, kind = t.get("chapter"), t.get("text"), t.get("kind", "正文")
        if not isinstance(text, str) or not text.strip():
            ctx.err(w, "text 须为文字")
        elif chapter not in keys:
            ctx.err(w, f"章节“{chapter}”不在 [[report.chapters]] 中")
        elif kind not in ("正文", "标题"):
            ctx.err(w, "kind 须为 正文 或 标题")
        else:
            out.append((chapter, kind, text))
    return tuple(out)


def _check_roles(ctx: _Ctx, fields: list[Field]) -> None:
    """Each role once; the report needs department and year (declared, or a field with that id)."""
    seen: dict[str, str] = {}
    for f in fields:
        if f.role is None:
            continue
        if f.role not in ct.ROLES:
            ctx.err(f"fields（{f.label}）", f"role “{f.role}” 须为 {'、'.join(ct.ROLES)} 之一")
        elif f.role in seen:
            ctx.err(f"fields（{f.label}）", f"role “{f.role}” 已由“{seen[f.role]}”使用")
        else:
            seen[f.role] = f.label
    ids = {f.id for f in fields}
    for role in ("department", "year"):
        if role not in seen and role not in ids:
            ctx.err("fields", f"没有 role = \"{role}\" 的录入项（报告的封面和标题需要它）")


def _severity(ctx: _Ctx, where: str, v: str | None) -> str:
    if v not in ("错误", "警告", "提示"):
        ctx.err(where, f"严重程度 “{v}” 须为 错误、警告 或 提示")
        return "警告"
    return v


def _check_rule(ctx: _Ctx, where: str, rtype: str, p: dict, metric: str | None, metrics: set) -> None:
    def need(key: str, typ=(int, float)) -> None:
        if key not in p or not isinstance(p[key], typ) or isinstance(p[key], bool):
            ctx.err(where, f"评分规则 {rtype} 需要参数 “{key}”")

    if rtype in ("proportional", "threshold") and metric is None:
        ctx.err(where, f"评分规则 {rtype} 需要指标声明 metric")
    if rtype == "threshold":
        need("threshold")
        if p.get("op") not in ("le", "ge"):
            ctx.err(where, "threshold 规则的 op 须为 le（不超过）或 ge（不低于）")
    if rtype == "deduct_per_item":
        need("per_item")
        if p.get("count") not in metrics:
            ctx.err(where, f"deduct_per_item 的 count “{p.get('count')}” 须为已声明的计算值")
    if rtype == "conditions":
        items = p.get("items")
        if not isinstance(items, list) or not items:
            ctx.err(where, "conditions 规则需要 items 列表")
            return
        for j, it in enumerate(items):
            if it.get("metric") not in metrics:
                ctx.err(where, f"items[{j}] 的 metric “{it.get('metric')}” 未声明")
            if it.get("op") not in ("le", "ge") or not isinstance(it.get("threshold"), (int, float)) \
                    or not isinstance(it.get("points"), (int, float)):
                ctx.err(where, f"items[{j}] 须有 op（le/ge）、threshold 和 points")


def load_framework_file(path: str | Path) -> Framework:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise FrameworkError(f"无法读取指标体系文件 {path}：{e.strerror or e}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise FrameworkError(f"指标体系文件 {path} 不是 UTF-8 编码") from None
    except tomllib.TOMLDecodeError as e:
        raise FrameworkError(f"指标体系文件 {path} 格式错误（TOML）：{e}") from None
    fw = parse_framework(data, path)
    return fw


def available_frameworks() -> list[str]:
    found = {p.stem for d in (FRAMEWORK_DIR, *_user_dirs) if d.is_dir() for p in d.glob("*.toml")}
    return sorted(found)


@lru_cache(maxsize=8)
def load_framework(ident: str = DEFAULT_FRAMEWORK) -> Framework:
    """A bundled framework by id, or a path to a .toml file."""
    if ident.endswith(".toml") or "/" in ident or "\\" in ident:
        return load_framework_file(ident)
    path = FRAMEWORK_DIR / f"{ident}.toml"
    for d in _user_dirs:
        if not path.is_file():
            path = d / f"{ident}.toml"
    if not _ID_RE.match(ident) or not path.is_file():
        raise FrameworkError(
            f"找不到指标体系“{ident}”。可用：{', '.join(available_frameworks())}；也可给出 .toml 文件路径")
    return load_framework_file(path)

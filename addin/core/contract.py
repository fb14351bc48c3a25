"""The workbook contract: every defined name a framework's workbook carries, in one place.

For each name: its label (what users read), kind (input, computed, score, note, max, …),
whether the user types it, its role (department, year, …), the sheet it lives on and the
table it is a column of. The template writes these names, the readers check and read
them, export/fill, 校验, `jxzp names`, the xlwings adapter and the report look them up
here. This module is the only one that knows how a name is spelled ("f_" + field id …):
the spelling is kept exactly as round 1 wrote it, because workbooks in users' hands use it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Iterable, Iterator

if TYPE_CHECKING:  # pragma: no cover - the contract reads a Framework, it does not load one
    from .framework import Framework


class Kind(StrEnum):
    INPUT = "input"  # a field of 基本信息
    COMPUTED = "computed"  # a metric (computed figure) on 基本信息
    VALUE = "value"  # an indicator's computed value
    MAX = "max"  # an indicator's applicable maximum
    SUGGEST = "suggest"  # an indicator's suggested score
    SCORE = "score"  # self-assessed score (indicator or adjustment)
    NOTE = "note"  # 评分说明 (indicator or adjustment)
    SUBTOTAL = "subtotal"  # a level-2 group's subtotal (汇总)
    TOTAL = "total"  # a level-1 group's total (its sheet), 加减分合计, 总分
    WEIGHT_SUM = "weight-sum"  # target family: a 一级 group's sum of its rows' 分值
    GRADE = "grade"
    COLUMN = "table-column"  # a column of 项目清单 or 报告文字
    CHART = "chart"  # the range the summary chart plots
    META = "meta"  # framework id and template version (constants)


# ---------------------------------------------------------------- spelling of names (the only place)
META_FRAMEWORK = "jx_framework"
META_VERSION = "jx_template_version"
ADJ_TOTAL = "adj_total"
TOTAL_SCORE = "total_score"
GRADE = "grade"
CHART = "chart_groups"
PROJECT_RATE = "p_exec_rate"  # computed column of 项目清单


def field_name(field_id: str) -> str:
    return f"f_{field_id}"


def column_name(column_id: str) -> str:
    return f"p_{column_id}"


def metric_name(metric_id: str) -> str:
    return f"m_{metric_id}"


def score_name(item_id: str) -> str:
    return f"s_{item_id}"


def note_name(item_id: str) -> str:
    return f"n_{item_id}"


def max_name(ind_id: str) -> str:
    return f"max_{ind_id}"


def value_name(ind_id: str) -> str:
    return f"v_{ind_id}"


def suggest_name(ind_id: str) -> str:
    return f"sug_{ind_id}"


def target_column_name(column_id: str) -> str:
    """A column of the target family's indicator table (绩效指标)."""
    return f"t_{column_id}"


def weight_sum_name(group_id: str) -> str:
    return f"wsum_{group_id}"


def subtotal_name(level2_id: str) -> str:
    return f"sub_{level2_id}"


def total_name(level1_id: str) -> str:
    return f"grp_{level1_id}"


# report text table: column id -> (name, header)
TEXT_COLUMNS = (("chapter", "rpt_chapter", "章节"), ("kind", "rpt_kind", "类型"), ("text", "rpt_text", "文字"),
                ("remark", "rpt_remark", "说明"))
REPORT_TEXT = "rpt_text"  # the text column (its overflow rows are read, 校验 checks its numbers)
REPORT_CHAPTER = "rpt_chapter"
REPORT_KIND = "rpt_kind"
# target family: the indicator table's columns (id, header, kind, width); names t_<id>
TARGET_TABLE_COLUMNS: tuple[tuple[str, str, str, float], ...] = (
    ("level1", "一级指标", "text", 11),
    ("level2", "二级指标", "text", 13),
    ("name", "三级指标", "text", 28),
    ("nature", "指标性质", "nature", 7),
    ("target", "年度指标值", "value", 12),
    ("unit", "度量单位", "text", 7),
    ("actual", "实际完成值", "value", 12),
    ("weight", "分值", "number", 6),
    ("score", "得分", "score", 6),
    ("ratio", "完成率", "calc", 8),
    ("suggest", "建议得分", "calc", 8),
    ("reason", "偏差原因分析及改进措施", "text", 36),
)
# names jxzp owns in a workbook; any other name is the user's and left alone
_OWN_PREFIXES = ("f_", "m_", "p_", "v_", "sug_", "s_", "max_", "n_", "sub_", "grp_", "rpt_", "adj_", "chart_", "t_", "wsum_")
_OWN_NAMES = {TOTAL_SCORE, GRADE}


def is_ours(name: str) -> bool:
    """True for names jxzp writes (whatever the framework); meta names excluded."""
    return name in _OWN_NAMES or name.startswith(_OWN_PREFIXES)


# ---------------------------------------------------------------- sheets the template always has
@dataclass(frozen=True)
class Sheets:
    guide: str = "填表说明"
    info: str = "基本信息"
    projects: str = "项目清单"
    adjust: str = "加减分"
    summary: str = "汇总"
    text: str = "报告文字"
    results: str = "校验结果"
    marks: str = "_jxzp_marks"  # very hidden: original fills and notes of marked cells

    def fixed(self) -> tuple[str, ...]:
        return (self.guide, self.info, self.projects, self.adjust, self.summary, self.text, self.results)


SHEETS = Sheets()

# the roles the report and rules look up (a framework's fields declare them with `role = "..."`)
ROLES = ("department", "year", "region", "report_date", "contact", "phone")


# ---------------------------------------------------------------- entries
@dataclass(frozen=True)
class NameSpec:
    name: str
    label: str  # Chinese, e.g. "年初预算", "部门主要职责·自评得分"
    kind: Kind
    editable: bool  # typed by the user (export/fill carry it), else a template formula
    sheet: str | None  # None for meta names
    owner: str | None = None  # id of the field / metric / indicator / adjustment / group / column
    table: str | None = None  # "projects" / "report_text" for table columns
    role: str | None = None  # "department", "year", … (fields) or the column id (table columns)
    anchor: str = ""  # the text the template writes beside (row label) or above (table header) the name
    anchor_col: int | None = None  # column of the row label; None: header above a table column

    @property
    def is_input(self) -> bool:
        return self.editable

    @property
    def kind_label(self) -> str:
        return "录入" if self.editable else "计算"


@dataclass(frozen=True)
class TableSpec:
    id: str  # "projects" / "report_text"
    sheet: str
    columns: tuple[NameSpec, ...]  # in sheet order (computed columns included)
    key: str  # the column whose rows beyond the range are looked at (overflow)
    label: str = ""  # "项目清单"

    @property
    def input_columns(self) -> tuple[str, ...]:
        """Names of the columns export/fill carry."""
        return tuple(c.name for c in self.columns if c.editable)

    def column(self, role: str) -> str | None:
        return next((c.name for c in self.columns if c.role == role), None)


@dataclass
class Contract:
    framework_id: str
    sheets: Sheets
    entries: dict[str, NameSpec] = field(default_factory=dict)  # in workbook order
    tables: dict[str, TableSpec] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)  # role -> name

    # ---- lookups
    def __contains__(self, name: str) -> bool:
        return name in self.entries

    def __iter__(self) -> Iterator[NameSpec]:
        return iter(self.entries.values())

    def get(self, name: str) -> NameSpec | None:
        return self.entries.get(name)

    def label(self, name: str) -> str:
        e = self.entries.get(name)
        return e.label if e else name

    def kind(self, name: str) -> Kind | None:
        e = self.entries.get(name)
        return e.kind if e else None

    def of_kind(self, *kinds: Kind) -> list[NameSpec]:
        return [e for e in self.entries.values() if e.kind in kinds]

    def inputs(self) -> list[str]:
        """Every single-cell input name (fields, scores, notes), in sheet order."""
        return [e.name for e in self.entries.values() if e.editable and e.table is None]

    def input_names(self) -> set[str]:
        """Every name the user types (single cells and table columns)."""
        return {e.name for e in self.entries.values() if e.editable}

    def cells(self) -> list[NameSpec]:
        """Single-cell names (not table columns, chart or meta): export's `cells`."""
        return [e for e in self.entries.values() if e.table is None and e.kind not in (Kind.CHART, Kind.META)]

    def role(self, role: str) -> str | None:
        """The name holding a role (e.g. "department" -> "f_department"), None if undeclared."""
        return self.roles.get(role)

    def table(self, table_id: str) -> TableSpec:
        return self.tables[table_id]

    def table_of(self, name: str) -> TableSpec | None:
        e = self.entries.get(name)
        return self.tables.get(e.table) if e and e.table else None

    def overflow_keys(self) -> tuple[str, ...]:
        return tuple(t.key for t in self.tables.values())

    def required_sheets(self) -> set[str]:
        return {e.sheet for e in self.entries.values() if e.sheet}

    def known_sheets(self) -> set[str]:
        return set(self.sheets.fixed()) | {self.sheets.marks} | self.required_sheets()

    def expectations(self) -> dict[str, tuple[int | None, str]]:
        """name -> (label column or None for a table header, text) — the reader's row check."""
        return {e.name: (e.anchor_col, e.anchor) for e in self.entries.values() if e.anchor}


# ---------------------------------------------------------------- derivation
def contract_for(fw: "Framework") -> Contract:
    """The contract of a framework (built once per Framework object)."""
    c = fw.__dict__.get("_contract")
    if c is None:
        c = build_contract(fw)
        fw.__dict__["_contract"] = c
    return c


def build_contract(fw: "Framework", sheets: Sheets | None = None) -> Contract:
    sh = sheets or getattr(fw, "sheets", None) or SHEETS
    c = Contract(fw.id, sh)
    add = c.entries.__setitem__

    def put(e: NameSpec) -> None:
        add(e.name, e)

    for f in fw.fields:
        role = getattr(f, "role", None) or (f.id if f.id in ROLES else None)
        put(NameSpec(f.name, f.label, Kind.INPUT, True, sh.info, owner=f.id, role=role, anchor=f.label, anchor_col=1))
        if role and role not in c.roles:
            c.roles[role] = f.name
    for m in fw.metrics:
        put(NameSpec(m.name, m.label, Kind.COMPUTED, False, sh.info, owner=m.id, anchor=m.label, anchor_col=1))
    sheet_of = {g.id: g.sheet for g in fw.level1}
    for ind in fw.indicators:
        a = dict(sheet=sheet_of.get(ind.level1), owner=ind.id, anchor=ind.name, anchor_col=3)
        put(NameSpec(ind.max_name, f"{ind.name}·适用分值", Kind.MAX, False, **a))
        if ind.metric:
            put(NameSpec(ind.value_name, f"{ind.name}·计算值", Kind.VALUE, False, **a))
        if ind.rule:
            put(NameSpec(ind.suggest_name, f"{ind.name}·建议得分", Kind.SUGGEST, False, **a))
        put(NameSpec(ind.score_name, f"{ind.name}·自评得分", Kind.SCORE, True, **a))
        put(NameSpec(ind.note_name, f"{ind.name}·评分说明", Kind.NOTE, True, **a))
    for adj in fw.adjustments:
        a = dict(sheet=sh.adjust, owner=adj.id, anchor=adj.name, anchor_col=1)
        put(NameSpec(adj.score_name, f"{adj.name}·自评得分", Kind.SCORE, True, **a))
        put(NameSpec(adj.note_name, f"{adj.name}·评分说明", Kind.NOTE, True, **a))
    for l2 in fw.level2:
        put(NameSpec(l2.subtotal_name, f"{l2.name}·小计", Kind.SUBTOTAL, False, sh.summary, owner=l2.id,
                     anchor=l2.name, anchor_col=1))
    for l1 in fw.level1:
        put(NameSpec(l1.total_name, f"{l1.name}·合计", Kind.TOTAL, False, l1.sheet, owner=l1.id, anchor="合计",
                     anchor_col=1))
    spec = getattr(fw, "target", None)
    if spec is not None:
        for g in spec.groups:
            # the 绩效指标 sheet's group summary has its labels in column B (column A is the table's 序号)
            put(NameSpec(g.total_name, f"{g.name}·合计", Kind.TOTAL, False, spec.sheet, owner=g.id, anchor=g.name,
                         anchor_col=2))
            put(NameSpec(g.weight_sum_name, f"{g.name}·三级指标分值合计", Kind.WEIGHT_SUM, False, spec.sheet,
                         owner=g.id, anchor=g.name, anchor_col=2))
    put(NameSpec(ADJ_TOTAL, "加减分合计", Kind.TOTAL, False, sh.adjust, anchor="加减分合计", anchor_col=1))
    put(NameSpec(TOTAL_SCORE, "总分", Kind.TOTAL, False, sh.summary, anchor="总分", anchor_col=1))
    put(NameSpec(GRADE, "等级", Kind.GRADE, False, sh.summary, anchor="等级", anchor_col=1))
    cols = [NameSpec(col.name, f"项目清单·{col.label}（列）", Kind.COLUMN, True, sh.projects, owner=col.id,
                     table="projects", role=col.id, anchor=col.label) for col in fw.project_columns]
    cols.append(NameSpec(PROJECT_RATE, "项目执行率（列）", Kind.COLUMN, False, sh.projects, owner="exec_rate",
                         table="projects", role="exec_rate", anchor="执行率"))
    for e in cols:
        put(e)
    c.tables["projects"] = TableSpec("projects", sh.projects, tuple(cols), column_name("name"), "项目清单")
    texts = tuple(NameSpec(name, f"报告文字·{header}（列）", Kind.COLUMN, True, sh.text, owner=cid,
                           table="report_text", role=cid, anchor=header) for cid, name, header in TEXT_COLUMNS)
    for e in texts:
        put(e)
    c.tables["report_text"] = TableSpec("report_text", sh.text, texts, REPORT_TEXT, "报告文字")
    if spec is not None:
        tcols = tuple(NameSpec(target_column_name(cid), f"{spec.sheet}·{header}（列）", Kind.COLUMN, kind != "calc",
                               spec.sheet, owner=cid, table="indicators", role=cid, anchor=header)
                      for cid, header, kind, _w in TARGET_TABLE_COLUMNS)
        for e in tcols:
            put(e)
        c.tables["indicators"] = TableSpec("indicators", spec.sheet, tcols, target_column_name("name"), spec.sheet)
    put(NameSpec(CHART, "汇总图表的数据区域", Kind.CHART, False, sh.summary))
    put(NameSpec(META_FRAMEWORK, "指标体系标识", Kind.META, False, None))
    put(NameSpec(META_VERSION, "模板版本", Kind.META, False, None))
    return c


def names_in(names: Iterable[str], contract: Contract, *kinds: Kind) -> list[str]:
    return [n for n in names if contract.kind(n) in kinds]

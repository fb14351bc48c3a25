"""Recompute every figure of a workbook from its inputs, as Excel would show it.

Nothing here trusts a cached value: metrics, suggested scores, effective maxima,
subtotals, total and grade are derived from the input cells with the same functions
the UDFs call. The result is what validation compares the sheet against and what the
report prints.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from . import metrics as metric_fns
from .contract import ADJ_TOTAL, GRADE, TOTAL_SCORE, Contract, Kind, contract_for
from .errors import CalcError
from .framework import Framework, Indicator, Metric
from .model import BookData, input_value
from .numeric import excel_round, is_number
from .scoring import effective_max, realloc_note, rule_inputs, suggest


@dataclass
class MetricResult:
    metric: Metric
    value: float | None  # None when it cannot be computed
    error: CalcError | None = None

    @property
    def display(self) -> Any:
        """What the cell shows: the number, or the short message."""
        return self.value if self.error is None else self.error.message


@dataclass
class IndicatorResult:
    ind: Indicator
    eff_max: float
    realloc_note: str
    computed: MetricResult | None
    suggested: float | None
    suggest_how: str
    suggest_error: CalcError | None
    raw_score: Any  # as typed
    score: float | None  # numeric self-score, None when blank or not a number
    note: str

    @property
    def suggested_display(self) -> Any:
        return self.suggested if self.suggest_error is None else self.suggest_error.message


@dataclass
class AdjustmentResult:
    id: str
    name: str
    sign: int
    max: float
    raw_score: Any
    score: float | None
    note: str


@dataclass
class Evaluation:
    fw: Framework
    book: BookData
    inputs: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, MetricResult] = field(default_factory=dict)
    indicators: dict[str, IndicatorResult] = field(default_factory=dict)
    adjustments: dict[str, AdjustmentResult] = field(default_factory=dict)
    subtotals: dict[str, float] = field(default_factory=dict)  # level2 id -> sum
    groups: dict[str, float] = field(default_factory=dict)  # level1 id -> sum
    total: float = 0.0
    grade: str = ""
    rows: list = field(default_factory=list)  # target family: RowResult per row of the indicator table
    weight_sums: dict[str, float] = field(default_factory=dict)  # target group id -> sum of row 分值
    adj_total: float = 0.0  # 加减分合计 (plus - minus), what =adj_total shows

    def expected(self, name: str) -> Any:
        """What the cell with this defined name should show, for every computed name."""
        if name in self.metrics:
            return self.metrics[name].display
        spec = self.contract.get(name)
        kind, ident = (spec.kind, spec.owner) if spec else (None, None)
        if kind == Kind.VALUE and ident in self.indicators:
            c = self.indicators[ident].computed
            return c.display if c else None
        if kind == Kind.SUGGEST and ident in self.indicators:
            return self.indicators[ident].suggested_display
        if kind == Kind.MAX and ident in self.indicators:
            return self.indicators[ident].eff_max
        if kind == Kind.SUBTOTAL and ident in self.subtotals:
            return self.subtotals[ident]
        if kind == Kind.TOTAL and ident in self.groups:
            return self.groups[ident]
        if kind == Kind.WEIGHT_SUM and ident in self.weight_sums:
            return self.weight_sums[ident]
        if name == TOTAL_SCORE:
            return self.total
        if name == ADJ_TOTAL:
            return self.adj_total
        if name == GRADE:
            return self.grade
        raise KeyError(name)

    @property
    def contract(self) -> Contract:
        return contract_for(self.fw)

    def role(self, role: str) -> Any:
        """The input value of a role ("department", "year", …); None when the framework has none."""
        name = self.contract.role(role)
        return self.inputs.get(name) if name else None

    def value(self, name: str) -> Any:
        """Input value or computed figure by name (for placeholders and text checks)."""
        if name in self.inputs:
            return self.inputs[name]
        return self.expected(name)


def _sum_like_excel(values: list[Any]) -> float:
    return float(sum(v for v in values if is_number(v)))


def evaluate(fw: Framework, book: BookData) -> Evaluation:
    ev = Evaluation(fw, book)
    for f in fw.fields:
        ev.inputs[f.name] = input_value(book.cell(f.name))
    columns: dict[str, list[Any]] = {c.name: [input_value(x) for x in book.column(c.name)]
                                     for c in fw.project_columns}

    def arg_value(name: str) -> Any:
        if name in columns:
            return columns[name]
        if name in ev.metrics:
            return ev.metrics[name].display  # Excel passes on what the cell shows
        return ev.inputs.get(name)

    for m in fw.metrics:  # declared in dependency order (the loader checks it)
        try:
            v = metric_fns.compute(m, [arg_value(a) for a in m.args])
            ev.metrics[m.name] = MetricResult(m, float(v))
        except CalcError as e:
            ev.metrics[m.name] = MetricResult(m, None, e.with_traceback(None))

    field_value = ev.inputs.get
    for ind in fw.indicators:
        mx = effective_max(fw, ind.id, field_value)
        computed = ev.metrics.get(ind.metric) if ind.metric else None
        sug, how, serr = None, "", None
        if ind.rule is not None:
            try:
                sug, how = suggest(fw, ind, mx, [arg_value(n) for n in rule_inputs(ind)])
            except CalcError as e:
                serr = e.with_traceback(None)
        raw = input_value(book.cell(ind.score_name))
        note = book.raw(ind.note_name)
        ev.indicators[ind.id] = IndicatorResult(
            ind, mx, realloc_note(fw, ind.id, field_value), computed, sug, how, serr, raw,
            float(raw) if is_number(raw) else None, "" if note is None else str(note))

    for adj in fw.adjustments:
        raw = input_value(book.cell(adj.score_name))
        note = book.raw(adj.note_name)
        ev.adjustments[adj.id] = AdjustmentResult(adj.id, adj.name, adj.sign, adj.max, raw,
                                                  float(raw) if is_number(raw) else None,
                                                  "" if note is None else str(note))

    # subtotals mirror SUM over the score cells: text and blanks count as nothing
    for l2 in fw.level2:
        ev.subtotals[l2.id] = _sum_like_excel([ev.indicators[i.id].raw_score for i in fw.indicators_of(l2.id)])
    for l1 in fw.level1:
        ev.groups[l1.id] = _sum_like_excel([ev.indicators[i.id].raw_score for i in fw.indicators_of_level1(l1.id)])
    if fw.target is not None:
        _evaluate_rows(fw, book, ev)
    plus = _sum_like_excel([a.raw_score for a in ev.adjustments.values() if a.sign > 0])
    minus = _sum_like_excel([a.raw_score for a in ev.adjustments.values() if a.sign < 0])
    ev.adj_total = plus - minus
    total = sum(ev.groups.values()) + plus - minus
    if fw.total_cap is not None and math.isfinite(total):  # MIN(cap, #NUM!) is still #NUM! in Excel
        total = min(float(fw.total_cap), total)
    ev.total = excel_round(total, 4)  # absorb float noise (27.5 + 39.2 + ...) the way a cell shows it
    ev.grade = fw.grade_for(ev.total) if math.isfinite(ev.total) else "#NUM!"  # SUM overflowed
    return ev


def target_rows(fw: Framework, book: BookData) -> list:
    """The rows of the indicator table (target family), as typed, with their cells' addresses."""
    from .target import INPUT_COLUMNS, TargetRow, column_name  # noqa: PLC0415

    cols = {c: book.column(column_name(c)) for c in INPUT_COLUMNS}
    n = max((len(v) for v in cols.values()), default=0)
    rows = []
    for i in range(n):
        cells, coords = {}, {}
        for c, cl in cols.items():
            if i < len(cl):
                cells[c] = input_value(cl[i])
                coords[c] = (cl[i].sheet, cl[i].coord)
        rows.append(TargetRow(i, cells, coords))
    return rows


def _evaluate_rows(fw: Framework, book: BookData, ev: Evaluation) -> None:
    from .target import evaluate_rows, group_totals  # noqa: PLC0415

    ev.rows = evaluate_rows(fw.target, target_rows(fw, book), fw.score_decimals)
    scores, weights = group_totals(fw.target, ev.rows)
    ev.groups.update(scores)
    ev.weight_sums.update(weights)

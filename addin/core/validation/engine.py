"""The validation engine: rules are small declared units run over the workbook model.

Every rule runs (no stop at the first failure); each yields Findings. A rule that
crashes becomes a finding of its own, so one bug never hides the other rules' results.
"""
from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ..evaluate import Evaluation, evaluate
from ..findings import ERROR, INFO, WARNING, Finding, ValidationResult
from ..framework import Framework
from ..model import BookData, Cell


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    description: str
    check: Callable[["Context"], Iterable[Finding]]


RULES: list[Rule] = []


def rule(rule_id: str, title: str, description: str):
    """Register a check function as a rule (declaration order is run order)."""

    def deco(fn: Callable[["Context"], Iterable[Finding]]):
        RULES.append(Rule(rule_id, title, description, fn))
        return fn

    return deco


class Context:
    """What a rule sees: framework, workbook model, recomputed figures, and helpers."""

    def __init__(self, fw: Framework, book: BookData, ev: Evaluation):
        self.fw = fw
        self.book = book
        self.ev = ev
        self.rule_id = ""
        self._labels = self._build_labels()

    def _build_labels(self) -> dict[str, str]:
        fw = self.fw
        out = {f.name: f.label for f in fw.fields}
        out.update({m.name: m.label for m in fw.metrics})
        out.update({c.name: c.label for c in fw.project_columns})
        for i in fw.indicators:
            out[i.score_name] = f"{i.name}·自评得分"
            out[i.note_name] = f"{i.name}·评分说明"
            out[i.max_name] = f"{i.name}·适用分值"
            out[i.value_name] = f"{i.name}·计算值"
            out[i.suggest_name] = f"{i.name}·建议得分"
        for a in fw.adjustments:
            out[a.score_name] = f"{a.name}·自评得分"
            out[a.note_name] = f"{a.name}·评分说明"
        for g in fw.level2:
            out[g.subtotal_name] = f"{g.name}·小计"
        for g in fw.level1:
            out[g.total_name] = f"{g.name}·合计"
        out.update({"adj_total": "加减分合计", "total_score": "总分", "grade": "等级"})
        return out

    def label(self, name: str) -> str:
        return self._labels.get(name, name)

    def finding(self, severity: str, message: str, *, name: str | None = None, cell: Cell | None = None,
                indicator: str | None = None, expected: Any = None, actual: Any = None,
                rule_id: str | None = None) -> Finding:
        if cell is None and name is not None:
            cell = self.book.cell(name)
        return Finding(rule=rule_id or self.rule_id, severity=severity, message=message,
                       sheet=cell.sheet if cell else None, cell=cell.coord if cell else None,
                       name=name, indicator=indicator, expected=expected, actual=actual)

    def error(self, message: str, **kw) -> Finding:
        return self.finding(ERROR, message, **kw)

    def warning(self, message: str, **kw) -> Finding:
        return self.finding(WARNING, message, **kw)

    def info(self, message: str, **kw) -> Finding:
        return self.finding(INFO, message, **kw)


def validate(fw: Framework, book: BookData, ev: Evaluation | None = None,
             rules: Iterable[Rule] | None = None) -> ValidationResult:
    """Run every rule; collect all findings."""
    from . import rules as _rules  # noqa: F401, PLC0415 - registers the rules

    ev = ev or evaluate(fw, book)
    ctx = Context(fw, book, ev)
    result = ValidationResult(source=book.source)
    seen: set[tuple] = set()
    for r in rules if rules is not None else RULES:
        ctx.rule_id = r.id
        try:
            for f in r.check(ctx):
                key = (f.rule, f.sheet, f.cell, f.message)
                if key not in seen:  # a rule may reach the same cell twice
                    seen.add(key)
                    result.add(f)
        except Exception as e:  # keep the other rules' findings
            # the traceback only for developers (--debug sets JXZP_DEBUG): never in a user's sheet
            trace = traceback.format_exc(limit=3)[-500:] if os.environ.get("JXZP_DEBUG") else None
            result.add(Finding(rule="R99.internal", severity=WARNING,
                               message=f"校验规则 {r.id}（{r.title}）运行出错：{type(e).__name__}: {str(e)[:200]}。"
                                       "其他规则的结果不受影响；请加 --debug 重新运行并把输出反馈给维护者",
                               actual=trace))
    return result

"""What a rule sees: framework, workbook model, recomputed figures, contract labels, emit()."""
from __future__ import annotations

from typing import Any

from ..evaluate import Evaluation
from ..findings import CODES, Finding, Severity
from ..framework import Framework
from ..model import BookData, Cell


class Context:
    def __init__(self, fw: Framework, book: BookData, ev: Evaluation):
        from ..contract import contract_for  # noqa: PLC0415 - contract imports nothing of validation

        self.fw = fw
        self.book = book
        self.ev = ev
        self.contract = contract_for(fw)
        self.rule_id = ""

    def label(self, name: str) -> str:
        return self.contract.label(name)

    def emit(self, code: str, *, name: str | None = None, cell: Cell | None = None, indicator: str | None = None,
             expected: Any = None, actual: Any = None, severity: Severity | str | None = None,
             **params: Any) -> Finding:
        """A finding of a registered code at a name's cell (or the given cell); params fill its template."""
        if code not in CODES:
            raise KeyError(f"finding code {code} is not declared by any rule")
        if cell is None and name is not None:
            cell = self.book.cell(name)
        return Finding.of(code, rule=self.rule_id or None, severity=severity, sheet=cell.sheet if cell else None,
                          cell=cell.coord if cell else None, name=name, indicator=indicator, expected=expected,
                          actual=actual, **params)

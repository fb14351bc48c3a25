"""What an adapter reads out of a workbook: cells found through defined names.

Adapters (openpyxl for files, xlwings inside Excel) fill a BookData; everything else
(evaluation, validation, export, the report) works on it and never sees a spreadsheet
library. Coordinates are kept only to point the user at the right cell.
"""
from __future__ import annotations

import ast
import operator
from dataclasses import dataclass, field
from typing import Any

from .contract import META_FRAMEWORK, META_VERSION  # noqa: F401 - re-exported for the adapters
from .numeric import is_number

TEMPLATE_VERSION = "1"


@dataclass(slots=True)  # a 10,000-row 项目清单 holds 60,000 of them
class Cell:
    sheet: str
    coord: str  # "B5"
    value: Any = None  # the constant, or for a formula cell what Excel shows (None if unknown)
    formula: str | None = None  # "=SUM(...)" when the cell holds a formula

    @property
    def address(self) -> str:
        return f"{self.sheet}!{self.coord}"


@dataclass
class NameRef:
    name: str
    cells: list[Cell] = field(default_factory=list)
    problem: str | None = None  # e.g. "#REF!" when the name points at a deleted sheet

    @property
    def cell(self) -> Cell | None:
        return self.cells[0] if self.cells else None


@dataclass
class BookData:
    source: str
    sheets: list[str]
    names: dict[str, NameRef]
    framework_id: str | None = None
    template_version: str | None = None
    # rows of the 项目清单 / 报告文字 tables that hold data beyond their named ranges
    overflow: dict[str, list[Cell]] = field(default_factory=dict)

    def cell(self, name: str) -> Cell | None:
        ref = self.names.get(name)
        return ref.cell if ref and not ref.problem else None

    def raw(self, name: str) -> Any:
        c = self.cell(name)
        return c.value if c else None

    def column(self, name: str) -> list[Cell]:
        ref = self.names.get(name)
        return list(ref.cells) if ref and not ref.problem else []

    def has(self, name: str) -> bool:
        ref = self.names.get(name)
        return bool(ref and ref.cells and not ref.problem)


# ---------------------------------------------------------------- formulas typed into input cells
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def arithmetic_value(formula: str) -> float | None:
    """Value of '=1200+3400*2' style formulas (numbers, + - * /, parentheses) or None.

    Nothing else is evaluated: a workbook's content is never executed.
    """
    src = formula.lstrip("=").strip()
    if not src or len(src) > 200:
        return None
    try:
        tree = ast.parse(src, mode="eval")
    except (SyntaxError, ValueError):
        return None

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and is_number(node.value):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        raise ValueError("unsupported")

    try:
        v = ev(tree)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return v if is_number(v) else None


def input_value(cell: Cell | None) -> Any:
    """The value an input cell contributes: its constant, or a simple formula's result."""
    if cell is None:
        return None
    if cell.formula is None:
        return cell.value
    if cell.value is not None:  # Excel (xlwings) told us what the formula shows
        return cell.value
    return arithmetic_value(cell.formula)

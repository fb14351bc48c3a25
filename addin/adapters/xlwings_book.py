"""A workbook open in Excel, through xlwings: read into BookData, mark 校验 findings, undo.

Reading resolves the defined names through the xlwings API, then reads each sheet that
holds named cells in ONE bulk call per property (used range .value and .formula): COM
round trips, not cells, are what cost time in Excel. The result is the BookData that
addin.xlsx.reader builds from a file, so evaluation and validation agree with the CLI;
the one difference is by design (see addin.core.model.Cell): for formula cells Excel
tells us what the cell shows.

Marking follows addin.core.marks: before a cell is touched, its fill and note go into the
very hidden sheet MARKS_SHEET, so clear_marks() puts back exactly what was there. Values
are never written, except in the 校验结果 and MARKS_SHEET sheets.

Only BSD xlwings API is used, plus ``sheet.api`` (pywin32 on Windows) for what xlwings has
no wrapper for: sheet protection and the "very hidden" state.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import contextmanager
from typing import Any, Iterator

from openpyxl.utils.cell import get_column_letter, range_boundaries

from ..core.errors import InputError
from ..core.findings import ValidationResult
from ..core.marks import (FILL_COLORS, MARKS_HEADER, MARKS_SHEET, RESULTS_SHEET, cell_marks, hyperlink_target,
                          iter_marks_rows, results_rows)
from ..core.model import META_FRAMEWORK, META_VERSION, BookData, Cell, NameRef
from ..core.contract import is_ours
from ..xlsx.reader import book_contract, defined_constant
from ..xlsx.template import RESULTS_HEADER

MAX_NAMED_CELLS = 100_000  # same cap as the file reader
RESULTS_FIRST_ROW = 5  # header in row 4 (addin.xlsx.template)
ORIGINAL_NOTE_SEPARATOR = "\n——原批注——\n"
_XL_SHEET_VISIBLE, _XL_SHEET_VERY_HIDDEN = -1, 2
_ALLOW_FLAGS = ("AllowFormattingCells", "AllowFormattingColumns", "AllowFormattingRows", "AllowInsertingColumns",
                "AllowInsertingRows", "AllowInsertingHyperlinks", "AllowDeletingColumns", "AllowDeletingRows",
                "AllowSorting", "AllowFiltering", "AllowUsingPivotTables")
_REF = re.compile(r"(?:'((?:[^']|'')+)'|([^'!]+))!(.+)\Z", re.S)
_MAX_EXACT_INT = 10**15  # Excel stores integral numbers below this as "123", which openpyxl reads as int


# ------------------------------------------------------------------ reading
def _split_areas(text: str) -> list[str]:
    """'a'!A1,'b,c'!B2 -> two areas (commas inside quotes do not split)."""
    parts, cur, quoted = [], [], False
    for ch in text:
        if ch == "'":
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _resolve(ref: NameRef, text: str, sheets: list[str]) -> tuple[str, tuple[int, int, int, int]] | None:
    """Sheet and bounds of a name's target, or None with ref.problem set (messages as the file reader)."""
    if "#REF!" in text:
        ref.problem = "#REF!"
        return None
    areas = _split_areas(text)
    m = _REF.match(areas[0]) if len(areas) == 1 else None
    if m is None:
        ref.problem = f"指向多个区域或不是单元格：{text}"
        return None
    sheet = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2).strip()
    if sheet not in sheets:
        ref.problem = f"指向不存在的工作表“{sheet}”"
        return None
    try:
        bounds = range_boundaries(m.group(3).replace("$", ""))
    except (ValueError, TypeError):
        bounds = None
    if bounds is None or None in bounds:
        ref.problem = f"不是单元格区域：{text}"
        return None
    c1, r1, c2, r2 = bounds
    if (c2 - c1 + 1) * (r2 - r1 + 1) > MAX_NAMED_CELLS:
        ref.problem = f"区域过大：{text}"
        return None
    return sheet, bounds


def _as_2d(v: Any) -> list[list[Any]]:
    if isinstance(v, (list, tuple)):
        if v and isinstance(v[0], (list, tuple)):
            return [list(r) for r in v]
        return [list(v)]
    return [[v]]


def _plain(v: Any) -> Any:
    """Excel hands every number over as a float; the file reader sees 12 as int."""
    if isinstance(v, float) and v.is_integer() and abs(v) < _MAX_EXACT_INT:
        return int(v)
    return v


def _cell_content(value: Any, formula: Any) -> tuple[Any, str | None]:
    """(value, formula) of one cell from the bulk reads."""
    value = _plain(value)
    if isinstance(formula, str) and formula.startswith("=") and not (isinstance(value, str) and value == formula):
        return value, formula  # a text cell holding "=..." shows its formula text: that is a constant
    return value, None


class _SheetGrid:
    """The used range of one sheet, read with two COM calls."""

    def __init__(self, sheet):
        used = sheet.used_range
        self.row0, self.col0 = used.row, used.column
        self.values = _as_2d(used.options(ndim=2, err_to_str=True).value)
        self.formulas = _as_2d(used.formula)
        self.last_row = self.row0 + len(self.values) - 1

    def get(self, row: int, col: int) -> tuple[Any, str | None]:
        i, j = row - self.row0, col - self.col0
        if i < 0 or j < 0 or i >= len(self.values) or j >= len(self.values[i]):
            return None, None
        formula = self.formulas[i][j] if i < len(self.formulas) and j < len(self.formulas[i]) else None
        return _cell_content(self.values[i][j], formula)


def read_book(book) -> BookData:
    """BookData of an xlwings Book: the same as addin.xlsx.reader.read_book gives for its file."""
    sheet_objs = {s.name: s for s in book.sheets}
    sheets = list(sheet_objs)
    names: dict[str, NameRef] = {}
    wanted: dict[str, dict[tuple[int, int], Cell]] = {}
    framework_id = template_version = None
    for nm in book.names:
        name = nm.name
        if "!" in name:  # sheet-scoped: not part of the contract (the file reader skips them too)
            continue
        try:
            text = (nm.refers_to or "").removeprefix("=")
        except Exception:  # Excel refuses RefersTo for some broken names
            text = ""
        if name == META_FRAMEWORK:
            framework_id = defined_constant(text)
            continue
        if name == META_VERSION:
            template_version = defined_constant(text)
            continue
        if not is_ours(name):
            continue
        ref = NameRef(name)
        names[name] = ref
        found = _resolve(ref, text, sheets)
        if found is None:
            continue
        sheet, (c1, r1, c2, r2) = found
        per_sheet = wanted.setdefault(sheet, {})
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                ref.cells.append(per_sheet.setdefault((r, c), Cell(sheet, f"{get_column_letter(c)}{r}")))

    overflow_cols: dict[str, tuple[str, int, int]] = {}
    contract = book_contract(framework_id)
    for nm in (contract.overflow_keys() if contract else ()):
        ref = names.get(nm)
        if ref and ref.cells and not ref.problem:
            c1, r1, _, _ = range_boundaries(ref.cells[-1].coord)
            overflow_cols[nm] = (ref.cells[-1].sheet, c1, r1)

    overflow: dict[str, list[Cell]] = {}
    for sheet, cells in wanted.items():
        grid = _SheetGrid(sheet_objs[sheet])
        for (r, c), cell in cells.items():
            cell.value, cell.formula = grid.get(r, c)
        for nm, (sh, col, last_row) in overflow_cols.items():
            if sh != sheet:
                continue
            for r in range(last_row + 1, grid.last_row + 1):
                value, formula = grid.get(r, col)
                if formula is not None or value not in (None, ""):
                    overflow.setdefault(nm, []).append(Cell(sheet, f"{get_column_letter(col)}{r}", value, formula))
    return BookData(source=book.fullname, sheets=sheets, names=names, framework_id=framework_id,
                    template_version=template_version, overflow=overflow)


# ------------------------------------------------------------------ sheets: protection, hidden state
def _api(sheet) -> Any:
    try:
        return sheet.api
    except Exception:  # engines without a native object
        return None


@contextmanager
def editable(sheet) -> Iterator[None]:
    """Lift a password-less sheet protection for the block, then restore it as it was."""
    api = _api(sheet)
    try:
        protected = bool(api.ProtectContents) if api is not None else False
    except Exception:
        protected = False
    if not protected:
        yield
        return
    try:
        p = api.Protection
        allow = {k: bool(getattr(p, k)) for k in _ALLOW_FLAGS}
        drawing, scenarios = bool(api.ProtectDrawingObjects), bool(api.ProtectScenarios)
    except Exception:
        allow, drawing, scenarios = {}, True, True
    try:
        api.Unprotect()
    except Exception:
        raise InputError(f"工作表“{sheet.name}”设置了保护密码，jxzp 无法在上面标注。"
                         "请在“审阅→撤销工作表保护”中输入密码取消保护后再试") from None
    try:
        yield
    finally:
        api.Protect(DrawingObjects=drawing, Contents=True, Scenarios=scenarios, **allow)


def _set_visibility(sheet, state: int) -> None:
    api = _api(sheet)
    try:
        api.Visible = state
    except Exception:  # no native object (or macOS): hidden is the best we can do
        sheet.visible = state == _XL_SHEET_VISIBLE


def _sheet(book, name: str):
    for s in book.sheets:
        if s.name == name:
            return s
    return None


def _add_sheet(book, name: str):
    sheets = list(book.sheets)
    active = book.sheets.active
    try:
        new = book.sheets.add(name, after=sheets[-1])
    except Exception:
        raise InputError(f"无法添加工作表“{name}”：工作簿结构可能受保护（审阅→保护工作簿）。请取消保护后再试") from None
    try:
        active.activate()  # adding a sheet activates it; give the user their sheet back
    except Exception:
        pass
    return new


# ------------------------------------------------------------------ fills and notes
def _hex(color: Any) -> str:
    """xlwings colour (RGB tuple, None for no fill) -> "RRGGBB" ("" for no fill)."""
    if color is None:
        return ""
    r, g, b = color
    return f"{r:02X}{g:02X}{b:02X}"


def _rgb(fill: Any) -> tuple[int, int, int] | None:
    """Recorded fill -> RGB tuple; accepts RRGGBB, AARRGGBB (openpyxl) and #RRGGBB."""
    text = str(fill or "").strip().lstrip("#")
    if not re.fullmatch(r"[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8}", text):
        return None
    text = text[-6:]
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def _note_text(rng) -> str | None:
    note = rng.note
    return None if note is None else note.text


def _set_note(rng, text: str | None) -> None:
    note = rng.note
    if text is None or text == "":
        if note is not None:
            note.delete()
    elif note is not None:
        note.text = text
    else:
        rng.add_note(text)


def _group_by_sheet(items: Iterable[tuple[str, str, Any]]) -> dict[str, list[tuple[str, Any]]]:
    out: dict[str, list[tuple[str, Any]]] = {}
    for sheet, coord, extra in items:
        out.setdefault(sheet, []).append((coord, extra))
    return out


def apply_marks(book, result: ValidationResult) -> int:
    """Fill and annotate every cell with findings; originals recorded first. Returns the cell count.

    Call clear_marks() before, or the marks of an earlier run would be recorded as originals.
    """
    marks = {k: v for k, v in cell_marks(result).items() if _sheet(book, k[0]) is not None}
    if not marks:
        return 0
    ordered = sorted(marks.items())
    records = []
    for (sheet, coord), _ in ordered:  # read originals (two reads per marked cell, no writes yet)
        rng = book.sheets[sheet].range(coord)
        original = _note_text(rng)
        records.append([sheet, coord, _hex(rng.color), True if original is not None else None, original])
    _write_marks_sheet(book, records)
    originals = {(r[0], r[1]): r[4] for r in records}
    for sheet, items in _group_by_sheet((s, c, v) for (s, c), v in ordered).items():
        ws = book.sheets[sheet]
        with editable(ws):
            for coord, (severity, note) in items:
                rng = ws.range(coord)
                rng.color = _rgb(FILL_COLORS[severity])
                original = originals[(sheet, coord)]
                _set_note(rng, note if not original else note + ORIGINAL_NOTE_SEPARATOR + original)
    return len(records)


def _write_marks_sheet(book, records: list[list[Any]]) -> None:
    ws = _sheet(book, MARKS_SHEET)
    if ws is None:
        ws = _add_sheet(book, MARKS_SHEET)
    ws.used_range.clear()  # stale rows from an interrupted run
    n = len(records) + 1
    text_cols = ws.range((1, 1), (n, 3)), ws.range((1, 5), (n, 5))
    for r in text_cols:
        r.number_format = "@"  # notes starting with "=" stay text
    ws.range("A1").value = [list(MARKS_HEADER), *records]
    _set_visibility(ws, _XL_SHEET_VERY_HIDDEN)


def clear_marks(book) -> int:
    """Put back the recorded fills and notes and drop MARKS_SHEET. Returns the cell count."""
    ws = _sheet(book, MARKS_SHEET)
    if ws is None:
        return 0
    rows = _as_2d(ws.used_range.options(ndim=2).value)
    records = list(iter_marks_rows(rows[1:])) if rows and rows[0][:2] == list(MARKS_HEADER[:2]) else []
    restored = 0
    for sheet, items in _group_by_sheet((r["sheet"], r["cell"], r) for r in records).items():
        target = _sheet(book, sheet)
        if target is None:  # the sheet was deleted meanwhile: nothing to restore
            continue
        with editable(target):
            for coord, rec in items:
                rng = target.range(coord)
                rng.color = _rgb(rec["fill"])
                _set_note(rng, rec["note"] if rec["had_note"] else None)
                restored += 1
    _set_visibility(ws, _XL_SHEET_VISIBLE)  # Excel will not delete a very hidden sheet
    ws.delete()
    return restored


# ------------------------------------------------------------------ 校验结果
def _hyperlink_formula(sheet: str, cell: str) -> str:
    target = hyperlink_target(sheet, cell).replace('"', '""')
    return f'=HYPERLINK("{target}","{cell}")'


def write_results(book, result: ValidationResult, indicator_names: dict[str, str]) -> None:
    """The 校验结果 sheet: summary in row 2, header in row 4, one row per finding from row 5."""
    ws = _sheet(book, RESULTS_SHEET) or _add_sheet(book, RESULTS_SHEET)
    rows = results_rows(result, indicator_names)
    cell_col = RESULTS_HEADER.index("单元格")
    sheet_col = RESULTS_HEADER.index("工作表")
    for row in rows:
        if row[sheet_col] and row[cell_col] and _sheet(book, row[sheet_col]) is not None:
            row[cell_col] = _hyperlink_formula(row[sheet_col], row[cell_col])  # one bulk write, links included
    with editable(ws):
        last = ws.used_range.last_cell.row
        if last >= RESULTS_FIRST_ROW:
            ws.range((RESULTS_FIRST_ROW, 1), (last, len(RESULTS_HEADER))).clear()
        ws.range("A2").value = result.summary_line()
        ws.range("A4").value = [list(RESULTS_HEADER)]
        if rows:
            ws.range((RESULTS_FIRST_ROW, 1)).value = rows
            severity_col = RESULTS_HEADER.index("级别")
            start = RESULTS_FIRST_ROW
            for severity, count in _runs(r[severity_col] for r in rows):  # rows are sorted by severity
                ws.range((start, severity_col + 1), (start + count - 1, severity_col + 1)).color = \
                    _rgb(FILL_COLORS[severity])
                start += count


def _runs(values: Iterable[Any]) -> list[tuple[Any, int]]:
    out: list[tuple[Any, int]] = []
    for v in values:
        if out and out[-1][0] == v:
            out[-1] = (v, out[-1][1] + 1)
        else:
            out.append((v, 1))
    return out

"""A workbook open in Excel, through xlwings: read into BookData, mark 校验 findings, undo.

Reading resolves the defined names through the xlwings API, then reads each sheet that
holds named cells in ONE bulk call per property (used range .value and .formula): COM
round trips, not cells, are what cost time in Excel. The result is the BookData that
addin.xlsx.reader builds from a file, so evaluation and validation agree with the CLI;
the one difference is by design (see addin.core.model.Cell): for formula cells Excel
tells us what the cell shows.

Marking is addin.core.marks' logic over ExcelPort (the same logic the file port runs for
`jxzp validate --annotate` and `jxzp clear`): a hidden name per marked cell, its original
fill and note in the very hidden sheet MARKS_SHEET. Values are never written, except in the
校验结果 and MARKS_SHEET sheets.

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
from ..core import marks
from ..core.marks import ORIGINAL_NOTE_SEPARATOR  # noqa: F401 - part of this adapter's API
from ..core.marks import (FILL_COLORS, MARK_NAME_PREFIX, RESULTS_SHEET, ClearOutcome, Look,
                          MarkOutcome, hyperlink_target)
from ..core.model import META_FRAMEWORK, META_VERSION, BookData, Cell, NameRef
from ..core.contract import is_ours
from ..xlsx.reader import book_contract, defined_constant
from ..xlsx.template import RESULTS_HEADER

MAX_NAMED_CELLS = 100_000  # same cap as the file reader
RESULTS_FIRST_ROW = 5  # header in row 4 (addin.xlsx.template)
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


class ExcelPort:
    """addin.core.marks.MarkPort over a workbook open in Excel (xlwings; offline fake in tests).

    Use as a context manager: sheets protected without a password are unprotected once, when
    first written, and protected again as they were on exit.
    """

    def __init__(self, book):
        self.book = book
        self._open: dict[str, Any] = {}
        self._stack: dict[str, Any] = {}
        self._locked: dict[str, bool] = {}

    def __enter__(self) -> "ExcelPort":
        return self

    def __exit__(self, *exc) -> None:
        for cm in reversed(list(self._stack.values())):
            cm.__exit__(None, None, None)
        self._stack.clear()

    def _ws(self, sheet: str):
        return _sheet(self.book, sheet)

    def _writable(self, sheet: str):
        ws = self._ws(sheet)
        if sheet not in self._stack:
            cm = editable(ws)
            cm.__enter__()
            self._stack[sheet] = cm
        return ws

    # ------------------------------------------------------------ cells
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def locked(self, sheet: str) -> bool:
        if sheet not in self._locked:
            try:
                self._writable(sheet)
                self._locked[sheet] = False
            except InputError:
                self._locked[sheet] = True
        return self._locked[sheet]

    def anchor_cell(self, sheet: str, coord: str) -> str:
        rng = self._ws(sheet).range(coord)
        try:
            area = rng.merge_area
            return f"{get_column_letter(area.column)}{area.row}"
        except Exception:  # engines without merge areas
            return coord

    def look(self, sheet: str, coord: str) -> Look:
        rng = self._ws(sheet).range(coord)
        return Look(fill=_hex(rng.color), note=_note_text(rng))

    def mark(self, sheet: str, coord: str, rgb: str, note: str | None) -> str:
        rng = self._writable(sheet).range(coord)
        rng.color = _rgb(rgb)
        if note is not None:
            _set_note(rng, note)
        return ""

    def has_fill(self, sheet: str, coord: str, rgb: str) -> bool:
        return _hex(self._ws(sheet).range(coord).color) == rgb.upper()[-6:]

    def note_text(self, sheet: str, coord: str) -> str | None:
        return _note_text(self._ws(sheet).range(coord))

    def find_note(self, sheet: str, text: str) -> str | None:
        try:  # Excel: every note of the sheet, with the cell it hangs on
            for cm in self._ws(sheet).api.Comments:
                if cm.Text() == text:
                    return cm.Parent.Address.replace("$", "")
        except Exception:  # no native object (the offline fake, macOS)
            return None
        return None

    def restore_fill(self, sheet: str, coord: str, record: dict) -> None:
        fill = record.get("fill") or ""
        if fill.startswith("<"):  # recorded by the file port: its solid colour, if any
            m = re.search(r'patternType="solid".*?rgb="(?:[0-9A-Fa-f]{2})?([0-9A-Fa-f]{6})"', fill, re.S)
            fill = m.group(1) if m else ""
        self._writable(sheet).range(coord).color = _rgb(fill)

    def restore_note(self, sheet: str, coord: str, record: dict) -> None:
        _set_note(self._writable(sheet).range(coord), record.get("note") if record.get("had_note") else None)

    # ------------------------------------------------------------ anchors
    def _name(self, name: str):
        for nm in self.book.names:
            if nm.name == name:
                return nm
        return None

    def add_anchor(self, name: str, sheet: str, coord: str) -> None:
        m = re.match(r"([A-Z]+)(\d+)", coord)
        quoted = "'" + sheet.replace("'", "''") + "'"
        nm = self.book.names.add(name, f"={quoted}!${m.group(1)}${m.group(2)}")
        try:
            nm.api.Visible = False  # not in the name manager: the user's names stay theirs
        except Exception:
            pass

    def anchor(self, name: str):
        nm = self._name(name)
        if nm is None:
            return False
        try:
            text = (nm.refers_to or "").removeprefix("=")
        except Exception:
            return None
        ref = NameRef(name)
        found = _resolve(ref, text, self.sheet_names())
        if found is None:
            return None
        sheet, (c1, r1, _, _) = found
        return sheet, f"{get_column_letter(c1)}{r1}"

    def remove_anchor(self, name: str) -> None:
        nm = self._name(name)
        if nm is not None:
            nm.delete()

    def anchor_names(self) -> list[str]:
        return [nm.name for nm in self.book.names if nm.name.startswith(MARK_NAME_PREFIX)]

    # ------------------------------------------------------------ bookkeeping sheet
    def read_rows(self, sheet: str) -> list[list[Any]] | None:
        ws = self._ws(sheet)
        if ws is None:
            return None
        rows = _as_2d(ws.used_range.options(ndim=2).value)
        return [[_plain(v) for v in r] for r in rows]

    def write_rows(self, sheet: str, rows: list[list[Any]]) -> None:
        ws = self._ws(sheet) or _add_sheet(self.book, sheet)
        ws.used_range.clear()  # stale rows from an interrupted run
        width = max(len(r) for r in rows)
        grid = [list(r) + [None] * (width - len(r)) for r in rows]
        ws.range((1, 1), (len(grid), width)).number_format = "@"  # notes starting with "=" stay text
        ws.range("A1").value = grid
        _set_visibility(ws, _XL_SHEET_VERY_HIDDEN)

    def remove_sheet(self, sheet: str) -> None:
        ws = self._ws(sheet)
        if ws is None:
            return
        _set_visibility(ws, _XL_SHEET_VISIBLE)  # Excel will not delete a very hidden sheet
        ws.delete()

    def begin(self) -> dict:
        return {}

    def start_clear(self, meta: dict) -> None:
        pass

    def finish_clear(self, meta: dict, complete: bool) -> None:
        pass

    # ------------------------------------------------------------ 校验结果
    def write_results(self, summary: str, has_errors: bool, rows: list[list[Any]],
                      links: dict[int, tuple[str, str]]) -> None:
        book = self.book
        ws = _sheet(book, RESULTS_SHEET) or _add_sheet(book, RESULTS_SHEET)
        cell_col = RESULTS_HEADER.index("单元格")
        for i, (sheet, coord) in links.items():
            rows[i][cell_col] = _hyperlink_formula(sheet, coord)  # one bulk write, links included
        with editable(ws):
            last = ws.used_range.last_cell.row
            if last >= RESULTS_FIRST_ROW:
                ws.range((RESULTS_FIRST_ROW, 1), (last, len(RESULTS_HEADER))).clear()
            ws.range("A2").value = summary
            ws.range("A4").value = [list(RESULTS_HEADER)]
            if rows:
                ws.range((RESULTS_FIRST_ROW, 1)).value = rows
                severity_col = RESULTS_HEADER.index("级别")
                start = RESULTS_FIRST_ROW
                for severity, count in _runs(r[severity_col] for r in rows):  # rows are sorted by severity
                    ws.range((start, severity_col + 1), (start + count - 1, severity_col + 1)).color = \
                        _rgb(FILL_COLORS[severity])
                    start += count


def apply_marks(book, result: ValidationResult) -> MarkOutcome:
    """Fill and annotate every cell with findings (earlier marks cleared first; originals recorded)."""
    with ExcelPort(book) as port:
        return marks.apply_marks(port, result)


def clear_marks(book) -> int:
    """Put back the recorded fills and notes where jxzp's marks still are. Returns the cell count."""
    with ExcelPort(book) as port:
        return marks.clear_marks(port).restored


def clear_marks_outcome(book) -> ClearOutcome:
    with ExcelPort(book) as port:
        return marks.clear_marks(port)


# ------------------------------------------------------------------ 校验结果
def _hyperlink_formula(sheet: str, cell: str) -> str:
    target = hyperlink_target(sheet, cell).replace('"', '""')
    return f'=HYPERLINK("{target}","{cell}")'


def write_results(book, result: ValidationResult, indicator_names: dict[str, str],
                  extra: list[str] | None = None) -> None:
    """The 校验结果 sheet: summary in row 2, header in row 4, one row per finding from row 5."""
    with ExcelPort(book) as port:
        marks.write_results(port, result, indicator_names, extra)


def _runs(values: Iterable[Any]) -> list[tuple[Any, int]]:
    out: list[tuple[Any, int]] = []
    for v in values:
        if out and out[-1][0] == v:
            out[-1] = (v, out[-1][1] + 1)
        else:
            out.append((v, 1))
    return out

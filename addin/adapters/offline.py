"""An offline stand-in for the part of xlwings' API that jxzp's Excel code uses, over a file.

``OfflineBook(path)`` opens an .xlsx/.xlsm with openpyxl and behaves like ``xw.Book`` for
addin.adapters.xlwings_book and addin.ribbon: sheets, defined names, used range
``.value``/``.formula`` in bulk, fills, notes, the sheet's native protection and
visibility (``sheet.api``), status bar and message boxes (recorded; answers scripted).
It behaves as Excel does where jxzp depends on it: numbers come back as floats, formula
cells show their cached value (None when the file was never calculated), a locked cell
of a protected sheet refuses new formatting, and a very hidden sheet cannot be deleted.

It is how the ribbon's jobs are tested without Excel, and a way to run them on a file.
It counts the bulk reads so tests can hold the adapter to one read per sheet.
"""
from __future__ import annotations

import datetime as _dt
from collections import Counter
from pathlib import Path
from typing import Any

from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils.cell import get_column_letter, range_boundaries

_STATE_TO_VISIBLE = {"visible": -1, "hidden": 0, "veryHidden": 2}
_VISIBLE_TO_STATE = {True: "visible", False: "hidden", -1: "visible", 1: "visible", 0: "hidden", 2: "veryHidden"}
# Excel's Protection.AllowX <-> openpyxl SheetProtection attribute (True there = forbidden)
_ALLOW_TO_OPENPYXL = {
    "AllowFormattingCells": "formatCells", "AllowFormattingColumns": "formatColumns",
    "AllowFormattingRows": "formatRows", "AllowInsertingColumns": "insertColumns",
    "AllowInsertingRows": "insertRows", "AllowInsertingHyperlinks": "insertHyperlinks",
    "AllowDeletingColumns": "deleteColumns", "AllowDeletingRows": "deleteRows", "AllowSorting": "sort",
    "AllowFiltering": "autoFilter", "AllowUsingPivotTables": "pivotTables",
}
NOTE_AUTHOR = "jxzp"


class ComError(Exception):
    """What pywin32 raises when Excel refuses a call."""


def _excel_value(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, (str, _dt.datetime)):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, _dt.date):
        return _dt.datetime(v.year, v.month, v.day)
    return str(v)


class OfflineApp:
    def __init__(self, answers: list[str] | None = None):
        self.alerts: list[dict[str, Any]] = []
        self.answers = list(answers or [])  # returned by alert() in turn; then "ok"/"yes"
        self.status_history: list[Any] = []
        self._status: Any = False
        self.screen_updating = True
        self.display_alerts = True
        self.opened: list[str] = []
        self.books = _Books(self)

    @property
    def status_bar(self) -> Any:
        return self._status

    @status_bar.setter
    def status_bar(self, value: Any) -> None:
        self._status = value
        self.status_history.append(value)

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: str | None = None) -> str:
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        if self.answers:
            return self.answers.pop(0)
        return "yes" if buttons.startswith("yes") else "ok"


class _Books:
    def __init__(self, app: OfflineApp):
        self.app = app

    def open(self, fullname: str) -> OfflineBook:
        self.app.opened.append(str(fullname))
        return OfflineBook(fullname, app=self.app)


class OfflineBook:
    def __init__(self, path: str | Path, app: OfflineApp | None = None):
        import openpyxl  # noqa: PLC0415

        self.path = Path(path)
        self.wb = openpyxl.load_workbook(self.path, keep_vba=self.path.suffix.lower() == ".xlsm")
        self._shown = openpyxl.load_workbook(self.path, data_only=True)  # cached results of formulas
        self.app = app or OfflineApp()
        self.reads: Counter[str] = Counter()  # (sheet, "value"/"formula") bulk reads

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def fullname(self) -> str:
        return str(self.path)

    @property
    def sheets(self) -> _Sheets:
        return _Sheets(self)

    @property
    def names(self) -> _Names:
        out = [_Name(self, name, "=" + (dn.attr_text or "")) for name, dn in self.wb.defined_names.items()]
        for ws in self.wb.worksheets:
            out += [_Name(self, f"{ws.title}!{name}", "=" + (dn.attr_text or ""))
                    for name, dn in ws.defined_names.items()]
        return _Names(self, sorted(out, key=lambda n: n.name.lower()))  # Excel lists names alphabetically

    def save(self, path: str | Path | None = None) -> None:
        self.wb.save(path or self.path)

    @property
    def api(self) -> "_BookApi":
        return _BookApi(self)


class _BookApi:
    """The COM Workbook calls jxzp uses."""

    def __init__(self, book: OfflineBook):
        self._book = book

    def SaveCopyAs(self, Filename: str) -> None:  # noqa: N802, N803 - COM names
        import shutil  # noqa: PLC0415

        shutil.copyfile(self._book.path, Filename)  # the file as last saved stands in for Excel's copy


class _Names(list):
    """book.names: a list with Excel's Names.Add."""

    def __init__(self, book: OfflineBook, items: list):
        super().__init__(items)
        self.book = book

    def add(self, name: str, refers_to: str) -> _Name:
        from openpyxl.workbook.defined_name import DefinedName  # noqa: PLC0415

        self.book.wb.defined_names[name] = DefinedName(name, attr_text=refers_to.removeprefix("="))
        return _Name(self.book, name, refers_to)


class _NameApi:
    def __init__(self, name: _Name):
        self._name = name

    @property
    def Visible(self) -> bool:  # noqa: N802 - COM name
        dn = self._name.book.wb.defined_names.get(self._name.name)
        return not (dn is not None and dn.hidden)

    @Visible.setter
    def Visible(self, value: bool) -> None:  # noqa: N802
        dn = self._name.book.wb.defined_names.get(self._name.name)
        if dn is not None:
            dn.hidden = not value


class _Name:
    def __init__(self, book: OfflineBook, name: str, refers_to: str):
        self.book = book
        self.name = name
        self.refers_to = refers_to

    @property
    def api(self) -> _NameApi:
        return _NameApi(self)

    def delete(self) -> None:
        if "!" in self.name:
            sheet, local = self.name.split("!", 1)
            del self.book.wb[sheet].defined_names[local]
        else:
            del self.book.wb.defined_names[self.name]


class _Sheets:
    def __init__(self, book: OfflineBook):
        self.book = book

    def _all(self) -> list[OfflineSheet]:
        return [OfflineSheet(self.book, ws) for ws in self.book.wb.worksheets]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self.book.wb.worksheets)

    def __getitem__(self, key: int | str) -> OfflineSheet:
        if isinstance(key, int):
            return self._all()[key]
        return OfflineSheet(self.book, self.book.wb[key])

    @property
    def active(self) -> OfflineSheet:
        return OfflineSheet(self.book, self.book.wb.active)

    def add(self, name: str | None = None, before: OfflineSheet | None = None,
            after: OfflineSheet | None = None) -> OfflineSheet:
        wb = self.book.wb
        if wb.security is not None and wb.security.lockStructure:
            raise ComError("workbook structure is protected")
        index = wb.worksheets.index(after.ws) + 1 if after is not None else None
        ws = wb.create_sheet(name, index)
        wb.active = ws
        return OfflineSheet(self.book, ws)


class _Protection:
    def __init__(self, prot):
        for allow, attr in _ALLOW_TO_OPENPYXL.items():
            setattr(self, allow, not bool(getattr(prot, attr)))


class _SheetApi:
    """The few members of Excel's Worksheet COM object that jxzp touches."""

    def __init__(self, sheet: OfflineSheet):
        self._sheet = sheet

    @property
    def _prot(self):
        return self._sheet.ws.protection

    @property
    def ProtectContents(self) -> bool:  # noqa: N802 - COM name
        return bool(self._prot.sheet)

    @property
    def ProtectDrawingObjects(self) -> bool:  # noqa: N802
        return bool(self._prot.sheet and self._prot.objects)

    @property
    def ProtectScenarios(self) -> bool:  # noqa: N802
        return bool(self._prot.sheet and self._prot.scenarios)

    @property
    def Protection(self) -> _Protection:  # noqa: N802
        return _Protection(self._prot)

    def Unprotect(self, Password: str | None = None) -> None:  # noqa: N802, N803
        if self._prot.password and Password is None:
            raise ComError("The password you supplied is not correct")
        self._prot.sheet = False

    def Protect(self, Password=None, DrawingObjects=True, Contents=True, Scenarios=True,  # noqa: N802, N803
                UserInterfaceOnly=False, **allow: bool) -> None:
        p = self._prot
        p.sheet = bool(Contents)
        p.objects = bool(DrawingObjects)
        p.scenarios = bool(Scenarios)
        for name, value in allow.items():
            setattr(p, _ALLOW_TO_OPENPYXL[name], not value)

    @property
    def Visible(self) -> int:  # noqa: N802
        return _STATE_TO_VISIBLE[self._sheet.ws.sheet_state]

    @Visible.setter
    def Visible(self, value: int) -> None:  # noqa: N802
        self._sheet.ws.sheet_state = _VISIBLE_TO_STATE[value]


class OfflineSheet:
    def __init__(self, book: OfflineBook, ws):
        self.book = book
        self.ws = ws

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OfflineSheet) and other.ws is self.ws

    @property
    def name(self) -> str:
        return self.ws.title

    @property
    def api(self) -> _SheetApi:
        return _SheetApi(self)

    @property
    def visible(self) -> bool:
        return self.ws.sheet_state == "visible"

    @visible.setter
    def visible(self, value: bool) -> None:
        self.ws.sheet_state = "visible" if value else "hidden"

    def activate(self) -> None:
        self.book.wb.active = self.ws

    def delete(self) -> None:
        if self.ws.sheet_state == "veryHidden":
            raise ComError("Delete method of Worksheet class failed")  # as Excel does
        if len(self.book.wb.worksheets) == 1:
            raise ComError("A workbook must contain at least one visible worksheet")
        self.book.wb.remove(self.ws)

    @property
    def used_range(self) -> OfflineRange:
        ws = self.ws
        if ws.max_row == 1 and ws.max_column == 1 and ws.cell(1, 1).value is None:
            return OfflineRange(self, 1, 1, 1, 1)
        return OfflineRange(self, ws.min_row, ws.min_column, ws.max_row, ws.max_column)

    def range(self, first: str | tuple[int, int], last: tuple[int, int] | None = None) -> OfflineRange:
        if isinstance(first, str):
            c1, r1, c2, r2 = range_boundaries(first.replace("$", ""))
            return OfflineRange(self, r1, c1, r2, c2)
        r1, c1 = first
        r2, c2 = last if last is not None else first
        return OfflineRange(self, r1, c1, r2, c2)


class _Options:
    def __init__(self, rng: OfflineRange, ndim: int | None, err_to_str: bool):
        self.rng, self.ndim, self.err_to_str = rng, ndim, err_to_str

    @property
    def value(self) -> Any:
        return self.rng._read_values(self.ndim, self.err_to_str)


class OfflineNote:
    def __init__(self, cell):
        self.cell = cell

    @property
    def text(self) -> str:
        return self.cell.comment.text

    @text.setter
    def text(self, value: str) -> None:
        self.cell.comment = Comment(value, self.cell.comment.author or NOTE_AUTHOR)

    def delete(self) -> None:
        self.cell.comment = None


class OfflineRange:
    def __init__(self, sheet: OfflineSheet, r1: int, c1: int, r2: int, c2: int):
        self.sheet = sheet
        self.r1, self.c1, self.r2, self.c2 = r1, c1, r2, c2

    # geometry
    @property
    def row(self) -> int:
        return self.r1

    @property
    def column(self) -> int:
        return self.c1

    @property
    def shape(self) -> tuple[int, int]:
        return self.r2 - self.r1 + 1, self.c2 - self.c1 + 1

    @property
    def last_cell(self) -> OfflineRange:
        return OfflineRange(self.sheet, self.r2, self.c2, self.r2, self.c2)

    @property
    def address(self) -> str:
        return f"${get_column_letter(self.c1)}${self.r1}:${get_column_letter(self.c2)}${self.r2}"

    @property
    def merge_area(self) -> OfflineRange:
        for m in self.sheet.ws.merged_cells.ranges:
            if m.min_row <= self.r1 <= m.max_row and m.min_col <= self.c1 <= m.max_col:
                return OfflineRange(self.sheet, m.min_row, m.min_col, m.max_row, m.max_col)
        return self

    def _cells(self):
        ws = self.sheet.ws
        return [[ws.cell(r, c) for c in range(self.c1, self.c2 + 1)] for r in range(self.r1, self.r2 + 1)]

    def _existing(self):
        """Cells for reading: None where the sheet has none (reading must not create cells)."""
        got = self.sheet.ws._cells.get
        return [[got((r, c)) for c in range(self.c1, self.c2 + 1)] for r in range(self.r1, self.r2 + 1)]

    def _single(self):
        if self.shape != (1, 1):
            raise ValueError("single cell expected")
        return self.sheet.ws.cell(self.r1, self.c1)

    def _shape_out(self, grid: list[list[Any]], ndim: int | None) -> Any:
        if ndim == 2:
            return grid
        if self.shape == (1, 1):
            return grid[0][0]
        if self.shape[0] == 1:
            return grid[0]
        if self.shape[1] == 1:
            return [r[0] for r in grid]
        return grid

    # values
    def options(self, ndim: int | None = None, err_to_str: bool = False, **_: Any) -> _Options:
        return _Options(self, ndim, err_to_str)

    def _read_values(self, ndim: int | None, err_to_str: bool) -> Any:
        self.sheet.book.reads[(self.sheet.name, "value")] += 1
        shown = self.sheet.book._shown
        grid = []
        for row in self._existing():
            out = []
            for cell in row:
                src = cell
                if cell is not None and cell.data_type == "f":  # Excel shows the result: the cached one, if any
                    src = shown[self.sheet.name].cell(cell.row, cell.column) \
                        if self.sheet.name in shown.sheetnames else None
                v = None if src is None else src.value
                if src is not None and src.data_type == "e":
                    v = v if err_to_str else None
                out.append(_excel_value(v))
            grid.append(out)
        return self._shape_out(grid, ndim)

    @property
    def value(self) -> Any:
        return self._read_values(None, False)

    @value.setter
    def value(self, data: Any) -> None:
        if not isinstance(data, (list, tuple)):
            data = [[data]]
        elif data and not isinstance(data[0], (list, tuple)):
            data = [list(data)]
        for i, row in enumerate(data):
            for j, v in enumerate(row):
                cell = self.sheet.ws.cell(self.r1 + i, self.c1 + j)
                self._check_editable(cell, "value")
                if isinstance(v, str) and v.startswith("=") and cell.number_format == "@":
                    cell.value = v
                    cell.data_type = "s"  # a text-formatted cell keeps "=..." as text, as in Excel
                else:
                    cell.value = v

    @property
    def formula(self) -> Any:
        self.sheet.book.reads[(self.sheet.name, "formula")] += 1
        grid = []
        for row in self._existing():
            out = []
            for cell in row:
                v = None if cell is None else cell.value
                if cell is not None and cell.data_type == "f":
                    out.append(v if isinstance(v, str) else "=" + str(getattr(v, "text", v)))
                elif v is None:
                    out.append("")
                elif isinstance(v, bool):
                    out.append("TRUE" if v else "FALSE")
                else:
                    out.append(str(v))
            grid.append(out)
        if self.shape == (1, 1):
            return grid[0][0]
        return tuple(tuple(r) for r in grid)

    @property
    def number_format(self) -> str:
        return self._single().number_format

    @number_format.setter
    def number_format(self, fmt: str) -> None:
        for row in self._cells():
            for cell in row:
                cell.number_format = fmt

    def clear_contents(self) -> None:
        for row in self._cells():
            for cell in row:
                self._check_editable(cell, "value")
                cell.value = None

    def clear(self) -> None:
        from openpyxl.cell.cell import Cell as _XCell  # noqa: PLC0415

        ws = self.sheet.ws
        for row in self._cells():
            for cell in row:
                self._check_editable(cell, "format")
                if isinstance(cell, _XCell):
                    ws._cells.pop((cell.row, cell.column), None)  # value, style and note go

    # formatting
    def _check_editable(self, cell, what: str) -> None:
        ws = self.sheet.ws
        if ws.protection.sheet and cell.protection.locked:
            raise ComError(f"The cell {cell.coordinate} on a protected sheet cannot change ({what})")

    @property
    def color(self) -> tuple[int, int, int] | None:
        fill = self._single().fill
        if fill is None or fill.fill_type != "solid":
            return None
        rgb = fill.fgColor.rgb if isinstance(fill.fgColor.rgb, str) else "00000000"
        h = rgb[-6:]
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)

    @color.setter
    def color(self, rgb: tuple[int, int, int] | str | None) -> None:
        if isinstance(rgb, str):
            h = rgb.lstrip("#")
            rgb = (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
        for row in self._cells():
            for cell in row:
                prot = self.sheet.ws.protection
                if prot.sheet and prot.formatCells and cell.protection.locked:
                    raise ComError(f"Unable to set the Color property of the Interior class ({cell.coordinate})")
                if rgb is None:
                    cell.fill = PatternFill(fill_type=None)
                else:
                    hexa = "FF%02X%02X%02X" % tuple(rgb)
                    cell.fill = PatternFill("solid", fgColor=hexa, bgColor=hexa)

    def _check_note_editable(self) -> None:
        prot = self.sheet.ws.protection
        if prot.sheet and prot.objects:  # notes are drawing objects
            raise ComError("Notes cannot be changed on a protected sheet")

    @property
    def note(self) -> OfflineNote | None:
        cell = self._single()
        return OfflineNote(cell) if cell.comment is not None else None

    def add_note(self, text: str) -> OfflineNote:
        cell = self._single()
        if not text:
            raise ValueError("Note text must not be empty")
        if cell.comment is not None:
            raise ValueError("This cell already has a note")
        self._check_note_editable()
        cell.comment = Comment(text, NOTE_AUTHOR)
        return OfflineNote(cell)

"""How 校验 marks cells and how 清除标记 undoes it — written once, against a small port.

A *port* is the spreadsheet as jxzp edits it: ``addin.xlsx.annotate.FilePort`` (a package
patched part by part) and ``addin.adapters.xlwings_book.ExcelPort`` (a workbook open in Excel)
implement ``MarkPort``; ``apply_marks``, ``clear_marks`` and ``write_results`` below hold the
logic both share.

Each marked cell gets a hidden defined name ``_jxzp_mark_N`` (spreadsheet programs move names
with their cells when rows/columns are inserted, deleted or sorted) and one row in the very
hidden sheet MARKS_SHEET with what the port needs to put the cell back exactly (format, fill,
note with its author, size and visibility). 清除标记 restores a cell only while it still
carries jxzp's mark (our fill colour, a note starting with NOTE_PREFIX); a mark the user has
already removed is left alone. Values are never changed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol

from .text import strip_xml_illegal
from .findings import ERROR, INFO, WARNING, Finding, ValidationResult

MARKS_SHEET = "_jxzp_marks"
MARKS_HEADER = ("name", "sheet", "cell", "color", "style", "fill", "marked", "had_note", "note", "note_data", "ours")
MARK_NAME_PREFIX = "_jxzp_mark_"
META_ROW = "#port"  # first column of the row holding the port's own bookkeeping (JSON)
SHEET_LOCKED_HINT = "请在“审阅→撤销工作表保护”中输入密码取消保护后再校验"
RESULTS_SHEET = "校验结果"
NOTE_PREFIX = "【jxzp 校验】"
FILL_COLORS = {ERROR: "FFC7CE", WARNING: "FFEB9C", INFO: "DDEBF7"}  # Excel's bad/neutral/blue
_SEVERITY_ORDER = (ERROR, WARNING, INFO)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(v: Any, limit: int = 32000) -> Any:
    """Text written into a sheet: no formula start, no XML-illegal characters, Excel's length cap.

    Numbers and None pass through unchanged.
    """
    if v is None or isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    s = strip_xml_illegal(str(v))[:limit]
    if s.startswith(_FORMULA_START):
        s = "'" + s  # shown as text by every spreadsheet program
    return s


def note_for(fs: list[Finding]) -> tuple[str, str]:
    """(worst severity, note text) for the findings of one cell."""
    fs = sorted(fs, key=lambda f: _SEVERITY_ORDER.index(f.severity))
    lines = [f"{f.severity}：{f.message}" for f in fs[:8]]
    if len(fs) > 8:
        lines.append(f"……另有 {len(fs) - 8} 条，见“校验结果”")
    return fs[0].severity, NOTE_PREFIX + "\n" + "\n".join(lines)


def cell_marks(result: ValidationResult) -> dict[tuple[str, str], tuple[str, str]]:
    """(sheet, cell) -> (worst severity, note text) for every cell that has findings."""
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in result.findings:
        if f.sheet and f.cell:
            by_cell.setdefault((f.sheet, f.cell), []).append(f)
    return {key: note_for(fs) for key, fs in by_cell.items()}


def results_rows(result: ValidationResult, indicator_names: dict[str, str]) -> list[list[Any]]:
    """Rows of the 校验结果 table: 序号 级别 代码 工作表 单元格 名称 指标 问题 应为 实际 (the code as
    `validate --json` and docs/validation.md give it)."""
    rows = []
    for i, f in enumerate(result.sorted(), 1):
        rows.append([i, f.severity, f.code or f.rule, f.sheet, f.cell, f.name,
                     indicator_names.get(f.indicator or "", f.indicator),
                     safe_text(f.message), safe_text(_show(f.expected)), safe_text(_show(f.actual))])
    return rows


def _show(v: Any) -> Any:
    if isinstance(v, float):
        return float(f"{v:.10g}")
    return v


def hyperlink_target(sheet: str, cell: str) -> str:
    """In-workbook link target, as both Excel and LibreOffice read it."""
    return f"#'{sheet.replace(chr(39), chr(39) * 2)}'!{cell}"


def iter_marks_rows(rows: Iterable[Iterable[Any]], header: Iterable[Any] | None = None):
    """Parse MARKS_SHEET rows (after its header) into dicts; older files ("sheet, cell, fill, had_note, note") too."""
    cols = [str(h) for h in (header or MARKS_HEADER)]
    for r in rows:
        r = list(r) + [None] * len(cols)
        d = dict(zip(cols, r))
        if not d.get("sheet") or not d.get("cell") or str(d.get("name") or "") == META_ROW:
            continue
        yield {"name": str(d.get("name") or ""), "sheet": str(d["sheet"]), "cell": str(d["cell"]),
               "color": str(d.get("color") or ""), "style": "" if d.get("style") is None else str(d.get("style")),
               "fill": str(d.get("fill") or "") or None, "marked": "" if d.get("marked") is None else str(d.get("marked")),
               "had_note": bool(d.get("had_note")), "note": str(d.get("note") or ""),
               "note_data": str(d.get("note_data") or ""), "ours": str(d.get("ours") or "")}


# ---------------------------------------------------------------- the port and the shared logic
@dataclass
class Look:
    """A cell's format and note as a port records them (opaque strings, stored in MARKS_SHEET)."""

    style: str = ""  # file: cell format index; Excel: ""
    fill: str = ""  # file: the <fill> XML; Excel: "RRGGBB" or ""
    note: str | None = None  # the note's text, None without a note
    note_data: str = ""  # file: the <comment> XML (author, rich text); Excel: ""
    threaded: bool = False  # a threaded comment: jxzp leaves its note alone


class MarkPort(Protocol):
    """What marks and 校验结果 need from a spreadsheet (a file package or Excel)."""

    def sheet_names(self) -> list[str]: ...
    def locked(self, sheet: str) -> bool: ...  # protected with a password: jxzp cannot mark it
    def anchor_cell(self, sheet: str, coord: str) -> str: ...  # merged range -> its top-left cell
    def look(self, sheet: str, coord: str) -> Look: ...
    def mark(self, sheet: str, coord: str, rgb: str, note: str | None) -> str: ...  # -> marked style token
    def has_fill(self, sheet: str, coord: str, rgb: str) -> bool: ...
    def note_text(self, sheet: str, coord: str) -> str | None: ...
    def find_note(self, sheet: str, text: str) -> str | None: ...  # the cell whose note is exactly text
    def restore_fill(self, sheet: str, coord: str, record: dict) -> None: ...
    def restore_note(self, sheet: str, coord: str, record: dict) -> None: ...
    def add_anchor(self, name: str, sheet: str, coord: str) -> None: ...
    def anchor(self, name: str) -> tuple[str, str] | None | bool: ...  # False: name gone; None: #REF!
    def remove_anchor(self, name: str) -> None: ...
    def anchor_names(self) -> list[str]: ...
    def read_rows(self, sheet: str) -> list[list[Any]] | None: ...
    def write_rows(self, sheet: str, rows: list[list[Any]]) -> None: ...  # very hidden, text cells
    def remove_sheet(self, sheet: str) -> None: ...
    def begin(self) -> dict: ...  # the port's own bookkeeping, saved with the marks
    def start_clear(self, meta: dict) -> None: ...
    def finish_clear(self, meta: dict, complete: bool) -> None: ...
    def write_results(self, summary: str, has_errors: bool, rows: list[list[Any]],
                      links: dict[int, tuple[str, str]]) -> None: ...


@dataclass
class MarkOutcome:
    marked: int = 0
    locked: dict[str, int] = field(default_factory=dict)  # sheet -> findings not marked (password)
    merged: int = 0  # findings moved to the top-left cell of their merged range
    cleared_first: int = 0

    def notes(self) -> list[str]:
        out = []
        for sheet, n in self.locked.items():
            out.append(f"工作表“{sheet}”设置了保护密码，jxzp 无法在上面标注；其上 {n} 条问题只列在“{RESULTS_SHEET}”中。"
                       + SHEET_LOCKED_HINT)
        return out


@dataclass
class ClearOutcome:
    restored: int = 0
    left_alone: int = 0  # the user already removed jxzp's mark, or the cell was deleted
    partly: int = 0  # the user changed the fill or removed the note: that part left as the user made it
    locked: dict[str, int] = field(default_factory=dict)  # sheet -> marks kept (password)

    @property
    def complete(self) -> bool:
        return not self.locked

    def notes(self) -> list[str]:
        out = []
        if self.left_alone:
            out.append(f"{self.left_alone} 个单元格的标记已被删除或改动（或单元格已删除），保持原样未动")
        if self.partly:
            out.append(f"{self.partly} 个单元格的底色或批注已被改动，改动过的部分保持原样")
        for sheet, n in self.locked.items():
            out.append(f"工作表“{sheet}”设置了保护密码，其上 {n} 个标记未清除。{SHEET_LOCKED_HINT.replace('校验', '清除标记')}")
        return out


def _meta_row(meta: dict) -> list[Any]:
    text = json.dumps(meta, ensure_ascii=False)
    chunks = [text[i:i + 30000] for i in range(0, len(text), 30000)] or [""]
    return [META_ROW, *chunks]


def read_marks(port: MarkPort) -> tuple[list[dict], dict] | None:
    rows = port.read_rows(MARKS_SHEET)
    if rows is None:
        return None
    if not rows:
        return [], {}
    header = [str(h) if h is not None else "" for h in rows[0]]
    meta: dict = {}
    for r in rows[1:]:
        if r and r[0] == META_ROW:
            try:
                meta = json.loads("".join(str(x) for x in r[1:] if x is not None))
            except ValueError:
                meta = {}
    return list(iter_marks_rows(rows[1:], header)), meta


def clear_marks(port: MarkPort) -> ClearOutcome:
    """Undo jxzp's marks on cells that still carry them; never stops half way."""
    out = ClearOutcome()
    found = read_marks(port)
    if found is None:
        for name in port.anchor_names():  # names left by an interrupted run
            port.remove_anchor(name)
        return out
    records, meta = found
    port.start_clear(meta)
    kept: list[dict] = []
    for rec in records:
        where = port.anchor(rec["name"]) if rec["name"] else False
        if where is None:  # the cell was deleted with its row/column
            out.left_alone += 1
            port.remove_anchor(rec["name"])
            continue
        if where is False:  # no name (older file, or a program that dropped it): the recorded address
            where = (rec["sheet"], rec["cell"])
        sheet, coord = where
        if sheet not in port.sheet_names():
            out.left_alone += 1
            continue
        if port.locked(sheet):
            out.locked[sheet] = out.locked.get(sheet, 0) + 1
            kept.append(rec)
            continue
        color = rec["color"] or ""
        text = port.note_text(sheet, coord)
        if rec["ours"] and text != rec["ours"]:
            # rows sorted: names stay with addresses, notes travel with the cells — follow jxzp's note
            moved = port.find_note(sheet, rec["ours"])
            if moved is not None:
                coord, text = moved, rec["ours"]
        ours_fill = bool(color) and port.has_fill(sheet, coord, color)
        ours_note = text is not None and (text == rec["ours"] if rec["ours"] else text.startswith(NOTE_PREFIX))
        if not color and not rec["name"]:  # older files recorded no colour: any of ours
            ours_fill = any(port.has_fill(sheet, coord, c) for c in FILL_COLORS.values())
        if ours_fill:
            port.restore_fill(sheet, coord, rec)
        if ours_note:
            port.restore_note(sheet, coord, rec)
        if ours_fill or ours_note:
            out.restored += 1
            out.partly += int(ours_fill != ours_note and bool(color))
        else:
            out.left_alone += 1
        if rec["name"]:
            port.remove_anchor(rec["name"])
    for name in port.anchor_names():
        if not any(r["name"] == name for r in kept):
            port.remove_anchor(name)
    if kept:
        port.write_rows(MARKS_SHEET, [list(MARKS_HEADER)] + [[r.get(h, "") for h in MARKS_HEADER] for r in kept]
                        + [_meta_row(meta)])
    else:
        port.remove_sheet(MARKS_SHEET)
    port.finish_clear(meta, not kept)
    return out


def apply_marks(port: MarkPort, result: ValidationResult) -> MarkOutcome:
    """Mark every cell with findings (earlier marks cleared first, so originals are the user's own)."""
    out = MarkOutcome()
    out.cleared_first = clear_marks(port).restored
    meta = port.begin()
    sheets = set(port.sheet_names())
    grouped: dict[tuple[str, str], list[Finding]] = {}
    for f in result.findings:
        if not (f.sheet and f.cell) or f.sheet not in sheets:
            continue
        if port.locked(f.sheet):
            out.locked[f.sheet] = out.locked.get(f.sheet, 0) + 1
            continue
        anchor = port.anchor_cell(f.sheet, f.cell)
        if anchor != f.cell:
            out.merged += 1
        grouped.setdefault((f.sheet, anchor), []).append(f)
    rows: list[list[Any]] = [list(MARKS_HEADER)]
    for n, ((sheet, coord), fs) in enumerate(sorted(grouped.items()), 1):
        severity, note = note_for(fs)
        look = port.look(sheet, coord)
        rgb = FILL_COLORS[severity]
        if look.threaded:
            text = None  # a threaded comment is the user's conversation: only the fill marks the cell
        elif look.note:
            text = safe_text(note + ORIGINAL_NOTE_SEPARATOR + look.note, 30000)
        else:
            text = safe_text(note, 30000)
        name = f"{MARK_NAME_PREFIX}{n}"
        marked = port.mark(sheet, coord, rgb, text)
        port.add_anchor(name, sheet, coord)
        rows.append([name, sheet, coord, rgb, look.style, look.fill, marked, 1 if look.note is not None else 0,
                     look.note or "", look.note_data, text or ""])
        out.marked += 1
    rows.append(_meta_row(meta))
    port.write_rows(MARKS_SHEET, rows)
    return out


def write_results(port: MarkPort, result: ValidationResult, indicator_names: dict[str, str],
                  extra: list[str] | None = None) -> None:
    """The 校验结果 sheet: summary, then one row per finding with a link to its cell."""
    rows = results_rows(result, indicator_names)
    sheets = set(port.sheet_names())
    links = {i: (r[3], r[4]) for i, r in enumerate(rows) if r[3] and r[4] and r[3] in sheets}
    summary = result.summary_line()
    if extra:
        summary += "  " + "；".join(extra)
    port.write_results(summary, result.has_errors, rows, links)


ORIGINAL_NOTE_SEPARATOR = "\n——原批注——\n"

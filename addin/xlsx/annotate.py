"""The annotated copy of `jxzp validate --annotate`: marks on the cells, the 校验结果 sheet.

Same marks as the Excel ribbon: a fill by severity and a note on each cell with findings,
the originals recorded in the very hidden MARKS_SHEET (so 清除标记 in Excel restores them),
and every finding listed on 校验结果 with a link to its cell. Values are never changed.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from ..core.findings import ValidationResult
from ..core.framework import Framework
from ..core.marks import (FILL_COLORS, MARKS_HEADER, MARKS_SHEET, NOTE_PREFIX, RESULTS_SHEET, cell_marks,
                          hyperlink_target, iter_marks_rows, results_rows, safe_text)
from . import styles as st
from .files import check_output_path, load_workbook_safely
from .finish import save_workbook
from .template import AUTHOR, RESULTS_HEADER
from .writer import _restore_chart

RESULTS_FIRST_ROW = 5  # header at row 4 (template)


def _fill_hex(cell) -> str | None:
    f = cell.fill
    if f is None or f.fill_type != "solid":
        return None
    rgb = getattr(f.fgColor, "rgb", None)
    return rgb[-6:] if isinstance(rgb, str) else None


def annotate_copy(fw: Framework, src: Path, out: Path, result: ValidationResult, *, overwrite: bool = False) -> Path:
    out = check_output_path(out, overwrite=overwrite, inputs=(Path(src),), suffixes=(".xlsx", ".xlsm"))
    wb = load_workbook_safely(src, read_only=False)
    clear_marks(wb)
    marks = cell_marks(result)
    log = _marks_sheet(wb)
    for (sheet, coord), (severity, note) in sorted(marks.items()):
        if sheet not in wb.sheetnames:
            continue
        cell = wb[sheet][coord]
        had = cell.comment is not None
        log.append([sheet, coord, _fill_hex(cell) or "", 1 if had else 0, cell.comment.text if had else ""])
        log.cell(log.max_row, 5).data_type = "s"  # a note beginning with "=" stays text
        cell.fill = PatternFill("solid", fgColor=FILL_COLORS[severity])
        text = note if not had else note + "\n——原批注——\n" + cell.comment.text
        c = Comment(safe_text(text, 30000), AUTHOR)
        c.width, c.height = 360, 160
        cell.comment = c
    write_results_sheet(wb, fw, result)
    _restore_chart(wb)
    return save_workbook(wb, out, fw, overwrite=overwrite)


def _marks_sheet(wb):
    if MARKS_SHEET in wb.sheetnames:
        wb.remove(wb[MARKS_SHEET])
    ws = wb.create_sheet(MARKS_SHEET)
    ws.sheet_state = "veryHidden"
    ws.append(list(MARKS_HEADER))
    return ws


def clear_marks(wb) -> int:
    """Undo earlier marks (a re-validated annotated copy starts clean). Returns cells restored."""
    if MARKS_SHEET not in wb.sheetnames:
        return 0
    ws = wb[MARKS_SHEET]
    n = 0
    for m in iter_marks_rows(ws.iter_rows(min_row=2, values_only=True)):
        if m["sheet"] not in wb.sheetnames:
            continue
        cell = wb[m["sheet"]][m["cell"]]
        cell.fill = PatternFill("solid", fgColor=m["fill"]) if m["fill"] else PatternFill(fill_type=None)
        cell.comment = Comment(m["note"], AUTHOR) if m["had_note"] else None
        n += 1
    wb.remove(ws)
    return n


def write_results_sheet(wb, fw: Framework, result: ValidationResult) -> None:
    if RESULTS_SHEET not in wb.sheetnames:
        ws = wb.create_sheet(RESULTS_SHEET)
        for i, lab in enumerate(RESULTS_HEADER, 1):
            c = ws.cell(RESULTS_FIRST_ROW - 1, i, lab)
            c.font, c.fill, c.alignment = st.HEADER_FONT, st.HEADER_FILL, st.CENTER
    ws = wb[RESULTS_SHEET]
    if ws.max_row >= RESULTS_FIRST_ROW:
        ws.delete_rows(RESULTS_FIRST_ROW, ws.max_row - RESULTS_FIRST_ROW + 1)
    when = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    ws.cell(2, 1, f"{result.summary_line()}（{when} 校验；文件：{Path(result.source).name}）")
    ws.cell(2, 1).font = Font(name=st.FONT_NAME, bold=True, color="C00000" if result.has_errors else "006100")
    names = {i.id: i.name for i in fw.indicators}
    for r, row in enumerate(results_rows(result, names), RESULTS_FIRST_ROW):
        for col, v in enumerate(row, 1):
            c = ws.cell(r, col, v)
            c.font = st.BODY_FONT
            c.alignment = st.WRAP_TOP
            c.border = st.BORDER
            if isinstance(v, str):
                c.data_type = "s"  # never a formula, whatever the text
        sev = row[1]
        ws.cell(r, 2).fill = PatternFill("solid", fgColor=FILL_COLORS[sev])
        sheet, coord = row[3], row[4]
        if sheet and coord and sheet in wb.sheetnames:
            link = ws.cell(r, 5)
            # an in-workbook link: location, not an external target
            link.hyperlink = Hyperlink(ref=link.coordinate, location=hyperlink_target(sheet, coord).lstrip("#"))
            link.font = Font(name=st.FONT_NAME, color="0563C1", underline="single")
    ws.auto_filter.ref = f"A{RESULTS_FIRST_ROW - 1}:{get_column_letter(len(RESULTS_HEADER))}{max(RESULTS_FIRST_ROW, ws.max_row)}"
    wb.active = wb.sheetnames.index(RESULTS_SHEET)
    for s in wb.worksheets:
        s.sheet_view.tabSelected = s.title == RESULTS_SHEET


assert NOTE_PREFIX  # notes written by jxzp start with it (used by the Excel clear)

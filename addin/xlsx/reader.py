"""Read a workbook file into BookData: defined names resolved, one pass per sheet.

Read-only mode streams each sheet once; formulas are kept as formulas (never cached
values), so the core recomputes everything from the inputs.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from openpyxl.utils.cell import coordinate_from_string, column_index_from_string, get_column_letter, range_boundaries

from ..core.errors import InputError
from ..core.model import META_FRAMEWORK, META_VERSION, BookData, Cell, NameRef
from .files import load_workbook_safely

# names jxzp owns; others in a user's workbook are left alone
OUR_PREFIXES = ("f_", "m_", "p_", "v_", "sug_", "s_", "max_", "n_", "sub_", "grp_", "rpt_", "adj_", "chart_")
OUR_NAMES = {"total_score", "grade"}
# columns whose rows beyond the named range are looked at (data typed below the table)
OVERFLOW_NAMES = ("p_name", "rpt_text")


def _ours(name: str) -> bool:
    return name in OUR_NAMES or name.startswith(OUR_PREFIXES)


def _parse_ref(ref: str) -> tuple[int, int, int, int] | None:
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    except (ValueError, TypeError):
        return None
    if None in (min_col, min_row, max_col, max_row):
        return None
    return min_col, min_row, max_col, max_row


def _const(attr_text: str) -> str | None:
    m = re.fullmatch(r'\s*="?([^"]*)"?\s*|\s*"([^"]*)"\s*', attr_text or "")
    if not m:
        return None
    return m.group(1) if m.group(1) is not None else m.group(2)


def _cell_value(cell) -> tuple[Any, str | None]:
    """(value, formula) of an openpyxl cell."""
    v = cell.value
    if getattr(cell, "data_type", None) == "f" or (isinstance(v, str) and cell.data_type == "f"):
        text = v if isinstance(v, str) else getattr(v, "text", None) or str(v)
        return None, text if text.startswith("=") else "=" + text
    if v is not None and not isinstance(v, (str, int, float, bool)):
        if hasattr(v, "text"):  # ArrayFormula / DataTableFormula
            return None, "=" + str(v.text or "")
        if hasattr(v, "isoformat"):
            return v, None  # dates are passed through; validation reports them
        return str(v), None
    return v, None


def read_book(path: str | Path) -> BookData:
    wb = load_workbook_safely(path, read_only=True)
    try:
        return _read(wb, str(path))
    finally:
        wb.close()


def _read(wb, source: str) -> BookData:
    sheets = list(wb.sheetnames)
    names: dict[str, NameRef] = {}
    wanted: dict[str, dict[tuple[int, int], Cell]] = {}
    framework_id = template_version = None
    try:
        defined = list(wb.defined_names.items())
    except Exception as e:  # pragma: no cover - defensive: malformed workbook.xml
        raise InputError(f"无法读取工作簿的名称定义：{e}") from None
    for name, dn in defined:
        if name == META_FRAMEWORK:
            framework_id = _const(dn.attr_text)
            continue
        if name == META_VERSION:
            template_version = _const(dn.attr_text)
            continue
        if not _ours(name):
            continue
        ref = NameRef(name)
        names[name] = ref
        text = dn.attr_text or ""
        if "#REF!" in text:
            ref.problem = "#REF!"
            continue
        try:
            dests = list(dn.destinations)
        except Exception:
            ref.problem = f"无法解析：{text}"
            continue
        if len(dests) != 1:
            ref.problem = f"指向多个区域或不是单元格：{text}"
            continue
        sheet, coord = dests[0]
        if sheet not in sheets:
            ref.problem = f"指向不存在的工作表“{sheet}”"
            continue
        bounds = _parse_ref(coord)
        if bounds is None:
            ref.problem = f"不是单元格区域：{text}"
            continue
        c1, r1, c2, r2 = bounds
        if (c2 - c1 + 1) * (r2 - r1 + 1) > 100_000:
            ref.problem = f"区域过大：{text}"
            continue
        per_sheet = wanted.setdefault(sheet, {})
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                cell = per_sheet.setdefault((r, c), Cell(sheet, f"{get_column_letter(c)}{r}"))
                ref.cells.append(cell)

    overflow_cols: dict[str, tuple[str, int, int]] = {}
    for nm in OVERFLOW_NAMES:
        ref = names.get(nm)
        if ref and ref.cells and not ref.problem:
            last = ref.cells[-1]
            col_letter, row = coordinate_from_string(last.coord)
            overflow_cols[nm] = (last.sheet, column_index_from_string(col_letter), row)

    overflow: dict[str, list[Cell]] = {}
    for sheet, cells in wanted.items():
        ws = wb[sheet]
        extra = [(nm, col, row) for nm, (sh, col, row) in overflow_cols.items() if sh == sheet]
        rows = [rc[0] for rc in cells]
        cols = [rc[1] for rc in cells]
        max_row = max(rows)
        if extra:
            max_row = max(max_row, ws.max_row or max_row)
        min_col, max_col = min(cols), max(cols)
        # one streaming pass over the rows and columns that hold named cells
        for row in ws.iter_rows(min_row=min(rows), max_row=max_row, min_col=min_col, max_col=max_col):
            for cell in row:
                rc = (getattr(cell, "row", None), getattr(cell, "column", None))
                if rc[0] is None:
                    continue
                target = cells.get(rc)
                if target is not None:
                    target.value, target.formula = _cell_value(cell)
                    continue
                for nm, col, last_row in extra:
                    if rc[1] == col and rc[0] > last_row and cell.value not in (None, ""):
                        value, formula = _cell_value(cell)
                        overflow.setdefault(nm, []).append(Cell(sheet, f"{get_column_letter(col)}{rc[0]}", value, formula))
    return BookData(source=source, sheets=sheets, names=names, framework_id=framework_id,
                    template_version=template_version, overflow=overflow)

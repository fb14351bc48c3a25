"""The rows a finding points at, as the sheet shows them: header row plus the affected rows.

Values are the ones the file carries (cached results for formulas), formatted like the cell's
number format for percentages; long texts are cut. Read-only: nothing in the file is evaluated.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

from openpyxl.utils.cell import coordinate_from_string, get_column_letter

MAX_COLS = 12
MAX_TEXT = 60
MAX_ROWS_PER_SHEET = 40
HEADER_SEARCH = 8  # the templates' headers sit in the first rows
_ERRORS = ("#NAME?", "#VALUE!", "#REF!", "#DIV/0!", "#N/A", "#NUM!", "#NULL!")


def _show(value: Any, fmt: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        if fmt and "%" in fmt:
            return f"{value * 100:.2f}%"
        if isinstance(value, float):
            return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) >= 1 else f"{value:.4g}"
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    text = str(value)
    if text in _ERRORS:
        return "（公式）"
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def _row_of(cell: str | None) -> tuple[int, int] | None:
    try:
        col, row = coordinate_from_string(cell or "")
    except (ValueError, TypeError):
        return None
    from openpyxl.utils.cell import column_index_from_string  # noqa: PLC0415

    return row, column_index_from_string(col)


def previews(path: Path, findings: list[dict]) -> dict[str, dict]:
    """{sheet: {"header": [..], "header_row": n, "rows": {row: [..]}, "columns": [A..]}} for the findings' rows."""
    import openpyxl  # noqa: PLC0415

    wanted: dict[str, set[int]] = {}
    for f in findings:
        rc = _row_of(f.get("cell"))
        if f.get("sheet") and rc:
            wanted.setdefault(f["sheet"], set()).add(rc[0])
    if not wanted:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the file passed check_workbook_file already (upload); data_only: cached results, never formulas run
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    out: dict[str, dict] = {}
    try:
        for sheet, rows in wanted.items():
            if sheet not in wb.sheetnames:
                continue
            ws = wb[sheet]
            rows = set(sorted(rows)[:MAX_ROWS_PER_SHEET])
            ncols = min(MAX_COLS, ws.max_column or 1)
            got: dict[int, list[str]] = {}
            header_row = None
            for r, cells in enumerate(ws.iter_rows(min_row=1, max_row=max(rows), max_col=ncols), 1):
                values = [getattr(c, "value", None) for c in cells]
                if header_row is None and r < min(rows) and r <= HEADER_SEARCH and _looks_like_header(values, ncols):
                    header_row = r
                if r in rows or r == header_row:
                    got[r] = [_show(getattr(c, "value", None), getattr(c, "number_format", None)) for c in cells]
                    got[r] += [""] * (ncols - len(got[r]))
            out[sheet] = {
                "columns": [get_column_letter(i) for i in range(1, ncols + 1)],
                "header_row": header_row,
                "header": got.get(header_row) if header_row else None,
                "rows": {str(r): got.get(r, [""] * ncols) for r in sorted(rows)},
            }
    finally:
        wb.close()
    return out


def _looks_like_header(values: list[Any], ncols: int) -> bool:
    """A table header: most columns filled, all with short texts (the sheet title above fills one)."""
    filled = [v for v in values if v not in (None, "")]
    return len(filled) >= max(2, int(ncols * 0.6)) and all(isinstance(v, str) and len(v) <= 20 for v in filled)

"""How 校验 marks cells and how 清除标记 undoes it, shared by the Excel and file adapters.

Before a cell is marked, its original fill and note are recorded in the very hidden sheet
MARKS_SHEET (one row per cell), so 清除标记 restores them exactly — in Excel, and also
in an annotated copy opened later in Excel. Values are never changed.
"""
from __future__ import annotations

from typing import Any, Iterable

from .text import strip_xml_illegal
from .findings import ERROR, INFO, WARNING, Finding, ValidationResult

MARKS_SHEET = "_jxzp_marks"
MARKS_HEADER = ("sheet", "cell", "fill", "had_note", "note")
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


def cell_marks(result: ValidationResult) -> dict[tuple[str, str], tuple[str, str]]:
    """(sheet, cell) -> (worst severity, note text) for every cell that has findings."""
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in result.findings:
        if f.sheet and f.cell:
            by_cell.setdefault((f.sheet, f.cell), []).append(f)
    out = {}
    for key, fs in by_cell.items():
        fs.sort(key=lambda f: _SEVERITY_ORDER.index(f.severity))
        lines = [f"{f.severity}：{f.message}" for f in fs[:8]]
        if len(fs) > 8:
            lines.append(f"……另有 {len(fs) - 8} 条，见“校验结果”")
        out[key] = (fs[0].severity, NOTE_PREFIX + "\n" + "\n".join(lines))
    return out


def results_rows(result: ValidationResult, indicator_names: dict[str, str]) -> list[list[Any]]:
    """Rows of the 校验结果 table: 序号 级别 规则 工作表 单元格 名称 指标 问题 应为 实际."""
    rows = []
    for i, f in enumerate(result.sorted(), 1):
        rows.append([i, f.severity, f.rule, f.sheet, f.cell, f.name,
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


def iter_marks_rows(rows: Iterable[Iterable[Any]]):
    """Parse MARKS_SHEET rows (after its header) into dicts."""
    for r in rows:
        r = list(r) + [None] * 5
        if r[0] and r[1]:
            yield {"sheet": str(r[0]), "cell": str(r[1]), "fill": r[2] or None,
                   "had_note": bool(r[3]), "note": r[4] or ""}

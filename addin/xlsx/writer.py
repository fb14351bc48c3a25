"""Write values into a copy of a workbook by defined name (jxzp fill, jxzp sample).

The input file is never touched: the copy is written to a temporary file and renamed
into place. Text is stored as text even when it looks like a number or begins with
'=' (no formula injection); a formula is written only for plain arithmetic.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils.cell import range_boundaries

from ..core.errors import InputError
from ..core.framework import Framework
from ..core.interchange import decode_value, input_names, table_columns, tables_of
from ..core.model import arithmetic_value
from ..core.text import strip_xml_illegal
from .files import check_output_path, load_workbook_safely
from .finish import save_workbook
from .template import CHART_NAME, SHEET_SUMMARY, add_summary_chart

# characters an xlsx cannot hold (XML 1.0), including lone surrogates from JSON "\\ud800" escapes
EXCEL_TEXT_LIMIT = 32767  # characters in one cell; Excel "repairs" (cuts) longer text


@dataclass
class FillReport:
    written: int = 0
    ignored: list[str] = field(default_factory=list)  # names not written, with reasons
    warnings: list[str] = field(default_factory=list)


def name_cells(wb, name: str) -> list:
    """openpyxl cells of a workbook-level defined name (row-major), or [] if absent/broken."""
    dn = wb.defined_names.get(name)
    if dn is None or "#REF!" in (dn.attr_text or ""):
        return []
    try:
        dests = list(dn.destinations)
    except Exception:
        return []
    out = []
    for sheet, coord in dests:
        if sheet not in wb.sheetnames:
            return []
        ws = wb[sheet]
        c1, r1, c2, r2 = range_boundaries(coord.replace("$", ""))
        for row in ws.iter_rows(min_row=r1, max_row=r2, min_col=c1, max_col=c2):
            out.extend(row)
    return out


def unstorable(value: Any, where: str) -> str | None:
    """Why a number cannot go into a cell (NaN, infinity, an int no float holds), else None."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        if math.isfinite(float(value)):
            return None
    except OverflowError:
        pass
    # openpyxl would write "nan"/"inf" (Excel then "repairs" the file) or fail on the int
    shown = "超长整数" if isinstance(value, int) else repr(value)
    return f"{where} 的值 {shown} 不是 Excel 能保存的数，未写入（单元格保留原值）；请在数据文件中改为正确的数值"


def set_cell(cell, value: Any, formula: str | None = None) -> str | None:
    """Store value in cell keeping its type; returns a warning or None."""
    warning = None
    if formula is not None and arithmetic_value(formula) is not None:
        cell.value = formula
        return None
    if formula is not None:
        warning = f"{cell.parent.title}!{cell.coordinate} 的公式 {strip_xml_illegal(formula[:40])} 不是简单算式，按文字写入"
        value = formula
    where = f"{cell.parent.title}!{cell.coordinate}"
    refused = unstorable(value, where)
    if refused:
        return refused
    if isinstance(value, str):
        clean = strip_xml_illegal(value)
        if clean != value:
            warning = f"{where} 的文字含控制字符或无效字符，已去除后写入"
        if len(clean) > EXCEL_TEXT_LIMIT:
            clean = clean[:EXCEL_TEXT_LIMIT]
            warning = f"{where} 的文字超过 Excel 单元格上限 {EXCEL_TEXT_LIMIT} 个字符，只写入了前 {EXCEL_TEXT_LIMIT} 个字符；请精简后重新填写"
        cell.value = clean
        if clean.startswith("=") or clean.upper() in _ERRORS or cell.data_type != "s":
            # keep it text: no formula injection, no accidental error literal
            if clean.upper() not in _ERRORS:
                cell.data_type = "s"
                cell.quotePrefix = True
        return warning
    cell.value = value
    return warning


_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"}


def fill_workbook(fw: Framework, src: Path, out: Path, data: dict, *, overwrite: bool = False) -> FillReport:
    """Copy src to out with the values of `data` (the export format, or a subset) written in."""
    out = check_output_path(out, overwrite=overwrite, inputs=(Path(src),), suffixes=(".xlsx", ".xlsm"))
    wb = load_workbook_safely(src, read_only=False)
    report = FillReport()
    allowed = input_names(fw)
    cells = data.get("cells", [])
    if not isinstance(cells, list):
        raise InputError("数据文件的 cells 应为列表")
    for i, entry in enumerate(cells):
        if not isinstance(entry, dict) or "name" not in entry:
            raise InputError(f"数据文件 cells[{i}] 缺少 name")
        name = entry["name"]
        if entry.get("kind") == "computed":
            continue  # export lists computed figures too; they are recomputed, never written
        if name not in allowed:
            report.ignored.append(f"{name}：不是录入项（计算值和未知名称不写入）")
            continue
        targets = name_cells(wb, name)
        if len(targets) != 1:
            report.ignored.append(f"{name}：工作簿中没有这个名称（模板被改动？）")
            continue
        try:
            value = decode_value(entry.get("value"))
        except ValueError as e:
            raise InputError(f"数据文件 cells[{i}]（{name}）：{e}") from None
        refused = unstorable(value, f"{name}（{targets[0].parent.title}!{targets[0].coordinate}）")
        if refused:
            report.warnings.append(refused)
            continue
        w = set_cell(targets[0], value, entry.get("formula"))
        if w:
            report.warnings.append(w)
        report.written += 1
    tables = data.get("tables", {})
    if not isinstance(tables, dict):
        raise InputError("数据文件的 tables 应为对象")
    for tname, tdata in tables.items():
        if tname not in tables_of(fw):
            report.ignored.append(f"表 {tname}：未知的表")
            continue
        _fill_table(wb, fw, tname, tdata, report)
    _restore_chart(wb)
    save_workbook(wb, out, fw, overwrite=overwrite)
    return report


def _fill_table(wb, fw: Framework, tname: str, tdata: dict, report: FillReport) -> None:
    expected = table_columns(fw, tname)
    cols = tdata.get("columns", list(expected))
    rows = tdata.get("rows", [])
    if not isinstance(rows, list):
        raise InputError(f"数据文件中表 {tname} 的 rows 应为列表")
    col_cells = {}
    for c in cols:
        if c not in expected:
            report.ignored.append(f"表 {tname} 的列 {c}：未知列")
            continue
        col_cells[c] = name_cells(wb, c)
    capacity = min((len(v) for v in col_cells.values()), default=0)
    if len(rows) > capacity:
        raise InputError(f"表 {tname} 有 {len(rows)} 行，超过工作簿中该表的 {capacity} 行容量。"
                         "请在 Excel 中于表内插入行后再填入")
    for j, c in enumerate(cols):
        if c not in col_cells:
            continue
        for i, cell in enumerate(col_cells[c]):
            raw = rows[i][j] if i < len(rows) and j < len(rows[i]) else None
            try:
                value = decode_value(raw)
            except ValueError as e:
                raise InputError(f"数据文件中表 {tname} 第 {i + 1} 行 {c}：{e}") from None
            w = set_cell(cell, value)
            if w:
                report.warnings.append(w)
            if raw is not None and not unstorable(value, ""):
                report.written += 1


def _restore_chart(wb) -> None:
    """openpyxl drops charts when it loads a file; put the 汇总 chart back."""
    cells = name_cells(wb, CHART_NAME)
    if not cells or SHEET_SUMMARY not in wb.sheetnames:
        return
    ws = cells[0].parent
    if ws._charts:
        return
    rows = sorted({c.row for c in cells})
    add_summary_chart(ws, rows[0] + 1, rows[-1])

"""Write values into a copy of a workbook by defined name (jxzp fill, jxzp sample).

The input file is never touched: the copy is patched part by part (addin.xlsx.ooxml) and
written to a temporary file renamed into place, so everything the user made stays. Text is
stored as text even when it looks like a number or begins with '=' (no formula injection);
a formula is written only for plain arithmetic. A name on a merged cell that is not the
range's top-left is explained, not written.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from ..core.errors import InputError
from ..core.framework import Framework
from ..core.interchange import decode_value, input_names, table_columns, tables_of
from ..core.model import arithmetic_value
from ..core.text import strip_xml_illegal
from ..fs import atomic_write, check_output_path
from .finish import update_cached_values
from .names import name_cells
from .ooxml import Package, q
from .template import CHART_NAME, SHEET_SUMMARY, add_summary_chart

# characters an xlsx cannot hold (XML 1.0), including lone surrogates from JSON "\\ud800" escapes
EXCEL_TEXT_LIMIT = 32767  # characters in one cell; Excel "repairs" (cuts) longer text


@dataclass
class FillReport:
    written: int = 0
    ignored: list[str] = field(default_factory=list)  # names not written, with reasons
    warnings: list[str] = field(default_factory=list)


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


_DATE_FORMATS = set(range(14, 23)) | {45, 46, 47}  # Excel's built-in date and time formats
_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"}


class _Target:
    """Where a value goes: the cell of a name in the patched package."""

    def __init__(self, pkg: Package, sheet: str, coord: str):
        self.pkg, self.sheet, self.coord = pkg, sheet, coord

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.coord}"


def _excel_serial(v: Any, date1904: bool) -> float | None:
    """Dates and times as Excel's serial numbers (the cell's date format shows them)."""
    if isinstance(v, _dt.datetime):
        base = _dt.datetime(1904, 1, 1) if date1904 else _dt.datetime(1899, 12, 30)
        d = v - base
        return d.days + d.seconds / 86400 + d.microseconds / 86400e6
    if isinstance(v, _dt.date):
        return _excel_serial(_dt.datetime(v.year, v.month, v.day), date1904)
    if isinstance(v, _dt.time):
        return (v.hour * 3600 + v.minute * 60 + v.second + v.microsecond / 1e6) / 86400
    return None


def set_value(t: _Target, value: Any, formula: str | None = None, *, date1904: bool = False) -> str | None:
    """Store value in the target cell keeping its type; returns a warning or None.

    Text stays text even when it looks like a number or starts with "=" (no formula injection);
    a formula is written only for plain arithmetic, with its cached result.
    """
    sheet = t.pkg.sheet(t.sheet)
    warning = None
    if formula is None and not isinstance(value, (_dt.date, _dt.time)):
        plain, now = sheet.constant(t.coord)
        if plain and type(now) is type(value) and now == value:
            return None  # already there: the cell (and its part) stay as they are
    if formula is not None:
        v = arithmetic_value(formula)
        if v is not None:
            sheet.set_value(t.coord, v, formula=formula)
            return None
        warning = f"{t.where} 的公式 {strip_xml_illegal(formula[:40])} 不是简单算式，按文字写入"
        value = formula
    refused = unstorable(value, t.where)
    if refused:
        return refused
    serial = _excel_serial(value, date1904)
    if serial is not None:
        sheet.set_value(t.coord, serial)
        # as Excel does when a date is typed: a date/time format unless the cell has one
        styles = t.pkg.styles()
        xf = sheet.style_of(t.coord)
        el = styles.xf(xf)
        fmt = int(el.get("numFmtId", "0")) if el is not None else 0
        if fmt not in _DATE_FORMATS:
            want = 21 if isinstance(value, _dt.time) else 22 if isinstance(value, _dt.datetime) else 14
            sheet.set_style(t.coord, styles.xf_with(xf, numFmtId=want))
        return warning
    if isinstance(value, str):
        clean = strip_xml_illegal(value)
        if clean != value:
            warning = f"{t.where} 的文字含控制字符或无效字符，已去除后写入"
        if len(clean) > EXCEL_TEXT_LIMIT:
            clean = clean[:EXCEL_TEXT_LIMIT]
            warning = (f"{t.where} 的文字超过 Excel 单元格上限 {EXCEL_TEXT_LIMIT} 个字符，只写入了前 {EXCEL_TEXT_LIMIT} "
                       "个字符；请精简后重新填写")
        if clean.upper() in _ERRORS:  # an error literal is an error cell, as Excel reads it when typed
            sheet.set_value(t.coord, None)
            c = sheet.cell(t.coord)
            c.set("t", "e")
            etree.SubElement(c, q("v")).text = clean.upper()
            return warning
        sheet.set_value(t.coord, clean, text=True)
        return warning
    sheet.set_value(t.coord, value)
    return warning


def _targets(pkg: Package, book, name: str) -> tuple[list[_Target], str | None]:
    """The cells of a name (row-major) and, when one cannot be written, why (Chinese)."""
    ref = book.names.get(name)
    if ref is None or ref.problem or not ref.cells:
        return [], None
    out = []
    for c in ref.cells:
        try:
            sheet = pkg.sheet(c.sheet)
        except KeyError:
            return [], None
        anchor, rng = sheet.merge_anchor(c.coord)
        if rng is not None and anchor != c.coord:
            return [], (f"{name}（{c.sheet}!{c.coord}）位于合并单元格 {rng} 中，不是其左上角，写入后不会显示。"
                        f"请在 Excel/WPS 中取消合并（或把名称 {name} 改为指向 {anchor}）后再填入")
        out.append(_Target(pkg, c.sheet, c.coord))
    return out, None


def fill_workbook(fw: Framework, src: Path, out: Path, data: dict, *, overwrite: bool = False) -> FillReport:
    """Copy src to out with the values of `data` (the export format, or a subset) written in.

    The copy is patched part by part (addin.xlsx.ooxml): only the cells written, the shared
    strings they need and the cached results of the formulas that depend on them change.
    """
    from .reader import read_book  # noqa: PLC0415

    src = Path(src)
    out = check_output_path(out, overwrite=overwrite, inputs=(src,),
                            suffixes=(".xlsm",) if src.suffix.lower() == ".xlsm" else (".xlsx",))
    book = read_book(src)
    pkg = Package(src)
    pr = pkg.peek(pkg.workbook_part).find(q("workbookPr"))
    date1904 = pr is not None and pr.get("date1904") in ("1", "true")
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
        targets, why = _targets(pkg, book, name)
        if why:
            report.ignored.append(why)
            continue
        if len(targets) != 1:
            report.ignored.append(f"{name}：工作簿中没有这个名称（模板被改动？）")
            continue
        try:
            value = decode_value(entry.get("value"))
        except ValueError as e:
            raise InputError(f"数据文件 cells[{i}]（{name}）：{e}") from None
        refused = unstorable(value, f"{name}（{targets[0].where}）")
        if refused:
            report.warnings.append(refused)
            continue
        w = set_value(targets[0], value, entry.get("formula"), date1904=date1904)
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
        _fill_table(pkg, book, fw, tname, tdata, report, date1904)

    def write(tmp: Path) -> None:
        pkg.save(tmp)
        update_cached_values(tmp, fw)

    atomic_write(out, write, overwrite=overwrite)
    return report


def _fill_table(pkg: Package, book, fw: Framework, tname: str, tdata: dict, report: FillReport, date1904: bool) -> None:
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
        targets, why = _targets(pkg, book, c)
        if why:
            report.ignored.append(why)
            continue
        col_cells[c] = targets
    capacity = min((len(v) for v in col_cells.values()), default=0)
    if len(rows) > capacity:
        raise InputError(f"表 {tname} 有 {len(rows)} 行，超过工作簿中该表的 {capacity} 行容量。"
                         "请在 Excel 中于表内插入行后再填入")
    for j, c in enumerate(cols):
        if c not in col_cells:
            continue
        for i, target in enumerate(col_cells[c]):
            raw = rows[i][j] if i < len(rows) and j < len(rows[i]) else None
            try:
                value = decode_value(raw)
            except ValueError as e:
                raise InputError(f"数据文件中表 {tname} 第 {i + 1} 行 {c}：{e}") from None
            w = set_value(target, value, date1904=date1904)
            if w:
                report.warnings.append(w)
            if raw is not None and not unstorable(value, ""):
                report.written += 1


def restore_chart(wb) -> None:
    """openpyxl drops charts when it loads a file; put the 汇总 chart back."""
    cells = name_cells(wb, CHART_NAME)
    if not cells or SHEET_SUMMARY not in wb.sheetnames:
        return
    ws = cells[0].parent
    if ws._charts:
        return
    rows = sorted({c.row for c in cells})
    add_summary_chart(ws, rows[0] + 1, rows[-1])

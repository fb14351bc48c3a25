"""Last touches on every workbook jxzp writes (template, sample, fill, annotated copy).

- Row heights of indicator rows follow their 评分说明, so text reads on opening.
- Print areas of the two long tables end at their last used row.
- Cached values: openpyxl saves formulas without results, so WPS/LibreOffice (which have no
  jxzp UDFs) would show #NAME?. We compute every formula cell's value with the core — the
  same functions the UDFs call — and store it as the cell's cached result. Excel with the
  add-in recalculates and gets the same numbers.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lxml import etree
from openpyxl.utils import get_column_letter

from ..core.contract import contract_for
from ..core.evaluate import evaluate
from ..core.framework import Framework
from ..core import rates
from ..core.errors import CalcError
from ..fs import atomic_write


def prepare(wb, fw: Framework) -> None:
    """Before saving: heights of indicator rows and print areas of the long tables."""
    from .template import _fit_height  # noqa: PLC0415
    from .names import name_cells  # noqa: PLC0415

    for ind in fw.indicators:
        cells = name_cells(wb, ind.note_name)
        if not cells or not isinstance(cells[0].value, str):
            continue
        c = cells[0]
        ws = c.parent
        width = ws.column_dimensions[c.column_letter].width or 48
        need = _fit_height([(c.value, width)], 13)
        if (ws.row_dimensions[c.row].height or 15) < need:
            ws.row_dimensions[c.row].height = need
    contract = contract_for(fw)
    tables = []
    for tid, extra in (("projects", ("remark",)), ("report_text", ()), ("indicators", ("level2", "target", "actual", "reason"))):
        if tid in contract.tables:  # "indicators": the target family's rows
            t = contract.table(tid)
            tables.append((t.sheet, t.key, [t.key] + [c for c in (t.column(r) for r in extra) if c]))
    for sheet, col_name, text_cols in tables:
        cells = name_cells(wb, col_name)
        if not cells or sheet not in wb.sheetnames:
            continue
        used = [c.row for c in cells if c.value not in (None, "")]
        last = max(used + [cells[0].row + 19])
        ws = wb[sheet]
        ws.print_area = f"A1:{get_column_letter(ws.max_column)}{last}"
        # rows as tall as their longest wrapped text (the template cannot know the text)
        for tcn in text_cols:
            tcells = name_cells(wb, tcn)
            if not tcells:
                continue
            width = ws.column_dimensions[tcells[0].column_letter].width or 40
            for c in tcells:
                if isinstance(c.value, str) and c.value:
                    need = _fit_height([(c.value, width)])
                    if (ws.row_dimensions[c.row].height or 15) < need:
                        ws.row_dimensions[c.row].height = need
    wb.calculation.fullCalcOnLoad = False  # cached values are right; Excel recalculates what changes


def save_workbook(wb, out: Path, fw: Framework, *, overwrite: bool) -> Path:
    """Save a workbook jxzp built itself (template, sample) with cached values."""
    prepare(wb, fw)

    def write(tmp: Path) -> None:
        wb.save(tmp)
        update_cached_values(tmp, fw, share_strings=True)

    return atomic_write(out, write, overwrite=overwrite)


_NAME_REF = re.compile(r"^=\s*([A-Za-z_][A-Za-z0-9_.]*)\s*$")


def _computed_values(path: Path, fw: Framework) -> dict[tuple[str, str], Any]:
    """(sheet, cell) -> the value every formula cell jxzp knows should show."""
    from ..core.formulas import computed_formulas  # noqa: PLC0415
    from .reader import read_book  # noqa: PLC0415

    book = read_book(path)
    ev = evaluate(fw, book)
    out: dict[tuple[str, str], Any] = {}
    by_name: dict[str, Any] = {}
    for name in computed_formulas(fw):
        try:
            by_name[name] = ev.expected(name)
        except KeyError:
            continue
        c = book.cell(name)
        if c is None or c.formula is None:
            continue
        out[(c.sheet, c.coord)] = by_name[name]
    if fw.target is not None:  # 完成率 / 建议得分 of the indicator rows
        from ..core.target import column_name  # noqa: PLC0415

        for col, attr in (("ratio", "ratio_display"), ("suggest", "suggest_display")):
            for i, c in enumerate(book.column(column_name(col))):
                if c.formula is not None and i < len(ev.rows):
                    out[(c.sheet, c.coord)] = getattr(ev.rows[i], attr)
    # per-project 执行率: =IF(OR(name="",budget=""),"",EXEC_RATE(spent,budget))
    projects = contract_for(fw).table("projects")
    names, budgets, spent = (book.column(projects.column(r) or "") for r in ("name", "budget", "spent"))
    for i, c in enumerate(book.column(projects.column("exec_rate") or "")):
        if c.formula is None or i >= len(names):
            continue
        if names[i].value in (None, "") or i >= len(budgets) or budgets[i].value in (None, ""):
            out[(c.sheet, c.coord)] = ""
            continue
        try:
            out[(c.sheet, c.coord)] = rates.exec_rate(spent[i].value if i < len(spent) else None, budgets[i].value)
        except CalcError as e:
            out[(c.sheet, c.coord)] = e.message
    return out, by_name


def update_cached_values(path: Path, fw: Framework, *, share_strings: bool = False) -> None:
    """Patch the cached result of every formula cell jxzp knows; parts whose values are right stay untouched.

    Named computed cells get the core's value; unnamed cells that only point at one (汇总's
    "=grp_…", "=adj_total") get that value too. Errors are error cells (t="e"), never "inf".
    """
    from .ooxml import Package, q, set_cached, share_inline_strings  # noqa: PLC0415

    values, by_name = _computed_values(path, fw)
    pkg = Package(path)
    changed = share_strings
    if share_strings:  # a file jxzp built itself: compact text, no character references
        share_inline_strings(pkg)
    for sheet_name, part, _ in pkg.sheets():
        if not part or not pkg.has(part):
            continue
        sheet = pkg.sheet(sheet_name)
        root = sheet.peek()
        for c in root.iter(q("c")):
            f = c.find(q("f"))
            if f is None:
                continue
            key = (sheet_name, c.get("r"))
            if key in values:
                want = values[key]
            else:
                m = _NAME_REF.match("=" + (f.text or ""))
                if not m or m.group(1) not in by_name:
                    continue
                want = by_name[m.group(1)]
            before = etree.tostring(c)
            set_cached(c, want)
            if etree.tostring(c) != before:
                sheet.root  # noqa: B018 - marks the part as edited
                changed = True
    if changed:
        pkg.save(path)

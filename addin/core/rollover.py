"""Next year's workbook from this year's (`jxzp new --from 上年自评表.xlsx`), for either family.

What is carried is declared by the framework, not chosen here:
- fields with `carry = true` (部门名称、职责、人员编制、联系人…) keep their value;
- fields with `prev_of = "<name>"` (上年全年预算数, 上年年初预算, 上年决算支出…) receive this year's value of <name>;
- 评价年度 becomes the next year;
- 项目清单 keeps its rows' text columns (项目名称、备注); amounts and 是/否 flags are this year's and start empty;
- the indicator table (target family) keeps 一级/二级/三级、指标性质、年度指标值、度量单位、分值 — the targets —
  and clears 实际完成值、得分、偏差原因.
Everything else (scores, notes, 报告文字) is this year's judgement and starts blank.
"""
from __future__ import annotations

from typing import Any

from .evaluate import Evaluation
from .interchange import FORMAT, FORMAT_VERSION, encode_value, table_columns, table_rows, tables_of
from .numeric import is_blank, is_number

# columns of the indicator table that hold this year's results (cleared next year)
RESULT_COLUMNS = ("actual", "score", "reason")


def next_year_data(fw, ev: Evaluation) -> dict[str, Any]:
    """The export-format data that fills next year's blank template of the same framework."""
    cells = []
    for name in fw.carry_fields:
        v = ev.inputs.get(name)
        if not is_blank(v):
            cells.append({"name": name, "value": encode_value(v)})
    for dst, src in fw.prev_fields.items():
        try:
            v = ev.value(src)
        except KeyError:
            continue
        if is_number(v):
            cells.append({"name": dst, "value": encode_value(v)})
    year_name = ev.contract.role("year")
    year = ev.inputs.get(year_name) if year_name else None
    if year_name and is_number(year):
        cells.append({"name": year_name, "value": int(year) + 1})
    tables: dict[str, Any] = {}
    contract = ev.contract
    for t in tables_of(fw):
        if t == "report_text":
            continue
        spec = contract.table(t)
        cols = table_columns(fw, t)
        keep = set()
        for c in spec.columns:
            if not c.editable:
                continue
            if t == "projects":
                f = next((pc for pc in fw.project_columns if pc.name == c.name), None)
                if f is not None and f.kind == "text":
                    keep.add(c.name)
            elif c.role not in RESULT_COLUMNS:
                keep.add(c.name)
        rows = []
        for r in table_rows(ev.book, cols):
            row = [encode_value(v) if c in keep else None for c, v in zip(cols, r)]
            if any(v not in (None, "") for v in row):
                rows.append(row)
        tables[t] = {"columns": list(cols), "rows": rows}
    return {"format": FORMAT, "version": FORMAT_VERSION, "framework": fw.id, "source": ev.book.source,
            "cells": cells, "tables": tables}

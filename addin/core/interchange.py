"""The JSON interchange format of `jxzp export` and `jxzp fill`.

export lists every named cell (name, label, sheet, cell, kind, value), the two tables
and every indicator with its recomputed figures; fill writes the input values back by
name. Values keep their type: text stays text (so 校验 still sees "三百万"), dates are
tagged, Excel error literals stay error literals.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from .contract import contract_for
from .evaluate import Evaluation
from .framework import Framework
from .model import BookData, input_value
from .numeric import clean_number, is_number

FORMAT = "jxzp-export"
FORMAT_VERSION = 1
TABLES = ("projects", "report_text", "indicators")  # the workbook contract's tables export/fill carry


def tables_of(fw: Framework) -> list[str]:
    """The tables this framework's workbook has (indicators: the target family's own rows)."""
    return [t for t in TABLES if t in contract_for(fw).tables]


def table_columns(fw: Framework, table: str) -> tuple[str, ...]:
    """The input columns of a table, as export lists them and fill writes them."""
    return contract_for(fw).table(table).input_columns


def encode_value(v: Any) -> Any:
    if isinstance(v, _dt.datetime):
        return {"$datetime": v.isoformat()}
    if isinstance(v, _dt.date):
        return {"$date": v.isoformat()}
    if isinstance(v, _dt.time):
        return {"$time": v.isoformat()}
    if isinstance(v, float) and is_number(v):
        return clean_number(v)
    if isinstance(v, float):  # nan/inf cannot be JSON
        return {"$float": repr(v)}
    return v


def decode_value(v: Any) -> Any:
    if isinstance(v, dict):
        if "$datetime" in v:
            return _dt.datetime.fromisoformat(v["$datetime"])
        if "$date" in v:
            return _dt.date.fromisoformat(v["$date"])
        if "$time" in v:
            return _dt.time.fromisoformat(v["$time"])
        if "$float" in v:
            return float(v["$float"])
        raise ValueError(f"无法识别的值 {v!r}")
    if isinstance(v, (list, tuple)):
        raise ValueError("单元格的值不能是列表")
    return v


def input_names(fw: Framework) -> set[str]:
    """Single-cell names export lists as input (fill writes them)."""
    return set(contract_for(fw).inputs())


def table_rows(book: BookData, columns: tuple[str, ...]) -> list[list[Any]]:
    """Rows of a table up to its last non-empty row (trailing blank rows dropped)."""
    cols = [book.column(c) for c in columns]
    n = max((len(c) for c in cols), default=0)
    rows = []
    for i in range(n):
        rows.append([input_value(c[i]) if i < len(c) else None for c in cols])
    while rows and all(v in (None, "") for v in rows[-1]):
        rows.pop()
    return rows


def export_data(fw: Framework, book: BookData, ev: Evaluation) -> dict:
    cells = []
    for spec in contract_for(fw).cells():
        name = spec.name
        c = book.cell(name)
        kind = "input" if spec.editable else "computed"  # the export format's two kinds (version 1)
        entry = {"name": name, "label": spec.label, "kind": kind,
                 "sheet": c.sheet if c else None, "cell": c.coord if c else None}
        if kind == "input":
            entry["value"] = encode_value(c.value if c and c.formula is None else (c.formula if c else None))
            if c and c.formula is not None:
                entry["formula"] = c.formula
        else:
            try:
                entry["value"] = encode_value(ev.expected(name))
            except KeyError:
                entry["value"] = None
            entry["formula"] = c.formula if c else None
        cells.append(entry)
    tables = {}
    for t in tables_of(fw):
        cols = table_columns(fw, t)
        tables[t] = {"columns": list(cols), "rows": [[encode_value(v) for v in r] for r in table_rows(book, cols)]}
    indicators = []
    for ind in fw.indicators:
        r = ev.indicators[ind.id]
        indicators.append({
            "id": ind.id, "level1": fw.level1_by_id(ind.level1).name, "level2": fw.level2_by_id(ind.level2).name,
            "name": ind.name, "max": clean_number(ind.max), "effective_max": clean_number(r.eff_max),
            "self_score": encode_value(r.raw_score), "suggested_score": encode_value(r.suggested),
            "suggestion": r.suggest_how or (r.suggest_error.message if r.suggest_error else None),
            "computed_value": encode_value(r.computed.display) if r.computed else None,
            "note": r.note, "explanation": ind.explanation, "criteria": ind.criteria,
            "assumption": ind.assumption or None,
        })
    return {
        "format": FORMAT, "version": FORMAT_VERSION, "framework": fw.id,
        "template_version": book.template_version, "source": book.source,
        "cells": cells, "tables": tables, "indicators": indicators,
        "adjustments": [{"id": a.id, "name": a.name, "sign": a.sign, "max": clean_number(a.max),
                         "self_score": encode_value(a.raw_score), "note": a.note} for a in ev.adjustments.values()],
        "rows": [{"row": r.row.index + 1, "level1": r.row.get("level1"), "name": r.row.get("name"),
                  "completion": encode_value(r.ratio), "suggested_score": encode_value(r.suggested),
                  "problem": r.ratio_error.message if r.ratio_error else None}
                 for r in ev.rows if not r.row.is_empty],
        "totals": {"groups": {name: clean_number(ev.groups[gid]) for gid, name, _m, _t in fw.score_groups()
                              if gid in ev.groups},
                   "subtotals": {fw.level2_by_id(k).name: clean_number(v) for k, v in ev.subtotals.items()},
                   "total": clean_number(ev.total), "grade": ev.grade},
    }

"""Helpers shared by the rules of issue 14: declared codes, emitting them, the texts a workbook holds."""
from __future__ import annotations

from typing import Any

from ..findings import Severity
from .registry import declare_codes


def declare(codes: dict[str, tuple[str, str]]) -> dict[str, tuple[Severity, str]]:
    """Register codes (code -> (default severity, template)) and give them back for `rule(codes=…)`."""
    spec = {code: (Severity.of(sev), tpl) for code, (sev, tpl) in codes.items()}
    declare_codes(spec)
    return spec


def emit(ctx, code: str, *, severity: str | None = None, **kw: Any):
    return ctx.emit(code, severity=severity, **kw)


def text_cells(ctx) -> list[tuple]:
    """(name, cell, text, indicator id) of every note and report paragraph with text.

    Several rules read them: listed once per validation (a Context lives for one)."""
    found = ctx.__dict__.get("_text_cells")
    if found is None:
        found = ctx.__dict__["_text_cells"] = list(_text_cells(ctx))
    return found


def _text_cells(ctx):
    for ind in ctx.fw.indicators:
        c = ctx.book.cell(ind.note_name)
        if c is not None and isinstance(c.value, str) and c.value.strip():
            yield ind.note_name, c, c.value, ind.id
    for adj in ctx.fw.adjustments:
        c = ctx.book.cell(adj.note_name)
        if c is not None and isinstance(c.value, str) and c.value.strip():
            yield adj.note_name, c, c.value, None
    name = ctx.contract.table("report_text").column("text")
    for c in ctx.book.column(name):
        if isinstance(c.value, str) and c.value.strip():
            yield name, c, c.value, None

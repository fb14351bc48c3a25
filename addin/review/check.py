"""One workbook's review: read, 校验, and the compact result a worker sends back.

This is the per-file path of batch review: the same steps as `jxzp validate` (read_book,
framework_for, evaluate, validate), frameworks cached per process (load_framework), and a
result of plain tuples so the pipe between processes carries little. No pandas here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import InputError, JxzpError
from ..core.evaluate import evaluate
from ..core.findings import ERROR, INFO, WARNING
from ..core.model import TEMPLATE_VERSION
from ..core.validation import validate

# limits of a review worker (pool.py), here so the command line can show them without loading the pool
DEFAULT_TIMEOUT = 60.0  # seconds per file; a sample-sized workbook takes ~20 ms
DEFAULT_MEMORY_MB = 1024  # address space per worker

FINDING_FIELDS = ("sheet", "cell", "code", "severity", "indicator", "indicator_name", "message")
# statuses of a file in the summary
OK, HAS_ERRORS, UNREADABLE, OLD_TEMPLATE = "ok", "有错误", "无法读取", "旧模板"
# rates shown in 汇总 when the framework declares none: the percentage metrics whose label says
# they measure spending or execution (执行率, 支出率, 支出进度) — what a reviewer looks at first
_RATE_WORDS = ("执行率", "支出率", "支出进度")


@dataclass
class FileResult:
    """What the summary needs of one file: figures, and findings as plain tuples (small to send)."""

    path: str
    status: str
    reason: str = ""  # why a file could not be read (Chinese)
    department: str = ""
    year: Any = None
    framework: str = ""  # id
    framework_name: str = ""
    total: float | None = None
    grade: str = ""
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    rates: dict[str, float | None] = field(default_factory=dict)  # label -> value (fraction)
    inflation: float | None = None  # Σ (self score − suggested score) over indicators with both
    findings: list[tuple] = field(default_factory=list)  # see FINDING_FIELDS
    seconds: float = 0.0
    index: int = -1  # position in the run's file list (set by the runner)

    def to_tuple(self) -> tuple:
        return (self.path, self.status, self.reason, self.department, self.year, self.framework,
                self.framework_name, self.total, self.grade, self.errors, self.warnings, self.infos,
                self.rates, self.inflation, self.findings, self.seconds)

    @classmethod
    def from_tuple(cls, t: tuple) -> "FileResult":
        return cls(*t)


def key_rates(fw) -> list:
    declared = getattr(fw, "review_rates", None)  # a framework may name its own
    if declared:
        return [fw.metric(m) if isinstance(m, str) else m for m in declared]
    return [m for m in fw.metrics if m.unit == "" and any(w in m.label for w in _RATE_WORDS)]


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return int(v)  # 2022.0 as typed in a cell is the year 2022
        return v if math.isfinite(v) else str(v)
    return str(v)


def _field(fw, ev, ident: str, words: tuple[str, ...]) -> Any:
    """A basic-information field by id, else the first whose label has one of the words."""
    for f in fw.fields:
        if f.id == ident:
            return ev.inputs.get(f.name)
    for f in fw.fields:
        if any(w in f.label for w in words):
            return ev.inputs.get(f.name)
    return None


def _code(f) -> str:
    return getattr(f, "code", "") or f.rule


def review_file(path: str | Path) -> FileResult:
    """Read and check one workbook; never raises for a bad file (the status says what happened)."""
    from ..app import framework_for  # noqa: PLC0415
    from ..xlsx.reader import read_book  # noqa: PLC0415

    path = str(path)
    try:
        book = read_book(path)
    except JxzpError as e:
        return FileResult(path, UNREADABLE, reason=e.message if hasattr(e, "message") else str(e))
    try:
        fw = framework_for(book)
    except InputError as e:
        old = bool(book.framework_id) and book.template_version != TEMPLATE_VERSION
        return FileResult(path, OLD_TEMPLATE if old else UNREADABLE, reason=e.message,
                          framework=book.framework_id or "")
    ev = evaluate(fw, book)
    result = validate(fw, book, ev)
    names = {i.id: i.name for i in fw.indicators}
    names.update({a.id: a.name for a in fw.adjustments})
    findings = [(f.sheet or "", f.cell or "", _code(f), str(getattr(f.severity, "value", f.severity)),
                 f.indicator or "", names.get(f.indicator or "", ""), f.message) for f in result.sorted()]
    n_err, n_warn, n_info = (result.count(s) for s in (ERROR, WARNING, INFO))
    rates = {}
    for m in key_rates(fw):
        r = ev.metrics.get(m.name)
        rates[m.label] = r.value if r is not None and r.value is not None and math.isfinite(r.value) else None
    diffs = [ir.score - ir.suggested for ir in ev.indicators.values()
             if ir.score is not None and ir.suggested is not None and ir.suggest_error is None]
    inflation = round(math.fsum(diffs), 4) if diffs and all(map(math.isfinite, diffs)) else None
    total = ev.total if isinstance(ev.total, (int, float)) and math.isfinite(ev.total) else None
    return FileResult(
        path, HAS_ERRORS if n_err else OK,
        department=str(_field(fw, ev, "department", ("部门", "单位")) or "").strip(),
        year=_plain(_field(fw, ev, "year", ("年度",))), framework=fw.id, framework_name=fw.name,
        total=total, grade=str(ev.grade or ""), errors=n_err, warnings=n_warn, infos=n_info,
        rates=rates, inflation=inflation, findings=findings)

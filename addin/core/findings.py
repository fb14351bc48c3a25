"""Findings of 校验: coded, typed, collected (never stop at the first), serialisable.

A Finding says which check (`code`, e.g. "R02.score-over-max", more specific than the rule
id "R02.score-range"), how bad (`Severity`), where (sheet, cell, defined name, indicator),
what is wrong (a message rendered from the code's registered template and `params`), and
the expected and actual values where there are such.

Codes and their templates are declared once (`register_code`, used by the validation
registry); tests and machines match `code` and positions, users read `message`.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Iterable, Mapping


class Severity(StrEnum):
    """How bad a finding is; the value is the Chinese label users see (and JSON keeps)."""

    ERROR = "错误"  # the figures contradict each other or a required value is unusable
    WARNING = "警告"  # probably wrong, or read in a way the user should confirm
    INFO = "提示"  # worth a look; nothing is wrong for sure

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def of(cls, v: "Severity | str") -> "Severity":
        try:
            return v if isinstance(v, Severity) else cls(v)
        except ValueError:
            raise ValueError(f"bad severity {v!r}") from None


ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
SEVERITIES = (ERROR, WARNING, INFO)
_RANK = {ERROR: 0, WARNING: 1, INFO: 2}


# ---------------------------------------------------------------- codes and their templates
@dataclass(frozen=True)
class Code:
    """One kind of finding: a stable code, its default severity and its message template."""

    code: str  # "R02.score-over-max"
    severity: Severity
    template: str  # str.format template over the finding's params
    title: str = ""  # short Chinese description (docs, --json consumers)

    @property
    def rule(self) -> str:
        return self.code.split(".", 1)[0]

    @property
    def fields(self) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(self.template) if f}

    def render(self, params: Mapping[str, Any]) -> str:
        try:
            return self.template.format_map(params)
        except (KeyError, IndexError, ValueError) as e:  # a developer error: say which code
            raise ValueError(f"finding {self.code}: template needs {sorted(self.fields)}, got {sorted(params)}") from e


CODES: dict[str, Code] = {}


def register_code(code: str, severity: Severity | str, template: str, title: str = "") -> Code:
    """Declare a finding code (idempotent for the same declaration)."""
    c = Code(code, Severity.of(severity), template, title)
    old = CODES.get(code)
    if old is not None and old != c:
        raise ValueError(f"finding code {code} declared twice differently")
    CODES[code] = c
    return c


# ---------------------------------------------------------------- the finding
@dataclass(frozen=True)
class Finding:
    rule: str  # the rule that found it, e.g. "R05.rates"
    severity: Severity
    message: str  # Chinese: what is wrong and what to do (rendered from the code's template)
    sheet: str | None = None
    cell: str | None = None  # "B12"
    name: str | None = None  # defined name
    indicator: str | None = None  # indicator id
    expected: Any = None
    actual: Any = None
    code: str = ""  # stable, e.g. "R05.rate-over-bound"; defaults to the rule id
    params: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Severity.of(self.severity))
        if not self.rule or not self.message:
            raise ValueError("a finding needs a rule id and a message")
        if not self.code:
            object.__setattr__(self, "code", self.rule)

    @classmethod
    def of(cls, code: str, *, rule: str | None = None, severity: Severity | str | None = None,
           **kw: Any) -> "Finding":
        """A finding of a registered code: kw holds its position (sheet, cell, name, indicator,
        expected, actual) and its template's params."""
        c = CODES[code]
        where = {k: kw.pop(k) for k in ("sheet", "cell", "name", "indicator", "expected", "actual") if k in kw}
        return cls(rule=rule or c.rule, severity=severity or c.severity, message=c.render(kw), code=code,
                   params=dict(kw), **where)

    @property
    def address(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.sheet and self.cell else (self.sheet or "")

    def to_dict(self) -> dict:
        d = {"code": self.code, "rule": self.rule, "severity": self.severity.value, "message": self.message,
             "sheet": self.sheet, "cell": self.cell, "name": self.name, "indicator": self.indicator,
             "expected": _plain(self.expected), "actual": _plain(self.actual),
             "params": {k: _plain(v) for k, v in self.params.items()}}
        return d


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


@dataclass
class ValidationResult:
    findings: list[Finding] = field(default_factory=list)
    source: str = ""
    sheet_order: list[str] = field(default_factory=list)  # the workbook's sheets, for workbook order

    def add(self, f: Finding) -> None:
        self.findings.append(f)

    def extend(self, fs: Iterable[Finding]) -> None:
        self.findings.extend(fs)

    def sorted(self) -> list[Finding]:
        """Workbook order: sheet (as in the workbook; workbook-wide findings first), row, column, severity."""
        pos = {s: i for i, s in enumerate(self.sheet_order)}
        return sorted(self.findings, key=lambda f: (
            -1 if f.sheet is None else pos.get(f.sheet, len(pos)), f.sheet or "", _cell_key(f.cell),
            f.severity.rank, f.code))

    def count(self, severity: Severity | str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def has_errors(self) -> bool:
        return self.count(ERROR) > 0

    def codes(self) -> list[str]:
        return [f.code for f in self.sorted()]

    def summary(self) -> dict:
        by_sheet: dict[str, dict[str, int]] = {}
        for f in self.sorted():
            d = by_sheet.setdefault(f.sheet or "（工作簿）", {s.value: 0 for s in SEVERITIES})
            d[f.severity.value] += 1
        return {"total": len(self.findings), ERROR.value: self.count(ERROR), WARNING.value: self.count(WARNING),
                INFO.value: self.count(INFO), "by_sheet": by_sheet}

    def summary_line(self) -> str:
        if not self.findings:
            return "校验通过：未发现问题。"
        return (f"共 {len(self.findings)} 条：错误 {self.count(ERROR)} 条，警告 {self.count(WARNING)} 条，"
                f"提示 {self.count(INFO)} 条。")

    def to_dict(self) -> dict:
        return {"source": self.source, "findings": [f.to_dict() for f in self.sorted()], "summary": self.summary()}


def _cell_key(cell: str | None) -> tuple[int, int]:
    """(row, column) of "AB12"; workbook-level findings (no cell) first."""
    if not cell:
        return (0, 0)
    letters = "".join(ch for ch in cell if ch.isalpha()).upper()
    digits = "".join(ch for ch in cell if ch.isdigit())
    col = 0
    for ch in letters:
        col = col * 26 + (ord(ch) - 64)
    return (int(digits) if digits else 0, col)

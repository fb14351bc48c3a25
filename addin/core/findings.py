"""Findings of 校验: typed, collected (never stop at the first), serialisable.

A Finding says which rule, how bad, where (sheet, cell, defined name, indicator), what is
wrong and what to do, and the expected and actual values where there are such.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ERROR, WARNING, INFO = "错误", "警告", "提示"
SEVERITIES = (ERROR, WARNING, INFO)
_RANK = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class Finding:
    rule: str  # stable id, e.g. "R05.rate-range"
    severity: str  # 错误 / 警告 / 提示
    message: str  # Chinese: what is wrong and what to do
    sheet: str | None = None
    cell: str | None = None  # "B12"
    name: str | None = None  # defined name
    indicator: str | None = None  # indicator id
    expected: Any = None
    actual: Any = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"bad severity {self.severity!r}")
        if not self.rule or not self.message:
            raise ValueError("a finding needs a rule id and a message")

    @property
    def address(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.sheet and self.cell else (self.sheet or "")

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("expected", "actual"):
            v = d[k]
            if v is not None and not isinstance(v, (str, int, float, bool)):
                d[k] = str(v)
        return d


@dataclass
class ValidationResult:
    findings: list[Finding] = field(default_factory=list)
    source: str = ""

    def add(self, f: Finding) -> None:
        self.findings.append(f)

    def sorted(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (_RANK[f.severity], f.sheet or "", _row_key(f.cell), f.rule))

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def has_errors(self) -> bool:
        return self.count(ERROR) > 0

    def summary(self) -> dict:
        by_sheet: dict[str, dict[str, int]] = {}
        for f in self.findings:
            d = by_sheet.setdefault(f.sheet or "（工作簿）", {s: 0 for s in SEVERITIES})
            d[f.severity] += 1
        return {"total": len(self.findings), ERROR: self.count(ERROR), WARNING: self.count(WARNING),
                INFO: self.count(INFO), "by_sheet": by_sheet}

    def summary_line(self) -> str:
        if not self.findings:
            return "校验通过：未发现问题。"
        return (f"共 {len(self.findings)} 条：错误 {self.count(ERROR)} 条，警告 {self.count(WARNING)} 条，"
                f"提示 {self.count(INFO)} 条。")

    def to_dict(self) -> dict:
        return {"source": self.source, "findings": [f.to_dict() for f in self.sorted()], "summary": self.summary()}


def _row_key(cell: str | None) -> tuple[int, str]:
    if not cell:
        return (0, "")
    digits = "".join(ch for ch in cell if ch.isdigit())
    letters = "".join(ch for ch in cell if ch.isalpha())
    return (int(digits) if digits else 0, letters.rjust(3))

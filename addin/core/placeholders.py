"""{占位符} in 报告文字 and 评分说明: replaced by formatted sheet values.

Keys are the labels of fields and metrics ({年初预算}, {年初预算增长率}) plus a few
specials ({上年度}, {总分}, {等级}, {<一级指标>得分}). Modifiers: {年初预算|万元} gives
349.2, {年初预算增长率|增减} gives “增长15.99%” / “降低0.36%” / “持平”.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .numeric import fmt_count, fmt_pct, fmt_score, fmt_wan, fmt_yuan, is_number

PLACEHOLDER_RE = re.compile(r"\{([^{}|]{1,40})(?:\|([^{}]{1,10}))?\}")
MODIFIERS = ("万元", "元", "增减")


@dataclass
class Problem:
    key: str
    message: str


def _format(value: Any, kind: str, modifier: str | None) -> str | None:
    if value is None or value == "":
        return None
    if kind in ("text", "longtext", "yesno"):
        return str(value)
    if not is_number(value):
        return None
    if modifier == "万元":
        return fmt_wan(value)
    if modifier == "增减":
        if value == 0:
            return "持平"
        return ("增长" if value > 0 else "降低") + fmt_pct(abs(value))
    if kind == "amount":
        return fmt_yuan(value)
    if kind == "rate":
        return fmt_pct(value)
    if kind in ("count", "year"):
        return fmt_count(value)
    if kind == "score":
        return fmt_score(value)
    return fmt_score(value)


class Placeholders:
    """Resolves placeholder keys against an Evaluation."""

    def __init__(self, fw, ev=None):
        self.ev = ev
        self._keys: dict[str, tuple[str, str]] = {}  # key -> (name, kind)
        for f in fw.fields:
            self._keys[f.label] = (f.name, f.kind)
            for a in f.aliases:
                self._keys[a] = (f.name, f.kind)
        for m in fw.metrics:
            self._keys[m.label] = (m.name, "rate" if m.is_rate else ("amount" if m.unit == "元" else "count"))
        for g in fw.level1:
            self._keys[f"{g.name}得分"] = (g.total_name, "score")

    def keys(self) -> list[str]:
        return list(self._keys) + ["上年度", "总分", "等级"]

    def name_of(self, key: str) -> str | None:
        hit = self._keys.get(key)
        return hit[0] if hit else None

    def value(self, key: str, modifier: str | None = None) -> str | None:
        ev = self.ev
        if ev is None:
            return None
        if key == "总分":
            return fmt_score(ev.total)
        if key == "等级":
            return ev.grade or None
        if key == "上年度":
            y = ev.role("year")
            return str(int(y) - 1) if is_number(y) else None
        hit = self._keys.get(key)
        if hit is None:
            return None
        name, kind = hit
        return _format(ev.value(name), kind, modifier)

    def render(self, text: str, *, mark: str | None = None) -> tuple[str, list[Problem]]:
        """Text with placeholders replaced; an unresolved one stays as written, or becomes `mark`
        (formatted with key=the placeholder's text) — the report never prints a raw {…}."""
        problems: list[Problem] = []

        def keep(m: re.Match) -> str:
            return m.group(0) if mark is None else mark.format(key=m.group(0)[1:-1])

        def repl(m: re.Match) -> str:
            key, mod = m.group(1).strip(), m.group(2)
            if mod is not None and mod not in MODIFIERS:
                problems.append(Problem(m.group(0), f"占位符{m.group(0)}的修饰“{mod}”无效，可用：{'、'.join(MODIFIERS)}"))
                return keep(m)
            if key not in self._keys and key not in ("上年度", "总分", "等级"):
                problems.append(Problem(m.group(0), f"占位符{m.group(0)}不存在（可用的占位符见“填表说明”）"))
                return keep(m)
            v = self.value(key, mod)
            if v is None:
                problems.append(Problem(m.group(0), f"占位符{m.group(0)}对应的数值为空或无法计算"))
                return keep(m)
            return v

        return PLACEHOLDER_RE.sub(repl, text), problems

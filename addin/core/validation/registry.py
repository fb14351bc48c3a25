"""Declared rules and the finding codes each may emit (pandera/frictionless style).

A rule is registered with its id, title, description and its codes, each with a default
severity and a Chinese message template; the engine runs rules, the rules emit codes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

from ..findings import Code, Finding, Severity, register_code

if TYPE_CHECKING:  # pragma: no cover
    from .context import Context


@dataclass(frozen=True)
class Rule:
    id: str  # "R05.rates"
    title: str
    description: str
    check: Callable[["Context"], Iterable[Finding]]
    codes: tuple[Code, ...] = field(default=(), compare=False)


RULES: list[Rule] = []
CodeSpec = Mapping[str, tuple[Severity | str, str]]  # code -> (default severity, template)


def declare_codes(codes: CodeSpec) -> tuple[Code, ...]:
    return tuple(register_code(code, sev, tpl) for code, (sev, tpl) in codes.items())


def rule(rule_id: str, title: str, description: str, codes: CodeSpec | None = None):
    """Register a check function as a rule (declaration order is run order) with its codes."""
    declared = declare_codes(codes or {})
    prefix = rule_id.split(".", 1)[0] + "."
    bad = [c.code for c in declared if not c.code.startswith(prefix)]
    if bad:
        raise ValueError(f"codes {bad} do not belong to rule {rule_id}")

    def deco(fn: Callable[["Context"], Iterable[Finding]]):
        RULES.append(Rule(rule_id, title, description, fn, declared))
        return fn

    return deco

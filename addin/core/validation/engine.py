"""The validation engine: declared rules run over the workbook model.

Every rule runs (no stop at the first failure); each yields coded Findings. A rule that
crashes becomes a finding of its own, so one bug never hides the other rules' results.
"""
from __future__ import annotations

import traceback
from typing import Iterable

from ..evaluate import Evaluation, evaluate
from ..findings import ValidationResult, WARNING, Finding
from ..framework import Framework
from ..model import BookData
from . import rules as _rules  # noqa: F401 - registers the built-in rules
from . import target_rules as _target_rules  # noqa: F401 - the target-table family's rules (T..)
from .context import Context
from .registry import RULES, Rule, declare_codes, rule
from .tidy import tidy  # the last step (signal over noise); its codes are registered with the rest

__all__ = ["validate", "RULES", "Rule", "Context", "rule"]

declare_codes({"R99.internal": (WARNING, "校验规则 {rule_id}（{title}）运行出错：{error}。其他规则的结果不受影响；"
                                         "请加 --debug 重新运行并把输出反馈给维护者")})


def validate(fw: Framework, book: BookData, ev: Evaluation | None = None,
             rules: Iterable[Rule] | None = None, *, debug: bool = False) -> ValidationResult:
    """Run every rule; collect all findings (workbook order via ValidationResult.sorted())."""
    ev = ev or evaluate(fw, book)
    if fw.text_reader is not None:
        fw.text_reader.forget()  # several rules read the same texts; remember them for this workbook only
    ctx = Context(fw, book, ev)
    result = ValidationResult(source=book.source, sheet_order=list(book.sheets))
    seen: set[tuple] = set()
    for r in rules if rules is not None else RULES:
        ctx.rule_id = r.id
        try:
            for f in r.check(ctx):
                key = (f.code, f.sheet, f.cell, f.message)
                if key not in seen:  # a rule may reach the same cell twice
                    seen.add(key)
                    result.add(f)
        except Exception as e:  # keep the other rules' findings
            # the traceback only for developers (debug): never in a user's sheet
            trace = traceback.format_exc(limit=3)[-500:] if debug else None
            result.add(Finding.of("R99.internal", rule="R99.internal", actual=trace, rule_id=r.id, title=r.title,
                                  error=f"{type(e).__name__}: {str(e)[:200]}"))
    result.findings = tidy(result.findings, fw, book, ev, ctx.label)
    return result


"""校验: `validate(fw, book, ev)` runs every declared rule and returns all findings."""
from .engine import RULES, Context, Rule, rule, validate

__all__ = ["validate", "RULES", "Rule", "Context", "rule"]

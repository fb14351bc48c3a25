"""校验: `validate(fw, book, ev)` runs every declared rule and returns all coded findings."""
from .context import Context
from .engine import validate
from .registry import RULES, Rule, rule

__all__ = ["validate", "RULES", "Rule", "Context", "rule"]

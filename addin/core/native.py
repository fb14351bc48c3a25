"""Native spreadsheet formulas equivalent to the core's rate and score functions.

Every UDF cell the template writes is ``IFERROR(UDF(...), native)``: Excel with the add-in
computes with the UDF (the core); WPS, LibreOffice and an Excel without the add-in get
#NAME? from the UDF and show the native expression instead — the same number, rounded
like Excel's ROUND, or the same short Chinese message. The expressions are generated
from the metric and rule definitions (fn, args, params, rule type), never per cell, so
any framework family gets them; tests/test_live_values.py proves them equal to the core
in LibreOffice over hundreds of input sets.

Only functions both Excel 2007+ and LibreOffice/WPS know are used (IF, IFERROR, ISERROR,
ISNUMBER, ERROR.TYPE, CHOOSE, LEFT, ABS, ROUND, MIN, MAX), and no TRUE/FALSE literals
(LibreOffice writes them back as TRUE()/FALSE()).
"""
from __future__ import annotations

from typing import Any, Sequence

from . import rates
from .errors import CalcError
from .framework import Framework, Indicator
from .numeric import is_number
from .scoring import NA_PREFIX, SUGGEST_MESSAGES, threshold_words

# every worksheet function the fallbacks use (all known to Excel 2007+, LibreOffice and WPS)
NATIVE_FUNCTIONS = frozenset({"IF", "IFERROR", "ISERROR", "ISNUMBER", "NOT", "ERROR.TYPE", "CHOOSE", "LEFT",
                              "ABS", "ROUND", "MIN", "MAX"})

# ERROR.TYPE codes (Excel 365) -> the literal the core names in its message
_ERROR_LITERALS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                   "#SPILL!", "#CONNECT!", "#BLOCKED!", "#UNKNOWN!", "#FIELD!", "#CALC!")


def q(text: str) -> str:
    """A formula string literal."""
    return '"' + text.replace('"', '""') + '"'


def lit(x: float) -> str:
    """A number literal Excel parses back to the same double (15 significant digits at most)."""
    s = repr(float(x))
    if s.endswith(".0"):
        s = s[:-2]
    return s.upper()


def guarded(udf_call: str, native: str) -> str:
    """The UDF where the add-in runs, the native expression everywhere else."""
    return f"IFERROR({udf_call},{native})"


def _if_chain(checks: Sequence[tuple[str, str]], final: str) -> str:
    expr = final
    for cond, result in reversed(checks):
        expr = f"IF({cond},{result},{expr})"
    return expr


def _errtext(x: str) -> str:
    return f'IFERROR(CHOOSE(ERROR.TYPE({x}),{",".join(q(e) for e in _ERROR_LITERALS)}),"")'


def blank(x: str) -> str:
    """x is empty or "" (the core's is_blank); an error counts as not blank."""
    return f'IFERROR({x}="",0)'


class _Arg:
    """One argument: a reference checked by formulas, or a literal checked now."""

    def __init__(self, ref: Any):
        self.literal = is_number(ref) and not isinstance(ref, str)
        self.ref = lit(ref) if self.literal else str(ref)
        self.value = float(ref) if self.literal else None


def _checks(arg: _Arg, what: str, index: int) -> tuple[list[tuple[str, str]], str | None]:
    """(formula checks, constant message) mirroring rates._num for one argument."""
    if arg.literal:
        try:
            rates._num(arg.value, what, index)
        except CalcError as e:
            return [], q(e.message)
        return [], None
    x = arg.ref
    return [(f"ISERROR({x})", f"{q(rates.MSG_ERROR.format(what=what))}&{_errtext(x)}"),
            (f'{x}=""', q(rates.MSG_MISSING.format(what=what))),
            (f"NOT(ISNUMBER({x}))", q(rates.MSG_NOT_NUMBER.format(what=what))),
            (f"{x}<0", q(rates.MSG_NEGATIVE.format(what=what)))], None


def _checked(args: Sequence[_Arg], labels: Sequence[str], body: str) -> str:
    checks: list[tuple[str, str]] = []
    for i, (a, what) in enumerate(zip(args, labels)):
        cs, const = _checks(a, what, i)
        if const is not None:
            return _if_chain(checks, const)  # the core stops at this literal whatever follows
        checks += cs
    return _if_chain(checks, body)


def _finite(expr: str) -> str:
    return f"IF(IFERROR(ABS({expr})>{lit(rates.ABSURD)},1),{q(rates.MSG_ABSURD)},ROUND({expr},{rates.RATE_DECIMALS}))"


def _division(fn: str, num: _Arg, den: _Arg) -> str:
    labels = rates.ARG_LABELS[fn]
    a, b, what_d = num.ref, den.ref, labels[-1]
    body = (f"IF({b}=0,IF({a}=0,{q(rates.MSG_NOT_APPLICABLE.format(den=what_d))},"
            f"{q(rates.MSG_ZERO.format(den=what_d))}),{_finite(f'{a}/{b}')})")
    return _checked((num, den), labels, body)


def rate_expr(fn: str, refs: Sequence[Any]) -> str:
    """Native expression of a rates.py function applied to cell references / literals."""
    args = [_Arg(r) for r in refs]
    if fn in rates.DIVISIONS:
        return _division(fn, *args)
    if fn == "growth_rate":
        c, p = args
        body = f"IF({p.ref}=0,{q(rates.MSG_ZERO_GROWTH)},{_finite(f'({c.ref}-{p.ref})/{p.ref}')})"
        return _checked(args, rates.ARG_LABELS[fn], body)
    if fn == "spend_progress":
        spent, budget, reported = args
        from_reported = _checked([reported], rates.ARG_LABELS[fn][2:], _finite(reported.ref))
        from_reported = f"IF({blank(reported.ref)},{q(rates.MSG_NO_PROGRESS)},{from_reported})"
        return f"IF({blank(spent.ref)},{from_reported},{_division('exec_rate', spent, budget)})"
    if fn == "funds_rate":
        h1, full, wa, wb = args
        if wa.literal and wb.literal and wa.value + wb.value == 0:
            body = q(rates.MSG_ZERO_WEIGHTS)
        else:
            body = (f"IF({wa.ref}+{wb.ref}=0,{q(rates.MSG_ZERO_WEIGHTS)},"
                    f"{_finite(f'({wa.ref}*{h1.ref}+{wb.ref}*{full.ref})/({wa.ref}+{wb.ref})')})")
        return _checked(args, rates.ARG_LABELS[fn], body)
    raise KeyError(fn)


# ---------------------------------------------------------------- suggested scores (scoring.suggest)
def _value_switch(x: str, what: str, number: str, not_applicable: str) -> str:
    """Mirror of scoring._value: the branch for a number, for '不适用…', or the message."""
    no_value = q(SUGGEST_MESSAGES["no_value"].format(what=what))
    missing = q(SUGGEST_MESSAGES["missing"].format(what=what))
    return (f"IF(ISERROR({x}),{no_value},IF(ISNUMBER({x}),{number},IF({x}=\"\",{missing},"
            f"IF(LEFT({x},{len(NA_PREFIX)})={q(NA_PREFIX)},{not_applicable},{no_value}))))")


def _passes(x: str, op: str, threshold: float) -> str:
    # the core allows 1e-12 of float noise at the threshold
    return f"{x}<={lit(threshold)}+1E-12" if op == "le" else f"{x}>={lit(threshold)}-1E-12"


def suggest_expr(fw: Framework, ind: Indicator, max_ref: str, refs: Sequence[str]) -> str | None:
    """Native expression of scoring.suggest for this indicator's rule, or None when it has none."""
    rule = ind.rule
    if rule is None:
        return None
    m, p, nd = max_ref, rule.params, fw.suggest_decimals
    t = rule.type
    if t == "proportional":
        x = refs[0]
        number = f"ROUND(MAX(0,MIN({m},{m}*{x}/{lit(float(p.get('full_at', 1.0)))})),{nd})"
        na = m if p.get("no_base") == "max" else q(SUGGEST_MESSAGES["not_applicable"])
        body = _value_switch(x, "计算值", number, na)
    elif t == "deduct_per_item":
        x = refs[0]
        bad = q(SUGGEST_MESSAGES["bad_count"])
        number = f"IF({x}<0,{bad},ROUND(MAX(0,{m}-{lit(float(p['per_item']))}*{x}),{nd}))"
        body = _value_switch(x, "扣分项个数", number, bad)
    elif t == "threshold":
        x = refs[0]
        per = p.get("deduct_per_point")
        if per is None:
            fail = q(SUGGEST_MESSAGES["manual"].format(**threshold_words(fw, ind)))
        else:
            th = lit(float(p["threshold"]))
            fail = f"ROUND(MAX(0,{m}-{lit(float(per))}*(ABS({x}-{th})*100)),{nd})"
        number = f"IF({_passes(x, p['op'], float(p['threshold']))},{m},{fail})"
        body = _value_switch(x, "计算值", number, m)
    elif t == "conditions":
        items = p["items"]
        checks, parts = [], []
        for it, x in zip(items, refs):
            met = fw.metric(it["metric"])
            label = met.label if met else it["metric"]
            msg = _value_switch(x, label, '""', '""')
            checks.append((f'{msg}<>""', msg))
            pts = lit(float(it["points"]))
            parts.append(f"IF(ISNUMBER({x}),IF({_passes(x, it['op'], float(it['threshold']))},{pts},0),{pts})")
        body = _if_chain(checks, f"ROUND(MIN({'+'.join(parts)},{m}),{nd})")
    else:  # pragma: no cover - the framework loader refuses unknown rule types
        raise KeyError(t)
    bad_max = q(SUGGEST_MESSAGES["no_max"])
    return f"IF(ISNUMBER({m}),IF({m}<0,{bad_max},IF({m}=0,0,{body})),{bad_max})"

"""What the worksheet functions cost: import of addin.udfs on top of xlwings, and each call.

Excel's UDF server imports xlwings and then addin.udfs once per session; every formula
recalculation then calls one function per cell. Run from the repository root:

    python bench/bench_udfs.py [--runs 7]

Import times come from fresh interpreters (median of --runs). xlwings itself imports pandas
(and more) when installed, so the figure that belongs to jxzp is the difference
"xlwings + addin.udfs" minus "xlwings alone"; the goal for it is < 50 ms. Per-call times are
measured in-process with timeit; Excel adds a COM round trip per call on top.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 50.0

_TIMER = """
import sys, time
t = time.perf_counter()
{stmt}
print(time.perf_counter() - t)
print(",".join(m for m in ("pandas", "numpy", "matplotlib", "openpyxl", "docx") if m in sys.modules))
"""


def _fresh(stmt: str, runs: int, setup: str = "") -> tuple[float, str]:
    """Median seconds of `stmt` in fresh interpreters (after `setup`), and heavy modules loaded."""
    times, loaded = [], ""
    for _ in range(runs):
        code = setup + "\n" + _TIMER.format(stmt=stmt)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                             check=True, timeout=300).stdout.split("\n")
        times.append(float(out[0]))
        loaded = out[1]
    return statistics.median(times), loaded


def import_costs(runs: int) -> list[tuple[str, float, str]]:
    xlw, xlw_mods = _fresh("import xlwings", runs)
    both, both_mods = _fresh("import xlwings; import addin.udfs", runs)
    on_top, _ = _fresh("import addin.udfs", runs, setup="import xlwings")
    return [
        ("import xlwings", xlw, xlw_mods),
        ("import xlwings + addin.udfs", both, both_mods),
        ("import addin.udfs (xlwings already imported)", on_top, ""),
    ]


def call_costs() -> list[tuple[str, float, float]]:
    sys.path.insert(0, str(ROOT))
    import addin.udfs as u  # noqa: PLC0415

    cases = [
        ("EXEC_RATE", (8_765_432.1, 9_000_000.0)),
        ("BALANCE_RATE", (234_567.0, 9_000_000.0)),
        ("COVERAGE_RATE", (12, 13)),
        ("STAFF_RATIO", (14, 16)),
        ("GROWTH_RATE", (1_160_000.0, 1_000_000.0)),
        ("CONTROL_RATE", (95_000.0, 100_000.0)),
        ("RATIO", (3, 4)),
        ("SPEND_PROGRESS", (None, 1_000_000.0, 0.62)),
        ("FUNDS_RATE", (0.45, 0.98, 0.5, 0.5)),
        ("SUGGEST_SCORE", ("gd_county_2022", "budget_exec_rate", 10, 0.97)),
        ("SUGGEST_SCORE (bad indicator)", ("gd_county_2022", "no_such_indicator", 10, 0.97)),
        ("EXEC_RATE (error text in)", ("#DIV/0!", 100.0)),
    ]
    rows = []
    for label, args in cases:
        fn = getattr(u, label.split()[0])
        out = []
        first = timeit.timeit(lambda: out.append(fn(*args)), number=1)  # SUGGEST_SCORE loads the framework here
        assert label.endswith(")") or not isinstance(out[0], str), (label, out[0])  # a number, not a message
        number = 2000
        per = min(timeit.repeat(lambda: fn(*args), number=number, repeat=5)) / number
        rows.append((label, first, per))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="fresh interpreters per import figure (median)")
    a = ap.parse_args(argv)

    imports = import_costs(a.runs)
    print(f"Import (median of {a.runs} fresh interpreters, {sys.executable})")
    print(f"  {'what':<48}{'ms':>9}  heavy modules loaded")
    for what, secs, mods in imports:
        print(f"  {what:<48}{secs * 1000:>9.1f}  {mods or '-'}")
    delta = (imports[1][1] - imports[0][1]) * 1000
    on_top = imports[2][1] * 1000
    verdict = "OK" if max(delta, on_top) < GOAL_MS else "OVER GOAL"
    print(f"  jxzp's share: {delta:.1f} ms (difference), {on_top:.1f} ms (measured on top); "
          f"goal < {GOAL_MS:.0f} ms: {verdict}")
    print()
    print("Calls in-process (Excel adds one COM round trip per cell)")
    print(f"  {'function':<28}{'first call ms':>14}{'per call µs':>14}")
    for label, first, per in call_costs():
        print(f"  {label:<28}{first * 1000:>14.2f}{per * 1e6:>14.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

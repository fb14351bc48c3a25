"""Whole commands, cold, beside what a user could run instead (issue 15's budgets).

    python bench/bench_commands.py                 # sample + 100/1000/10000 project rows, 9 rounds
    python bench/bench_commands.py --rounds 15 --sizes 100,10000 --json out.json

Every figure is a fresh interpreter (`python -m addin.cli ...`, the real binary, not a pyenv
shim) with .pyc files present (compiled first; PYTHONDONTWRITEBYTECODE is removed from the
children's environment). Commands are interleaved round by round, so a busy machine slows
all of them alike; each row gives the median with min–max, and ratios are medians of
the same run. Peak memory is each child's own max RSS (os.wait4).

Baselines:
  openpyxl load      python -c "import openpyxl; openpyxl.load_workbook(f)"   (default mode)
  openpyxl read-only the same with read_only=True, closed at once
  calamine           python-calamine: open and read every sheet to Python values (if installed)
  python-docx        a document with the report's paragraphs and its table (python-docx's own API), saved
  python             an empty interpreter (python -c pass)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = os.path.realpath(sys.executable)
BUDGET_VALIDATE = 0.8  # × bare openpyxl load
BUDGET_REPORT = 3.0  # × bare python-docx document

OPENPYXL = "import sys, openpyxl; openpyxl.load_workbook(sys.argv[1])"
OPENPYXL_RO = "import sys, openpyxl; openpyxl.load_workbook(sys.argv[1], read_only=True).close()"
CALAMINE = ("import sys, python_calamine as c; wb = c.CalamineWorkbook.from_path(sys.argv[1]); "
            "[wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names]")
DOCX = """
import json, sys, docx
spec = json.load(open(sys.argv[1], encoding="utf-8"))
d = docx.Document()
for text in spec["paragraphs"]:
    d.add_paragraph(text)
rows = spec["table"]
t = d.add_table(rows=len(rows), cols=len(rows[0]))
for row, texts in zip(t.rows, rows):
    for cell, text in zip(row.cells, texts):
        cell.text = text
d.save(sys.argv[2])
"""


def env(root: Path = ROOT) -> dict:
    e = dict(os.environ)
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    e["PYTHONPATH"] = str(root)
    return e


class Before(list):
    """argv run against another checkout (--before): PYTHONPATH points there."""

    root: Path = ROOT


TIME = "/usr/bin/time"  # GNU time: the child's own peak RSS (wait4 in this process would count the fork's copy of it)


def run_once(argv: list[str], cwd: Path) -> tuple[float, int, int]:
    """(seconds, peak RSS KiB, exit code) of one fresh process."""
    rss_file = cwd / ".rss"
    wrapped = [TIME, "-f", "%M", "-o", str(rss_file), *argv] if os.path.exists(TIME) else argv
    t = time.perf_counter()
    p = subprocess.run(wrapped, cwd=cwd, env=env(getattr(argv, "root", ROOT)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.decode('utf-8', 'replace')[-800:]}")
    rss = int(rss_file.read_text().split()[-1]) if wrapped is not argv else 0
    return elapsed, rss, p.returncode


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def measure(commands: dict[str, list[str]], rounds: int, cwd: Path) -> dict[str, dict]:
    times: dict[str, list[float]] = {k: [] for k in commands}
    rss: dict[str, list[int]] = {k: [] for k in commands}
    for argv in commands.values():  # warm the page cache once, not counted
        run_once(argv, cwd)
    for _ in range(rounds):
        for key, argv in commands.items():
            t, m, _ = run_once(argv, cwd)
            times[key].append(t)
            rss[key].append(m)
    return {k: {**summary(times[k]), "rss_mib": statistics.median(rss[k]) / 1024} for k in commands}


# ---------------------------------------------------------------- inputs
def compile_sources(root: Path = ROOT) -> None:
    subprocess.run([PY, "-m", "compileall", "-q", str(root / "addin"), str(root / "docgen")], check=True,
                   env=env(root), stdout=subprocess.DEVNULL)


def before(argv: list[str], root: Path | None) -> Before:
    b = Before(argv)
    b.root = root
    return b


def make_book(tmp: Path, rows: int | None) -> Path:
    """The sample (rows None) or the sample with `rows` projects in a template sized for them."""
    out = tmp / ("sample.xlsx" if rows is None else f"projects_{rows}.xlsx")
    code = f"""
import json, sys
from pathlib import Path
rows = {rows!r}
import addin.xlsx.template as T
from addin.app import books
if rows is None:
    books.write_sample(Path(sys.argv[1]), overwrite=True)
else:
    T.PROJECT_ROWS = rows
    data = books.sample_data()
    data["tables"]["projects"]["rows"] = [
        [f"项目{{i:05d}}", 100000 + i, 90000 + i * 0.5, "是", "否" if i % 7 == 0 else "是", ""] for i in range(rows)]
    blank = Path(sys.argv[1]).with_suffix(".blank.xlsx")
    books.create_template(blank, framework=data["framework"], overwrite=True)
    data_path = Path(sys.argv[1]).with_suffix(".json")
    data_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    books.fill_file(blank, data_path, Path(sys.argv[1]), overwrite=True)
"""
    subprocess.run([PY, "-c", code, str(out)], check=True, env=env(), cwd=tmp)
    return out


def docx_spec(report: Path, out: Path) -> Path:
    """The report's body paragraphs and its table's cell texts, for the python-docx baseline."""
    code = """
import json, sys, docx
d = docx.Document(sys.argv[1])
spec = {"paragraphs": [p.text for p in d.paragraphs],
        "table": [[c.text for c in row.cells] for row in d.tables[0].rows]}
open(sys.argv[2], "w", encoding="utf-8").write(json.dumps(spec, ensure_ascii=False))
"""
    subprocess.run([PY, "-c", code, str(report), str(out)], check=True, env=env())
    return out


def cli(*args: str) -> list[str]:
    return [PY, "-m", "addin.cli", *args]


# ---------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--scale-rounds", type=int, default=5)
    ap.add_argument("--sizes", default="100,1000,10000", help="project rows for the scaling runs ('' for none)")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--markdown", action="store_true", help="print the tables as Markdown (for docs/benchmarks.md)")
    ap.add_argument("--before", type=Path, help="another checkout (e.g. `git archive <commit>`): its validate and "
                    "report run in the same rounds, labelled (before)")
    ap.add_argument("--interpreters", default="", help="NAME=PYTHON,...: also time `import xlwings` (and the heavy "
                    "modules it pulls in) with these interpreters, e.g. a venv with only jxzp's dependencies")
    a = ap.parse_args(argv)
    if a.interpreters:
        result = {"import_xlwings": import_xlwings(dict(x.split("=", 1) for x in a.interpreters.split(",")), a.rounds)}
        print_imports(result["import_xlwings"], a.rounds)
        if a.json:
            Path(a.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0
    compile_sources()
    if a.before:
        compile_sources(a.before)
    result: dict = {"python": PY, "cpus": os.cpu_count(), "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="jxzp-bench-") as t:
        tmp = Path(t)
        sample = make_book(tmp, None)
        subprocess.run(cli("report", str(sample), "-o", str(tmp / "probe.docx"), "--force", "--overwrite"),
                       check=True, env=env(), cwd=tmp, stdout=subprocess.DEVNULL)
        spec = docx_spec(tmp / "probe.docx", tmp / "spec.json")
        commands = {
            "python (empty interpreter)": [PY, "-c", "pass"],
            "jxzp validate": cli("validate", str(sample)),
            "openpyxl load": [PY, "-c", OPENPYXL, str(sample)],
            "openpyxl read-only load": [PY, "-c", OPENPYXL_RO, str(sample)],
            "jxzp report": cli("report", str(sample), "-o", str(tmp / "r.docx"), "--force", "--overwrite"),
            "python-docx same paragraphs + table": [PY, "-c", DOCX, str(spec), str(tmp / "bare.docx")],
            "import xlwings": [PY, "-c", "import xlwings"],
        }
        if a.before:
            commands["jxzp validate (before)"] = before(cli("validate", str(sample)), a.before)
            commands["jxzp report (before)"] = before(
                cli("report", str(sample), "-o", str(tmp / "rb.docx"), "--force", "--overwrite"), a.before)
        try:
            import python_calamine  # noqa: F401

            commands["python-calamine read"] = [PY, "-c", CALAMINE, str(sample)]
        except ImportError:
            pass
        result["sample"] = measure(commands, a.rounds, tmp)
        s = result["sample"]
        result["ratios"] = {
            "validate / openpyxl load": s["jxzp validate"]["median"] / s["openpyxl load"]["median"],
            "report / python-docx": s["jxzp report"]["median"] / s["python-docx same paragraphs + table"]["median"],
        }
        sizes = [int(x) for x in a.sizes.split(",") if x.strip()]
        scaling = []
        for n in sizes:
            book = make_book(tmp, n)
            cmds = {"validate": cli("validate", str(book)),
                    "report": cli("report", str(book), "-o", str(tmp / f"r{n}.docx"), "--force", "--overwrite"),
                    "openpyxl load": [PY, "-c", OPENPYXL, str(book)]}
            if a.before:
                cmds["validate (before)"] = before(cli("validate", str(book)), a.before)
                cmds["report (before)"] = before(
                    cli("report", str(book), "-o", str(tmp / f"rb{n}.docx"), "--force", "--overwrite"), a.before)
            m = measure(cmds, a.scale_rounds, tmp)
            scaling.append({"rows": n, "bytes": book.stat().st_size, **m})
        result["scaling"] = scaling
    result["load_after"] = os.getloadavg()
    (print_markdown if a.markdown else print_text)(result, a.rounds, a.scale_rounds)
    if a.json:
        Path(a.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


XLWINGS = ("import sys, xlwings; print(','.join(sorted(m for m in ('numpy', 'pandas', 'matplotlib', 'PIL') "
           "if m in sys.modules)) or '-')")


def import_xlwings(pythons: dict[str, str], rounds: int) -> dict[str, dict]:
    """`import xlwings` in each interpreter, interleaved; with the heavy modules it loaded."""
    with tempfile.TemporaryDirectory(prefix="jxzp-bench-") as t:
        cmds = {name: [py, "-c", XLWINGS] for name, py in pythons.items()}
        out = measure(cmds, rounds, Path(t))
        for name, py in pythons.items():
            r = subprocess.run([py, "-c", XLWINGS], capture_output=True, text=True, check=True)
            out[name]["loaded"] = r.stdout.strip()
            out[name]["python"] = py
    return out


def print_imports(r: dict, rounds: int) -> None:
    print(f"import xlwings, cold, median (min–max) of {rounds} interleaved rounds, peak RSS")
    for name, m in r.items():
        print(f"  {name:<12}{_fmt(m)}  heavy modules loaded: {m['loaded']}  ({m['python']})")


def _fmt(m: dict) -> str:
    return f"{m['median'] * 1000:7.0f} ms  ({m['min'] * 1000:.0f}–{m['max'] * 1000:.0f})  {m['rss_mib']:6.1f} MiB"


def _md(m: dict) -> str:
    return f"{m['median'] * 1000:.0f} ms ({m['min'] * 1000:.0f}–{m['max'] * 1000:.0f}) | {m['rss_mib']:.1f} MiB"


def print_markdown(r: dict, rounds: int, scale_rounds: int) -> None:
    la = r["load_before"]
    print(f"Cold whole processes, median (min–max) of {rounds} interleaved rounds; load average "
          f"{la[0]:.1f} → {r['load_after'][0]:.1f} on {r['cpus']} CPUs.\n")
    print("| command | time | peak RSS |\n|---|---|---|")
    for k, m in r["sample"].items():
        print(f"| {k} | {_md(m)} |")
    ra = r["ratios"]
    print(f"\nRatios of medians: validate / openpyxl load **{ra['validate / openpyxl load']:.2f}×** "
          f"(budget ≤ {BUDGET_VALIDATE}×); report / python-docx **{ra['report / python-docx']:.2f}×** "
          f"(budget ≤ {BUDGET_REPORT}×).")
    if r["scaling"]:
        keys = [k for k in r["scaling"][0] if isinstance(r["scaling"][0][k], dict)]
        print(f"\nProject rows, median (min–max) of {scale_rounds} rounds, peak RSS\n")
        print("| rows | file | " + " | ".join(keys) + " |\n|---|---|" + "---|" * len(keys))
        for s in r["scaling"]:
            print(f"| {s['rows']} | {s['bytes'] / 1024:.0f} KiB | "
                  + " | ".join(_md(s[k]).replace(" | ", "; ") for k in keys) + " |")
        base = r["scaling"][0]
        print("\n| from → to | " + " | ".join(k for k in keys if k != "openpyxl load") + " |\n|---|"
              + "---|" * (len(keys) - 1))
        for s in r["scaling"][1:]:
            dr = s["rows"] - base["rows"]
            cells = []
            for k in keys:
                if k == "openpyxl load":
                    continue
                dt = s[k]["median"] - base[k]["median"]
                dm = s[k]["rss_mib"] - base[k]["rss_mib"]
                cells.append(f"{dt / dr * 1e6:.0f} µs/row, {dm * 1048576 / dr:.0f} B/row")
            print(f"| {base['rows']} → {s['rows']} | " + " | ".join(cells) + " |")


def print_text(r: dict, rounds: int, scale_rounds: int) -> None:
    la = r["load_before"]
    print(f"Cold whole processes, {r['python']}, {r['cpus']} CPUs, load average {la[0]:.1f} → "
          f"{r['load_after'][0]:.1f}; median (min–max) of {rounds} interleaved rounds, peak RSS")
    for k, m in r["sample"].items():
        print(f"  {k:<38}{_fmt(m)}")
    ra = r["ratios"]
    v, rep = ra["validate / openpyxl load"], ra["report / python-docx"]
    print(f"  validate / openpyxl load   {v:.2f}×  (budget ≤ {BUDGET_VALIDATE}×: {'OK' if v <= BUDGET_VALIDATE else 'OVER'})")
    print(f"  report / python-docx       {rep:.2f}×  (budget ≤ {BUDGET_REPORT}×: {'OK' if rep <= BUDGET_REPORT else 'OVER'})")
    if r["scaling"]:
        print(f"\nProject rows (median of {scale_rounds}; per-row figures over the smallest size)")
        base = r["scaling"][0]
        for s in r["scaling"]:
            line = f"  {s['rows']:>6} rows {s['bytes'] / 1024:7.0f} KiB"
            print(line)
            for k in [k for k in s if isinstance(s[k], dict)]:
                print(f"      {k:<20}{_fmt(s[k])}")
        for s in r["scaling"][1:]:
            dr = s["rows"] - base["rows"]
            for k in [k for k in s if isinstance(s[k], dict) and k != "openpyxl load"]:
                dt = s[k]["median"] - base[k]["median"]
                dm = s[k]["rss_mib"] - base[k]["rss_mib"]
                print(f"  {k:<18} {base['rows']}→{s['rows']} rows: +{dt * 1000:.0f} ms ({dt / dr * 1e6:.0f} µs/row), "
                      f"+{dm:.1f} MiB ({dm * 1024 * 1024 / dr:.0f} B/row)")


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of 生成报告: the sample's report, and how the time grows with the 自评表's rows.

    python bench/bench_report.py            # the table below
    python bench/bench_report.py --naive    # also python-docx's row-by-row table API, for comparison
    python bench/bench_report.py --json

Warm, in-process figures (the whole-command budgets are in bench_commands.py): "fresh" is
import docgen + render + save in a new process after the workbook was read; "warm" is a later
report in the same process, as in Excel's long-running Python. Rows: n indicators
(docgen._synthetic), so both the 绩效分析 paragraphs and the attached table grow; time per
row must stay flat (linear growth).
"""
from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_S = 0.5  # import docgen + render + save in a fresh process, workbook read excluded
SIZES = (30, 300, 1000)

COLD = r"""
import json, sys, time
from addin.app import load_and_evaluate
t0 = time.perf_counter()
ev = load_and_evaluate(sys.argv[1])
t1 = time.perf_counter()
import docgen
docgen.build_report(ev, sys.argv[2], overwrite=True)
t2 = time.perf_counter()
print(json.dumps({"load": t1 - t0, "report": t2 - t1}))
"""


def best(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def sample_workbook(tmp: Path) -> Path:
    from addin.app import write_sample as make_sample

    return make_sample(tmp / "sample.xlsx")


def bench_sample(tmp: Path, repeat: int) -> dict:
    import docgen
    from addin.app import load_and_evaluate

    wb = sample_workbook(tmp)
    cold = []
    for _ in range(3):
        r = subprocess.run([sys.executable, "-c", COLD, str(wb), str(tmp / "cold.docx")], cwd=ROOT,
                           capture_output=True, text=True, check=True)
        cold.append(json.loads(r.stdout))
    ev = load_and_evaluate(wb)
    docgen.render(ev)  # first render: imports done

    def warm():
        docgen.build_report(ev, tmp / "warm.docx", overwrite=True)

    w_min, w_med = best(warm, repeat)
    return {"cold_report_s": min(c["report"] for c in cold), "workbook_load_s": min(c["load"] for c in cold),
            "warm_report_s": w_min, "warm_report_median_s": w_med}


def bench_rows(repeat: int) -> list[dict]:
    import docgen
    from docgen._synthetic import synthetic_evaluation

    out = []
    for n in SIZES:
        ev = synthetic_evaluation(n)

        def once():
            buf = io.BytesIO()
            docgen.render(ev).document.save(buf)

        t_min, t_med = best(once, repeat)
        out.append({"rows": n, "seconds": t_min, "median": t_med, "ms_per_row": 1000 * t_min / n})
    return out


def bench_naive(sizes=SIZES) -> list[dict]:
    """The same six-column table through python-docx's API (add_row, row.cells, merge)."""
    import docx

    out = []
    for n in sizes:
        t = time.perf_counter()
        d = docx.Document()
        table = d.add_table(rows=2, cols=6)
        for _ in range(n):
            cells = table.add_row().cells
            for k, c in enumerate(cells):
                c.text = f"单元格{k}"
        # merges as in the 自评表: 一级 over a third of the rows, 二级 over groups of 10
        third = n // 3
        for g in range(3):
            table.cell(2 + g * third, 0).merge(table.cell(1 + (g + 1) * third, 0))
        for start in range(2, 2 + n - 9, 10):
            table.cell(start, 1).merge(table.cell(start + 9, 1))
        d.save(io.BytesIO())
        out.append({"rows": n, "seconds": time.perf_counter() - t})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--naive", action="store_true", help="也测 python-docx 逐行建表（平方增长）作对比")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="jxzp-bench-") as tmp:
        result = {"sample": bench_sample(Path(tmp), a.repeat), "rows": bench_rows(a.repeat)}
    if a.naive:
        result["naive_python_docx_table"] = bench_naive()
    if a.json:
        print(json.dumps(result, indent=1))
        return 0
    s = result["sample"]
    ok = "达标" if s["cold_report_s"] <= GOAL_S else "超出目标"
    print(f"样例报告（进程内，已读入工作簿后）：新进程导入+生成 {s['cold_report_s']:.3f} s（目标 ≤ {GOAL_S} s，{ok}），"
          f"同一进程再次生成 {s['warm_report_s']:.3f} s；读取工作簿 {s['workbook_load_s']:.3f} s（不计入）")
    print("行数    秒      每行毫秒")
    for r in result["rows"]:
        print(f"{r['rows']:>5}  {r['seconds']:.3f}  {r['ms_per_row']:.3f}")
    rows = result["rows"]
    growth = rows[-1]["seconds"] / rows[-2]["seconds"]
    print(f"{rows[-2]['rows']} → {rows[-1]['rows']} 行：时间 ×{growth:.1f}（线性约 ×{rows[-1]['rows'] / rows[-2]['rows']:.1f}）")
    for r in result.get("naive_python_docx_table", []):
        print(f"python-docx 逐行建表 {r['rows']:>5} 行：{r['seconds']:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Warm, in-process figures for 校验 (imports excluded): what a second 校验 costs inside Excel's
long-running Python. The whole-command budgets (cold processes) are in bench_commands.py.

Run: python bench/bench_validate.py [--repeat N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    import openpyxl

    from addin.app import write_sample as make_sample
    from addin.app import check_file

    with tempfile.TemporaryDirectory() as d:
        path = make_sample(Path(d) / "sample.xlsx")
        check_file(path)  # warm imports and caches
        bare = best(lambda: openpyxl.load_workbook(path), args.repeat)
        bare_ro = best(lambda: openpyxl.load_workbook(path, read_only=True).close(), args.repeat)
        full = best(lambda: check_file(path), args.repeat)
        tracemalloc.start()
        check_file(path)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print("Warm, in-process (imports done; medians) — not the budget figures, see bench_commands.py")
    print(f"openpyxl.load_workbook (default mode)   {bare * 1000:7.1f} ms")
    print(f"openpyxl.load_workbook (read_only)      {bare_ro * 1000:7.1f} ms")
    print(f"jxzp validate (read + evaluate + rules) {full * 1000:7.1f} ms   ({full / bare:.2f}× the default-mode load)")
    print(f"peak Python memory during validate      {peak / 1048576:7.1f} MiB")


if __name__ == "__main__":
    main()

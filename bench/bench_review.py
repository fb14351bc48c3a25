"""Benchmark: `jxzp review` on a folder of sample-sized workbooks, beside a shell loop of `jxzp validate`.

Whole commands, cold (a new process each run), medians of --rounds. Besides wall time it
reports the CPU time of the command and its worker processes per workbook: on a shared
machine wall time depends on the neighbours, CPU time much less, and cores / CPU-per-file
is the rate the same machine reaches when idle. The load average is printed with the figures.

Run: python bench/bench_review.py [--files 200] [--rounds 3] [--loop 20] [--scale 2000] [--markdown]
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))


def env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


_PHASE = re.compile(r"用时 ([0-9.]+) 秒")


def phase_rate(stdout: str, files: int) -> str:
    """The review phase's own rate, as the command reports it (start-up and the summary left out)."""
    m = _PHASE.search(stdout)
    return f"{files / float(m.group(1)):.0f}" if m and float(m.group(1)) > 0 else "–"


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """(wall s, CPU s of the process and all its descendants, peak RSS KiB of any descendant, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss, r.stdout + r.stderr  # the command reports on stderr


def review_cmd(folder: Path, out: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "addin.cli", "review", str(folder), "-o", str(out), "--jobs", str(jobs),
            "--overwrite"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--loop", type=int, default=20, help="files for the `jxzp validate` shell loop")
    ap.add_argument("--scale", type=int, default=0, help="also run this many files (memory flat?)")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    from review_corpus import make_corpus  # noqa: PLC0415

    cores = len(os.sched_getaffinity(0))
    rows: list[tuple[str, str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="jxzp-bench-review-") as tmp:
        tmp = Path(tmp)
        folder = tmp / "各部门"
        files = make_corpus(folder, a.files, 10)
        out = tmp / "复核汇总.xlsx"
        load0 = os.getloadavg()

        # baseline: what a reviewer does today, one process per workbook
        loop = files[: a.loop]
        script = "; ".join(f'"{sys.executable}" -m addin.cli validate "{p}" > /dev/null' for p in loop)
        walls, cpus = [], []
        for _ in range(a.rounds):
            w, c, _, _ = timed(["sh", "-c", script + "; true"], tmp)
            walls.append(w)
            cpus.append(c)
        w, c = statistics.median(walls), statistics.median(cpus)
        rows.append((f"shell loop of `jxzp validate` ({len(loop)} files)", f"{len(loop) / w:.1f}", "–",
                     f"{c / len(loop) * 1000:.0f}", f"{cores / (c / len(loop)):.0f}", "–"))

        for jobs in sorted({1, cores}):
            walls, cpus, phases, rss = [], [], [], 0
            for _ in range(a.rounds):
                wl, cp, mx, out_text = timed(review_cmd(folder, out, jobs), tmp)
                walls.append(wl)
                cpus.append(cp)
                phases.append(out_text)
                rss = max(rss, mx)
            w, c = statistics.median(walls), statistics.median(cpus)
            spread = f"{len(files) / max(walls):.0f}–{len(files) / min(walls):.0f}"
            mid = sorted(range(len(walls)), key=walls.__getitem__)[len(walls) // 2]
            rows.append((f"`jxzp review --jobs {jobs}` ({len(files)} files, whole command)",
                         f"{len(files) / w:.1f} ({spread})", phase_rate(phases[mid], len(files)),
                         f"{c / len(files) * 1000:.1f}", f"{cores / (c / len(files)):.0f}", f"{rss / 1024:.0f}"))

        if a.scale:
            big = tmp / "大批"
            big.mkdir()
            for i in range(a.scale):
                src = files[i % len(files)]
                shutil.copyfile(src, big / f"{i:06d}.xlsx")
            wl, cp, mx, out_text = timed(review_cmd(big, tmp / "大批汇总.xlsx", cores), tmp)
            rows.append((f"`jxzp review --jobs {cores}` ({a.scale} files, once)", f"{a.scale / wl:.1f}",
                         phase_rate(out_text, a.scale), f"{cp / a.scale * 1000:.1f}",
                         f"{cores / (cp / a.scale):.0f}", f"{mx / 1024:.0f}"))
        load1 = os.getloadavg()

    head = ("command", "workbooks/s (wall, median; spread)", "review phase, workbooks/s", "CPU ms/workbook",
            f"workbooks/s on {cores} idle cores",
            "peak RSS of one process, MiB")
    note = (f"{cores} cores; load average {load0[0]:.1f} before, {load1[0]:.1f} after "
            f"(other processes share the cores: wall figures are below what an idle machine gives)")
    if a.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(r) + " |")
        print(f"\n{note}")
    else:
        for r in rows:
            print(" | ".join(r))
        print(note)


if __name__ == "__main__":
    main()

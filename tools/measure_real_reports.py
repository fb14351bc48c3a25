"""Before/after count of 校验's findings on real published reports (tests/data/real_reports.json).

Each report becomes a workbook as its department would type it (the figures the report states
in the cells, its paragraphs in 报告文字), through the command line of the code under test, so an
older checkout can be measured the same way:

    python tools/measure_real_reports.py --code /path/to/old/checkout --out before.json
    python tools/measure_real_reports.py --out after.json
    python tools/measure_real_reports.py --compare before.json after.json   # a table by report and class

Classes for the comparison: a finding about data the report simply does not give (blank cells,
scores not entered, placeholders waiting for them, missing chapters) is `unfilled`; the others are
listed with their code and message for a person to judge true or false (docs/realcheck.md keeps
that judgement).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "real_reports.json"
UNFILLED_CODES = {"R01.blank", "R01.progress-unknown", "R01.unfilled", "R02.blank", "R02.scores-unfilled",
                  "R06.no-suggestion", "R06.no-suggestions", "R11.chapter-empty", "R11.chapters-empty",
                  "R10.projects-empty", "R08.number-unverifiable"}
UNFILLED_WORDS = ("未填写（必填）", "无法计算：请填写", "无法给出建议得分", "一章的内容", "数值为空或无法计算",
                  "项目清单为空", "未填写或无法计算")


def _cli(code: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(code))
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], cwd=code, env=env, capture_output=True,
                          text=True, timeout=300)


def _workbook(code: Path, rep: dict, tmp: Path) -> Path:
    wb = tmp / f"{rep['id']}.xlsx"
    if rep.get("base") == "sample":
        _cli(code, "sample", "-o", str(tmp / "base.xlsx"), "--overwrite")
        sample = json.loads((ROOT / "addin" / "samples" / "lechang_2022.json").read_text(encoding="utf-8"))
        rt = sample["tables"]["report_text"]
        typed = {ch: t for ch, t in rep["paragraphs"]}
        rows = [[r[0], r[1], typed.pop(r[0]), r[3]] if r[0] in typed else r for r in rt["rows"]]
        data = {"tables": {"report_text": {"columns": rt["columns"], "rows": rows}}}
    else:
        _cli(code, "new", "-o", str(tmp / "base.xlsx"), "--year", str(rep["year"]), "--overwrite")
        data = {"cells": [{"name": k, "value": v} for k, v in rep.get("cells", {}).items()],
                "tables": {"report_text": {"columns": ["rpt_chapter", "rpt_kind", "rpt_text", "rpt_remark"],
                                           "rows": [[ch, "正文", t, None] for ch, t in rep["paragraphs"]]}}}
    df = tmp / f"{rep['id']}.json"
    df.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    p = _cli(code, "fill", str(tmp / "base.xlsx"), "--from", str(df), "-o", str(wb), "--overwrite")
    if p.returncode != 0:
        raise SystemExit(f"fill failed for {rep['id']}: {p.stdout}{p.stderr}")
    return wb


def measure(code: Path) -> dict:
    reports = json.loads(DATA.read_text(encoding="utf-8"))["reports"]
    out = {}
    with tempfile.TemporaryDirectory(prefix="jxzp-measure-") as t:
        for rep in reports:
            wb = _workbook(code, rep, Path(t))
            p = _cli(code, "validate", "--json", str(wb))
            data = json.loads(p.stdout)
            out[rep["id"]] = [{"code": f.get("code") or f["rule"], "severity": f["severity"], "name": f.get("name"),
                               "message": f["message"]} for f in data["findings"]]
    return out


def unfilled(f: dict) -> bool:
    return f["code"] in UNFILLED_CODES or any(w in f["message"] for w in UNFILLED_WORDS)


def compare(before: dict, after: dict) -> str:
    lines = ["| 报告 | 之前：总数 / 未填类 / 其他 | 之后：总数 / 未填类 / 其他 |", "|---|---|---|"]
    tb = ta = [0, 0, 0]
    tb, ta = [0, 0, 0], [0, 0, 0]
    for rid in before:
        b, a = before[rid], after.get(rid, [])
        cb = [len(b), sum(map(unfilled, b)), sum(not unfilled(f) for f in b)]
        ca = [len(a), sum(map(unfilled, a)), sum(not unfilled(f) for f in a)]
        tb = [x + y for x, y in zip(tb, cb)]
        ta = [x + y for x, y in zip(ta, ca)]
        lines.append(f"| {rid} | {cb[0]} / {cb[1]} / {cb[2]} | {ca[0]} / {ca[1]} / {ca[2]} |")
    lines.append(f"| 合计 | {tb[0]} / {tb[1]} / {tb[2]} | {ta[0]} / {ta[1]} / {ta[2]} |")
    lines.append("")
    for rid in before:
        for tag, fs in (("之前", before[rid]), ("之后", after.get(rid, []))):
            for f in fs:
                if not unfilled(f):
                    lines.append(f"- {rid} {tag} {f['severity']} `{f['code']}` {f['message'][:140]}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose jxzp is measured")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    a = ap.parse_args()
    if a.compare:
        b, c = (json.loads(p.read_text(encoding="utf-8")) for p in a.compare)
        print(compare(b, c))
        return
    res = measure(a.code.resolve())
    text = json.dumps(res, ensure_ascii=False, indent=1)
    if a.out:
        a.out.write_text(text, encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()

"""`jxzp validate`: readable summary grouped by sheet and severity, or JSON; annotated copy."""
from __future__ import annotations

import json
from pathlib import Path

from .core.evaluate import evaluate
from .core.findings import ERROR, SEVERITIES, ValidationResult
from .core.validation import validate
from .service import open_book


def validate_file(path: Path):
    fw, book = open_book(path)
    ev = evaluate(fw, book)
    return fw, book, ev, validate(fw, book, ev)


def format_text(result: ValidationResult) -> str:
    lines = [f"校验 {Path(result.source).name}：{result.summary_line()}"]
    by_sheet: dict[str, list] = {}
    for f in result.sorted():
        by_sheet.setdefault(f.sheet or "（工作簿）", []).append(f)
    for sheet, fs in by_sheet.items():
        lines.append("")
        lines.append(f"【{sheet}】")
        for sev in SEVERITIES:
            for f in (x for x in fs if x.severity == sev):
                where = f.cell or "-"
                lines.append(f"  {f.severity} {where:<6} {f.message}  [{f.rule}{', ' + f.name if f.name else ''}]")
    return "\n".join(lines)


def run_validate(args, say) -> int:
    path = Path(args.workbook)
    fw, book, ev, result = validate_file(path)
    if args.annotate:
        from .xlsx.annotate import annotate_copy  # noqa: PLC0415

        out = annotate_copy(fw, path, Path(args.annotate), result, overwrite=args.overwrite)
    if args.json:
        data = result.to_dict()
        data["totals"] = {"total": ev.total, "grade": ev.grade}
        say(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        say(format_text(result))
        if args.annotate:
            say(f"\n已写入带标注的副本：{out}（原文件未改动）")
    return 1 if result.count(ERROR) else 0

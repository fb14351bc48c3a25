"""校验 and 清除标记 as use cases: on a file, or on a BookData an adapter read (the ribbon)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.evaluate import Evaluation, evaluate
from ..core.findings import ERROR, INFO, SEVERITIES, WARNING, ValidationResult
from ..core.framework import Framework
from ..core.model import BookData
from ..core.validation import validate as run_rules
from .books import framework_for, open_book
from .outcome import EXIT_CONTENT, EXIT_OK, Outcome
from .settings import Settings


@dataclass
class Checked:
    """A workbook read, recomputed and validated."""

    fw: Framework
    book: BookData
    ev: Evaluation
    result: ValidationResult

    def to_dict(self) -> dict[str, Any]:
        data = self.result.to_dict()
        data["totals"] = {"total": self.ev.total, "grade": self.ev.grade}
        return data

    @property
    def exit_code(self) -> int:
        return EXIT_CONTENT if self.result.has_errors else EXIT_OK


def check_book(book: BookData, settings: Settings | None = None, fw: Framework | None = None) -> Checked:
    fw = fw or framework_for(book)
    ev = evaluate(fw, book)
    return Checked(fw, book, ev, run_rules(fw, book, ev, debug=bool(settings and settings.debug)))


def check_file(path: str | Path, settings: Settings | None = None) -> Checked:
    fw, book = open_book(path)
    return check_book(book, settings, fw)


def counts(result: ValidationResult) -> str:
    return f"错误 {result.count(ERROR)} 条，警告 {result.count(WARNING)} 条，提示 {result.count(INFO)} 条"


def format_text(result: ValidationResult) -> str:
    """The readable listing: by sheet (workbook order), then severity."""
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
                lines.append(f"  {f.severity} {where:<6} {f.message}  [{f.code}{', ' + f.name if f.name else ''}]")
    return "\n".join(lines)


# ---------------------------------------------------------------- validate
@dataclass(frozen=True)
class Validate:
    workbook: Path
    as_json: bool = False
    annotate: Path | None = None  # write an annotated copy here
    overwrite: bool = False


@dataclass
class ValidateOutcome(Outcome):
    checked: Checked | None = None
    annotated: Path | None = None


def validate(args: Validate, settings: Settings | None = None) -> ValidateOutcome:
    checked = check_file(args.workbook, settings)
    o = ValidateOutcome(exit_code=checked.exit_code, checked=checked)
    if args.annotate:
        from ..xlsx.annotate import annotate_copy  # noqa: PLC0415

        o.annotated = o.wrote(annotate_copy(checked.fw, Path(args.workbook), Path(args.annotate), checked.result,
                                            overwrite=args.overwrite))
    if args.as_json:
        o.say(json.dumps(checked.to_dict(), ensure_ascii=False, indent=1))
    else:
        o.say(format_text(checked.result))
        from ..xlsx.send import addin_links  # noqa: PLC0415

        for link in addin_links(Path(args.workbook))[:1]:
            o.say(f"\n提示：此文件由装了加载项的 Excel 保存，公式链接到本机的加载项（{link}）。"
                  "发给未装加载项的同事前，请点“准备发送”或运行 jxzp send-ready，避免对方打开时提示更新链接。")
        if o.annotated:
            o.say(f"\n已写入带标注的副本：{o.annotated}（原文件未改动）")
    return o


# ---------------------------------------------------------------- clear
@dataclass(frozen=True)
class Clear:
    workbook: Path
    output: Path
    overwrite: bool = False


def clear(args: Clear, settings: Settings | None = None) -> Outcome:
    """A copy of the workbook without jxzp's marks (fills and notes put back as they were)."""
    from ..xlsx.annotate import clear_marks  # noqa: PLC0415
    from ..xlsx.files import check_output_path, load_workbook_safely  # noqa: PLC0415
    from ..xlsx.finish import save_workbook  # noqa: PLC0415

    fw, _book = open_book(args.workbook)
    out = check_output_path(args.output, overwrite=args.overwrite, inputs=(Path(args.workbook),))
    wb = load_workbook_safely(args.workbook, read_only=False)
    n = clear_marks(wb)
    o = Outcome()
    o.wrote(save_workbook(wb, out, fw, overwrite=args.overwrite))
    o.say(f"已清除 {n} 个单元格的校验标记：{out}（原文件未改动）" if n else f"没有需要清除的校验标记；已另存：{out}")
    return o

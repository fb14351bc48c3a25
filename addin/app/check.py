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
        from ..xlsx.annotate import annotate_file  # noqa: PLC0415

        done = annotate_file(checked.fw, Path(args.workbook), Path(args.annotate), checked.result,
                             overwrite=args.overwrite)
        o.annotated = o.wrote(done.path)
        notes = done.notes
    if args.as_json:
        o.say(json.dumps(checked.to_dict(), ensure_ascii=False, indent=1))
    else:
        o.say(format_text(checked.result))
        from ..xlsx.send import addin_links  # noqa: PLC0415

        for link in addin_links(Path(args.workbook))[:1]:
            o.say(f"\n提示：此文件由装了加载项的 Excel 保存，公式链接到本机的加载项（{link}）。"
                  "发给未装加载项的同事前，请点“准备发送”或运行 jxzp send-ready，避免对方打开时提示更新链接。")
        if o.annotated:
            for n in notes:
                o.say(f"注意：{n}")
            o.say(f"\n已写入带标注的副本：{o.annotated}（原文件未改动）")
    return o


# ---------------------------------------------------------------- clear
@dataclass(frozen=True)
class Clear:
    workbook: Path
    output: Path | None = None  # None: in place, only with overwrite
    overwrite: bool = False


@dataclass
class ClearOutcome(Outcome):
    restored: int = 0


def clear(args: Clear, settings: Settings | None = None) -> ClearOutcome:
    """A copy of the workbook without jxzp's marks: each marked cell's own fill and note back, jxzp's
    names, bookkeeping and 校验结果 as before 校验; every other part byte for byte (addin.xlsx.annotate)."""
    import shutil  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    from ..core.errors import OutputError  # noqa: PLC0415
    from ..xlsx.annotate import clear_file  # noqa: PLC0415

    src = Path(args.workbook)
    out = Path(args.output) if args.output else src
    if out == src and not args.overwrite:
        raise OutputError("清除标记另存为新文件，请用 -o 给出输出文件名（如 还原.xlsx）；确需改写原文件请加 --overwrite")
    if out == src:  # in place, as asked: from a copy, renamed over the input at the end
        with tempfile.TemporaryDirectory(prefix="jxzp-") as tmp:
            copy = Path(tmp) / src.name
            shutil.copyfile(src, copy)
            done = clear_file(copy, src, overwrite=True)
    else:
        done = clear_file(src, out, overwrite=args.overwrite)
    o = ClearOutcome(restored=done.clear.restored)
    o.wrote(done.path)
    for n in done.notes:
        o.note(n)
    if not done.had_marks:
        o.say(f"{src.name} 中没有 jxzp 的校验标记；已原样写出：{done.path}")
    else:
        o.say(f"已清除 {done.clear.restored} 个单元格的校验标记，恢复了原来的底色和批注：{done.path}"
              + ("（原文件未改动）" if done.path != src else ""))
    return o

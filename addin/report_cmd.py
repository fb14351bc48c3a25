"""jxzp report: 校验 first, then the Word report.

Exit codes of `jxzp report`: 0 written; 1 refused because 校验 found 错误 and --force was not
given; 2 unusable input or output (InputError / OutputError, printed by cli.main).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .core.findings import ERROR, WARNING, ValidationResult

EXIT_OK, EXIT_REFUSED = 0, 1


@dataclass
class ReportOutcome:
    validation: ValidationResult
    path: Path | None = None  # None: not written (refused)
    requested: Path | None = None  # where it was asked to go (differs when name(2).docx was taken)
    warnings: list[str] = field(default_factory=list)  # placeholders, missing chapters, fonts

    @property
    def written(self) -> bool:
        return self.path is not None

    @property
    def forced(self) -> bool:
        """Written although 校验 found 错误."""
        return self.written and self.validation.has_errors


def _validate(fw, book, ev) -> ValidationResult:
    from .core.validation import validate  # noqa: PLC0415 - the lead's package; imported when used

    return validate(fw, book, ev)


def make_report(workbook: str | Path, *, output: str | Path | None = None, force: bool = False,
                overwrite: bool = False) -> ReportOutcome:
    """Validate, then write the report unless there are 错误 and not force.

    output defaults to "{部门}{年度}年度部门整体支出绩效自评报告.docx" next to the workbook; an existing
    file is never replaced unless overwrite (name(2).docx, name(3).docx... instead).
    """
    from docgen import default_report_name, resolve_output, write_report  # noqa: PLC0415 - python-docx when needed

    from .service import load_and_evaluate  # noqa: PLC0415

    wb = Path(workbook)
    # resolve_output with overwrite=True only adds .docx and refuses other suffixes (before reading)
    requested = resolve_output(output, overwrite=True) if output else None
    ev = load_and_evaluate(wb)
    result = _validate(ev.fw, ev.book, ev)
    if result.has_errors and not force:
        return ReportOutcome(result)
    if requested is None:
        requested = resolve_output(wb.parent / default_report_name(ev), overwrite=True)
    path, rendered = write_report(ev, requested, overwrite=overwrite)
    return ReportOutcome(result, path, requested, list(rendered.warnings))


def describe(outcome: ReportOutcome, workbook: Path, say: Callable[[str], None]) -> None:
    """What the command line says after a report run."""
    v = outcome.validation
    if not outcome.written:
        say(f"校验发现 {v.count(ERROR)} 条“错误”，未生成报告。{v.summary_line()}")
        say(f"请先运行 jxzp validate \"{workbook}\" 查看并修改；如确需按现有数据生成，请加 --force。")
        return
    if outcome.forced:
        say(f"注意：校验有 {v.count(ERROR)} 条“错误”，已按 --force 生成报告，请逐项核对报告中的数字。"
            f"（jxzp validate \"{workbook}\" 列出全部问题）")
    elif v.count(WARNING):
        say(f"校验：{v.summary_line()}")
    for w in outcome.warnings:
        say(f"提示：{w}")
    if outcome.requested is not None and outcome.path != outcome.requested:
        say(f"{outcome.requested.name} 已存在，报告另存为 {outcome.path.name}（如需覆盖请加 --overwrite）")
    say(f"已生成自评报告：{outcome.path.resolve()}")


def run_report(args, say: Callable[[str], None]) -> int:
    """`jxzp report WB [-o OUT.docx] [--force] [--overwrite]`."""
    wb = Path(args.workbook)
    outcome = make_report(wb, output=getattr(args, "output", None), force=bool(getattr(args, "force", False)),
                          overwrite=bool(getattr(args, "overwrite", False)))
    describe(outcome, wb, say)
    return EXIT_OK if outcome.written else EXIT_REFUSED

"""生成报告 as a use case: 校验 first, then the Word report.

Exit codes of `report`: 0 written; 1 refused because 校验 found 错误 and force was not given;
2 unusable input or output (InputError / OutputError).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.findings import ERROR, WARNING, ValidationResult
from .check import Checked, check_file
from .outcome import EXIT_CONTENT, EXIT_OK, Outcome
from .settings import Settings


@dataclass(frozen=True)
class Report:
    workbook: Path
    output: Path | None = None  # default: "{部门}{年度}年度部门整体支出绩效自评报告.docx" next to the workbook
    force: bool = False  # write even when 校验 finds 错误
    overwrite: bool = False  # replace an existing file (else name(2).docx …)


@dataclass
class ReportOutcome(Outcome):
    validation: ValidationResult = field(default_factory=ValidationResult)
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


def write_checked(checked: Checked, requested: Path, *, overwrite: bool) -> ReportOutcome:
    """The report of an already validated workbook (the ribbon asks the user before calling this)."""
    from docgen import write_report  # noqa: PLC0415 - python-docx when needed

    path, rendered = write_report(checked.ev, requested, overwrite=overwrite)
    o = ReportOutcome(validation=checked.result, path=Path(path), requested=requested,
                      warnings=list(rendered.warnings))
    o.wrote(path)
    return o


def default_output(checked: Checked, folder: Path) -> Path:
    from docgen import default_report_name, resolve_output  # noqa: PLC0415

    return resolve_output(folder / default_report_name(checked.ev), overwrite=True)


def report(args: Report, settings: Settings | None = None) -> ReportOutcome:
    """Validate, then write the report unless there are 错误 and not force; the messages say what happened."""
    from docgen import resolve_output  # noqa: PLC0415

    wb = Path(args.workbook)
    # resolve_output with overwrite=True only adds .docx and refuses other suffixes (before reading)
    requested = resolve_output(args.output, overwrite=True) if args.output else None
    checked = check_file(wb, settings)
    if checked.result.has_errors and not args.force:
        o = ReportOutcome(exit_code=EXIT_CONTENT, validation=checked.result)
    else:
        o = write_checked(checked, requested or default_output(checked, wb.parent), overwrite=args.overwrite)
        o.exit_code = EXIT_OK
    _describe(o, wb)
    return o


def _describe(o: ReportOutcome, workbook: Path) -> None:
    v = o.validation
    if not o.written:
        o.say(f"校验发现 {v.count(ERROR)} 条“错误”，未生成报告。{v.summary_line()}")
        o.say(f"请先运行 jxzp validate \"{workbook}\" 查看并修改；如确需按现有数据生成，请加 --force。")
        return
    if o.forced:
        o.say(f"注意：校验有 {v.count(ERROR)} 条“错误”，已按 --force 生成报告，请逐项核对报告中的数字。"
              f"（jxzp validate \"{workbook}\" 列出全部问题）")
    elif v.count(WARNING):
        o.say(f"校验：{v.summary_line()}")
    for w in o.warnings:
        o.say(f"提示：{w}")
    if o.requested is not None and o.path != o.requested:
        o.say(f"{o.requested.name} 已存在，报告另存为 {o.path.name}（如需覆盖请加 --overwrite）")
    o.say(f"已生成自评报告：{o.path.resolve()}")

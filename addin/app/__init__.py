"""The use cases: one typed function per job, called by the CLI, the ribbon and the local page.

Each takes a frozen dataclass of arguments and an optional Settings and returns an Outcome
(exit_code, messages, notes, paths; subclasses carry typed results). Unusable input raises
a JxzpError (exit code 2); `run()` turns any exception into an Outcome for the edges.
"""
from __future__ import annotations

from typing import Callable, TypeVar

from ..core.errors import JxzpError
from .addin_files import BuildAddin, InstallAddin, build_addin, install_addin
from .books import (Export, ExportOutcome, Fill, MakeSample, Names, NamesOutcome, NewWorkbook, SendReady,
                    create_template, export, export_data, fill, fill_file, framework_for, load_and_evaluate,
                    make_sample, names, names_table, new_from_previous, new_workbook, open_book, read_json_file,
                    sample_data, sample_path, send_ready, send_ready_file, write_sample)
from .check import (Checked, Clear, Validate, ValidateOutcome, check_book, check_file, clear, counts, format_text,
                    validate)
from .demo import Demo, demo
from .frameworks import Frameworks, FrameworksOutcome, frameworks
from .outcome import EXIT_CONTENT, EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, Outcome
from .report import Report, ReportOutcome, report, write_checked
from .settings import Settings

__all__ = [
    "Settings", "Outcome", "EXIT_OK", "EXIT_CONTENT", "EXIT_INPUT", "EXIT_INTERNAL", "run",
    "NewWorkbook", "new_workbook", "MakeSample", "make_sample", "Export", "ExportOutcome", "export",
    "Fill", "fill", "Names", "NamesOutcome", "names", "Frameworks", "FrameworksOutcome", "frameworks",
    "Validate", "ValidateOutcome", "validate", "Clear", "clear", "Report", "ReportOutcome", "report",
    "Demo", "demo", "BuildAddin", "build_addin", "InstallAddin", "install_addin",
    "Checked", "check_book", "check_file", "write_checked", "format_text", "counts",
    "open_book", "framework_for", "load_and_evaluate", "create_template", "write_sample", "sample_data",
    "export_data", "fill_file", "read_json_file", "names_table", "SendReady", "send_ready", "send_ready_file",
    "new_from_previous", "sample_path",
]

A = TypeVar("A")

# 批量复核 (Review -> ReviewOutcome) lives in addin/review (worker processes; pandas for its summary);
# re-exported here and loaded on first use, so importing the use cases stays light
_REVIEW = ("Review", "ReviewOutcome", "review")


def __getattr__(name: str):
    if name in _REVIEW:
        import importlib  # noqa: PLC0415

        return getattr(importlib.import_module("addin.review.usecase"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run(use_case: Callable[[A, Settings], Outcome], args: A, settings: Settings) -> Outcome:
    """Call a use case; a JxzpError becomes exit 2 with its message, a bug exit 3 (re-raised with debug)."""
    try:
        return use_case(args, settings)
    except JxzpError as e:
        if settings.debug:
            raise
        return Outcome(exit_code=e.exit_code, notes=[f"错误：{e.message}"])
    except KeyboardInterrupt:
        return Outcome(exit_code=130, notes=["已取消"])
    except Exception as e:  # a bug: say so plainly, keep the traceback behind debug
        if settings.debug:
            raise
        return Outcome(exit_code=EXIT_INTERNAL,
                       notes=[f"程序内部错误（{type(e).__name__}：{e}）。请加 --debug 重新运行并把输出发给维护者"])

"""批量复核 as a use case: typed arguments in, an outcome with an exit code out.

The command line (review/command.py) adds the progress line and Ctrl-C; the web page calls
review_to_workbook (addin.review) with its own progress and cancel flag.
Exit codes: 0 every workbook read and without 错误; 1 some have 错误, could not be read or use an
old template; 2 unusable input (a JxzpError, raised); 130 interrupted (partial summary written).
"""
from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TextIO

from ..core.errors import InputError
from .check import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, HAS_ERRORS, OLD_TEMPLATE, UNREADABLE

if TYPE_CHECKING:  # the runner (multiprocessing, sqlite3) is imported when a review runs
    from .run import Progress

DEFAULT_OUTPUT = "复核汇总.xlsx"
EXIT_OK, EXIT_CONTENT, EXIT_INTERRUPTED = 0, 1, 130


@dataclass(frozen=True)
class Review:
    folder: Path
    output: Path | None = None  # None: 复核汇总.xlsx here, unless fmt asks for JSON/CSV only
    jobs: int | None = None
    fmt: str | None = None  # "json" | "csv": printed to the stream
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    overwrite: bool = False


@dataclass
class ReviewOutcome:
    exit_code: int = EXIT_OK
    messages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    total: int = 0
    done: int = 0
    partial: bool = False
    counts: dict[str, int] = field(default_factory=dict)  # status -> files
    seconds: float = 0.0
    rate: float = 0.0

    @property
    def ok(self) -> bool:  # as app.Outcome
        return self.exit_code == EXIT_OK

    @property
    def text(self) -> str:
        return "\n".join(self.messages)


def review(args: Review, settings=None, *, progress: Callable[[Progress], None] | None = None,
           cancel: threading.Event | Callable[[], bool] | None = None, stream: TextIO | None = None,
           on_done: Callable[[], None] | None = None) -> ReviewOutcome:
    from ..xlsx.files import check_output_path  # noqa: PLC0415
    from . import summary  # noqa: PLC0415
    from .run import review_folder  # noqa: PLC0415

    # checked first, not imported (workers are forked from this process): no run that cannot be summarised
    if importlib.util.find_spec("pandas") is None:
        raise InputError("批量复核需要 pandas，请先安装：pip install \"jxzp[review]\"（或 pip install pandas）")
    if args.jobs is not None and args.jobs < 1:
        raise InputError("--jobs 应为正整数")
    if args.fmt not in (None, "json", "csv"):
        raise InputError(f"输出格式应为 json 或 csv（收到 {args.fmt}）")
    out = None
    if args.output is not None or args.fmt is None:
        out = check_output_path(Path(args.output or DEFAULT_OUTPUT), overwrite=args.overwrite, suffixes=(".xlsx",))
    run = review_folder(args.folder, jobs=args.jobs, on_progress=progress, cancel=cancel, timeout=args.timeout,
                        memory_mb=args.memory_mb, exclude=(out,) if out else ())
    if on_done is not None:
        on_done()
    if run.total == 0:
        run.close()
        raise InputError(f"{args.folder} 中（含子文件夹）没有找到 .xlsx/.xlsm 工作簿，未生成汇总。请检查文件夹")
    outcome = ReviewOutcome(total=run.total, done=run.done, partial=run.partial, seconds=run.elapsed, rate=run.rate)
    with run:
        if stream is not None and args.fmt == "json":
            summary.write_json(run, stream)
        elif stream is not None and args.fmt == "csv":
            summary.write_csv(run, stream)
        if out is not None:
            outcome.paths.append(summary.write_workbook(run, out, overwrite=args.overwrite))
        outcome.notes.extend(summary.rows_text(run))
        if out is not None:
            outcome.notes.append(f"已写入汇总工作簿：{outcome.paths[-1]}" + ("（部分结果）" if run.partial else ""))
        for r in run.rows:
            outcome.counts[r.status] = outcome.counts.get(r.status, 0) + 1
    if run.partial:
        outcome.exit_code = EXIT_INTERRUPTED
    elif any(outcome.counts.get(s) for s in (HAS_ERRORS, UNREADABLE, OLD_TEMPLATE)):
        outcome.exit_code = EXIT_CONTENT
    return outcome

"""批量复核 (batch review): a folder of departments' workbooks -> one summary workbook.

For callers (command line, web page, a distributed runner):

    from addin.review import review_to_workbook
    outcome = review_to_workbook(folder, out, progress=lambda done, total, current: ...,
                                 cancelled=event.is_set)

    review(Review(folder, ...)) -> ReviewOutcome   the use case (exit code, notes, files written)
    review_file(path) -> FileResult          one workbook (what a worker runs; no pandas)
    review_folder(folder, ...) -> ReviewRun  many, in worker processes, progress and cancel
    summary.write_workbook / write_json / write_csv   the outputs (pandas; xlsxout writes the workbook)
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from .check import HAS_ERRORS, OK, OLD_TEMPLATE, UNREADABLE, FileResult, review_file

# the runner (multiprocessing, sqlite3) is imported when first used: every jxzp command builds
# the review subcommand's arguments, and `jxzp validate` must not pay for the worker pool
_LAZY = {"Progress": "run", "ReviewRun": "run", "find_workbooks": "run", "review_folder": "run",
         "Review": "usecase", "ReviewOutcome": "usecase", "review": "usecase"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["HAS_ERRORS", "OK", "OLD_TEMPLATE", "UNREADABLE", "FileResult", "Progress", "Review", "ReviewOutcome",
           "ReviewRun", "find_workbooks", "review", "review_file", "review_folder", "review_to_workbook"]


def review_to_workbook(folder: str | Path | None, out: str | Path, *,
                       files: list[tuple[Path, str]] | None = None,
                       progress: Callable[[int, int, str], None] | None = None,
                       cancelled: Callable[[], bool] | None = None, jobs: int | None = None,
                       overwrite: bool = False, links: bool = True, shown_folder: str | None = None,
                       **limits: Any) -> dict[str, Any]:
    """Review a folder (or (path, shown name) pairs) and write the summary workbook at out.

    progress(done, total, current file) after each file; cancelled() is checked between files:
    when it turns true the run stops and the workbook holds what was done, marked partial.
    limits: timeout (s per file), memory_mb (per worker). shown_folder: the summary's title instead of
    the folder's path (the web page's temporary folder means nothing to the user). Returns counts.
    """
    from .run import Progress, review_folder  # noqa: PLC0415
    from .summary import write_workbook  # noqa: PLC0415 - pandas only here

    def on_progress(p: Progress) -> None:
        if progress is not None:
            progress(p.done, p.total, p.current)

    names = {str(p): shown for p, shown in files} if files is not None else None
    base = Path(folder) if folder is not None else Path(".")
    with review_folder(base, jobs=jobs, on_progress=on_progress, cancel=cancelled, names=names,
                       files=[Path(p) for p, _ in files] if files is not None else None,
                       exclude=(Path(out),), **limits) as run:
        written = write_workbook(run, Path(out), overwrite=overwrite, links=links, shown_folder=shown_folder)
        status = [r.status for r in run.rows]
        return {"files": run.total, "done": run.done, "partial": run.partial, "out": str(written),
                "read": sum(s in (OK, HAS_ERRORS) for s in status),
                "unreadable": sum(s in (UNREADABLE, OLD_TEMPLATE) for s in status),
                "with_errors": sum(s == HAS_ERRORS for s in status),
                "seconds": round(run.elapsed, 3), "files_per_second": round(run.rate, 1)}

"""Batch review of a folder: find the workbooks, check them in parallel, keep what came back.

`review_folder` is the function the command line, the web page and a distributed runner
call. It reports progress through a callback (done, total, current file) and stops when
`cancel` says so; what was done is kept and the run is marked partial.

Memory stays small whatever the number of files: findings go to a spool file on disk as
they arrive; only one short row per file stays in memory.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..core.errors import InputError
from .check import FileResult
from .pool import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, ReviewPool

SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class Progress:
    """What a progress bar shows. current: the file just finished (relative to the folder)."""

    done: int
    total: int
    current: str
    elapsed: float

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        r = self.rate
        return (self.total - self.done) / r if r > 0 else None


@dataclass
class ReviewRun:
    """The outcome of a batch review. rows: one FileResult (without findings) per file, in path order."""

    folder: Path
    rows: list[FileResult]
    total: int  # files found
    partial: bool  # stopped before every file was done
    elapsed: float
    jobs: int
    skipped: list[str] = field(default_factory=list)  # Excel lock files (~$...) not reviewed
    restarts: int = 0
    names: dict[str, str] = field(default_factory=dict)  # path -> name shown instead of the relative path
    _spool: Path | None = None

    def shown(self, r: FileResult) -> str:
        if r.path in self.names:
            return self.names[r.path]
        try:
            return Path(r.path).relative_to(self.folder).as_posix()
        except ValueError:
            return Path(r.path).as_posix()

    @property
    def done(self) -> int:
        return len(self.rows)

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    def findings(self) -> Iterator[tuple[int, tuple]]:
        """(row index, finding tuple as check.FINDING_FIELDS) for every finding, in row order."""
        if self._spool is None:
            return
        order = {r.index: i for i, r in enumerate(self.rows)}
        con = sqlite3.connect(self._spool)
        try:
            for idx, *f in con.execute("SELECT idx, sheet, cell, code, severity, indicator, indicator_name, "
                                       "message FROM findings ORDER BY idx, rowid"):
                if idx in order:
                    yield order[idx], tuple(f)
        finally:
            con.close()

    def finding_codes(self, chunk: int = 100_000):
        """(row index, code, severity) in chunks of lists, for the statistics."""
        if self._spool is None:
            return
        con = sqlite3.connect(self._spool)
        try:
            cur = con.execute("SELECT idx, code, severity FROM findings")
            while True:
                part = cur.fetchmany(chunk)
                if not part:
                    break
                yield part
        finally:
            con.close()

    def close(self) -> None:
        if self._spool is not None:
            for suffix in ("", "-journal", "-wal"):
                try:
                    Path(str(self._spool) + suffix).unlink()
                except OSError:
                    pass
            self._spool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def find_workbooks(folder: Path, exclude: tuple[Path, ...] = ()) -> tuple[list[Path], list[str]]:
    """Every .xlsx/.xlsm under folder (sorted, recursive, links not followed); and Excel lock files skipped."""
    found, locks = [], []
    excluded = set()
    for p in exclude:
        try:
            excluded.add(os.path.realpath(p))
        except OSError:
            pass
    for root, dirs, files in os.walk(folder, onerror=None, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            if not name.lower().endswith(SUFFIXES):
                continue
            p = Path(root) / name
            if name.startswith("~$"):
                locks.append(str(p.relative_to(folder)))
                continue
            if os.path.realpath(p) in excluded:
                continue
            found.append(p)
    return found, locks


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def review_folder(folder: str | Path, *, jobs: int | None = None,
                  on_progress: Callable[[Progress], None] | None = None,
                  cancel: threading.Event | Callable[[], bool] | None = None,
                  timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB,
                  exclude: tuple[Path, ...] = (), files: list[Path] | None = None,
                  names: dict[str, str] | None = None, task: str | None = None) -> ReviewRun:
    """Review every workbook under folder (or the given files). Never raises for a bad workbook;
    raises InputError when the folder itself is unusable. KeyboardInterrupt ends the run like
    cancel: what was done is kept and the run is partial.

    on_progress(Progress) after each file; cancel: a threading.Event or a function, checked
    between files. names: path -> the name to show for it (uploads). Call from a script guarded
    by `if __name__ == "__main__":` (worker processes may re-import the main module).
    Use the result as a context manager (or call .close()) to remove its findings spool."""
    folder = Path(folder)
    if files is None:
        if not folder.is_dir():
            raise InputError(f"找不到文件夹：{folder}。请给出存放各部门自评表的文件夹" if not folder.exists()
                             else f"{folder} 不是文件夹。复核单个工作簿请用 jxzp validate")
        files, locks = find_workbooks(folder, exclude)
    else:
        locks = []
    shown_names = {str(k): v for k, v in (names or {}).items()}
    is_cancelled = (cancel.is_set if isinstance(cancel, threading.Event) else cancel) or (lambda: False)
    jobs = max(1, min(jobs or default_jobs(), len(files) or 1))
    spool_fd, spool_name = tempfile.mkstemp(prefix="jxzp-review-", suffix=".sqlite")
    os.close(spool_fd)
    spool = Path(spool_name)
    con = sqlite3.connect(spool)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("CREATE TABLE findings (idx INTEGER, sheet TEXT, cell TEXT, code TEXT, severity TEXT, "
                "indicator TEXT, indicator_name TEXT, message TEXT)")
    results: dict[int, FileResult] = {}
    t0 = time.perf_counter()
    partial = False
    pool = ReviewPool(jobs, timeout=timeout, memory_mb=memory_mb, **({"task": task} if task else {}))
    try:
        try:
            for idx, res in pool.run(((i, str(p)) for i, p in enumerate(files)), cancelled=is_cancelled):
                if res.findings:
                    con.executemany("INSERT INTO findings VALUES (?,?,?,?,?,?,?,?)",
                                    [(idx, *f) for f in res.findings])
                    res.findings = []
                res.index = idx
                results[idx] = res
                if on_progress is not None:
                    shown = shown_names.get(str(files[idx])) or _rel(files[idx], folder)
                    on_progress(Progress(len(results), len(files), shown, time.perf_counter() - t0))
        except KeyboardInterrupt:
            partial = True
        finally:
            partial = len(results) < len(files)
            if partial:
                pool.terminate()
            else:
                pool.close()
            con.commit()
            con.close()
    except BaseException:
        spool.unlink(missing_ok=True)
        raise
    rows = [results[i] for i in sorted(results)]
    return ReviewRun(folder, rows, len(files), partial, time.perf_counter() - t0, jobs, locks, pool.restarts,
                     shown_names, spool)


def _rel(p: Path, folder: Path) -> str:
    try:
        return str(p.relative_to(folder))
    except ValueError:
        return str(p)

"""Worker processes for batch review: per-file time and memory limits, replaced when they die.

concurrent.futures' pools cannot time out a task and break as a whole when one worker
dies, so this is a small pool of its own. Each worker owns a pipe; the parent sends it
chunks of (index, path) and it answers with one compact result per file, in order. So the
parent always knows which file a worker is on (the first unanswered one of its chunks) and
needs no per-file "started" message:

- a file that takes longer than `timeout` seconds: the worker is killed, that file is
  reported 无法读取 (超时), the rest of its chunks go back into the queue, a new worker starts;
- a worker that dies (memory limit, a crash in a C library, the OOM killer): the same;
- memory: RLIMIT_AS in the worker, so one huge or malicious file fails there with
  MemoryError (reported, worker restarted) instead of taking the machine;
- SIGINT is ignored in workers: the parent decides how to stop (cancel flag / Ctrl-C).

Workers start from a fork server with the review modules preloaded (Linux), so starting or
replacing one costs milliseconds; where there is no fork server (Windows) they are spawned.
"""
from __future__ import annotations

import gc
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Callable, Iterable

from .check import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, UNREADABLE, FileResult  # noqa: F401 - re-exported

CHUNK = 8  # files per message: few messages, yet short enough to balance and to time out per file
AHEAD = 2  # chunks queued per worker, so it never waits for the parent
TASK = "addin.review.check:review_file"


def _limit_resources(memory_mb: int) -> None:
    try:
        import resource  # noqa: PLC0415 - POSIX only
    except ImportError:  # Windows: no per-process limits; timeouts still apply
        return
    limit = memory_mb * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _worker_main(conn, memory_mb: int, task: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _limit_resources(memory_mb)
    # a file's objects die by reference counting; the cyclic collector only walked (and, after a
    # fork, copied) the inherited heap. Collect rarely; RLIMIT_AS bounds what could pile up.
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
    import importlib  # noqa: PLC0415

    module, _, name = task.partition(":")
    review_file = getattr(importlib.import_module(module), name)

    while True:
        try:
            chunk = conn.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        for idx, path in chunk:
            t0 = time.perf_counter()
            try:
                res = review_file(path)
            except MemoryError:
                res = None
            except RecursionError:
                res = FileResult(path, UNREADABLE, reason="文件结构嵌套过深，无法处理（可能是恶意构造的文件）")
            except Exception as e:  # a bug: the file is reported, the run goes on
                res = FileResult(path, UNREADABLE,
                                 reason=f"程序内部错误：{type(e).__name__}: {str(e)[:200]}。请把该文件反馈给维护者")
            if res is None:  # out of memory: report, then leave (the heap may be fragmented)
                res = FileResult(path, UNREADABLE, reason=f"处理该文件所需内存超过 {memory_mb} MB 上限，已跳过"
                                                          "（文件过大或构造异常）")
                res.seconds = time.perf_counter() - t0
                conn.send((idx, res.to_tuple()))
                os._exit(3)
            res.seconds = time.perf_counter() - t0
            conn.send((idx, res.to_tuple()))


def warm() -> None:
    """Import what a worker needs and load the frameworks once, before workers are forked
    (so each starts warm; the lru_cache of load_framework is then per worker, never per file)."""
    import encodings.cp437  # noqa: F401, PLC0415 - zipfile decodes names flagged as not UTF-8 with it

    from .. import app  # noqa: F401, PLC0415 - framework_for
    from ..core import validation  # noqa: F401, PLC0415
    from ..core.framework import available_frameworks, load_framework  # noqa: PLC0415
    from ..core.validation import rules  # noqa: F401, PLC0415
    from ..xlsx import reader  # noqa: F401, PLC0415

    for ident in available_frameworks():
        try:
            load_framework(ident)
        except Exception:  # a broken framework file is reported per workbook that uses it
            pass


def _context():
    """fork when this process runs one thread (the command line: workers start warm, instantly);
    a fork server otherwise (a web server's threads must not be forked); spawn where neither exists."""
    methods = mp.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        warm()
        return mp.get_context("fork")
    if sys.platform.startswith("linux") and "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["addin.review.preload"])
        return ctx
    return mp.get_context("spawn")


@dataclass
class _Worker:
    proc: mp.process.BaseProcess
    conn: object
    pending: deque = field(default_factory=deque)  # (idx, path) sent, not yet answered, in order
    chunks: deque = field(default_factory=deque)  # sizes of the chunks sent
    since: float = 0.0  # when its current file started (its last answer, or the send)
    answers: int = 0


class ReviewPool:
    """Run review_file over (index, path) items in worker processes; yield (index, FileResult)."""

    def __init__(self, jobs: int, *, timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB,
                 chunk: int = CHUNK, task: str = TASK):
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.chunk = max(1, chunk)
        self.task = task  # "module:function" taking a path, returning a FileResult (importable in workers)
        self.ctx = _context()
        self.workers: list[_Worker] = []
        self.restarts = 0
        self._barren = 0  # workers that died before answering once

    # -- workers
    def _start(self) -> _Worker:
        parent, child = self.ctx.Pipe(duplex=True)
        proc = self.ctx.Process(target=_worker_main, args=(child, self.memory_mb, self.task), daemon=True,
                                name="jxzp-review")
        proc.start()
        child.close()
        return _Worker(proc, parent)

    def _kill(self, w: _Worker) -> None:
        try:
            w.proc.kill()
        except Exception:  # already gone
            pass
        w.proc.join(timeout=5)
        try:
            w.conn.close()
        except OSError:
            pass

    def close(self) -> None:
        for w in self.workers:
            try:
                w.conn.send(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 2
        for w in self.workers:
            w.proc.join(timeout=max(0.0, deadline - time.monotonic()))
            if w.proc.is_alive():
                self._kill(w)
            else:
                w.conn.close()
        self.workers = []

    def terminate(self) -> None:
        for w in self.workers:
            self._kill(w)
        self.workers = []

    # -- the run
    def run(self, items: Iterable[tuple[int, str]], *, cancelled: Callable[[], bool] = lambda: False):
        """Yield (index, FileResult) as files finish (any order). Stops early when cancelled() is true."""
        queue: deque = deque()
        source = iter(items)
        exhausted = False

        def refill(n: int) -> None:
            nonlocal exhausted
            while not exhausted and len(queue) < n:
                try:
                    queue.append(next(source))
                except StopIteration:
                    exhausted = True

        def feed(w: _Worker) -> None:
            while len(w.chunks) < AHEAD:
                refill(self.chunk)
                if not queue:
                    return
                chunk = [queue.popleft() for _ in range(min(self.chunk, len(queue)))]
                try:
                    w.conn.send(chunk)
                except (OSError, ValueError):  # it died: its sentinel is seen next round
                    queue.extendleft(reversed(chunk))
                    return
                if not w.pending:
                    w.since = time.monotonic()
                w.pending.extend(chunk)
                w.chunks.append(len(chunk))

        def answered(w: _Worker) -> None:
            w.pending.popleft()
            w.chunks[0] -= 1
            if w.chunks[0] == 0:
                w.chunks.popleft()
            w.since = time.monotonic()
            w.answers += 1
            self._barren = 0

        def lost(w: _Worker, reason: str | None):
            """A worker died or hung: its current file gets the blame (unless reason is None),
            the rest go back to the queue; a new worker takes its place."""
            self._kill(w)
            self.workers.remove(w)
            code = w.proc.exitcode
            if not w.answers and reason is not None and code is not None and code not in (3,) and code > 0:
                # it exited normally-but-failing before answering once: a start-up failure, not a file's
                self._barren += 1
                if self._barren > 3 * self.jobs:
                    raise RuntimeError(f"复核进程无法启动（退出码 {code}）")
            if w.pending and reason is not None:
                idx, path = w.pending.popleft()
                yield idx, FileResult(path, UNREADABLE, reason=reason)
            queue.extendleft(reversed(w.pending))
            w.pending.clear()
            self.restarts += 1
            self.workers.append(self._start())

        for _ in range(self.jobs):
            self.workers.append(self._start())
        while True:
            if cancelled():
                return
            for w in self.workers:
                feed(w)
            busy = [w for w in self.workers if w.pending]
            if not busy:
                refill(1)
                if not queue:
                    return
                idle_dead = [w for w in self.workers if not w.proc.is_alive()]
                for w in idle_dead:
                    yield from lost(w, None)
                if not idle_dead:
                    time.sleep(0.01)
                continue
            now = time.monotonic()
            next_deadline = min(w.since + self.timeout for w in busy)
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy],
                         timeout=max(0.0, min(0.2, next_deadline - now)))
            for w in busy:
                dead = w.proc.sentinel in ready
                if w.conn in ready or dead:
                    try:
                        while w.conn.poll():
                            idx, t = w.conn.recv()
                            answered(w)
                            yield idx, FileResult.from_tuple(t)
                    except (EOFError, OSError):
                        dead = True
                if dead:
                    w.proc.join(timeout=2)
                    code = w.proc.exitcode
                    # exit 3: it reported its file as too big and left; the rest are not to blame
                    yield from lost(w, None if code == 3 else _died(code))
                elif w.pending and time.monotonic() - w.since > self.timeout:
                    yield from lost(w, f"处理超过 {self.timeout:g} 秒仍未完成，已跳过（文件过大或构造异常）")


def _died(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = str(-exitcode)
        if name == "SIGKILL":
            return "处理该文件时进程被系统终止（可能内存不足），已跳过"
        return f"处理该文件时程序异常退出（信号 {name}），已跳过。请把该文件反馈给维护者"
    return f"处理该文件时程序异常退出（退出码 {exitcode}），已跳过。请把该文件反馈给维护者"

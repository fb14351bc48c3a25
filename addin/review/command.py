"""`jxzp review 文件夹`: the command line of batch review, with a progress bar.

Exit codes: 0 every workbook read and without 错误; 1 some have 错误 or could not be read;
2 unusable arguments (folder, output); 130 interrupted (what was done is still written,
marked as partial).
"""
from __future__ import annotations

import signal
import sys
import threading
import time
from typing import Callable, TextIO


from .usecase import DEFAULT_OUTPUT, Review


def add_arguments(s) -> None:
    s.add_argument("folder", help="存放各部门自评表的文件夹（含子文件夹，.xlsx/.xlsm）")
    s.add_argument("-o", "--output", help=f"汇总工作簿（默认：当前文件夹中的 {DEFAULT_OUTPUT}；"
                                          "给出 --json/--csv 而未给 -o 时不写工作簿）")
    s.add_argument("--jobs", type=int, help="并行进程数（默认：CPU 核数）")
    fmt = s.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="在屏幕上输出 JSON（每个文件的汇总和问题）")
    fmt.add_argument("--csv", action="store_true", help="在屏幕上输出“汇总”表的 CSV")
    s.add_argument("--timeout", type=float, default=60.0, help="单个文件的处理时限，秒（默认 60）")
    s.add_argument("--memory-mb", type=int, default=1024, help="每个进程的内存上限，MB（默认 1024）")
    s.add_argument("--overwrite", action="store_true", help="汇总工作簿已存在时覆盖")


class ProgressLine:
    """count, rate and ETA: redrawn in place on a terminal, a plain line every few seconds otherwise."""

    def __init__(self, stream: TextIO, *, every: float = 2.0):
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.every = every
        self.last = 0.0
        self.width = 0

    def __call__(self, p) -> None:
        now = time.monotonic()
        final = p.done == p.total
        if not final and now - self.last < (0.1 if self.tty else self.every):
            return
        self.last = now
        pct = p.done / p.total if p.total else 1.0
        eta = "" if p.eta is None else f"，剩余约 {_duration(p.eta)}"
        text = f"{p.done}/{p.total}（{pct:.0%}），{p.rate:.0f} 个/秒{eta}"
        if self.tty:
            bar = "█" * int(pct * 24) + "░" * (24 - int(pct * 24))
            name = p.current if len(p.current) <= 30 else "…" + p.current[-29:]
            line = f"\r复核 {bar} {text}  {name}"
            pad = max(0, self.width - _cells(line))
            self.width = _cells(line)
            self.stream.write(line + " " * pad)
            if final:
                self.stream.write("\n")
                self.width = 0
        else:
            self.stream.write(f"复核进度 {text}\n")
        self.stream.flush()

    def end(self) -> None:
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0


def _cells(s: str) -> int:
    """Terminal columns of a string (CJK characters take two)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} 秒"
    if seconds < 3600:
        return f"{seconds // 60:.0f} 分 {seconds % 60:.0f} 秒"
    return f"{seconds // 3600:.0f} 小时 {seconds % 3600 // 60:.0f} 分"


def run_review(args: Review, say: Callable[[str], None], err: Callable[[str], None]) -> int:
    """The command: a progress line on stderr, Ctrl-C to a clean stop, the outcome's lines."""
    from .usecase import review  # noqa: PLC0415

    cancel = threading.Event()
    progress = ProgressLine(sys.stderr)

    # Ctrl-C: stop handing out files, keep what is done (a second Ctrl-C is the usual KeyboardInterrupt)
    previous = None

    def on_sigint(signum, frame):
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        outcome = review(args, progress=progress, cancel=cancel, stream=sys.stdout,
                         on_done=progress.end)
    finally:
        progress.end()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    for line in outcome.messages:
        say(line)
    for line in outcome.notes:
        err(line)
    return outcome.exit_code

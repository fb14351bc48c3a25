"""Batch reviews running in the background, with progress the page polls and a cancel flag."""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..core.errors import JxzpError


@dataclass
class ReviewJob:
    id: str
    total: int
    out: Path
    done: int = 0
    current: str = ""
    state: str = "running"  # running / finished / cancelled / failed
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    started: float = field(default_factory=time.monotonic)
    cancel: threading.Event = field(default_factory=threading.Event)

    def status(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 and self.done else 0.0
        eta = (self.total - self.done) / rate if rate else None
        return {"id": self.id, "state": self.state, "done": self.done, "total": self.total, "current": self.current,
                "rate": round(rate, 2), "eta_seconds": round(eta, 1) if eta is not None else None,
                "result": self.result, "error": self.error,
                "download": self.state in ("finished", "cancelled") and self.out.is_file()}


class Jobs:
    def __init__(self) -> None:
        self._jobs: dict[str, ReviewJob] = {}
        self._lock = threading.Lock()

    def start(self, total: int, out: Path, run: Callable[[ReviewJob], dict[str, Any]]) -> ReviewJob:
        job = ReviewJob(secrets.token_urlsafe(12), total, out)
        with self._lock:
            self._jobs[job.id] = job

        def work() -> None:
            try:
                job.result = run(job)
                job.state = "cancelled" if job.cancel.is_set() else "finished"
            except JxzpError as e:
                job.error, job.state = e.message, "failed"
            except Exception as e:  # a bug: the page says so instead of spinning forever
                job.error, job.state = f"程序内部错误（{type(e).__name__}）。请把此信息发给维护者", "failed"

        threading.Thread(target=work, name=f"jxzp-review-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> ReviewJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def cancel_all(self) -> None:
        with self._lock:
            for j in self._jobs.values():
                j.cancel.set()

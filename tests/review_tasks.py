"""Per-file tasks that misbehave, for the batch review pool tests (run inside worker processes).

A file's name says what to do: "hang" never returns, "crash" kills its process the hard way,
"hog" allocates until the memory limit stops it; any other file is reviewed normally.
"""
from __future__ import annotations

import os
import signal
import time

from addin.review.check import review_file


def misbehave(path: str):
    name = os.path.basename(path)
    if name.startswith("hang"):
        time.sleep(3600)
    if name.startswith("crash"):
        import faulthandler  # pytest's, inherited by the fork: no traceback dump for an intended crash

        faulthandler.disable()
        os.kill(os.getpid(), signal.SIGSEGV)
    if name.startswith("hog"):
        blocks = []
        while True:  # stopped by RLIMIT_AS (MemoryError) long before the machine notices
            blocks.append(bytearray(64 * 1024 * 1024))
    return review_file(path)

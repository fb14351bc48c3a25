"""Run tools/lo_calc.py (LibreOffice through UNO) from the test interpreter.

python3-uno belongs to Debian's /usr/bin/python3; the tests' interpreter may be another
one, so the UNO side runs as a subprocess and talks JSON.
"""
from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import soffice

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "lo_calc.py"
CANDIDATES = ("/usr/bin/python3", "/usr/local/bin/python3", "python3")


def uno_python() -> str:
    """An interpreter that can import uno, or skip (fail when CI requires LibreOffice)."""
    for exe in CANDIDATES:
        try:
            r = subprocess.run([exe, "-c", "import uno"], capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0:
            return exe
    if os.environ.get("JXZP_REQUIRE_LIBREOFFICE") == "1":
        pytest.fail("python3-uno 未安装（/usr/bin/python3 无法 import uno），但 JXZP_REQUIRE_LIBREOFFICE=1")
    pytest.skip("python3-uno 未安装")


def run_jobs(jobs: list[dict], workdir: Path, timeout: int = 1200) -> list[dict]:
    """All jobs in one soffice session; returns each job's {"results": [...]}."""
    exe = soffice()
    py = uno_python()
    req = {"soffice": exe, "profile": str(workdir / f"lo_profile_{uuid.uuid4().hex[:8]}"), "jobs": jobs}
    rf = workdir / f"uno_request_{uuid.uuid4().hex[:8]}.json"
    rf.write_text(json.dumps(req, ensure_ascii=False), encoding="utf-8")
    r = subprocess.run([py, str(SCRIPT), str(rf)], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)["jobs"]


def as_cell(v) -> list:
    """A core value as the UNO side reports a cell: [kind, value]."""
    from addin.core.numeric import is_error_value, is_number

    if v is None:
        return ["blank", None]
    if isinstance(v, str):
        return ["error", v.strip()] if is_error_value(v) else ["text", v]
    if is_number(v):
        return ["num", float(v)]
    return ["text", str(v)]


def same(got: list, want: list) -> bool:
    if got[0] == "num" and want[0] == "num":
        return abs(got[1] - want[1]) <= 1e-9 * max(1.0, abs(want[1]))
    if got[0] == "blank" and want == ["text", ""]:
        return True
    return got == want


def setter(sheet: str, coord: str, v) -> list:
    """A UNO set instruction for a core value (error literals become formulas that yield them)."""
    from addin.core.numeric import is_error_value, is_number

    if v is None or v == "":
        return [sheet, coord, "blank", None]
    if isinstance(v, str) and is_error_value(v):
        return [sheet, coord, "formula", {"#DIV/0!": "=1/0", "#N/A": "=NA()", "#VALUE!": '="a"+1'}[v]]
    if is_number(v):
        return [sheet, coord, "num", v]
    return [sheet, coord, "text", str(v)]

"""Shared fixtures: the framework, a blank template, the 乐昌 2022 sample, and mutated copies."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from addin.core.evaluate import evaluate
from addin.core.framework import load_framework
from addin.core.validation import validate
from addin.app import write_sample as make_sample, create_template as new_template, open_book


@pytest.fixture(scope="session")
def fw():
    return load_framework()


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("jxzp")


@pytest.fixture(scope="session")
def template_path(session_dir) -> Path:
    return new_template(session_dir / "template.xlsx", year=2022, department="测试局")


@pytest.fixture(scope="session")
def sample_path(session_dir) -> Path:
    return make_sample(session_dir / "sample.xlsx")


@pytest.fixture(scope="session")
def sample_eval(sample_path):
    fw, book = open_book(sample_path)
    return evaluate(fw, book)


@pytest.fixture(scope="session")
def sample_result(sample_path, sample_eval):
    return validate(sample_eval.fw, sample_eval.book, sample_eval)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def mutate(src: Path, dst: Path, cells: dict | None = None, tables: dict | None = None) -> Path:
    """A copy of src with values written by name (through jxzp fill, as a user's file would be)."""
    from addin.app import fill_file as fill

    data = {"cells": [{"name": k, "value": v} for k, v in (cells or {}).items()]}
    if tables:
        data["tables"] = tables
    jf = dst.with_suffix(".json")
    jf.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    rep = fill(src, jf, dst, overwrite=True)
    assert not rep.ignored, rep.ignored
    return dst


def validate_file(path: Path):
    fw, book = open_book(path)
    ev = evaluate(fw, book)
    return ev, validate(fw, book, ev)


def soffice() -> str | None:
    """Path of LibreOffice, or skip (fail when CI requires it)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        if os.environ.get("JXZP_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice (soffice) 未安装，但 JXZP_REQUIRE_LIBREOFFICE=1")
        pytest.skip("LibreOffice (soffice) 未安装")
    return exe


def count_calls(fn) -> int:
    """Function calls (Python and C) made by fn(): a cost that does not depend on the machine's load,
    for tests of how work grows (no test reads a clock)."""
    import sys  # noqa: PLC0415

    count = 0

    def prof(frame, event, arg):
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count

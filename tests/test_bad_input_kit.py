"""Helpers for the bad-input catalogue (test_bad_input_*.py): no tests here.

Every case runs the real command line in-process (`addin.cli.main`), so a case can also
simulate what only Windows does (a locked file) by patching the one OS call involved.
`Guard` checks what every case must keep: the input's bytes, and no temporary files.
"""
from __future__ import annotations

import hashlib
import io
import re
import shutil
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import openpyxl
from openpyxl.worksheet.cell_range import CellRange

from addin import cli

TEMP_GLOB = ".jxzp-*"


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def jxzp(*args) -> Run:
    """`jxzp ARGS` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli.main([str(a) for a in args])
        except SystemExit as e:  # argparse
            code = e.code if isinstance(e.code, int) else 2
    return Run(code, out.getvalue(), err.getvalue())


def expect(run: Run, code: int, *phrases: str) -> Run:
    """Exit code, no traceback, and every phrase (place, problem, fix) in what the user sees."""
    assert run.code == code, f"exit {run.code} != {code}\n{run.text[-3000:]}"
    assert "Traceback" not in run.text and "程序内部错误" not in run.text, run.text[-3000:]
    for p in phrases:
        assert p in run.text, f"“{p}” not in output:\n{run.text[-3000:]}"
    return run


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class Guard:
    """Input files keep their bytes; no `.jxzp-*` temporary file stays in the watched folders."""

    def __init__(self, inputs: Iterable[Path], folders: Iterable[Path]):
        self.hashes = {Path(p): sha256(p) for p in inputs if Path(p).is_file()}
        self.folders = [Path(f) for f in folders]

    def check(self) -> None:
        for p, h in self.hashes.items():
            assert sha256(p) == h, f"input {p} was modified"
        for f in self.folders:
            left = sorted(x.name for x in f.glob(TEMP_GLOB))
            assert not left, f"temporary files left in {f}: {left}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.check()
        return False


def copy_to(src: Path, folder: Path, name: str = "自评表.xlsx") -> Path:
    dst = folder / name
    shutil.copy(src, dst)
    return dst


# ---------------------------------------------------------------- building damaged workbooks
def edit_book(src: Path, dst: Path, fn: Callable) -> Path:
    """openpyxl round trip with fn(wb) applied (as a user's program would save it)."""
    wb = openpyxl.load_workbook(src)
    fn(wb)
    wb.save(dst)
    return dst


def rewrite_zip(src: Path, dst: Path, edit: Callable[[str, bytes], bytes | None] | None = None,
                extra: dict[str, bytes] | None = None, compression=zipfile.ZIP_DEFLATED) -> Path:
    """Copy the package part by part; edit(name, data) may change or drop (None) a part."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if edit is not None:
                data = edit(info.filename, data)
            if data is not None:
                zout.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def sheet_part(path: Path, sheet: str) -> str:
    """Package part name of a sheet (xl/worksheets/sheetN.xml)."""
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode("utf-8")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    rid = re.search(r'<sheet [^>]*name="%s"[^>]*r:id="([^"]+)"' % re.escape(sheet), wb)
    if rid is None:
        rid = re.search(r'<sheet [^>]*r:id="([^"]+)"[^>]*name="%s"' % re.escape(sheet), wb)
    target = re.search(r'<Relationship [^>]*Id="%s"[^>]*Target="([^"]+)"' % rid.group(1), rels) or \
        re.search(r'<Relationship [^>]*Target="([^"]+)"[^>]*Id="%s"' % rid.group(1), rels)
    t = target.group(1)
    return t.lstrip("/") if t.startswith("/") else "xl/" + t


def name_address(path: Path, name: str) -> tuple[str, str]:
    wb = openpyxl.load_workbook(path)
    (sheet, coord), = list(wb.defined_names[name].destinations)
    return sheet, coord.replace("$", "")


def set_raw_cell(src: Path, dst: Path, where: str, cell_xml: Callable[[str, str], str]) -> Path:
    """Replace the XML of one cell (a defined name, or "Sheet!A1"): cell_xml(coord, style_attr) -> '<c .../>'.

    For what openpyxl cannot write but files contain: Excel's _xHHHH_ escapes, 400-digit numbers.
    """
    sheet, coord = where.split("!") if "!" in where else name_address(src, where)
    part = sheet_part(src, sheet)

    def edit(n: str, data: bytes) -> bytes:
        if n != part:
            return data
        text = data.decode("utf-8")
        pat = re.compile(r'<c r="%s"( s="\d+")?( t="\w+")?\s*(/>|>.*?</c>)' % coord, re.S)
        m = pat.search(text)
        assert m, f"cell {coord} not found in {part}"
        return (text[:m.start()] + cell_xml(coord, m.group(1) or "") + text[m.end():]).encode("utf-8")

    return rewrite_zip(src, dst, edit)


def inline_text(text: str) -> Callable[[str, str], str]:
    """cell_xml for set_raw_cell: a text cell as Excel stores it (text already _xHHHH_-escaped)."""
    return lambda coord, style: f'<c r="{coord}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def with_doctype(xml: bytes, doctype: bytes) -> bytes:
    """A DOCTYPE placed where XML allows it: after the declaration, before the root element."""
    m = re.match(rb"\s*<\?xml[^>]*\?>", xml)
    if m:
        return xml[:m.end()] + doctype + xml[m.end():]
    return doctype + xml


def excel_insert_rows(wb, sheet: str, idx: int, n: int = 1, *, move_names: bool = True) -> None:
    """Insert rows as Excel does (merged ranges follow; defined names follow when move_names).

    openpyxl's insert_rows moves only the cells; move_names=False is a program that forgot the names.
    """
    ws = wb[sheet]
    merged = [CellRange(str(r)) for r in ws.merged_cells.ranges]
    for r in merged:
        ws.unmerge_cells(str(r))
    ws.insert_rows(idx, n)
    for r in merged:
        if r.min_row >= idx:
            r.shift(row_shift=n)
        elif r.max_row >= idx:
            r.expand(down=n)
        ws.merge_cells(r.coord)
    if move_names:
        _shift_names(wb, sheet, idx, n)


def excel_delete_rows(wb, sheet: str, idx: int, n: int = 1, *, move_names: bool = True) -> None:
    ws = wb[sheet]
    merged = [CellRange(str(r)) for r in ws.merged_cells.ranges]
    for r in merged:
        ws.unmerge_cells(str(r))
    ws.delete_rows(idx, n)
    for r in merged:
        if r.min_row >= idx + n:
            r.shift(row_shift=-n)
            ws.merge_cells(r.coord)
        elif r.max_row < idx:
            ws.merge_cells(r.coord)
    if move_names:
        _shift_names(wb, sheet, idx + n, -n)


def _shift_names(wb, sheet: str, idx: int, n: int) -> None:
    def shift(m):
        row = int(m.group(2))
        return f"{m.group(1)}${row + n if row >= idx else row}"

    for _, dn in list(wb.defined_names.items()):
        text = dn.attr_text or ""
        if text.strip("=").lstrip("'").startswith(sheet):
            dn.attr_text = re.sub(r"(\$[A-Z]+)\$(\d+)", shift, text)

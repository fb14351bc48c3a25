"""The lean reader of batch review gives exactly what reader.read_book gives, on the sample and
on workbooks as other programs save them (shared strings, dates, rich text, shared formulas,
moved rows, odd cell XML); a damaged file gets the same message."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest

from addin.core.errors import InputError
from addin.xlsx.fastread import read_book_fast
from addin.xlsx.reader import read_book
from conftest import soffice
from test_bad_input_kit import edit_book, excel_insert_rows, rewrite_zip, set_raw_cell, with_doctype


def same(path) -> None:
    slow, fast = read_book(path), read_book_fast(path)
    assert fast.sheets == slow.sheets and fast.framework_id == slow.framework_id
    assert fast.template_version == slow.template_version and fast.overflow == slow.overflow
    assert fast.names.keys() == slow.names.keys()
    for name, ref in slow.names.items():
        assert fast.names[name] == ref, name
    assert fast == slow


def test_sample_is_read_without_openpyxl_reader(sample_path, monkeypatch):
    same(sample_path)
    import addin.xlsx.fastread as fr

    monkeypatch.setattr(fr.reader, "read_book", lambda p: pytest.fail("fell back to openpyxl"))
    read_book_fast(sample_path)  # the lean path handles the template as jxzp writes it


def test_saved_by_openpyxl_with_dates_booleans_formulas(sample_path, tmp_path):
    def edit(wb):
        ws = wb["基本信息"]
        for row in ws.iter_rows():
            for c in row:
                if c.value == "报告日期":
                    target = ws.cell(c.row, c.column + 1)
                    target.value = dt.datetime(2023, 3, 31)
                    target.number_format = "yyyy-mm-dd"
        ws["D3"] = True
        ws["D4"] = "=1/0"

    same(edit_book(sample_path, tmp_path / "openpyxl.xlsx", edit))


def test_rows_moved_without_names(sample_path, tmp_path):
    p = edit_book(sample_path, tmp_path / "moved.xlsx",
                  lambda wb: excel_insert_rows(wb, "基本信息", 5, 2, move_names=False))
    same(p)
    assert any(r.problem for r in read_book_fast(p).names.values())


def test_sheet_renamed(sample_path, tmp_path):
    same(edit_book(sample_path, tmp_path / "renamed.xlsx", lambda wb: setattr(wb["项目清单"], "title", "项目表")))


@pytest.mark.parametrize("xml", [
    '<c r="{c}"{s} t="inlineStr"><is><r><t>甲</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 乙 </t></r>'
    '<rPh sb="0" eb="1"><t>ジャ</t></rPh></is></c>',  # rich text with a phonetic run
    '<c r="{c}"{s} t="e"><v>#DIV/0!</v></c>',
    '<c r="{c}"{s} t="str"><v>公式文字</v></c>',
    '<c r="{c}"{s} t="b"><v>1</v></c>',
    '<c r="{c}"{s}><v>1E3</v></c>',
    '<c r="{c}"{s}><v></v></c>',
    '<c r="{c}"{s} t="d"><v>2023-03-31T00:00:00</v></c>',
    '<c r="{c}"{s}><v>12</v><f>SUM(1,11)</f></c>',  # children out of schema order
    '<c{s}><v>5</v></c>',  # no reference: the lean reader hands over to openpyxl
    '<c r="{c}"{s}><f t="shared" ref="{c}:{c}" si="7">1+1</f><v>2</v></c>',
])
def test_odd_cell_xml(sample_path, tmp_path, xml):
    p = set_raw_cell(sample_path, tmp_path / "odd.xlsx", "f_budget_initial",
                     lambda coord, style: xml.replace("{c}", coord).replace("{s}", style))
    same(p)


def test_damaged_files_get_the_same_message(sample_path, tmp_path):
    cases = [
        rewrite_zip(sample_path, tmp_path / "dtd.xlsx", lambda n, d: with_doctype(
            d, b'<!DOCTYPE x [<!ENTITY a "b">]>') if n.endswith("sheet2.xml") else d),
        rewrite_zip(sample_path, tmp_path / "broken.xlsx", lambda n, d: d[: len(d) // 2] if n.endswith("sheet3.xml") else d),
    ]
    trunc = tmp_path / "trunc.xlsx"
    trunc.write_bytes(sample_path.read_bytes()[:5000])
    for p in [*cases, trunc]:
        with pytest.raises(InputError) as slow:
            read_book(p)
        with pytest.raises(InputError) as fast:
            read_book_fast(p)
        assert fast.value.message == slow.value.message, p.name


@pytest.mark.libreoffice
def test_saved_by_libreoffice_shared_strings(sample_path, tmp_path):
    exe = soffice()
    src = tmp_path / "in" / "lo.xlsx"
    src.parent.mkdir()
    shutil.copy(sample_path, src)
    out = tmp_path / "out"
    subprocess.run([exe, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(src)],
                   check=True, capture_output=True, timeout=300)
    import zipfile

    with zipfile.ZipFile(out / "lo.xlsx") as z:
        assert "xl/sharedStrings.xml" in z.namelist()
    same(out / "lo.xlsx")

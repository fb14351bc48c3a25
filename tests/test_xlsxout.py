"""The streaming .xlsx writer of the review summary (addin/review/xlsxout.py): what it writes is what
openpyxl (and Excel's rules) read back — hostile text, numbers, styles, hyperlinks, the table."""
from __future__ import annotations

import posixpath
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from addin.review.xlsxout import MAX_TEXT, Cell, Link, StreamWorkbook

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# CT_Worksheet is a sequence: Excel calls a file corrupt when its children come in another order
WORKSHEET_ORDER = ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
                   "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
                   "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
                   "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks",
                   "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
                   "legacyDrawing", "legacyDrawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                   "tableParts", "extLst"]


def check_package(path: Path) -> dict[str, etree._Element]:
    """Every part well-formed XML, typed in [Content_Types].xml, every internal relationship pointing at a
    part, worksheet children in schema order. Returns the parsed parts."""
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        parts = {n: etree.fromstring(zf.read(n)) for n in zf.namelist()}
    types = parts.pop("[Content_Types].xml")
    overrides = {e.get("PartName").lstrip("/") for e in types if e.tag.endswith("Override")}
    defaults = {e.get("Extension") for e in types if e.tag.endswith("Default")}
    for name in parts:
        if name.endswith(".rels"):
            assert "rels" in defaults
            base = posixpath.dirname(posixpath.dirname(name))
            for rel in parts[name]:
                if rel.get("TargetMode") != "External":
                    target = posixpath.normpath(posixpath.join(base, rel.get("Target")))
                    assert target in parts, (name, rel.get("Target"))
        else:
            assert name in overrides, name
    assert overrides <= set(parts)
    for name, root in parts.items():
        if name.startswith("xl/worksheets/sheet"):
            tags = [etree.QName(e).localname for e in root]
            assert tags == sorted(tags, key=WORKSHEET_ORDER.index), (name, tags)
            assert len(tags) == len(set(tags)), tags
    return parts


HOSTILE = [
    ("a\x00b\x07c\x1fd", "a\ufffdb\ufffdc\ufffdd"),  # control characters XML 1.0 cannot hold
    ("<&>\"' </t></is></c>", "<&>\"' </t></is></c>"),
    ("]]><!-- x -->&amp;", "]]><!-- x -->&amp;"),
    ("tab\tline\nbreak", "tab\tline\nbreak"),
    ("  spaces kept  ", "  spaces kept  "),
    ("x\ud800y\udfffz", "x\ufffdy\ufffdz"),  # lone surrogates
    ("\ufffe\uffff", "\ufffd\ufffd"),
    ("部门_x0041_名", "部门_x0041_名"),  # Excel's own escape, kept literal (written as _x005F_x0041_)
    ("", ""),
]


def _write(path: Path, rows, **sheet) -> None:
    with StreamWorkbook(path) as wb:
        ws = wb.add_sheet(sheet.pop("name", "表"), **sheet)
        for row in rows:
            ws.append(row)


def test_hostile_text_is_escaped(tmp_path):
    out = tmp_path / "h.xlsx"
    long_text = "长" * (MAX_TEXT + 5000)
    astral = "😀" * 20_000  # two UTF-16 units each, as Excel counts
    _write(out, [[text, Cell(text, 0)] for text, _ in HOSTILE] + [[long_text, astral]], name="A&B <'x'>")
    parts = check_package(out)
    xml = etree.tostring(parts["xl/worksheets/sheet1.xml"], encoding="unicode")
    assert "_x005F_x0041_" in xml
    ws = openpyxl.load_workbook(out)["A&B <'x'>"]
    got = [[c.value for c in row] for row in ws.iter_rows()]
    for (text, want), row in zip(HOSTILE, got):
        want = want.replace("_x0041_", "_x005F_x0041_")  # openpyxl leaves Excel's escape as written
        assert row == [want, want], (text, row)
    long_row = got[len(HOSTILE)]
    assert len(long_row[0]) == MAX_TEXT and long_row[0].endswith("…") and long_row[0][:-1] == long_text[:MAX_TEXT - 1]
    assert len(long_row[1].encode("utf-16-le")) // 2 <= MAX_TEXT and long_row[1].endswith("…")


def test_values_numbers_and_types(tmp_path):
    np = pytest.importorskip("numpy")
    out = tmp_path / "n.xlsx"
    row = [1, -1.0, 0.1 + 0.2, 1e-300, 2.5e20, True, False, None, float("nan"), float("inf"), np.int64(7),
           np.float64(2.5), np.bool_(True), "z", 10**20]
    _write(out, [row])
    got = [c.value for c in next(openpyxl.load_workbook(out)["表"].iter_rows())]
    assert got[:8] == [1, -1, 0.30000000000000004, 1e-300, 2.5e20, True, False, None]
    assert type(got[1]) is int  # an integral float is written as Excel writes it
    assert got[8:10] == [None, None]  # no NaN or infinity in a cell
    assert got[10:14] == [7, 2.5, True, "z"] and got[14] == 10**20


def test_styles_widths_freeze_and_page_setup(tmp_path):
    out = tmp_path / "s.xlsx"
    with StreamWorkbook(out) as wb:
        head = wb.style(bold=True, fill="DDEBF7")
        title = wb.style(bold=True, size=13, color="C00000")
        pct, num = wb.style(fmt="0.00%"), wb.style(fmt="0.0#")
        wrap = wb.style(wrap=True, valign="top")
        assert wb.style(bold=True, fill="DDEBF7") == head  # declared once
        ws = wb.add_sheet("一", widths=[6, 30.5], freeze="C3")
        ws.append([Cell("标题", title)])
        ws.append([Cell("甲", head), Cell("乙", head)])
        ws.append([Cell(0.125, pct), Cell(1.5, num), Cell("很长的说明", wrap), Cell(None, pct)])
        wb.add_sheet("二", freeze="A2", landscape=False).append(["x"])
    check_package(out)
    book = openpyxl.load_workbook(out)
    ws = book["一"]
    assert ws["A1"].font.b and ws["A1"].font.sz == 13 and ws["A1"].font.color.rgb.endswith("C00000")
    assert ws["A2"].font.b and ws["A2"].fill.fill_type == "solid" and ws["A2"].fill.fgColor.rgb.endswith("DDEBF7")
    assert ws["A3"].number_format == "0.00%" and ws["A3"].value == 0.125 and ws["B3"].number_format == "0.0#"
    assert ws["C3"].alignment.wrap_text and ws["C3"].alignment.vertical == "top"
    assert ws["D3"].value is None and ws["D3"].number_format == "0.00%"  # a styled empty cell
    assert not ws["A3"].font.b and ws["A3"].fill.fill_type is None
    assert ws.freeze_panes == "C3" and ws.column_dimensions["A"].width == 6 and ws.column_dimensions["B"].width == 30.5
    ps = ws.page_setup
    assert (ps.orientation, str(ps.paperSize), ps.fitToWidth, ps.fitToHeight) == ("landscape", "9", 1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    two = book["二"]
    assert two.freeze_panes == "A2" and two.page_setup.orientation is None
    assert book.sheetnames == ["一", "二"]


def test_hyperlinks_and_table(tmp_path):
    out = tmp_path / "t.xlsx"
    with StreamWorkbook(out) as wb:
        link = wb.style(color="0563C1", underline=True)
        ws = wb.add_sheet("清单", freeze="A2")
        ws.append(["文件", "单元格", "说明 & <备注>"])
        ws.append([Cell("a.xlsx", link, Link("sub/a b&c.xlsx")), Cell("B5", link, Link("sub/a b&c.xlsx", "'基本 信息'!B5")),
                   "x"])
        ws.append(["b.xlsx", Cell("本表", link, Link(None, "'清单'!A1")), "y"])
        ws.add_table("问题清单", ["文件", "单元格", "说明 & <备注>"])
        wb.add_sheet("空的")  # no rows, no links: no relationships part
    parts = check_package(out)
    assert "xl/worksheets/_rels/sheet2.xml.rels" not in parts and "xl/tables/table1.xml" in parts
    ws = openpyxl.load_workbook(out)["清单"]
    a, b5, inner = ws["A2"], ws["B2"], ws["B3"]
    assert (a.hyperlink.target, a.hyperlink.location) == ("sub/a b&c.xlsx", None)
    assert (b5.hyperlink.target, b5.hyperlink.location) == ("sub/a b&c.xlsx", "'基本 信息'!B5")
    assert inner.hyperlink.target is None and inner.hyperlink.location == "'清单'!A1"
    assert a.font.color.rgb.endswith("0563C1") and a.font.u == "single" and ws["A3"].hyperlink is None
    (table,) = [ws.tables[k] for k in ws.tables]
    assert table.displayName == "问题清单" and table.ref == "A1:C3" and table.autoFilter.ref == "A1:C3"
    assert [c.name for c in table.tableColumns] == ["文件", "单元格", "说明 & <备注>"]
    assert table.tableStyleInfo.name == "TableStyleLight9" and table.tableStyleInfo.showRowStripes
    with pytest.raises(ValueError):
        StreamWorkbook(tmp_path / "x.xlsx").add_sheet("头").add_table("t", ["a"])  # a header and no rows


def test_empty_workbook_and_bad_sheet_names(tmp_path):
    out = tmp_path / "e.xlsx"
    with StreamWorkbook(out):
        pass
    check_package(out)
    assert openpyxl.load_workbook(out).sheetnames == ["Sheet1"]
    wb = StreamWorkbook(tmp_path / "b.xlsx")
    for bad in ("", "a/b", "x" * 32):
        with pytest.raises(ValueError):
            wb.add_sheet(bad)
    wb.add_sheet("a")
    with pytest.raises(ValueError):
        wb.add_sheet("a")
    wb.close()


def test_an_error_leaves_no_half_written_sheet_open(tmp_path):
    out = tmp_path / "err.xlsx"
    with pytest.raises(RuntimeError), StreamWorkbook(out) as wb:
        wb.add_sheet("a").append(["x"])
        raise RuntimeError("stop")
    with zipfile.ZipFile(out) as zf:  # closed, but unfinished: the caller removes it (atomic_write does)
        assert "xl/workbook.xml" not in zf.namelist()


def test_memory_stays_flat_as_rows_grow(tmp_path):
    """Rows go to a file as they come: 10x the rows, not 10x the memory."""

    def peak(n: int) -> int:
        tracemalloc.start()
        with StreamWorkbook(tmp_path / f"m{n}.xlsx") as wb:
            ws = wb.add_sheet("m")
            for i in range(n):
                ws.append([f"文件{i}.xlsx", i, i / 7, Cell(f"说明 {i} " * 5, 0, Link(f"f{i}.xlsx", "'表'!A1"))])
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return size

    small, big = peak(4_000), peak(40_000)
    assert big < small + 2_000_000, (small, big)

"""The streaming .xlsx reader (addin/xlsx/stream.py) reads cells as openpyxl does, and keeps
heavy modules off the command path."""
from __future__ import annotations

import datetime as dt
import gc
import subprocess
import sys
import zipfile

import pytest

from addin.xlsx import stream
from addin.xlsx.reader import read_book
from conftest import count_calls

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
R_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

SHEET = f"""<?xml version="1.0" encoding="UTF-8"?>
<worksheet {NS}><dimension ref="A1:F9"/><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>内联</t></is></c>
  <c r="D1" t="inlineStr"><is><r><t>富</t></r><r><t>文本</t></r></is></c><c r="E1" t="s"><v>2</v></c></row>
<row r="2"><c r="A2"><v>42</v></c><c r="B2"><v>4.2</v></c><c r="C2"><v>1E+20</v></c><c r="D2" t="b"><v>1</v></c>
  <c r="E2" t="e"><v>#DIV/0!</v></c><c r="F2" t="str"><f>"a"&amp;"b"</f><v>ab</v></c></row>
<row r="3"><c r="A3" s="1"><v>44927</v></c><c r="B3" s="2"><v>44927.5</v></c><c r="C3" s="3"><v>1.25</v></c>
  <c r="D3" s="4"><v>0.5</v></c><c r="E3" s="5"><v>44927</v></c><c r="F3" t="d"><v>2023-01-02T03:04:05</v></c></row>
<row r="4"><c r="A4"><f t="shared" ref="A4:C6" si="0">B4*2+$B$1+SUM(A$1:B1)+Sheet2!C4&amp;"A1"</f><v>1</v></c>
  <c r="B4"><f t="shared" si="0"/><v>1</v></c><c r="C4"><f t="array" ref="C4">SUM(A1:A2*B1:B2)</f><v>1</v></c></row>
<row r="5"><c r="A5"><f t="shared" si="0"/></c><c r="C5"><f>LOG10(A1)+'It''s'!A1</f></c></row>
<row r="6"><c r="A6"><f t="shared" si="0"/></c></row>
<row><c><v>7</v></c><c><v>8</v></c><c r="E7"><v>9</v></c><c><v>10</v></c></row>
<row r="9"><c r="B9" t="inlineStr"><is><t></t></is></c><c r="C9"><v></v></c><c r="D9" s="1"/><c><v>11</v></c></row>
</sheetData></worksheet>"""

STRINGS = f"""<?xml version="1.0" encoding="UTF-8"?>
<sst {NS} count="3" uniqueCount="3"><si><t>项目</t></si>
<si><r><t>预算</t></r><r><rPr><b/></rPr><t>执行率</t></r><rPh sb="0" eb="1"><t>よみ</t></rPh></si>
<si><t xml:space="preserve">a_x005F_x000B_b  </t></si></sst>"""

STYLES = f"""<?xml version="1.0" encoding="UTF-8"?>
<styleSheet {NS}><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>
<numFmt numFmtId="165" formatCode="[h]:mm"/></numFmts>
<fonts count="1"><font><sz val="11"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="22"/><xf numFmtId="165"/><xf numFmtId="20"/>
<xf numFmtId="164"/></cellXfs></styleSheet>"""

WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook {NS} {R_NS}><sheets><sheet name="数据 表" sheetId="1" r:id="rId1"/><sheet name="It's" sheetId="2" r:id="rId2"/>
</sheets><definedNames><definedName name="p_name">'数据 表'!$A$1:$A$3</definedName>
<definedName name="two">'数据 表'!$A$1,'It''s'!$B$2</definedName><definedName name="k">"gd"</definedName>
<definedName name="_xlnm.Print_Titles" localSheetId="0">'数据 表'!$1:$1</definedName></definedNames></workbook>"""


def _package(path):
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/worksheets/sheet2.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        f'package/2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL}/worksheet" Target="/xl/worksheets/sheet2.xml"/>'
        f'<Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId4" Type="{REL}/styles" Target="styles.xml"/></Relationships>',
        "xl/workbook.xml": WORKBOOK,
        "xl/worksheets/sheet1.xml": SHEET,
        "xl/worksheets/sheet2.xml": f'<?xml version="1.0"?><worksheet {NS}><sheetData/></worksheet>',
        "xl/sharedStrings.xml": STRINGS,
        "xl/styles.xml": STYLES,
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


def _openpyxl_cells(path):
    """What openpyxl's read-only mode (the previous reader) gives: (row, col) -> (value, formula)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    out = {}
    for row in wb["数据 表"].iter_rows():
        for c in row:
            if getattr(c, "row", None) is None or c.value is None:
                continue
            v = c.value
            if c.data_type == "f":
                text = v if isinstance(v, str) else v.text
                out[(c.row, c.column)] = (None, text)
            else:
                out[(c.row, c.column)] = (v, None)
    wb.close()
    return out


@pytest.mark.parametrize("how", ["zip", "whole", "streamed"])
def test_cells_read_as_openpyxl_reads_them(tmp_path, monkeypatch, how):
    """Three ways to the same cells: streamed from the zip, parts kept by the screening and parsed
    whole (small parts), or kept and streamed (parts over WHOLE_PART_BYTES)."""
    from addin.xlsx.files import check_workbook_file

    path = _package(tmp_path / "t.xlsx")
    parts: dict = {}
    members: set = set()
    if how != "zip":
        check_workbook_file(path, keep=parts, members=members)
        assert "xl/worksheets/sheet1.xml" in parts
    if how == "streamed":
        monkeypatch.setattr(stream, "WHOLE_PART_BYTES", 0)
    wb = stream.Workbook(path, parts, members or None)
    ours = {(r, c): (v, f) for r, c, v, f in wb["数据 表"].iter_cells(1, 100, 1, 10)}
    wb.close()
    theirs = _openpyxl_cells(path)
    theirs.pop((9, 2), None)  # openpyxl reads an empty inline string as "", we too; see below
    ours_cmp = {k: v for k, v in ours.items() if k != (9, 2)}
    assert ours_cmp == theirs
    assert ours[(1, 2)] == ("预算执行率", None)  # rich text without the phonetic guide
    assert ours[(2, 1)] == (42, None) and isinstance(ours[(2, 1)][0], int)
    assert ours[(3, 1)][0] == dt.datetime(2023, 1, 1)
    assert ours[(3, 3)][0] == dt.timedelta(days=1.25)
    assert ours[(3, 4)][0] == dt.time(12, 0)
    assert ours[(5, 1)][1] == '=B5*2+$B$1+SUM(A$1:B2)+Sheet2!C5&"A1"'  # shared formula moved down one row
    assert ours[(4, 2)][1] == '=C4*2+$B$1+SUM(B$1:C1)+Sheet2!D4&"A1"'  # and right one column
    assert ours[(5, 3)][1] == "=LOG10(A1)+'It''s'!A1"  # a function name is not a cell
    assert ours[(7, 1)][0] == 7 and ours[(7, 2)][0] == 8 and ours[(7, 5)][0] == 9 and ours[(7, 6)][0] == 10


def test_chinese_date_format_ids_are_dates(tmp_path):
    path = _package(tmp_path / "t.xlsx")
    wb = stream.Workbook(path)
    cells = {(r, c): v for r, c, v, f in wb["数据 表"].iter_cells(3, 3, 5, 5)}
    wb.close()
    assert cells[(3, 5)] == dt.datetime(2023, 1, 1)  # yyyy"年"m"月"d"日"


def test_window_and_early_stop(tmp_path):
    path = _package(tmp_path / "t.xlsx")
    wb = stream.Workbook(path)
    cells = list(wb["数据 表"].iter_cells(2, 3, 2, 3))
    wb.close()
    assert {(r, c) for r, c, _, _ in cells} == {(2, 2), (2, 3), (3, 2), (3, 3)}


def test_defined_names_and_destinations(tmp_path):
    wb = stream.Workbook(_package(tmp_path / "t.xlsx"))
    assert wb.sheetnames == ["数据 表", "It's"]
    names = wb.defined_names
    assert "_xlnm.Print_Titles" not in names  # sheet-scoped
    assert names["p_name"].destinations == [("数据 表", "$A$1:$A$3")]
    assert names["two"].destinations == [("数据 表", "$A$1"), ("It's", "$B$2")]
    assert names["k"].destinations == []
    wb.close()
    assert stream.destinations("#REF!") == [] and stream.destinations("=OFFSET(A!$A$1,1,1)") == []
    assert stream.range_bounds("$B$4:$B$203") == (2, 4, 2, 203)
    assert stream.range_bounds("A:A") == (1, None, 1, None)
    assert [stream.get_column_letter(n) for n in (1, 26, 27, 702, 703, 16384)] == ["A", "Z", "AA", "ZZ", "AAA", "XFD"]
    assert stream.column_index("XFD") == 16384


def test_reading_the_sample_leaves_gc_as_it_was(sample_path):
    assert gc.isenabled()
    book = read_book(sample_path)
    assert gc.isenabled() and book.names


@pytest.mark.parametrize("command", ["validate", "report"])
def test_commands_import_no_heavy_module(sample_path, tmp_path, command):
    """validate and report load neither numpy, pandas, matplotlib, PIL, openpyxl nor defusedxml."""
    args = [command, str(sample_path)] + (["-o", str(tmp_path / "r.docx"), "--force"] if command == "report" else [])
    code = ("import sys, runpy; sys.argv = ['jxzp'] + sys.argv[1:]\n"
            "try:\n    runpy.run_module('addin.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "heavy = ('numpy', 'pandas', 'matplotlib', 'PIL', 'openpyxl', 'defusedxml', 'multiprocessing', 'sqlite3', "
            "'flask')\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))")
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stdout[-500:] + r.stderr[-2000:]
    assert ("校验" in r.stdout) if command == "validate" else (tmp_path / "r.docx").exists()


@pytest.mark.parametrize("formula,d,expected", [
    ("A1+B$2+$C3+$D$4", (1, 1), "B2+C$2+$C4+$D$4"),
    ('"A1"&A1', (2, 0), '"A1"&A3'),
    ("'Sheet 1'!A1+Sheet1!B2", (1, 0), "'Sheet 1'!A2+Sheet1!B3"),
    ("A1", (-1, 0), "#REF!"),
    ("SUM(A1:A3)*ATAN2(1,1)", (0, 1), "SUM(B1:B3)*ATAN2(1,1)"),
])
def test_shared_formula_shift(formula, d, expected):
    assert stream.shift_formula(formula, *d) == expected


def _with_projects(book, n: int):
    """The sample's BookData with n filled 项目清单 rows (as a workbook sized for them would read)."""
    import copy

    from addin.core.model import Cell

    b = copy.deepcopy(book)
    first = {name: ref.cells[0] for name, ref in b.names.items() if name.startswith("p_") and ref.cells}
    for name, c0 in first.items():
        col = c0.coord.rstrip("0123456789")
        row0 = int(c0.coord[len(col):])
        cells = []
        for i in range(n):
            value = {"p_name": f"项目{i}", "p_budget": 1000.0 + i, "p_spent": 900.0 + i,
                     "p_has_targets": "是", "p_on_time": "否" if i % 7 == 0 else "是"}.get(name)
            formula = stream.shift_formula(c0.formula, i, 0) if c0.formula else None
            cells.append(Cell(c0.sheet, f"{col}{row0 + i}", None if formula else value, formula))
        b.names[name].cells = cells
    return b


def test_evaluation_and_rules_grow_linearly_with_project_rows(sample_path):
    """Work (function calls, not seconds: no clock is read) for 8× the 项目清单 rows stays under 10×."""
    from addin.core.evaluate import evaluate
    from addin.core.validation import validate
    from addin.app.books import open_book

    fw, book = open_book(sample_path)

    def calls(n: int) -> int:
        b = _with_projects(book, n)
        return count_calls(lambda: validate(fw, b, evaluate(fw, b)))

    small, large = calls(250), calls(2000)
    assert large / small < 10, (small, large)


@pytest.mark.parametrize("cell", ['<c r="A1"><v>1,5</v></c>', '<c r="A1" t="s"><v>99</v></c>', '<c r="1A"><v>1</v></c>'])
def test_a_malformed_sheet_is_an_input_error_naming_the_sheet(tmp_path, cell):
    from addin.core.errors import InputError

    sheet = f'<?xml version="1.0"?><worksheet {NS}><sheetData><row r="1">{cell}</row></sheetData></worksheet>'
    path = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(_package(tmp_path / "t.xlsx")) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = sheet.encode() if info.filename == "xl/worksheets/sheet1.xml" else src.read(info)
            dst.writestr(info, data)
    wb = stream.Workbook(path)
    with pytest.raises(stream.MalformedPart, match="数据 表"):
        list(wb["数据 表"].iter_cells(1, 10, 1, 10))
    wb.close()
    with pytest.raises(InputError, match="无法作为工作簿读取"):
        read_book(path)

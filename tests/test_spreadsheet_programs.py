"""The workbook's promises to other spreadsheet programs, checked on the files (no LibreOffice).

What LibreOffice computes from these formulas is in tests/test_live_values.py.
"""
from __future__ import annotations

import re
import zipfile

import pytest
from openpyxl import load_workbook

from addin.core.formulas import accepted_formulas, computed_formulas, template_udfs
from addin.core.native import NATIVE_FUNCTIONS
from addin.xlsx.template import EXCEL_CALC_ID
from conftest import validate_file

UDF_CALL = re.compile(r"\b(" + "|".join(template_udfs()) + r")\(")


def _formula_cells(path):
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    yield ws.title, c.coordinate, str(c.value)


def _depth(formula: str) -> int:
    depth = best = 0
    in_str = False
    for ch in formula:
        if ch == '"':
            in_str = not in_str
        elif not in_str and ch == "(":
            depth += 1
            best = max(best, depth)
        elif not in_str and ch == ")":
            depth -= 1
    return best


def test_excel_keeps_the_cached_values_on_open(template_path, sample_path):
    for path in (template_path, sample_path):
        with zipfile.ZipFile(path) as z:
            calc = re.search(r"<calcPr[^>]*/>", z.read("xl/workbook.xml").decode()).group(0)
        assert f'calcId="{EXCEL_CALC_ID}"' in calc
        assert 'fullCalcOnLoad="1"' not in calc


def test_every_udf_call_is_guarded_by_a_native_formula(template_path):
    cells = list(_formula_cells(template_path))
    calls = 0
    for sheet, coord, f in cells:
        for m in UDF_CALL.finditer(f):
            calls += 1
            # the UDF call is IFERROR's first argument: without the add-in IFERROR shows the native part
            assert f[:m.start()].endswith("IFERROR("), (sheet, coord, f[:120])
        used = set(re.findall(r"\b([A-Z][A-Z0-9_.]*)\(", f)) - set(template_udfs())
        assert used <= NATIVE_FUNCTIONS | {"SUM", "COUNTIFS", "OR", "AND"}, (sheet, coord, used)
        assert len(f) < 8192 and _depth(f) < 64, (sheet, coord)  # Excel's formula limits
        assert "TRUE" not in f.replace('"', " ").split() and "FALSE" not in f  # LibreOffice rewrites them
    assert calls >= 200  # 28 metric and score cells + 200 project rows


@pytest.mark.parametrize("variant", [0, 1])
def test_r04_accepts_todays_and_older_formulas_and_finds_edits(sample_path, fw, tmp_path, variant):
    """variant 0: today's formulas; 1: workbooks from before the fallbacks (bare UDF calls)."""
    wb = load_workbook(sample_path)
    accepted = accepted_formulas(fw)
    replaced = 0
    for name, forms in accepted.items():
        if len(forms) < 2:
            continue
        dest = list(wb.defined_names[name].destinations)[0]
        wb[dest[0]][dest[1].replace("$", "")].value = forms[variant]
        replaced += 1
    assert replaced >= 20
    edited = next(n for n, f in accepted.items() if len(f) > 1 and n.startswith("m_"))
    dest = list(wb.defined_names[edited].destinations)[0]
    wb[dest[0]][dest[1].replace("$", "")].value = "=0.5"
    out = tmp_path / "book.xlsx"
    wb.save(out)
    _, result = validate_file(out)
    r04 = {f.name for f in result.findings if f.rule.startswith("R04")}
    assert r04 == {edited}


def test_the_guide_sheet_no_longer_promises_name_errors(template_path):
    wb = load_workbook(template_path)
    text = " ".join(str(c.value) for row in wb["填表说明"].iter_rows() for c in row if c.value)
    assert "#NAME?" not in text and "准备发送" in text


def test_computed_formulas_are_the_ones_written(template_path, fw):
    wb = load_workbook(template_path)
    for name, formula in computed_formulas(fw).items():
        dest = list(wb.defined_names[name].destinations)[0]
        assert wb[dest[0]][dest[1].replace("$", "")].value == formula, name


def test_data_validation_texts_stay_within_excel_limits(fw, tmp_path):
    from addin.core.framework import available_frameworks, load_framework
    from addin.app.books import create_template as new_template

    for ident in available_frameworks():
        path = new_template(tmp_path / f"{ident}.xlsx", framework=ident)
        wb = load_workbook(path)
        n = 0
        for ws in wb.worksheets:
            for dv in ws.data_validations.dataValidation:
                n += 1
                assert len(dv.errorTitle or "") <= 32 and len(dv.promptTitle or "") <= 32, (ident, ws.title)
                assert len(dv.error or "") <= 225 and len(dv.prompt or "") <= 255, (ident, ws.title, dv.error)
        assert n > 10 and load_framework(ident)


@pytest.mark.parametrize("edit, where", [
    (("help = \"本年度部门年初预算数\"", "help = \"" + "很长的说明" * 60 + "\""), "help（输入提示）"),
    (("name = \"预算编制合理性\"", "name = \"" + "预算编制合理性" * 40 + "\""), "name（出错提示）"),
])
def test_frameworks_check_refuses_texts_excel_would_cut(tmp_path, edit, where):
    import subprocess
    import sys

    from addin.core.framework import FRAMEWORK_DIR

    text = (FRAMEWORK_DIR / "gd_county_2022.toml").read_text(encoding="utf-8")
    assert edit[0] in text
    bad = tmp_path / "long.toml"
    bad.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "addin.cli", "frameworks", "--check", str(bad)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and where in r.stderr and "上限" in r.stderr, r.stderr

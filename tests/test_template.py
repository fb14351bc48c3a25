"""The generated template, reopened with openpyxl: sheets, names, validation, protection, formats."""
from __future__ import annotations

import openpyxl
import pytest

from addin.core.formulas import computed_formulas
from addin.core.interchange import input_names
from addin.xlsx.template import PROJECT_ROWS, TEXT_ROWS

SHEETS = ["填表说明", "基本信息", "项目清单", "预算编制", "预算执行", "资金使用效益", "加减分", "汇总", "报告文字", "校验结果"]


@pytest.fixture(scope="module")
def wb(template_path):
    return openpyxl.load_workbook(template_path)


def cell_of(wb, name):
    (sheet, coord), = list(wb.defined_names[name].destinations)
    return wb[sheet][coord.replace("$", "")]


def test_sheets_in_order(wb):
    assert wb.sheetnames == SHEETS


def test_every_input_computed_and_score_cell_has_a_name(wb, fw):
    names = set(wb.defined_names.keys())
    assert input_names(fw) <= names
    assert set(computed_formulas(fw)) <= names
    for c in fw.project_columns:
        (sheet, coord), = list(wb.defined_names[c.name].destinations)
        assert sheet == "项目清单" and coord.count("$") == 4
        top, bottom = coord.replace("$", "").split(":")
        assert int(bottom[1:]) - int(top[1:]) + 1 == PROJECT_ROWS
    assert wb.defined_names["jx_framework"].attr_text == '"gd_county_2022"'
    assert wb.defined_names["jx_template_version"].attr_text == '"1"'
    for ind in fw.indicators:
        s = cell_of(wb, ind.score_name)
        assert s.parent.title == fw.level1_by_id(ind.level1).sheet
        assert s.row == cell_of(wb, ind.note_name).row == cell_of(wb, ind.max_name).row


def test_computed_cells_use_the_udfs_by_name(wb, fw):
    for name, formula in computed_formulas(fw).items():
        assert cell_of(wb, name).value == formula
    # the UDF where the add-in runs, its native equivalent elsewhere (tests/test_live_values.py)
    assert cell_of(wb, "m_budget_growth").value.startswith(
        "=IFERROR(GROWTH_RATE(f_budget_initial,f_budget_initial_prev),IF(ISERROR(f_budget_initial),")
    assert cell_of(wb, "m_final_exec_rate").value.startswith("=IFERROR(EXEC_RATE(")
    assert cell_of(wb, "m_balance_rate").value.startswith("=IFERROR(BALANCE_RATE(")
    assert cell_of(wb, "m_target_coverage").value.startswith("=IFERROR(COVERAGE_RATE(")
    assert cell_of(wb, "m_staff_ratio").value.startswith("=IFERROR(STAFF_RATIO(")
    assert cell_of(wb, "m_public_control").value.startswith("=IFERROR(CONTROL_RATE(")
    assert cell_of(wb, "m_funds_rate").value.startswith("=IFERROR(FUNDS_RATE(m_h1_progress,m_full_progress,0.5,0.5),")
    assert cell_of(wb, "max_budget_exec_rate").value == '=3+IF(f_transfer_payments="否",3,0)'
    assert cell_of(wb, "max_funds_legality").value == '=3+IF(f_transfer_payments="否",-3,0)'
    assert cell_of(wb, "sug_economy").value.startswith("=IFERROR(SUGGEST_SCORE(jx_framework,\"economy\",max_economy,")
    longest = max(len(f) for f in computed_formulas(fw).values())
    assert longest < 8192, longest  # Excel's formula length limit


def test_inputs_look_different_and_are_unlocked(wb, fw):
    for name in sorted(input_names(fw)):
        c = cell_of(wb, name)
        assert c.protection.locked is False, name
        assert c.fill.fgColor.rgb.endswith("FFF2CC"), name
    for name in computed_formulas(fw):
        c = cell_of(wb, name)
        assert c.protection.locked is True, name
        assert not c.fill.fgColor.rgb.endswith("FFF2CC"), name
    for ws in wb.worksheets:
        if ws.title != "校验结果":
            assert ws.protection.sheet is True, ws.title
            assert not ws.protection.password, ws.title  # no password: guards against slips only


def _validations(ws):
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out[str(rng)] = dv
    return out


def test_data_validation(wb, fw):
    dvs = _validations(wb["预算执行"])
    score = cell_of(wb, "s_budget_exec_rate")
    dv = dvs[score.coordinate]
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("decimal", "between", "0", "max_budget_exec_rate")
    assert dv.showErrorMessage and "自评得分" in dv.error
    info = _validations(wb["基本信息"])
    assert info[cell_of(wb, "f_budget_initial").coordinate].type == "decimal"
    assert info[cell_of(wb, "f_budget_initial").coordinate].formula1 == "0"
    assert info[cell_of(wb, "f_transfer_payments").coordinate].formula1 == '"是,否"'
    assert info[cell_of(wb, "f_year").coordinate].type == "whole"
    proj = wb["项目清单"].data_validations.dataValidation
    assert any(d.formula1 == '"是,否"' and "E4:E203" in str(d.sqref) for d in proj)
    text = wb["报告文字"].data_validations.dataValidation
    assert any("主要绩效" in (d.formula1 or "") for d in text)


def test_formats_freeze_and_print(wb):
    assert cell_of(wb, "f_budget_initial").number_format == "#,##0.00"
    assert cell_of(wb, "m_budget_growth").number_format == "0.00%"
    assert cell_of(wb, "f_h1_progress_reported").number_format == "0.00%"
    assert cell_of(wb, "s_budget_rationality").number_format == "0.0#"
    for title in ("预算编制", "预算执行", "资金使用效益"):
        ws = wb[title]
        assert ws.freeze_panes == "D3"
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 and ws.page_setup.orientation == "landscape"
        assert ws.print_title_rows == "$2:$2"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert wb["基本信息"].freeze_panes == "A3"
    assert wb["汇总"]._charts, "the score vs maximum chart"


def test_merged_level_cells(wb):
    merged = [str(r) for r in wb["预算编制"].merged_cells.ranges]
    assert "A3:A9" in merged  # 一级 over its seven indicators
    assert "B3:B6" in merged and "B7:B9" in merged  # 二级 预算编制 / 目标设置


def test_text_columns_are_readable(wb):
    ws = wb["预算编制"]
    assert ws.column_dimensions["F"].width >= 30 and ws.column_dimensions["K"].width >= 40
    assert cell_of(wb, "n_budget_rationality").alignment.wrap_text
    assert ws.row_dimensions[cell_of(wb, "s_target_coverage").row].height >= 45


def test_capacity_of_the_tables(wb):
    (sheet, coord), = list(wb.defined_names["rpt_text"].destinations)
    top, bottom = coord.replace("$", "").split(":")
    assert int(bottom[1:]) - int(top[1:]) + 1 == TEXT_ROWS

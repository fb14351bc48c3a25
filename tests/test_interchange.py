"""jxzp export / fill: every field by name, types kept, round trip identical, input untouched."""
from __future__ import annotations

import json

import openpyxl
import pytest

from addin.core.errors import InputError, OutputError
from addin.app import export_data as export, fill_file as fill
from conftest import mutate, sha256


def _strip(d):
    d = dict(d)
    d.pop("source")
    return d


def test_export_lists_every_field_and_indicator(sample_path, fw):
    d = export(sample_path)
    by_name = {c["name"]: c for c in d["cells"]}
    b = by_name["f_budget_initial"]
    assert (b["label"], b["sheet"], b["value"], b["kind"]) == ("年初预算", "基本信息", 3491995, "input")
    assert b["cell"].startswith("B")
    assert by_name["m_budget_growth"]["value"] == 0.1599 and by_name["m_budget_growth"]["kind"] == "computed"
    assert by_name["total_score"]["value"] == 98.2 and by_name["grade"]["value"] == "优"
    assert len(d["indicators"]) == 27
    ind = {i["id"]: i for i in d["indicators"]}["budget_exec_rate"]
    assert (ind["max"], ind["effective_max"], ind["self_score"], ind["suggested_score"]) == (3, 6, 4.2, 4.2)
    assert ind["level1"] == "预算执行情况" and ind["level2"] == "资金管理" and ind["explanation"]
    assert len(d["tables"]["projects"]["rows"]) == 13
    assert d["tables"]["report_text"]["rows"][0][0] == "部门主要职责"
    assert d["totals"]["groups"] == {"预算编制情况": 27.5, "预算执行情况": 39.2, "资金使用效益": 30}


def test_round_trip_is_identical(sample_path, tmp_path):
    first = export(sample_path)
    jf = tmp_path / "d.json"
    jf.write_text(json.dumps(first, ensure_ascii=False), encoding="utf-8")
    before = sha256(sample_path)
    out = tmp_path / "copy.xlsx"
    fill(sample_path, jf, out)
    assert sha256(sample_path) == before  # the input is never modified
    assert _strip(export(out)) == _strip(first)


def test_text_stays_text(sample_path, tmp_path):
    odd = {"f_budget_initial": "三百万", "f_final_exp": "3,491,995元", "f_carryover": "=1+1",
           "f_year": "２０２２", "n_budget_rationality": "=HYPERLINK(\"http://x\")", "f_public_budget": "#DIV/0!"}
    out = mutate(sample_path, tmp_path / "odd.xlsx", odd)
    wb = openpyxl.load_workbook(out)
    for name, value in odd.items():
        (sheet, coord), = list(wb.defined_names[name].destinations)
        c = wb[sheet][coord.replace("$", "")]
        if value == "#DIV/0!":
            assert c.data_type == "e"
        else:
            assert c.data_type == "s" and c.value == value, name  # not a formula, not a number
    cells = {c["name"]: c["value"] for c in export(out)["cells"]}
    assert cells["f_budget_initial"] == "三百万" and cells["f_carryover"] == "=1+1"


def test_arithmetic_formulas_round_trip(sample_path, tmp_path):
    data = {"cells": [{"name": "f_carryover", "value": "=100+200", "formula": "=100+200"},
                      {"name": "f_stock_funds", "value": "=WEBSERVICE(\"http://x\")", "formula": "=WEBSERVICE(\"http://x\")"}]}
    jf = tmp_path / "f.json"
    jf.write_text(json.dumps(data), encoding="utf-8")
    rep = fill(sample_path, jf, tmp_path / "f.xlsx")
    assert any("不是简单算式" in w for w in rep.warnings)
    wb = openpyxl.load_workbook(tmp_path / "f.xlsx")
    ws = wb["基本信息"]
    vals = {c.value: c.data_type for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "(" in c.value or c.value == "=100+200"}
    assert vals.get("=100+200") == "f"
    assert vals.get('=WEBSERVICE("http://x")') == "s"  # never executed, kept as text


def test_fill_reports_unknown_and_computed_names(sample_path, tmp_path):
    data = {"cells": [{"name": "total_score", "value": 100}, {"name": "no_such", "value": 1},
                      {"name": "m_budget_growth", "value": 1, "kind": "computed"}]}
    jf = tmp_path / "u.json"
    jf.write_text(json.dumps(data), encoding="utf-8")
    rep = fill(sample_path, jf, tmp_path / "u.xlsx")
    assert rep.written == 0
    assert any("total_score" in x for x in rep.ignored) and any("no_such" in x for x in rep.ignored)


def test_fill_refuses_to_overwrite_and_bad_json(sample_path, template_path, tmp_path):
    jf = tmp_path / "e.json"
    jf.write_text("{}", encoding="utf-8")
    with pytest.raises(OutputError, match="已存在"):
        fill(sample_path, jf, template_path)
    with pytest.raises(OutputError, match="与输入文件相同"):
        fill(sample_path, jf, sample_path, overwrite=True)
    bad = tmp_path / "bad.json"
    bad.write_text("{oops", encoding="utf-8")
    with pytest.raises(InputError, match="不是有效的 JSON"):
        fill(sample_path, bad, tmp_path / "x.xlsx")
    big = {"tables": {"projects": {"rows": [["p"] + [None] * 5] * 500}}}
    jf.write_text(json.dumps(big), encoding="utf-8")
    with pytest.raises(InputError, match="超过工作簿中该表的 200 行容量"):
        fill(sample_path, jf, tmp_path / "y.xlsx")

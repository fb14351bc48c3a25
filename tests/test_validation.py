"""校验: the sample's known contradictions, one injected mistake per rule, the annotated copy."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from addin.core.findings import ERROR, INFO, WARNING
from addin.core.validation import RULES
from addin.xlsx.annotate import annotate_copy, clear_file
from conftest import mutate, sha256, validate_file


def _edit(src: Path, dst: Path, fn) -> Path:
    wb = openpyxl.load_workbook(src)
    fn(wb)
    wb.save(dst)
    return dst


def _cell(wb, name):
    (sheet, coord), = list(wb.defined_names[name].destinations)
    return wb[sheet][coord.replace("$", "")]


def _find(result, rule=None, severity=None, name=None, text=None):
    """Findings whose code starts with `rule` (a rule number "R05" or a full code "R05.rate-over-bound")."""
    return [f for f in result.findings if (rule is None or f.code.startswith(rule))
            and (severity is None or f.severity == severity) and (name is None or f.name == name)
            and (text is None or text in f.message)]


# ---------------------------------------------------------------- the sample
def test_sample_118_92_is_flagged_and_the_contradiction_reported(sample_result):
    over = _find(sample_result, "R05", ERROR, "m_full_progress")
    assert over and "118.92%" in over[0].message and "超过 100%" in over[0].message
    assert over[0].sheet == "基本信息" and over[0].cell
    two = _find(sample_result, "R05", WARNING, "m_full_progress")
    assert two and "118.92%" in two[0].message and "104.19%" in two[0].message
    text = _find(sample_result, "R08", ERROR, "n_carryover_rate")
    assert text and "支出率为 100%" in text[0].message and "104.19%" in text[0].message and "118.92%" in text[0].message


def test_sample_69_6_is_a_hint(sample_result):
    f = _find(sample_result, "R08", name="n_budget_exec_rate", text="69.6%")
    assert len(f) == 1 and f[0].severity == INFO and "69.52%" in f[0].message


def test_sample_no_false_errors(sample_result):
    errors = {(f.rule.split(".")[0], f.name) for f in sample_result.findings if f.severity == ERROR}
    assert errors == {("R05", "m_full_progress"), ("R08", "n_carryover_rate")}
    assert not _find(sample_result, name="s_budget_exec_rate", severity=ERROR)  # 4.2 of 6 is fine
    assert not _find(sample_result, "R04")  # formulas intact


def test_sample_copied_note_is_noticed(sample_result):
    assert _find(sample_result, "R07", INFO, "n_target_completion", "完全相同")


def test_every_finding_is_well_formed(sample_result):
    for f in sample_result.findings:
        d = f.to_dict()
        assert set(d) == {"code", "rule", "severity", "message", "sheet", "cell", "name", "indicator", "expected",
                          "actual", "params"}
        assert d["severity"] in ("错误", "警告", "提示") and d["code"].startswith(f.rule.split(".")[0] + ".")
        assert f.rule.split(".")[0] in {r.id.split(".")[0] for r in RULES} and f.message
        json.dumps(d, ensure_ascii=False)


def test_rules_are_declared(fw):
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)) >= 12
    assert all(r.title and r.description for r in RULES)


# ---------------------------------------------------------------- one mistake per rule
CASES = [
    # rule, cells to write, expected (finding code, severity, name, a figure the message must show or None)
    ("R01", {"f_budget_initial": "三百万"}, ("R01.text-number", ERROR, "f_budget_initial", "3000000")),
    ("R01", {"f_budget_initial": "3,491,995元"}, ("R01.text-number", ERROR, "f_budget_initial", "3491995")),
    ("R01", {"f_final_exp": "３６３８３４６．０２"}, ("R01.text-number", ERROR, "f_final_exp", "3638346.02")),
    ("R01", {"f_h1_progress_reported": 20.11}, ("R01.rate-as-percent", ERROR, "f_h1_progress_reported", "0.2011")),
    ("R01", {"f_h1_progress_reported": "20.11%"}, ("R01.text-number", ERROR, "f_h1_progress_reported", "0.2011")),
    ("R01", {"f_budget_initial": None}, ("R01.blank", ERROR, "f_budget_initial", None)),
    ("R01", {"f_budget_initial": " "}, ("R01.blank-spaces", ERROR, "f_budget_initial", None)),
    ("R01", {"f_public_budget": "#DIV/0!"}, ("R01.error-value", ERROR, "f_public_budget", "#DIV/0!")),
    ("R01", {"f_carryover": -5}, ("R01.negative", ERROR, "f_carryover", None)),
    ("R01", {"f_carryover": 1e16}, ("R01.absurd", ERROR, "f_carryover", None)),
    ("R01", {"f_transfer_payments": "无"}, ("R01.bad-yesno", ERROR, "f_transfer_payments", None)),
    ("R01", {"f_admin_actual": 7.5}, ("R01.not-integer", ERROR, "f_admin_actual", None)),
    ("R01", {"f_year": 22}, ("R01.bad-year", ERROR, "f_year", None)),
    ("R02", {"s_budget_rationality": 6}, ("R02.score-over-max", ERROR, "s_budget_rationality", None)),
    ("R02", {"s_budget_rationality": "五分"}, ("R02.not-number", ERROR, "s_budget_rationality", None)),
    ("R02", {"s_budget_rationality": None}, ("R02.blank", ERROR, "s_budget_rationality", None)),
    ("R02", {"s_budget_rationality": 4.333}, ("R02.score-decimals", WARNING, "s_budget_rationality", None)),
    ("R02", {"s_bonus": 4}, ("R02.score-over-max", ERROR, "s_bonus", None)),
    ("R03", {"f_transfer_payments": "是"}, ("R03.score-over-max", ERROR, "s_budget_exec_rate", None)),
    ("R03", {"s_funds_legality": 3}, ("R03.source-not-zero", ERROR, "s_funds_legality", None)),
    ("R05", {"f_h1_progress_reported": 0.5, "f_full_progress_reported": 0.4}, ("R05.figures-disagree", ERROR, "m_h1_progress", None)),
    ("R05", {"f_admin_actual": 12}, ("R05.rate-over-bound", WARNING, "m_staff_ratio", None)),
    ("R05", {"f_carryover": 4000000}, ("R05.rate-over-bound", ERROR, "m_balance_rate", None)),
    ("R06", {"s_target_coverage": 2}, ("R06.score-differs", INFO, "s_target_coverage", None)),
    ("R06", {"f_public_actual": 200000}, ("R06.full-marks-unmet", ERROR, "s_economy", None)),
    ("R07", {"n_financial_compliance": None}, ("R07.reason-missing", WARNING, "n_financial_compliance", None)),
    ("R07", {"s_bonus": 1.5, "n_bonus": ""}, ("R07.adjustment-basis-missing", WARNING, "n_bonus", None)),
    ("R08", {"n_economy": "我局年度部门年初预算资金 350 万元。"}, ("R08.text-mismatch", ERROR, "n_economy", "349.2")),
    ("R08", {"n_economy": "2022 年年初预算为 3,491,995 万元"}, ("R08.text-unit-slip", ERROR, "n_economy", None)),
    ("R08", {"n_target_coverage": "2022 年我局共实施 14 个项目"}, ("R08.text-mismatch", ERROR, "n_target_coverage", "13")),
    ("R08", {"n_carryover_rate": "结余率为 5%。"}, ("R08.text-mismatch", ERROR, "n_carryover_rate", "0%")),
    ("R08", {"n_staff_mgmt": "本年度在编人员共 15 人"}, ("R08.text-mismatch", ERROR, "n_staff_mgmt", "14")),
    ("R08", {"n_effect": "预算增长为{不存在的数}"}, ("R08.placeholder", ERROR, "n_effect", None)),
    ("R08", {"n_economy": "三公经费预算数为 3.8 万元，决算数为 1 万元"}, ("R08.text-mismatch", ERROR, "n_economy", None)),
    ("R09", {"f_h1_spent": 900, "f_full_spent": 800}, ("R09.relation-violated", ERROR, "f_h1_spent", None)),
    ("R09", {"f_inst_actual": 9}, ("R09.relation-violated", WARNING, "f_inst_actual", None)),
    ("R09", {"f_assets_in_use": 10, "f_assets_total": 5}, ("R09.relation-violated", ERROR, "f_assets_in_use", None)),
]


@pytest.mark.parametrize("rule_id, cells, expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_injected_mistake_is_found(sample_path, tmp_path, rule_id, cells, expected):
    out = mutate(sample_path, tmp_path / "m.xlsx", cells)
    _, result = validate_file(out)
    rule, sev, name, text = expected
    hits = _find(result, rule, sev, name, text)
    assert hits, [f"{f.rule} {f.severity} {f.name} {f.message}" for f in result.findings if f.name == name or f.rule.startswith(rule)]
    assert hits[0].sheet and hits[0].cell  # on the cell itself


def test_r03_the_sample_score_is_an_error_once_transfer_payments_exist(sample_path, tmp_path):
    _, clean = validate_file(sample_path)
    assert not _find(clean, name="s_budget_exec_rate", severity=ERROR)
    out = mutate(sample_path, tmp_path / "tp.xlsx", {"f_transfer_payments": "是"})
    ev, result = validate_file(out)
    assert ev.indicators["budget_exec_rate"].eff_max == 3 and ev.indicators["funds_legality"].eff_max == 3
    assert _find(result, "R03", ERROR, "s_budget_exec_rate", "4.2")


def test_r00_structure(sample_path, tmp_path):
    def damage(wb):
        del wb.defined_names["f_carryover"]
        wb.remove(wb["加减分"])
        wb["项目清单"]["B210"] = "表格外的项目"

    out = _edit(sample_path, tmp_path / "s.xlsx", damage)
    _, result = validate_file(out)
    assert _find(result, "R00", ERROR, "f_carryover", "缺少名称")
    assert _find(result, "R00", ERROR, "s_bonus", "不存在的工作表“加减分”")
    over = _find(result, "R00", WARNING, "p_name", "不会被读取")
    assert over and over[0].cell == "B210"
    out2 = mutate(sample_path, tmp_path / "y.xlsx", {"f_year": 2031})
    _, r2 = validate_file(out2)
    assert _find(r2, "R00", WARNING, "f_year", "适用年度")


def test_r04_formula_overwritten_or_edited(sample_path, tmp_path):
    def damage(wb):
        _cell(wb, "total_score").value = 100
        _cell(wb, "m_budget_growth").value = 0.1599
        _cell(wb, "sub_budget_prep").value = "=SUM(s_budget_rationality)+1"

    out = _edit(sample_path, tmp_path / "f.xlsx", damage)
    _, result = validate_file(out)
    t = _find(result, "R04", ERROR, "total_score")
    assert t and "100" in t[0].message and "98.2" in t[0].message
    assert _find(result, "R04", WARNING, "m_budget_growth", "固定值")  # same value, formula gone
    assert _find(result, "R04", WARNING, "sub_budget_prep", "公式被修改")


def test_r04_live_values_must_match(sample_path, sample_eval):
    """Through the Excel adapter a formula cell carries its shown value: a stale one is an error."""
    from addin.core.evaluate import evaluate
    from addin.core.validation import validate

    fw, book = sample_eval.fw, sample_eval.book
    book.cell("total_score").value = 97.0
    try:
        result = validate(fw, book, evaluate(fw, book))
    finally:
        book.cell("total_score").value = None
    assert _find(result, "R04", ERROR, "total_score", "显示 97")


def test_r10_projects(sample_path, tmp_path):
    rows = [["A项目", 100, 150, "是", "是", None], ["A项目", 10, 5, "Y", "是", None], [None, 100, None, None, None, None]]
    out = mutate(sample_path, tmp_path / "p.xlsx", tables={"projects": {"rows": rows}})
    _, result = validate_file(out)
    assert _find(result, "R10", WARNING, "p_spent", "超过预算")
    assert _find(result, "R10", WARNING, "p_name", "重复")
    assert _find(result, "R10", ERROR, "p_has_targets", "应为“是”")
    assert _find(result, "R10", WARNING, "p_name", "没有项目名称")
    empty = mutate(sample_path, tmp_path / "e.xlsx", tables={"projects": {"rows": []}})
    _, r2 = validate_file(empty)
    assert _find(r2, "R10", WARNING, "p_name", "项目清单为空")


def test_r11_report_text(sample_path, tmp_path):
    rows = [[None, "正文", "没有章节的段落", None], ["其他", "正文", "章节写错", None], ["主要绩效", "段落", "类型写错", None]]
    out = mutate(sample_path, tmp_path / "t.xlsx", tables={"report_text": {"rows": rows}})
    _, result = validate_file(out)
    assert _find(result, "R11", ERROR, "rpt_chapter", "没有选择章节")
    assert _find(result, "R11", ERROR, "rpt_chapter", "不在可选范围")
    assert _find(result, "R11", WARNING, "rpt_kind", "类型")
    assert _find(result, "R11", INFO, text="部门主要职责")


def test_a_crashing_rule_does_not_hide_the_others(sample_eval, monkeypatch):
    from addin.core.validation import engine

    def boom(ctx):
        raise RuntimeError("测试")
        yield  # pragma: no cover

    rules = [engine.Rule("R98.boom", "测试规则", "总是出错", boom)] + list(RULES)
    result = engine.validate(sample_eval.fw, sample_eval.book, sample_eval, rules=rules)
    assert _find(result, "R99", WARNING, text="R98.boom")
    assert _find(result, "R05", ERROR)


# ---------------------------------------------------------------- the annotated copy and the CLI
def test_annotated_copy(sample_path, sample_eval, sample_result, tmp_path, fw):
    before = sha256(sample_path)
    out = annotate_copy(fw, sample_path, tmp_path / "ann.xlsx", sample_result)
    assert sha256(sample_path) == before
    wb = openpyxl.load_workbook(out)
    c = _cell(wb, "m_full_progress")
    assert c.fill.fgColor.rgb.endswith("FFC7CE") and "118.92%" in c.comment.text and c.comment.text.startswith("【jxzp 校验】")
    assert _cell(wb, "sug_asset_utilization").fill.fgColor.rgb.endswith("DDEBF7")
    ws = wb["校验结果"]
    assert ws["A2"].value.startswith("共 7 条：错误 2 条")
    rows = list(ws.iter_rows(min_row=5, values_only=True))
    assert len(rows) == len(sample_result.findings)
    assert rows[0][1] == "错误"
    assert ws["E5"].hyperlink.location == f"'{rows[0][3]}'!{rows[0][4]}"
    assert wb["_jxzp_marks"].sheet_state == "veryHidden"
    assert wb["汇总"]._charts
    # values unchanged
    assert _cell(wb, "f_full_progress_reported").value == 1.1892 and _cell(wb, "s_budget_exec_rate").value == 4.2
    # 清除标记 restores the original fills and notes exactly
    cleared = clear_file(out, tmp_path / "clr.xlsx")
    assert cleared.clear.restored == len({(f.sheet, f.cell) for f in sample_result.findings if f.cell})
    wb = openpyxl.load_workbook(cleared.path)
    orig = openpyxl.load_workbook(sample_path)
    for name in ("m_full_progress", "n_carryover_rate", "sug_asset_utilization"):
        assert _cell(wb, name).fill.fgColor.rgb == _cell(orig, name).fill.fgColor.rgb
        assert _cell(wb, name).comment is None
    assert "_jxzp_marks" not in wb.sheetnames


def test_annotating_twice_keeps_original_notes(sample_path, sample_result, tmp_path, fw):
    def note(wb):
        from openpyxl.comments import Comment
        _cell(wb, "m_full_progress").comment = Comment("会计的原批注", "张三")

    src = _edit(sample_path, tmp_path / "noted.xlsx", note)
    a1 = annotate_copy(fw, src, tmp_path / "a1.xlsx", sample_result)
    a2 = annotate_copy(fw, a1, tmp_path / "a2.xlsx", sample_result)
    wb = openpyxl.load_workbook(a2)
    text = _cell(wb, "m_full_progress").comment.text
    assert text.count("【jxzp 校验】") == 1 and "会计的原批注" in text
    wb = openpyxl.load_workbook(clear_file(a2, tmp_path / "c.xlsx").path)
    assert _cell(wb, "m_full_progress").comment.text == "会计的原批注"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True)


def test_cli_validate(sample_path, tmp_path):
    r = _cli("validate", str(sample_path))
    assert r.returncode == 1
    assert "【基本信息】" in r.stdout and "错误" in r.stdout and "Traceback" not in r.stdout + r.stderr
    r = _cli("validate", str(sample_path), "--json")
    data = json.loads(r.stdout)
    assert data["summary"]["错误"] == 2 and data["summary"]["total"] == len(data["findings"])
    assert data["totals"]["total"] == 98.2
    fixed = mutate(sample_path, tmp_path / "ok.xlsx", {
        "f_full_progress_reported": 1.0,
        "n_carryover_rate": "本年度我局结余率为 0%。",
        "n_budget_exec_rate": "全年支出进度为 100%，含上年结转。"})
    r = _cli("validate", str(fixed))
    assert r.returncode == 0, r.stdout
    ann = tmp_path / "ann.xlsx"
    r = _cli("validate", str(sample_path), "--annotate", str(ann))
    assert r.returncode == 1 and ann.exists()
    r = _cli("validate", str(sample_path), "--annotate", str(ann))
    assert r.returncode == 2 and "已存在" in r.stderr

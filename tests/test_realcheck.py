"""Issue 14: 校验 on real-world data — each class of finding, from real sentences and realistic mistakes.

Sentences come from the 乐昌 2022 report (the seed) and from other published reports in
tests/data/real_sentences.json; mistakes are the ones reviewers report (元/万元, last year's
figure, a stale year, a rate below its target with full marks …).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from addin.core.findings import ERROR, INFO, WARNING
from addin.app import sample_data
from conftest import mutate, validate_file

SAMPLE = sample_data()
RPT_COLS = SAMPLE["tables"]["report_text"]["columns"]
CORPUS = json.loads((Path(__file__).parent / "data" / "real_sentences.json").read_text(encoding="utf-8"))


def _code(f) -> str:
    return f.code


def _codes(result, code, name=None, severity=None):
    return [f for f in result.findings if _code(f) == code and (name is None or f.name == name)
            and (severity is None or f.severity == severity)]


def _with_report(rows: list[str], chapter: str = "收入情况") -> dict:
    """The sample's report text with extra paragraphs (as a user types them) under a chapter."""
    base = [list(r) for r in SAMPLE["tables"]["report_text"]["rows"]]
    return {"report_text": {"columns": RPT_COLS, "rows": base + [[chapter, "正文", t, None] for t in rows]}}


@pytest.fixture(scope="module")
def run(sample_path, tmp_path_factory):
    d = tmp_path_factory.mktemp("realcheck")
    n = [0]

    def go(cells=None, tables=None):
        n[0] += 1
        out = mutate(sample_path, d / f"m{n[0]}.xlsx", cells or {}, tables)
        return validate_file(out)[1]

    return go


# ---------------------------------------------------------------- reading real phrasing (R08)
def test_original_2021_budget_sentence_is_not_a_false_error(run):
    # the seed's own sentence, figures typed out instead of placeholders
    text = "2022 年年初预算为 3,491,995 元，2021 年年初预算 3,010,664.91 元，与上年度相比，年初预算增长 15.99%。"
    res = run(tables=_with_report([text]))
    assert not [f for f in res.findings if f.rule.startswith("R08") and f.severity == ERROR and f.name == "rpt_text"]


def test_last_years_figure_is_compared_with_last_years_field(run):
    text = "2022 年年初预算为 3,491,995 元，2021 年年初预算 3,100,000 元。"
    res = run(tables=_with_report([text]))
    hits = _codes(res, "R08.text-prev-mismatch", "rpt_text", ERROR)
    assert len(hits) == 1 and "3,100,000" in hits[0].message and "3,010,664.91" in hits[0].message
    assert not _codes(res, "R08.text-mismatch", "rpt_text")


def test_real_phrasings_of_other_reports_are_checked(run):
    # 茂名 and 徐闻 style staffing, 南县 style income, 乐昌 scores: wrong figures are caught
    rows = ["我局实有编制数 20 人，2022 年末在职人数 14 人、离退休人数 9 人。",  # 编制 16 in the sheet
            "本年度在编人员共 14 人，核定编制数为 16 人，比率≤100%。"]          # right
    res = run(tables=_with_report(rows, "人员编制"))
    hits = [f for f in res.findings if f.rule.startswith("R08") and f.name == "rpt_text" and f.severity == ERROR]
    assert len(hits) == 1 and "编制数 20 人" in hits[0].message and "16" in hits[0].message


def test_a_target_is_never_read_as_an_actual(run):
    rows = ["部门整体支出预算执行率目标不低于 95%，资金支出率≥90%。", "绩效目标覆盖率 95%以上。"]
    res = run(tables=_with_report(rows))
    assert not [f for f in res.findings if f.rule.startswith("R08") and f.name == "rpt_text"]


def test_amount_in_the_wrong_unit_in_text(run):
    res = run(tables=_with_report(["2022 年年初预算为 3,491,995 万元。"]))
    assert _codes(res, "R08.text-unit-slip", "rpt_text", ERROR)


def test_executed_as_100_percent_while_spending_gives_less(run):
    # 执行数 claimed 100% while 决算 ÷ 年初预算 gives 95%
    res = run(cells={"f_final_exp": 3317395.25, "f_full_progress_reported": 0.95},
              tables=_with_report(["本年度预算执行率为 100%。"]))
    hits = _codes(res, "R08.text-mismatch", "rpt_text", ERROR)
    assert hits and "100%" in hits[0].message and "95%" in hits[0].message


def test_users_total_contradicting_the_sheet_is_flagged(run):
    rows = [list(r) for r in SAMPLE["tables"]["report_text"]["rows"]]
    for r in rows:
        if r[0] == "自评结论":
            r[2] = r[2].replace("自评结果为98.2分", "自评结果为95分")
    res = run(tables={"report_text": {"columns": RPT_COLS, "rows": rows}})
    hits = _codes(res, "R08.text-total-contradiction", "rpt_text", ERROR)
    assert len(hits) == 1 and "95" in hits[0].message and "98.2" in hits[0].message


def test_unrelated_numbers_of_real_reports_stay_silent(run):
    # every corpus sentence without figures to read, pasted into the report: no R08 finding
    rows = [s["text"] for s in CORPUS["sentences"] if not s["readings"]]
    res = run(tables=_with_report(rows, "主要绩效"))
    assert not [f for f in res.findings if f.rule.startswith("R08.text-") and f.name == "rpt_text"
                and f.cell and f.severity != INFO and "占位符" not in f.message]


# ---------------------------------------------------------------- plausibility (R12)
def test_budget_typed_in_wan_yuan_is_a_unit_slip(run):
    res = run(cells={"f_budget_initial": 349.2})
    hits = _codes(res, "R12.unit-slip", "f_budget_initial", ERROR)
    assert len(hits) == 1 and "3,492,000" in hits[0].message
    # the −99.99% growth it causes is not a second, separate finding
    assert not _codes(res, "R12.growth-out-of-range", "m_budget_growth")


def test_growth_beyond_bounds_and_its_explanation(run):
    rows = [list(r) for r in SAMPLE["tables"]["report_text"]["rows"]]
    for r in rows:
        r[2] = str(r[2]).replace("新增项目", "工作安排").replace("人员变动", "人员情况")  # the sample's own reasons
    res = run(cells={"f_budget_initial_prev": 1200000}, tables={"report_text": {"columns": RPT_COLS, "rows": rows}})
    assert _codes(res, "R12.growth-out-of-range", "m_budget_growth", WARNING)
    # the sample's report says “2022 年有新增项目”: the same finding is lowered to 提示
    res = run(cells={"f_budget_initial_prev": 1200000})
    hits = _codes(res, "R12.growth-out-of-range", "m_budget_growth")
    assert hits and hits[0].severity == INFO and "人员变动" in hits[0].message


def test_carryover_zero_while_spending_below_budget(run):
    res = run(cells={"f_budget_full": 4000000, "f_budget_initial": 4000000, "f_full_progress_reported": 0.9096})
    hits = _codes(res, "R12.carryover-zero", "f_carryover", WARNING)
    assert len(hits) == 1 and "满分" in hits[0].message  # 结转结余率 scored 3 of 3


def test_system_progress_disagrees_with_amounts(run):
    res = run(cells={"f_full_spent": 3638346.02})
    hits = _codes(res, "R12.progress-vs-amounts", "f_full_progress_reported", WARNING)
    assert hits and "118.92%" in hits[0].message and "104.19%" in hits[0].message


def test_first_half_above_full_year_is_an_error(run):
    res = run(cells={"f_h1_progress_reported": 0.8, "f_full_progress_reported": 0.6})
    assert [f for f in res.findings if f.rule.startswith("R05") and f.name == "m_h1_progress" and f.severity == ERROR]


def test_report_of_last_year_copied(run):
    res = run(cells={"f_year": 2023})
    assert _codes(res, "R12.year-not-evaluated", "f_year", WARNING)
    res = run()
    assert not _codes(res, "R12.year-not-evaluated")


def test_staffing_dated_before_the_evaluation_year(run):
    res = run(cells={"n_staff_mgmt": "截至 2021 年底，在编人员共 14 人，核定编制数为 16 人，比率≤100%。"})
    hits = _codes(res, "R12.stale-staffing", "n_staff_mgmt", WARNING)
    assert hits and "2021" in hits[0].message


def test_rate_below_target_with_full_marks(run):
    res = run(cells={"f_key_tasks_total": 10, "f_key_tasks_done": 8, "s_key_task_rate": 3})
    hits = _codes(res, "R12.target-missed-full-marks", "s_key_task_rate", WARNING)
    assert hits and "80%" in hits[0].message
    # the general “suggested differs” hint at the same cell is not repeated
    assert not [f for f in res.findings if f.rule.startswith("R06") and f.name == "s_key_task_rate"]


def test_framework_declares_the_severity_of_full_marks(fw, sample_path):
    import dataclasses

    from addin.core.evaluate import evaluate
    from addin.core.validation import validate
    from addin.app import open_book

    f2 = dataclasses.replace(fw, plausibility=dict(fw.plausibility,
                                                   target_missed_full_marks={"default": "警告", "key_task_rate": "错误"}))
    out = mutate(sample_path, sample_path.with_name("fm.xlsx"),
                 {"f_key_tasks_total": 10, "f_key_tasks_done": 8, "s_key_task_rate": 3})
    _, book = open_book(out)
    ev = evaluate(f2, book)
    res = validate(f2, book, ev)
    assert _codes(res, "R12.target-missed-full-marks", "s_key_task_rate", ERROR)


def test_rules_stay_silent_without_their_data(fw, sample_path):
    import dataclasses

    from addin.core.evaluate import evaluate
    from addin.core.validation import validate
    from addin.app import open_book

    bare = dataclasses.replace(fw, plausibility={}, text_reader=None, explanations=[])
    out = mutate(sample_path, sample_path.with_name("bare.xlsx"), {"f_budget_initial": 349.2})
    _, book = open_book(out)
    res = validate(bare, book, evaluate(bare, book))
    from addin.core.validation.textfigures import TEXT_CODES
    assert not [f for f in res.findings if f.rule.startswith("R12") or _code(f) in TEXT_CODES]


# ---------------------------------------------------------------- explanations
def test_a_recognised_reason_lowers_the_progress_warning(run, sample_result):
    before = [f for f in sample_result.findings if f.rule.startswith("R05") and f.name == "m_full_progress"
              and "差异较大" in f.message]
    assert before and before[0].severity == WARNING
    note = SAMPLE_NOTE = next(c["value"] for c in SAMPLE["cells"] if c["name"] == "n_budget_exec_rate")
    res = run(cells={"n_budget_exec_rate": note + "全年支出进度超过 100% 是因为年中追加了数字政府项目资金。"})
    after = [f for f in res.findings if f.rule.startswith("R05") and f.name == "m_full_progress" and "差异较大" in f.message]
    assert after and after[0].severity == INFO and "年中追加" in after[0].message
    del SAMPLE_NOTE


# ---------------------------------------------------------------- signal over noise
def test_blank_workbook_is_a_short_list(template_path):
    _, res = validate_file(template_path)
    assert len(res.findings) <= 20, [f.message[:60] for f in res.findings]
    first = [f for f in res.findings if _code(f) == "R01.unfilled"]
    assert len(first) == 1 and first[0].sheet == "基本信息" and "必填项未填" in first[0].message
    # placeholders waiting for those inputs are not separate 错误
    assert not [f for f in res.findings if "占位符" in f.message and f.rule.startswith("R08") and _code(f) != "R01.unfilled"]
    # every finding names its place
    assert all(f.sheet for f in res.findings)


def test_clean_sample_keeps_its_findings(sample_result):
    errors = sorted((f.rule.split(".")[0], f.name) for f in sample_result.findings if f.severity == ERROR)
    assert errors == [("R05", "m_full_progress"), ("R08", "n_carryover_rate")]
    assert len(sample_result.findings) <= 11


# ---------------------------------------------------------------- placeholders and the report
def _docx_text(path) -> str:
    import docx

    d = docx.Document(str(path))
    return "\n".join(p.text for p in d.paragraphs)


def test_placeholder_waiting_for_a_blank_input_is_reported_and_never_printed_raw(sample_path, tmp_path):
    from addin.app import Report, report

    def make_report(wb, **kw):
        return report(Report(wb, **kw))

    out = mutate(sample_path, tmp_path / "p.xlsx", {"f_budget_initial_prev": None})
    _, res = validate_file(out)
    blank = [f for f in res.findings if f.name == "f_budget_initial_prev" and f.severity == ERROR]
    assert blank and "占位符" in blank[0].message  # validate says the placeholder will not resolve
    oc = make_report(out, output=tmp_path / "r.docx")
    assert not oc.written  # refused, like any 错误
    oc = make_report(out, output=tmp_path / "r.docx", force=True)
    text = _docx_text(oc.path)
    assert "{" not in text and "}" not in text
    assert "【待补：上年年初预算】" in text


def test_unknown_placeholder_is_never_printed_raw(sample_path, tmp_path):
    from addin.app import Report, report

    def make_report(wb, **kw):
        return report(Report(wb, **kw))

    out = mutate(sample_path, tmp_path / "u.xlsx", {"n_effect": "预算增长为{不存在的数}。"})
    oc = make_report(out, output=tmp_path / "u.docx", force=True)
    text = _docx_text(oc.path)
    assert "{不存在的数}" not in text and "【待补：不存在的数】" in text


def test_report_does_not_append_a_total_contradicting_the_users_sentence(sample_path, tmp_path):
    from addin.app import Report, report

    def make_report(wb, **kw):
        return report(Report(wb, **kw))

    rows = [list(r) for r in SAMPLE["tables"]["report_text"]["rows"]]
    for r in rows:
        if r[0] == "自评结论":
            r[2] = r[2].replace("自评结果为98.2分", "自评结果为95分")
    out = mutate(sample_path, tmp_path / "c.xlsx", tables={"report_text": {"columns": RPT_COLS, "rows": rows}})
    oc = make_report(out, output=tmp_path / "c.docx")
    assert not oc.written and _codes(oc.validation, "R08.text-total-contradiction")
    text = _docx_text(make_report(out, output=tmp_path / "c2.docx", force=True).path)
    assert "自评结果为95分" in text and "部门整体支出绩效自评结果为98.2分" not in text


def test_a_sentences_own_figures_must_add_up(run):
    # published with this slip (dyrmt.com 2023 决算): +2.4 万元 on 3.46 万元 is not +0.24%
    bad = "2022年“三公”经费财政拨款支出决算为3.46万元,完成预算100%,较上年增加2.4万元,增长0.24%。"
    # and consistent real sentences (南县政协, 绵竹, 宁夏机管局, a 决算 whose item is named 上年结转)
    good = ["1、收入:792.22万元。同比上年度增加189.25万元,增加31.39%。",
            "“三公”经费预算总额为1969万元,较2024年的2190万元减少221万元,下降10.1%。",
            "机管局2013年收支总预算4,471.22万元,比2012年预算增加755.18万元,增长20.32%。",
            "上年结转和结余 8.02 万元。较 2022 年度决算数增加 0.78 万元,增长 10.8%。"]
    res = run(tables=_with_report([bad] + good, "支出情况"))
    hits = _codes(res, "R08.text-arithmetic", "rpt_text", ERROR)
    assert len(hits) == 1 and "0.24%" in hits[0].message and "226.42%" in hits[0].message


def test_self_score_stated_in_a_note_or_the_report(run):
    rows = [list(r) for r in SAMPLE["tables"]["report_text"]["rows"]] + [["自评结论", "正文", "经自评，我单位自评得分为 95 分。", None]]
    res = run(cells={"n_budget_rationality": "自评得分 4 分，预算编制合理。"},
              tables={"report_text": {"columns": RPT_COLS, "rows": rows}})
    note = _codes(res, "R08.text-mismatch", "n_budget_rationality", ERROR)
    assert note and "4 分" in note[0].message and "5" in note[0].message and "{" not in note[0].message
    assert _codes(res, "R08.text-total-contradiction", "rpt_text", ERROR)


def test_stated_growth_and_change_are_compared_with_the_workbook(run):
    rows = ["2022 年年初预算为 3,491,995 元，与上年度相比，年初预算增长 20%。",   # 15.99% in the sheet
            "年初预算比上年增加 50 万元。"]                                        # 48.13 万元 in the sheet
    res = run(tables=_with_report(rows))
    g = _codes(res, "R08.text-growth-mismatch", "rpt_text", ERROR)
    c = _codes(res, "R08.text-change-mismatch", "rpt_text", ERROR)
    assert g and "15.99%" in g[0].message
    assert c and "48.13 万元" in c[0].message


def test_amount_typed_ten_thousand_times_too_big(run):
    res = run(cells={"f_final_exp": 36383460200})
    assert _codes(res, "R12.unit-slip-big", "f_final_exp", ERROR)


def test_a_year_after_next_in_the_text(run):
    res = run(cells={"n_fairness": "2025 年度，我局未发生信访事件。"})
    hits = _codes(res, "R12.year-future", "n_fairness", WARNING)
    assert hits and "2025" in hits[0].message


def test_blank_workbook_groups_each_kind_once(template_path):
    _, res = validate_file(template_path)
    codes = [f.code for f in res.findings]
    for code in ("R01.unfilled", "R11.chapters-empty"):
        assert codes.count(code) == 1, code
    assert codes.count("R02.scores-unfilled") == 3  # one per indicator sheet
    assert codes.count("R06.no-suggestions") >= 1
    assert not {"R01.blank", "R02.blank", "R08.placeholder", "R11.chapter-empty"} & set(codes)


@pytest.mark.parametrize("v", [float("inf"), -float("inf"), float("nan"), 1.7e308, -1.7e308])
def test_text_figure_against_absurd_cell_value_is_no_match_not_a_crash(v):
    # a property run once found 1e308 in a cell turning into OverflowError here
    from addin.core.reading import Reading
    from addin.core.validation.textfigures import _same

    r = Reading(quantity="budget_initial", value=349.25, unit="万元", when="this", role="value",
                start=0, end=5, written="349.25")
    assert _same(v, r) is False
    assert _same(349.25, r) is True

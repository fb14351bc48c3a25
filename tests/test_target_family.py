"""The target-table family (issue 13): framework file, core computation, workbook, 校验, variants.

Structure and scoring follow published tables (sources in docs/target-table-family.md):
  A  池州市贵池区棠溪镇 2022 项目支出绩效自评表 (Anhui): 执行率 10 + 产出 50 / 效益 30 / 满意度 10,
     qualitative rows "达成预期指标";
  S  青神县发展和改革局 2023 部门预算项目支出绩效自评表 (Sichuan): 年初 238.93, 调整后 251.89, 执行 251.89 万元
     → 100.00%; 执行率 = 执行数 / 调整后预算数, below 90% needs a reason; weights 产出 60 / 效益 30;
  Y  丽江市古城区 2020 项目支出绩效自评表 (Yunnan): 指标性质 ﹦ 72890 元 / ≥ 95 %;
  O  an older form giving 执行率 20 points: 30 / 278.4449 × 20 = 2.15.
The department figures in the samples are made up and labelled so.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from addin.core.errors import CalcError, FrameworkError
from addin.core.evaluate import evaluate
from addin.core.framework import FRAMEWORK_DIR, load_framework, load_framework_file
from addin.core.target import (completion_ratio, group_totals, looks_like_target, nature_kind, parse_number,
                               suggested_row_score, unit_of)
from addin.core.validation import validate
from addin.app.books import write_sample as make_sample, create_template as new_template
from addin.xlsx.reader import read_book
from addin.xlsx.writer import name_cells

DEPT, PROJ = "national_dept_target", "national_project_target"


@pytest.fixture(scope="module")
def spec():
    return load_framework(DEPT).target


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    d = tmp_path_factory.mktemp("target")
    return {fid: make_sample(d / f"{fid}.xlsx", framework=fid) for fid in (DEPT, PROJ)}


def _findings(path):
    book = read_book(path)
    fw = load_framework(book.framework_id)
    return validate(fw, book).findings


def _codes(path) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in _findings(path):
        out.setdefault(f.code, []).append(f)
    return out


def _mutate(src: Path, tmp_path: Path, cells: dict | None = None, rows: dict | None = None) -> Path:
    """A copy of src with named cells and (column, row index) cells of the indicator table changed."""
    out = tmp_path / f"m_{len(list(tmp_path.iterdir()))}.xlsx"
    wb = load_workbook(src)
    for name, v in (cells or {}).items():
        name_cells(wb, name)[0].value = v
    for (col, i), v in (rows or {}).items():
        name_cells(wb, f"t_{col}")[i].value = v
    wb.save(out)
    return out


# ---------------------------------------------------------------- the framework files
def test_both_frameworks_declare_the_family_and_the_published_weights():
    for fid in (DEPT, PROJ):
        fw = load_framework(fid)
        assert fw.family == "target_table" and fw.purpose
        assert [(g.name, g.weight) for g in fw.target.groups] == [("产出指标", 50), ("效益指标", 30), ("满意度指标", 10)]
        assert [g[2] for g in fw.score_groups()] == [10, 50, 30, 10]  # 执行率 10 + 90 (A)
        assert fw.target.reason_threshold == 0.9  # (S)
        assert fw.indicator(fw.target.exec_indicator).rule.type == "proportional"
        assert [c.key for c in fw.report_outline][-1] == "结果应用"
    assert load_framework("gd_county_2022").family == "fixed_indicators"


def test_a_broken_target_section_names_what_is_wrong(tmp_path):
    text = (FRAMEWORK_DIR / f"{DEPT}.toml").read_text(encoding="utf-8")
    bad = text.replace('weight = 30\n', 'weight = 35\n').replace('"定性" = "qual"', '"定性" = "words"')
    p = tmp_path / "bad.toml"
    p.write_text(bad, encoding="utf-8")
    with pytest.raises(FrameworkError) as e:
        load_framework_file(p)
    msg = str(e.value)
    assert "一级指标分值之和为 105" in msg and "words" in msg


# ---------------------------------------------------------------- core computation
@pytest.mark.parametrize("nature,target,actual,ratio", [
    ("≥", 50, 8, 0.16),  # (A) 基建工程委托业务项目数量 ≥50个, 完成 8
    ("≥", 95, 95, 1.0),  # (Y) 违法行为责停率 ≥ 95 %
    ("﹦", 72890, 72890, 1.0),  # (Y) full-width equals sign
    ("≥", 95, 97, 1.0211),  # above target: shown as it is, the score caps
    ("≤", 5, 4, 1.0),  # 结余率 ≤ 5 %
    ("≤", 90, 100, 0.9),  # 反向: 目标 / 实际
    ("=", 100, 95, 0.95),
    ("≧", "1,200", "1200", 1.0),
    ("定性", "效果明显", "达成预期指标", 1.0),  # (A) qualitative rows
    ("定性", "建立", "基本达成", 0.8),
    ("定性", "建立", "未达成", 0.0),  # "未达成" before "达成"
    ("定性", "建立", "部分完成", 0.6),
])
def test_completion_ratio_by_nature(spec, nature, target, actual, ratio):
    assert completion_ratio(spec, nature, target, actual) == pytest.approx(ratio)


@pytest.mark.parametrize("nature,target,actual,code", [
    ("", 1, 1, "no_nature"), ("约", 1, 1, "no_nature"), ("≥", 1, None, "missing"),
    ("≥", "高", 1, "no_target"), ("≥", 1, "很多", "no_actual"), ("定性", "x", "情况良好", "no_grade_word"),
])
def test_completion_ratio_refuses_what_it_cannot_read(spec, nature, target, actual, code):
    with pytest.raises(CalcError) as e:
        completion_ratio(spec, nature, target, actual)
    assert e.value.code == code


def test_values_as_excel_reads_them(spec):
    assert parse_number("95%") == 0.95 and parse_number(" 1,200 ") == 1200 and parse_number("≥95%") is None
    assert looks_like_target("≥98%") and looks_like_target("＝100") and not looks_like_target("98%")
    assert unit_of("95%") == "%" and unit_of("12 人") == "人" and unit_of(12) == ""
    assert nature_kind(spec, "≦") == "le" and nature_kind(spec, "定性") == "qual" and nature_kind(spec, "?") is None


def test_suggested_score_is_weight_times_completion_capped(spec):
    assert suggested_row_score(spec, 8, 0.16) == 1.28  # (A) 8 分 × 16%
    assert suggested_row_score(spec, 10, 1.0211) == 10  # never above the weight
    assert suggested_row_score(spec, 10, 0.9583) == 9.58
    with pytest.raises(CalcError):
        suggested_row_score(spec, None, 0.5)


def test_execution_rate_is_on_the_full_year_budget_and_scored_proportionally(samples):
    """(S): 年初 238.93, 调整后 251.89, 执行 251.89 → 100 %, 10 分; (O) 20 × 30/278.4449 = 2.15."""
    fw = load_framework(PROJ)
    ev = evaluate(fw, read_book(samples[PROJ]))
    assert ev.metrics["m_exec_rate"].value == pytest.approx(0.9997)
    from addin.core.rates import exec_rate
    from addin.core.scoring import suggest
    ind = fw.indicator("exec_rate")
    assert exec_rate(251.89, 251.89) == 1.0 and exec_rate(251.89, 238.93) != 1.0
    assert suggest(fw, ind, 10, [exec_rate(251.89, 251.89)])[0] == 10
    assert suggest(fw, ind, 20, [exec_rate(30, 278.4449)])[0] == pytest.approx(2.15)


def test_group_totals_follow_the_rows_level1(spec):
    from addin.core.target import TargetRow, evaluate_rows
    rows = [TargetRow(0, {"level1": "产出指标", "name": "a", "nature": "≥", "target": 10, "actual": 10,
                          "weight": 30, "score": 30}),
            TargetRow(1, {"level1": "产出指标", "name": "b", "nature": "≥", "target": 10, "actual": 5,
                          "weight": 20, "score": 10}),
            TargetRow(2, {"level1": "效益指标", "name": "c", "nature": "定性", "target": "好", "actual": "基本达成",
                          "weight": 30, "score": "二十"})]
    res = evaluate_rows(spec, rows)
    scores, weights = group_totals(spec, res)
    assert scores == {"output": 40, "benefit": 0, "satisfaction": 0}  # text counts nothing, as SUMIF
    assert weights == {"output": 50, "benefit": 30, "satisfaction": 0}
    assert [r.suggested for r in res] == [30, 10, 24]


# ---------------------------------------------------------------- workbook
def test_samples_are_clean_and_labelled_made_up(samples):
    for fid, p in samples.items():
        assert _findings(p) == [], fid
        data = json.loads((Path(__file__).parents[1] / "addin" / "samples" / f"{fid}.json").read_text("utf-8"))
        assert "虚构" in data["source"]
        book = read_book(p)
        assert "虚构" in str(book.raw("f_department"))


def test_workbook_table_names_cover_whole_columns_and_cells_carry_cached_values(samples):
    wb = load_workbook(samples[DEPT])
    fw = load_framework(DEPT)
    names = {n: wb.defined_names[n].attr_text for n in ("t_name", "t_score", "t_ratio", "grp_output")}
    assert names["t_name"].startswith("'绩效指标'!$D$") or names["t_name"].startswith("绩效指标!$D$")
    rows = name_cells(wb, "t_name")
    assert len(rows) == fw.target.rows
    assert "SUMIF(t_level1" in name_cells(wb, "grp_output")[0].value
    # cached results (what LibreOffice/WPS show before recalculating) equal the core's
    cached = load_workbook(samples[DEPT], data_only=True)
    ratio = name_cells(cached, "t_ratio")
    sug = name_cells(cached, "t_suggest")
    assert ratio[0].value == pytest.approx(0.9583) and sug[0].value == pytest.approx(9.58)
    assert ratio[7].value == pytest.approx(0.8) and ratio[20].value in (None, "")
    assert name_cells(cached, "grp_output")[0].value == pytest.approx(49.5)
    assert name_cells(cached, "total_score")[0].value == pytest.approx(97)


def test_computed_columns_keep_their_formulas(samples, tmp_path):
    p = _mutate(samples[DEPT], tmp_path, rows={("ratio", 0): 1, ("suggest", 3): None})
    found = _codes(p)
    wb = load_workbook(p)
    assert found["T07.formula-overwritten"][0].cell == name_cells(wb, "t_ratio")[0].coordinate
    assert found["T07.formula-missing"][0].cell == name_cells(wb, "t_suggest")[3].coordinate


def test_rows_inserted_inside_the_table_are_read(samples, tmp_path):
    """Excel/WPS/LibreOffice extend a name when a row is inserted inside it; simulate that with openpyxl."""
    wb = load_workbook(samples[DEPT])
    ws = wb["绩效指标"]
    first = name_cells(wb, "t_name")[0].row
    ws.insert_rows(first + 2)
    for dn in ("t_level1", "t_level2", "t_name", "t_nature", "t_target", "t_unit", "t_actual", "t_weight",
               "t_score", "t_reason", "t_ratio", "t_suggest"):
        ref = wb.defined_names[dn]
        sheet, rng = ref.attr_text.rsplit("!", 1)
        a, b = rng.split(":")
        col = a.split("$")[1]
        ref.attr_text = f"{sheet}!$%s$%d:$%s$%d" % (col, first, col, int(b.split("$")[2]) + 1)
    row = first + 2
    for col, v in zip("BCDEFGHIJK", ("产出指标", "数量指标", "新增指标（插入行）", "≥", 10, "个", 5, 0, 0, "进度滞后")):
        ws[f"{col}{row}"] = v
    out = tmp_path / "inserted.xlsx"
    wb.save(out)
    ev = evaluate(load_framework(DEPT), read_book(out))
    names = [r.row.get("name") for r in ev.rows if not r.row.is_empty]
    assert names[2] == "新增指标（插入行）" and len(names) == 10
    assert ev.rows[2].ratio == 0.5
    # the inserted row has no formulas in 完成率/建议得分 (Excel copies none outside a ListObject): 校验 says so
    codes = {f.code: f for f in validate(load_framework(DEPT), read_book(out)).findings}
    assert codes["T07.formula-missing"].cell.endswith(str(row))


def test_third_variant_is_a_file_and_nothing_else(tmp_path):
    """(S) Sichuan 2023: 产出 60 / 效益 30, no 满意度 group — a copy of the file with other numbers."""
    text = (FRAMEWORK_DIR / f"{DEPT}.toml").read_text(encoding="utf-8")
    start = text.index("[[target.groups]]")
    end = text.index("# ---------------------------------------------------------------- 报告提纲")
    groups = ('[[target.groups]]\nid = "output"\nname = "产出指标"\nweight = 60\n'
              'level2 = ["数量指标", "质量指标", "时效指标", "成本指标"]\n'
              '[[target.groups]]\nid = "benefit"\nname = "效益指标"\nweight = 30\n'
              'level2 = ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"]\n\n')
    variant = text[:start] + groups + text[end:]
    variant = variant.replace('id = "national_dept_target"', 'id = "sc_dept_target_2023"')
    p = tmp_path / "sc_dept_target_2023.toml"
    p.write_text(variant, encoding="utf-8")
    fw = load_framework_file(p)
    assert [g[2] for g in fw.score_groups()] == [10, 60, 30]
    wb_path = tmp_path / "sc.xlsx"
    from addin.xlsx.finish import save_workbook
    from addin.xlsx.template import build_template
    wb, _ = build_template(fw)
    ws = wb["绩效指标"]
    first = name_cells(wb, "t_name")[0].row
    for i, row in enumerate((("产出指标", "数量指标", "发放（缴纳）覆盖率", "=", 100, "%", 100, 60, 60, None),
                             ("效益指标", "社会效益指标", "足额保障率（参保率）", "=", 100, "%", 98, 30, 29.4, "个别人员未参保"))):
        for col, v in zip("BCDEFGHIJK", row):
            ws[f"{col}{first + i}"] = v
    name_cells(wb, "s_exec_rate")[0].value = 10
    for n, v in (("f_bi_fiscal", 2389300), ("f_bf_fiscal", 2518900), ("f_be_fiscal", 2518900)):
        name_cells(wb, n)[0].value = v
    save_workbook(wb, wb_path, fw, overwrite=True)
    ev = evaluate(fw, read_book(wb_path))
    assert ev.groups == {"budget_exec": 10, "output": 60, "benefit": 29.4}
    assert ev.total == 99.4 and ev.metrics["m_exec_rate"].value == 1.0
    codes = {f.code for f in validate(fw, read_book(wb_path)).findings}
    assert "T04.weight-sum" not in codes and "T01.score-over-weight" not in codes


# ---------------------------------------------------------------- 校验: one injected mistake each
@pytest.mark.parametrize("rows,cells,code,col", [
    ({("score", 0): 12}, {}, "T01.score-over-weight", "score"),
    ({("score", 0): 10}, {}, "T01.full-marks-not-met", "score"),  # 11500 of 12000 亩 with 10 of 10
    ({("reason", 0): None}, {}, "T01.reason-missing", "reason"),
    ({("actual", 1): "≥98%"}, {}, "T02.target-as-actual", "actual"),
    ({("actual", 1): "96人"}, {}, "T02.unit-mismatch", "actual"),
    ({("weight", 1): 15}, {}, "T04.weight-sum", None),
    ({("name", 1): "高标准农田建设面积"}, {}, "T03.duplicate", "name"),
    ({("level1", 1): "产出"}, {}, None, None),  # "产出" is read as 产出指标: no finding
    ({("level1", 1): "投入指标"}, {}, "T03.unknown-level1", "level1"),
    ({("nature", 1): "约"}, {}, "T03.nature-unknown", "nature"),
    ({}, {"f_exec_reason": None}, "T05.adjusted-no-reason", None),
    ({}, {"f_conclusion": "本单位自评得分 95.9 分，等级为优。"}, "T06.total-differs", None),
    ({}, {"f_conclusion": "自评得分 97 分，等级为良。"}, "T06.grade-differs", None),
    ({}, {"n_exec_rate": "全年执行 1,365 万元，执行率 109.20%。"}, "T05.rate-on-initial", None),
    ({}, {"s_exec_rate": 10}, "T05.score-on-initial", None),
    ({}, {"f_exec_reason": "年中追加预算。" * 20}, "T05.reason-too-long", None),
])
def test_each_injected_mistake_is_found_at_its_cell(samples, tmp_path, rows, cells, code, col):
    p = _mutate(samples[DEPT], tmp_path, cells, rows)
    found = _codes(p)
    t_codes = {c for c in found if c.startswith("T")}
    if code is None:
        assert not t_codes
        return
    assert code in found, found.keys()
    # consequences of the same slip (a changed score moves the total the conclusion states) are allowed
    assert t_codes <= {code, "T01.full-marks-not-met", "T01.reason-missing", "T02.not-computable",
                       "T06.total-differs", "T06.grade-differs", "T04.weight-sum"}, t_codes
    f = found[code][0]
    if col is not None:
        idx = next(i for (c, i) in rows if c == col)
        wb = load_workbook(p)
        assert f.cell == name_cells(wb, f"t_{col}")[idx].coordinate and f.sheet == "绩效指标"
    elif cells:
        assert f.name == next(iter(cells))


def test_low_execution_rate_without_a_reason(samples, tmp_path):
    p = _mutate(samples[PROJ], tmp_path, {"f_be_fiscal": 700000, "s_exec_rate": 7.78})
    codes = _codes(p)
    assert "T05.low-rate-no-reason" in codes
    p2 = _mutate(samples[PROJ], tmp_path, {"f_be_fiscal": 700000, "s_exec_rate": 7.78,
                                           "f_exec_reason": "工程款按合同于次年支付"})
    assert "T05.low-rate-no-reason" not in _codes(p2)


def test_rules_are_silent_for_the_fixed_family(sample_path):
    codes = {f.code for f in _findings(sample_path)}
    assert not any(c.startswith("T") for c in codes)


def test_an_empty_table_is_one_finding(tmp_path):
    p = new_template(tmp_path / "blank.xlsx", framework=PROJ)
    codes = _codes(p)
    assert [c for c in codes if c.startswith("T")] == ["T04.table-empty"]


def test_placeholder_rows_of_the_form_are_pointed_at(samples, tmp_path):
    p = _mutate(samples[DEPT], tmp_path, rows={("level1", 12): "产出指标", ("name", 12): "指标2：……"})
    found = _codes(p)
    assert "T03.placeholder" in found and "T04.weight-sum" not in found


# ---------------------------------------------------------------- report
def test_report_follows_the_outline_and_attaches_the_official_table(samples, tmp_path):
    import docx

    from addin.app.books import load_and_evaluate
    from docgen.build import default_report_name, write_report

    for fid, p in samples.items():
        ev = load_and_evaluate(p)
        out, rendered = write_report(ev, tmp_path / f"{fid}.docx")
        d = docx.Document(str(out))
        text = "\n".join(x.text for x in d.paragraphs)
        fw = load_framework(fid)
        for ch in fw.report_outline:
            assert ch.headings[0] in text
        assert "产出指标（50 分）" in text and "自评总分 " in text and f"等级为“{ev.grade}”" in text
        assert "年度资金总额" in text and "（全年执行数 ÷ 全年预算数）" in text
        cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
        for header in ("年初预算数", "全年预算数", "全年执行数", "执行率", "年度指标值", "实际完成值",
                       "偏差原因分析及改进措施", "预期目标", "实际完成情况", "评价结论"):
            assert header in cells, header
        assert "其中：本年财政拨款" in cells and "上年结转资金" in cells and "其他资金" in cells
        assert fw.form_title.replace("表", "报告") in default_report_name(ev)
    ev = load_and_evaluate(samples[DEPT])
    text = "\n".join(x.text for x in docx.Document(str(tmp_path / f"{DEPT}.docx")).paragraphs)
    assert "高标准农田建设面积（扣 0.5 分）" in text  # 偏差原因 from the row that lost points
    assert "完成率 95.83%" in text and "1440 万元" in text


# ---------------------------------------------------------------- command line, next year, round trip
def _cli(*args, cwd=None):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "addin.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**__import__("os").environ, "PYTHONPATH": str(Path(__file__).parents[1])})


def test_frameworks_json_lists_id_name_family_purpose():
    r = _cli("frameworks", "--json")
    assert r.returncode == 0, r.stderr
    rows = {x["id"]: x for x in json.loads(r.stdout)}
    assert rows[DEPT]["family"] == rows[PROJ]["family"] == "target_table"
    assert rows["gd_county_2022"]["family"] == "fixed_indicators"
    assert all(rows[i]["name"] and "purpose" in rows[i] for i in rows)


def test_sample_command_for_each_new_framework(tmp_path):
    for fid in (DEPT, PROJ):
        out = tmp_path / f"{fid}.xlsx"
        r = _cli("sample", "--framework", fid, "-o", out)
        assert r.returncode == 0 and "虚构示例" in r.stdout, r.stderr
        assert read_book(out).framework_id == fid
    r = _cli("sample", "--framework", "nope_framework", "-o", tmp_path / "x.xlsx")
    assert r.returncode == 2 and "nope_framework" in r.stderr


@pytest.mark.parametrize("fid", [DEPT, PROJ, "gd_county_2022"])
def test_next_year_carries_targets_and_clears_results(samples, sample_path, tmp_path, fid):
    from addin.app.books import new_from_previous
    src = samples.get(fid, sample_path)
    out, summary = new_from_previous(src, tmp_path / "next.xlsx")
    fw = load_framework(fid)
    old, new = evaluate(fw, read_book(src)), evaluate(fw, read_book(out))
    year = old.contract.role("year")
    assert new.inputs[year] == old.inputs[year] + 1 == summary["year"]
    for name in fw.carry_fields:
        assert new.inputs[name] == old.inputs[name], name
    for dst, src_name in fw.prev_fields.items():
        assert new.inputs[dst] == pytest.approx(old.value(src_name)), dst
    assert fw.prev_fields and fw.carry_fields
    for ind in fw.indicators:  # this year's judgement starts blank
        assert new.indicators[ind.id].raw_score is None and not new.indicators[ind.id].note
    old_projects = [c.value for c in read_book(src).column("p_name") if c.value]
    assert [c.value for c in read_book(out).column("p_name") if c.value] == old_projects
    assert all(c.value is None for c in read_book(out).column("p_budget"))
    if fw.target is not None:
        kept = [(r.row.get("name"), r.row.get("nature"), r.row.get("target"), r.row.get("weight"))
                for r in old.rows if not r.row.is_empty]
        assert [(r.row.get("name"), r.row.get("nature"), r.row.get("target"), r.row.get("weight"))
                for r in new.rows if not r.row.is_empty] == kept
        assert all(r.row.get(c) is None for r in new.rows for c in ("actual", "score", "reason"))


def test_new_from_on_the_command_line(samples, tmp_path):
    out = tmp_path / "下一年.xlsx"
    r = _cli("new", "--from", samples[PROJ], "-o", out)
    assert r.returncode == 0, r.stderr
    assert "2025" in r.stdout and "绩效指标 7 行" in r.stdout
    r = _cli("new", "--from", samples[PROJ], "--year", "2030", "-o", tmp_path / "y.xlsx")
    assert r.returncode == 2


def test_export_fill_round_trip_keeps_the_rows(samples, tmp_path):
    from addin.app.books import export_data as export, fill_file as fill
    for fid, p in samples.items():
        data = export(p)
        assert data["tables"]["indicators"]["columns"][:3] == ["t_level1", "t_level2", "t_name"]
        assert len(data["tables"]["indicators"]["rows"]) == len([r for r in data["rows"]])
        assert data["totals"]["groups"]["产出指标"] == evaluate(load_framework(fid), read_book(p)).groups["output"]
        dj = tmp_path / f"{fid}.json"
        dj.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        blank = new_template(tmp_path / f"{fid}_blank.xlsx", framework=fid)
        out = tmp_path / f"{fid}_filled.xlsx"
        rep = fill(blank, dj, out)
        assert not rep.ignored, rep.ignored
        again = export(out)
        assert again["tables"] == data["tables"] and again["totals"] == data["totals"]
        assert {c["name"]: c["value"] for c in again["cells"]} == {c["name"]: c["value"] for c in data["cells"]}


def test_ribbon_next_year_button(samples, tmp_path, monkeypatch):
    import xml.etree.ElementTree as ET

    from addin import ribbon
    from addin.adapters.offline import OfflineBook
    root = ET.parse(Path(__file__).parents[1] / "macros" / "customUI14.xml").getroot()
    assert any(e.get("onAction") == "JxzpRibbon.JxzpNextYear" for e in root.iter())
    assert "r.next_year()" in (Path(__file__).parents[1] / "macros" / "JxzpRibbon.bas").read_text("utf-8")
    src = tmp_path / "本年.xlsx"
    shutil.copy(samples[DEPT], src)
    book = OfflineBook(src)
    monkeypatch.setattr(ribbon, "_caller_book", lambda: book)
    monkeypatch.setenv("JXZP_HOME", str(tmp_path / "home"))
    ribbon.next_year()
    new = tmp_path / "本年_下一年度.xlsx"
    assert book.app.opened == [str(new)], book.app.alerts
    assert read_book(new).framework_id == DEPT and "2025" in book.app.alerts[-1]["prompt"]


def test_shipped_target_workbooks_are_current(tmp_path):
    from addin.app.books import export_data as export
    shipped = Path(__file__).parents[1] / "workbook_template"
    for fid, stem in ((DEPT, "部门整体支出绩效自评表"), (PROJ, "项目支出绩效自评表")):
        for name, fresh in ((f"{stem}_目标表式_模板.xlsx", new_template(tmp_path / f"{fid}_t.xlsx", framework=fid)),
                            (f"示例_{stem}_目标表式（虚构）.xlsx", make_sample(tmp_path / f"{fid}_s.xlsx", framework=fid))):
            a, b = export(shipped / name), export(fresh)
            a.pop("source"), b.pop("source")
            assert a == b, f"{name} 过期：请用 jxzp new / jxzp sample --framework {fid} 重新生成"

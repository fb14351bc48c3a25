"""The 绩效指标 table computes in LibreOffice (no add-in) exactly as the core does.

Rows of many kinds (正向/反向/等于/定性, full-width symbols, text numbers, blanks, errors) are typed
into the made-up sample through UNO; after recalculation 完成率, 建议得分, the group totals, the
weight sums and 总分 must equal addin.core.target / evaluate for the same inputs.
"""
from __future__ import annotations

import pytest
from openpyxl import load_workbook

from addin.core.evaluate import evaluate
from addin.core.framework import load_framework
from addin.app.books import write_sample as make_sample
from addin.xlsx.reader import read_book
from addin.xlsx.writer import name_cells

from lo_uno import as_cell, run_jobs, same, setter

pytestmark = pytest.mark.libreoffice
DEPT = "national_dept_target"
COLS = ("level1", "level2", "name", "nature", "target", "unit", "actual", "weight", "score", "reason")
CASES = [
    ("产出指标", "数量指标", "正向", "≥", 120, "个", 90, 10, 7.5, "x"),
    ("产出指标", "数量指标", "正向超额", "≥", 95, "%", 99.5, 10, 10, None),
    ("产出指标", "质量指标", "反向超出", "≤", 90, "万元", 100, 10, 9, "x"),
    ("产出指标", "时效指标", "反向达成", "≦", 5, "%", 4, 10, 10, None),
    ("产出指标", "成本指标", "等于相符", "﹦", 72890, "元", 72890, 10, 10, None),
    ("效益指标", "社会效益指标", "等于不符", "=", 100, "%", 95, 10, 9.5, "x"),
    ("效益指标", "社会效益指标", "定性达成", "定性", "明显", None, "达成预期指标", 10, 10, None),
    ("效益指标", "生态效益指标", "定性未达成", "定性", "明显", None, "未达成", 10, 0, "x"),
    ("满意度指标", "服务对象满意度指标", "定性无词", "定性", "明显", None, "情况良好", 5, 5, None),
    ("满意度指标", "服务对象满意度指标", "文字数字", "≥", "1,200", "人", "1300", 5, 5, None),
    ("满意度指标", "服务对象满意度指标", "百分号文字", "≥", "95%", None, "96%", 2, 2, None),
    ("满意度指标", "服务对象满意度指标", "未填完成值", "≥", 10, "个", None, 2, None, None),
    ("满意度指标", "服务对象满意度指标", "性质不明", "约", 10, "个", 9, 2, 1, None),
    ("满意度指标", "服务对象满意度指标", "目标为零", "≥", 0, "个", 3, 2, 2, None),
    ("产出指标", "数量指标", "目标写法", "≥", 98, "%", "≥98%", 2, 2, None),
]


@pytest.fixture(scope="module")
def lo(tmp_path_factory):
    d = tmp_path_factory.mktemp("target_lo")
    src = make_sample(d / "sample.xlsx", framework=DEPT)
    wb = load_workbook(src)
    col_cells = {c: name_cells(wb, f"t_{c}") for c in COLS + ("ratio", "suggest")}
    sheet = col_cells["name"][0].parent.title
    n = len(CASES)
    sets = []
    for i, row in enumerate(CASES):
        for c, v in zip(COLS, row):
            sets.append(setter(sheet, col_cells[c][i].coordinate, v))
    reads = [[sheet, col_cells[c][i].coordinate] for i in range(n) for c in ("ratio", "suggest")]
    totals = ["grp_output", "grp_benefit", "grp_satisfaction", "wsum_output", "wsum_benefit", "total_score"]
    for t in totals:
        cell = name_cells(wb, t)[0]
        reads.append([cell.parent.title, cell.coordinate])
    first, last = col_cells["name"][0].row, col_cells["name"][n + 12].row
    a, b, r = (col_cells[c][0].column_letter for c in ("level1", "score", "reason"))  # input columns only
    job = {"file": str(src), "unprotect": True, "read": reads,
           "sets": [{"clear": [[sheet, f"{a}{first}:{b}{last}"], [sheet, f"{r}{first}:{r}{last}"]], "set": sets}],
           "save_as": str(d / "lo.xlsx")}
    (res,) = run_jobs([job], d)
    # the core's answer for the same inputs: the same edit made with openpyxl
    for i, row in enumerate(CASES):
        for c, v in zip(COLS, row):
            col_cells[c][i].value = v
    for i in range(n, n + 13):
        for c in COLS:
            col_cells[c][i].value = None
    wb.save(d / "core.xlsx")
    ev = evaluate(load_framework(DEPT), read_book(d / "core.xlsx"))
    want = []
    for i in range(n):
        want += [as_cell(ev.rows[i].ratio_display), as_cell(ev.rows[i].suggest_display)]
    want += [as_cell(ev.expected(t)) for t in totals]
    return res["results"][0], want, d


def test_every_row_and_total_equals_the_core(lo):
    got, want, _ = lo
    labels = [f"{r[2]}·{k}" for r in CASES for k in ("完成率", "建议得分")] + ["产出", "效益", "满意度", "产出分值",
                                                                          "效益分值", "总分"]
    bad = [(lab, g, w) for lab, g, w in zip(labels, got, want) if not same(g, w)]
    assert not bad, bad
    assert len(got) == len(want) == 2 * len(CASES) + 6


def test_the_file_libreoffice_saved_is_read_back(lo):
    from addin.core.validation import validate

    _, _, d = lo
    fw = load_framework(DEPT)
    book = read_book(d / "lo.xlsx")
    ev = evaluate(fw, book)
    assert [r.row.get("name") for r in ev.rows[:len(CASES)]] == [c[2] for c in CASES]
    codes = {f.code for f in validate(fw, book, ev).findings}
    # LibreOffice keeps the group totals' and the table's formulas as jxzp wrote them
    assert not [c for c in codes if c.startswith(("R04.", "T07."))], codes
    assert {"T02.target-as-actual", "T02.not-computable", "T03.nature-unknown"} <= codes

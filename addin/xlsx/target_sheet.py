"""The 绩效指标 sheet of the target-table family: group totals on top, the department's rows below.

Each column of the row table is a defined name over its whole range (t_level1, t_name, …), so
rows inserted inside the table in Excel, WPS or LibreOffice extend the names, as for 项目清单.
Computed columns (完成率, 建议得分) and the group totals are native formulas, so the sheet
computes without the add-in; core/target.py holds their Python mirrors.
"""
from __future__ import annotations

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from ..core.target import (TABLE_COLUMNS, column_name, group_total_formula, ratio_formula, suggest_formula)
from . import styles as st

_FORMATS = {"number": st.FMT_SCORE, "score": st.FMT_SCORE}
GROUP_COL = 2  # the group summary's first column (its row labels; the contract's anchor column)


def layout(fw) -> tuple[int, int, int]:
    """(header row, first data row, last data row) of the row table."""
    header = 4 + len(fw.target.groups) + 2
    return header, header + 1, header + fw.target.rows


def build_target_sheet(b, fw) -> None:
    """b: the template's _Builder (helpers for names, styles, validation, page setup)."""
    spec = fw.target
    ws = b.wb.create_sheet(spec.sheet)
    ncol = len(TABLE_COLUMNS) + 1
    b.title(ws, f"绩效指标（{spec.weight_total:g} 分）", ncol)
    note = ("三级指标由本单位填写：每个指标一行，可插入、删除或调整行（在表格范围内插入）。"
            "指标性质选 ≥（正向）、≤（反向）、=（等于）或 定性；定性指标的实际完成值写“达成预期指标”“基本达成”"
            "“部分达成”或“未达成”。完成率、建议得分自动计算，仅供参考。")
    ws.cell(2, 1, note).font = st.NOTE_FONT
    ws.cell(2, 1).alignment = st.WRAP
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
    ws.row_dimensions[2].height = 32
    # group totals
    # one row per 一级 group, from column B (column A is the table's narrow 序号)
    for i, lab in enumerate(("一级指标", "分值", "三级指标分值合计", "自评得分"), GROUP_COL):
        c = ws.cell(3, i, lab)
        c.font, c.fill, c.alignment, c.border = st.HEADER_FONT, st.HEADER_FILL, st.CENTER, st.BORDER
    r = 4
    for g in spec.groups:
        ws.cell(r, GROUP_COL, g.name)
        ws.cell(r, GROUP_COL + 1, g.weight)
        for col in (GROUP_COL, GROUP_COL + 1):
            b.style(ws.cell(r, col), center=True)
        ws_ = ws.cell(r, GROUP_COL + 2, group_total_formula(g, "weight"))
        b.style(ws_, calc=True, fmt=st.FMT_SCORE, center=True)
        b.cell_name(g.weight_sum_name, ws, r, GROUP_COL + 2)
        tot = ws.cell(r, GROUP_COL + 3, group_total_formula(g, "score"))
        b.style(tot, calc=True, fmt=st.FMT_SCORE, center=True)
        b.cell_name(g.total_name, ws, r, GROUP_COL + 3)
        r += 1
    header, first, last = layout(fw)
    widths = [6] + [w for *_, w in TABLE_COLUMNS]
    b.header(ws, header, ["序号"] + [h for _, h, _, _ in TABLE_COLUMNS], widths)
    col = {cid: get_column_letter(i + 2) for i, (cid, *_) in enumerate(TABLE_COLUMNS)}
    level1 = b.dv(ws, type="list", formula1='"' + ",".join(g.name for g in spec.groups) + '"')
    level1.errorTitle, level1.error = "输入有误", "请从下拉列表选择一级指标。"
    l2_names = list(dict.fromkeys(n for g in spec.groups for n in g.level2))
    level2 = b.dv(ws, type="list", formula1='"' + ",".join(l2_names) + '"')
    level2.errorTitle, level2.error = "输入有误", "请从下拉列表选择二级指标。"
    nature = b.dv(ws, type="list", formula1='"' + ",".join(spec.nature_choices()) + '"')
    nature.errorStyle = "warning"  # full-width variants (≧ ﹦) typed by hand are accepted
    nature.errorTitle, nature.error = "指标性质", "指标性质一般为 ≥、≤、= 或 定性。"
    weight = b.dv(ws, type="decimal", operator="between", formula1="0", formula2=f"{spec.weight_total:g}")
    weight.errorTitle, weight.error = "输入有误", "分值须为不小于 0 的数字。"
    score = b.dv(ws, type="decimal", operator="between", formula1="0", formula2=f"{col['weight']}{first}")
    score.errorTitle, score.error = "得分超出范围", "得分须在 0 到该指标分值之间。"
    for row in range(first, last + 1):
        b.style(ws.cell(row, 1, row - first + 1), center=True)
        for i, (cid, _h, kind, _w) in enumerate(TABLE_COLUMNS):
            c = ws.cell(row, i + 2)
            if kind == "calc":
                c.value = (ratio_formula(spec, row, col) if cid == "ratio"
                           else suggest_formula(spec, row, col, fw.score_decimals))
                b.style(c, calc=True, fmt=st.FMT_RATE if cid == "ratio" else st.FMT_SCORE, center=True)
            else:
                b.style(c, input_=True, fmt=_FORMATS.get(kind, st.FMT_TEXT if kind == "text" else None),
                        center=kind in ("nature", "number", "score"))
    rng = lambda cid: f"{col[cid]}{first}:{col[cid]}{last}"  # noqa: E731
    level1.add(rng("level1"))
    level2.add(rng("level2"))
    nature.add(rng("nature"))
    weight.add(rng("weight"))
    score.add(rng("score"))
    red = PatternFill("solid", fgColor="FFC7CE")
    w0, s0 = f"{col['weight']}{first}", f"{col['score']}{first}"
    ws.conditional_formatting.add(rng("score"), FormulaRule(
        formula=[f"AND(ISNUMBER({s0}),ISNUMBER({w0}),{s0}>{w0})"], fill=red))
    for cid, *_ in TABLE_COLUMNS:
        b.name(column_name(cid), ws, f"${col[cid]}${first}:${col[cid]}${last}")
    ws.freeze_panes = ws.cell(first, 5).coordinate
    b.a4(ws, True, f"${header}:${header}")
    b.protect(ws, insert_rows=True)

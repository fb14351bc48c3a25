"""Generate the 自评表 workbook from a framework, so template and framework cannot drift.

Every input, computed figure and score cell gets a defined name (the workbook's
interface); addresses exist only here, while the layout is written. Computed cells
call the UDFs of addin/udfs.py (or native SUM/COUNTIFS) by name.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from ..core import contract as ct
from ..core.contract import SHEETS
from ..core.chapters import PARAGRAPH_KINDS, chapter_keys, default_texts
from ..core.framework import Framework, Indicator
from ..core.formulas import adj_total_formula, grade_formula, max_formula, suggest_formula, total_formula
from ..core import dv_text, native
from ..core.metrics import excel_formula, guarded_call
from ..core.model import META_FRAMEWORK, META_VERSION, TEMPLATE_VERSION
from ..core.placeholders import Placeholders
from . import styles as st

# sheet names come from the workbook contract (one definition)
SHEET_GUIDE, SHEET_INFO, SHEET_PROJECTS = SHEETS.guide, SHEETS.info, SHEETS.projects
SHEET_ADJUST, SHEET_SUMMARY, SHEET_TEXT, SHEET_RESULTS = SHEETS.adjust, SHEETS.summary, SHEETS.text, SHEETS.results

PROJECT_ROWS = 200  # capacity of 项目清单 (rows inserted inside the range extend the names in Excel)
TEXT_ROWS = 400  # capacity of 报告文字
RESULTS_HEADER = ("序号", "级别", "代码", "工作表", "单元格", "名称", "指标", "问题", "应为", "实际")
IND_HEADER = ("一级指标", "二级指标", "三级指标", "分值", "适用分值", "指标解释", "评分标准",
              "计算值", "建议得分", "自评得分", "评分说明")
IND_WIDTHS = (10, 11, 16, 6, 7, 34, 34, 11, 8, 8, 48)
AUTHOR = "jxzp"
EXCEL_CALC_ID = 191029  # the calculation engine of Excel 2019/2021/365, as they write it
CHART_NAME = ct.CHART  # 汇总 table the chart plots; found by name when the chart is re-added


@dataclass
class Layout:
    """Where the generator put things (used by the generator and its tests only)."""

    names: dict[str, str] = field(default_factory=dict)  # name -> "Sheet!$A$1" (or range)


def _chars_per_line(width: float) -> float:
    return max(1.0, width / 2.0)  # a CJK character takes about two width units


def _fit_height(texts_widths: list[tuple[str, float]], base: float = 15.0) -> float:
    lines = 1
    for text, width in texts_widths:
        if text:
            n = sum(math.ceil(max(1, len(part)) / _chars_per_line(width)) for part in str(text).split("\n"))
            lines = max(lines, n)
    return min(409.0, base * lines + 4)


class _Builder:
    def __init__(self, fw: Framework, year: int | None, department: str | None):
        self.fw = fw
        self.sheets = ct.contract_for(fw).sheets  # the framework's names for the template's own sheets
        self.year = year
        self.department = department
        self.wb = Workbook()
        self.layout = Layout()
        self.wb.remove(self.wb.active)

    # ---- helpers
    def name(self, name: str, ws, ref: str) -> None:
        target = f"{quote_sheetname(ws.title)}!{ref}"
        self.wb.defined_names[name] = DefinedName(name, attr_text=target)
        self.layout.names[name] = target

    def cell_name(self, name: str, ws, row: int, col: int) -> None:
        self.name(name, ws, f"${get_column_letter(col)}${row}")

    @staticmethod
    def header(ws, row: int, labels, widths=None) -> None:
        for i, lab in enumerate(labels, 1):
            c = ws.cell(row, i, lab)
            c.font, c.fill, c.alignment, c.border = st.HEADER_FONT, st.HEADER_FILL, st.CENTER, st.BORDER
        if widths:
            for i, w in enumerate(widths, 1):
                ws.column_dimensions[get_column_letter(i)].width = w

    @staticmethod
    def title(ws, text: str, ncols: int) -> None:
        ws.cell(1, 1, text).font = st.TITLE_FONT
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
        ws.row_dimensions[1].height = 24

    @staticmethod
    def style(c, *, input_: bool = False, calc: bool = False, fmt: str | None = None, wrap=True, center=False):
        c.font = st.BODY_FONT
        c.border = st.BORDER
        c.alignment = st.CENTER if center else (st.WRAP if wrap else None) or st.WRAP
        if input_:
            c.fill, c.protection = st.INPUT_FILL, st.UNLOCKED
        elif calc:
            c.fill, c.protection = st.CALC_FILL, st.LOCKED
        if fmt:
            c.number_format = fmt

    @staticmethod
    def protect(ws, *, insert_rows: bool = False) -> None:
        p = ws.protection
        p.sheet = True  # no password: protection guards formulas against slips, not people
        p.formatColumns = False
        p.formatRows = False
        p.insertRows = not insert_rows
        p.deleteRows = not insert_rows
        p.selectLockedCells = False
        p.selectUnlockedCells = False

    @staticmethod
    def a4(ws, landscape: bool, title_rows: str | None) -> None:
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.print_options.horizontalCentered = True
        if title_rows:
            ws.print_title_rows = title_rows

    def dv(self, ws, **kw) -> DataValidation:
        d = DataValidation(allow_blank=True, showErrorMessage=True, showInputMessage=True,
                           errorStyle="stop", **kw)
        ws.add_data_validation(d)
        return d

    # ---- sheets
    def guide(self) -> None:
        fw = self.fw
        ws = self.wb.create_sheet(self.sheets.guide)
        ws.column_dimensions["A"].width = 22
        ws.column_dimensions["B"].width = 90
        self.title(ws, f"{_form_title(fw)} · 填表说明", 2)
        rows = [
            ("指标体系", f"{fw.name}（{fw.id}，第 {fw.version} 版）"),
            ("模板版本", f"jxzp 模板第 {TEMPLATE_VERSION} 版。请勿删除或重命名工作表和“名称管理器”中的名称，程序按名称读取数据。"),
            ("填写顺序", _fill_order(fw)),
            ("单元格颜色", "浅黄色：需要填写；浅绿色：自动计算（已锁定，工作表保护无密码）。"),
            ("金额与比率", "金额以“元”为单位填写数字，不要输入“万元”“元”或千分位逗号等文字；比率填小数或百分数（如 92.31%），不要填 92.31。"),
            ("计算值", "安装了 jxzp 加载项的 Excel 用加载项的函数计算比率（EXEC_RATE、GROWTH_RATE 等）；WPS、LibreOffice "
                      "和未装加载项的 Excel 自动改用公式中的等价普通函数，修改数据后同样重新计算，结果相同。"
                      "发给未装加载项的同事前，请先点“准备发送”（或运行 jxzp send-ready）。"),
            ("建议得分", "按指标体系文件中的评分规则计算，仅供参考；官方评分细则未公开的规则标有“推断”。"),
            ("不使用 Excel", "WPS、LibreOffice 用户：jxzp validate 工作簿.xlsx --annotate 标注副本.xlsx；jxzp report 工作簿.xlsx。"),
        ]
        r = 3
        for k, v in rows:
            ws.cell(r, 1, k).font = st.SECTION_FONT
            c = ws.cell(r, 2, v)
            c.font, c.alignment = st.BODY_FONT, st.WRAP_TOP
            ws.row_dimensions[r].height = _fit_height([(v, 90)])
            r += 1
        r += 1
        ws.cell(r, 1, "可用占位符").font = st.SECTION_FONT
        ws.cell(r, 2, "在“报告文字”和“评分说明”中写 {名称} 即引用表中数值；{金额|万元} 以万元表示，{增长率|增减} 写成“增长 x%”或“降低 x%”。").font = st.NOTE_FONT
        r += 1
        keys = _placeholder_keys(self.fw)
        for i in range(0, len(keys), 6):
            ws.cell(r, 2, "　".join("{" + k + "}" for k in keys[i:i + 6])).font = st.BODY_FONT
            r += 1
        self.a4(ws, False, None)
        self.protect(ws)

    def info(self) -> None:
        fw = self.fw
        ws = self.wb.create_sheet(self.sheets.info)
        self.title(ws, self.sheets.info, 4)
        self.header(ws, 2, ("项目", "数值", "单位", "说明"), (26, 22, 8, 60))
        r = 3
        section = None
        for f in fw.fields:
            if f.section != section:
                section = f.section
                for col in range(1, 5):
                    c = ws.cell(r, col, section if col == 1 else None)
                    c.font, c.fill, c.border = st.SECTION_FONT, st.SECTION_FILL, st.BORDER
                r += 1
            ws.cell(r, 1, f.label + ("（必填）" if f.required else ""))
            self.style(ws.cell(r, 1))
            v = ws.cell(r, 2)
            if f.id == "year" and self.year:
                v.value = self.year
            if f.id == "department" and self.department:
                v.value = self.department
            self.style(v, input_=True, fmt=_FIELD_FORMATS.get(f.kind))
            ws.cell(r, 3, f.unit or ("%" if f.kind == "rate" else None))
            self.style(ws.cell(r, 3), center=True)
            ws.cell(r, 4, f.help or None)
            self.style(ws.cell(r, 4))
            ws.cell(r, 4).font = st.NOTE_FONT
            self.cell_name(f.name, ws, r, 2)
            self._field_validation(ws, f, f"B{r}")
            ws.row_dimensions[r].height = _fit_height([(f.help, 60)], 16)
            r += 1
        r += 1
        for col in range(1, 5):
            c = ws.cell(r, col, "计算值（自动计算，请勿修改）" if col == 1 else None)
            c.font, c.fill, c.border = st.SECTION_FONT, st.SECTION_FILL, st.BORDER
        r += 1
        for m in fw.metrics:
            ws.cell(r, 1, m.label)
            self.style(ws.cell(r, 1))
            c = ws.cell(r, 2, excel_formula(m))
            self.style(c, calc=True, fmt=st.FMT_RATE if m.is_rate else (st.FMT_AMOUNT if m.unit == "元" else st.FMT_COUNT))
            ws.cell(r, 3, m.unit or "%")
            self.style(ws.cell(r, 3), center=True)
            note = m.help + (f"（推断：{m.assumption}）" if m.assumption else "")
            ws.cell(r, 4, note or None)
            self.style(ws.cell(r, 4))
            ws.cell(r, 4).font = st.NOTE_FONT
            ws.row_dimensions[r].height = _fit_height([(note, 60)], 16)
            self.cell_name(m.name, ws, r, 2)
            r += 1
        ws.freeze_panes = "A3"
        self.a4(ws, False, "$2:$2")
        self.protect(ws)

    def _field_validation(self, ws, f, ref: str) -> None:
        if f.kind not in dv_text.FIELD_ERRORS:
            return
        if f.kind == "amount":
            d = self.dv(ws, type="decimal", operator="between", formula1="0", formula2="10000000000000")
        elif f.kind == "count":
            d = self.dv(ws, type="whole", operator="between", formula1="0", formula2="1000000")
        elif f.kind == "rate":
            d = self.dv(ws, type="decimal", operator="between", formula1="0", formula2="10")
        elif f.kind == "year":
            d = self.dv(ws, type="whole", operator="between", formula1="2000", formula2="2100")
        else:
            d = self.dv(ws, type="list", formula1='"是,否"')
        d.error = dv_text.fit(dv_text.FIELD_ERRORS[f.kind].format(label=f.label), dv_text.ERROR_MAX)
        d.errorTitle = "输入有误"
        if f.help:
            d.promptTitle = dv_text.fit(f.label, dv_text.TITLE_MAX)
            d.prompt = dv_text.fit(f.help, dv_text.PROMPT_MAX)
        d.add(ref)

    def projects(self) -> None:
        fw = self.fw
        ws = self.wb.create_sheet(self.sheets.projects)
        cols = fw.project_columns
        ncol = len(cols) + 2
        self.title(ws, self.sheets.projects, ncol)
        flags = "、".join(f"“{c.label}”" for c in cols if c.kind == "yesno")
        note = "每个项目一行。" + (f"{flags}请选“是”或“否”。" if flags else "")
        if fw.target is None:
            note += "绩效目标覆盖率和项目完成及时性据此计算。"
        ws.cell(2, 1, note).font = st.NOTE_FONT
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
        labels = ["序号"] + [c.label for c in cols] + ["执行率"]
        self.header(ws, 3, labels, [6] + [c.width for c in cols] + [10])
        first, last = 4, 4 + PROJECT_ROWS - 1
        yes_no = self.dv(ws, type="list", formula1='"是,否"')
        yes_no.errorTitle, yes_no.error = "输入有误", "请从下拉列表选择“是”或“否”。"
        amount = self.dv(ws, type="decimal", operator="between", formula1="0", formula2="10000000000000")
        amount.errorTitle, amount.error = "输入有误", "金额须为不小于 0 的数字（元）。"
        col_of = {c.id: i + 2 for i, c in enumerate(cols)}
        for r in range(first, last + 1):
            c = ws.cell(r, 1, r - first + 1)
            self.style(c, center=True)
            for c_def in cols:
                c = ws.cell(r, col_of[c_def.id])
                self.style(c, input_=True, fmt=_FIELD_FORMATS.get(c_def.kind), center=c_def.kind == "yesno")
            rate = ws.cell(r, ncol)
            name_c = get_column_letter(col_of["name"])
            if "budget" in col_of and "spent" in col_of:
                b, s = get_column_letter(col_of["budget"]), get_column_letter(col_of["spent"])
                empty = f"OR({native.blank(f'{name_c}{r}')},{native.blank(f'{b}{r}')})"
                rate.value = f'=IF({empty},"",{guarded_call("exec_rate", [f"{s}{r}", f"{b}{r}"])})'
            self.style(rate, calc=True, fmt=st.FMT_RATE, center=True)
        for c_def in cols:
            letter = get_column_letter(col_of[c_def.id])
            rng = f"{letter}{first}:{letter}{last}"
            self.name(c_def.name, ws, f"${letter}${first}:${letter}${last}")
            if c_def.kind == "yesno":
                yes_no.add(rng)
            elif c_def.kind == "amount":
                amount.add(rng)
        rl = get_column_letter(ncol)
        self.name(ct.PROJECT_RATE, ws, f"${rl}${first}:${rl}${last}")
        ws.freeze_panes = "C4"
        self.a4(ws, True, "$3:$3")
        self.protect(ws, insert_rows=True)

    def indicator_sheet(self, l1) -> None:
        fw = self.fw
        ws = self.wb.create_sheet(l1.sheet)
        self.title(ws, f"{l1.name}（{l1.max:g} 分）", len(IND_HEADER))
        self.header(ws, 2, IND_HEADER, IND_WIDTHS)
        r = 3
        first = r
        score_dv = {}
        for l2 in fw.level2_of(l1.id):
            start = r
            for ind in fw.indicators_of(l2.id):
                self._indicator_row(ws, r, l1, l2, ind, score_dv)
                r += 1
            ws.cell(start, 2, l2.name)
            if r - 1 > start:
                ws.merge_cells(start_row=start, start_column=2, end_row=r - 1, end_column=2)
            self.style(ws.cell(start, 2), center=True)
        ws.cell(first, 1, l1.name)
        if r - 1 > first:
            ws.merge_cells(start_row=first, start_column=1, end_row=r - 1, end_column=1)
        self.style(ws.cell(first, 1), center=True)
        # 合计 row
        ws.cell(r, 1, "合计")
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
        for col in range(1, len(IND_HEADER) + 1):
            self.style(ws.cell(r, col), center=col <= 10)
            ws.cell(r, col).font = st.SECTION_FONT
        ws.cell(r, 4, l1.max)
        inds = fw.indicators_of_level1(l1.id)
        c = ws.cell(r, 10, f"=SUM({','.join(i.score_name for i in inds)})")
        self.style(c, calc=True, fmt=st.FMT_SCORE, center=True)
        c.font = st.SECTION_FONT
        self.cell_name(l1.total_name, ws, r, 10)
        ws.freeze_panes = "D3"
        self.a4(ws, True, "$2:$2")
        self.protect(ws)

    def _indicator_row(self, ws, r: int, l1, l2, ind: Indicator, score_dv) -> None:
        fw = self.fw
        values = [None, None, ind.name, ind.max]
        for col, v in enumerate(values, 1):
            if v is not None:
                ws.cell(r, col, v)
            self.style(ws.cell(r, col), center=col != 3)
        # 适用分值: nominal max moved by reallocations whose condition holds
        mx = ws.cell(r, 5, max_formula(fw, ind))
        self.style(mx, calc=True, fmt=st.FMT_SCORE, center=True)
        self.cell_name(ind.max_name, ws, r, 5)
        expl = ind.explanation
        crit = ind.criteria + (f"\n（推断：{ind.assumption}）" if ind.assumption else "")
        for col, text in ((6, expl), (7, crit)):
            c = ws.cell(r, col, text)
            self.style(c)
            c.alignment = st.WRAP_TOP
            c.font = st.NOTE_FONT
        v = ws.cell(r, 8)
        sug = ws.cell(r, 9)
        if ind.metric:
            m = fw.metric(ind.metric)
            v.value = f"={ind.metric}"
            self.style(v, calc=True, center=True,
                       fmt=st.FMT_RATE if m.is_rate else (st.FMT_AMOUNT if m.unit == "元" else st.FMT_COUNT))
            self.cell_name(ind.value_name, ws, r, 8)
        else:
            self.style(v, center=True)
        if ind.rule is not None:
            sug.value = suggest_formula(fw, ind)
            self.style(sug, calc=True, fmt=st.FMT_SCORE, center=True)
            self.cell_name(ind.suggest_name, ws, r, 9)
        else:
            self.style(sug, center=True)
        s = ws.cell(r, 10)
        self.style(s, input_=True, fmt=st.FMT_SCORE, center=True)
        self.cell_name(ind.score_name, ws, r, 10)
        d = self.dv(ws, type="decimal", operator="between", formula1="0", formula2=ind.max_name)
        d.errorTitle = "得分超出范围"
        d.error = dv_text.fit(dv_text.SCORE_ERROR.format(name=ind.name), dv_text.ERROR_MAX)
        d.add(f"J{r}")
        ws.conditional_formatting.add(
            f"J{r}", CellIsRule(operator="greaterThan", formula=[ind.max_name],
                                fill=PatternFill("solid", fgColor="FFC7CE")))
        n = ws.cell(r, 11)
        self.style(n, input_=True)
        n.alignment = st.WRAP_TOP
        self.cell_name(ind.note_name, ws, r, 11)
        ws.row_dimensions[r].height = max(45.0, _fit_height([(expl, 34), (crit, 34)], 13))

    def adjust(self) -> None:
        fw = self.fw
        ws = self.wb.create_sheet(self.sheets.adjust)
        self.title(ws, "加减分项", 6)
        self.header(ws, 2, ("类别", "分值上限", "指标解释", "评分标准", "自评得分", "评分说明（列明依据文件）"),
                    (10, 9, 34, 34, 9, 60))
        r = 3
        for adj in fw.adjustments:
            ws.cell(r, 1, adj.name)
            ws.cell(r, 2, adj.max)
            ws.cell(r, 3, adj.explanation)
            crit = adj.criteria + (f"\n（推断：{adj.assumption}）" if adj.assumption else "")
            ws.cell(r, 4, crit)
            for col in range(1, 5):
                self.style(ws.cell(r, col), center=col <= 2)
                if col in (3, 4):
                    ws.cell(r, col).font = st.NOTE_FONT
                    ws.cell(r, col).alignment = st.WRAP_TOP
            s = ws.cell(r, 5)
            self.style(s, input_=True, fmt=st.FMT_SCORE, center=True)
            self.cell_name(adj.score_name, ws, r, 5)
            d = self.dv(ws, type="decimal", operator="between", formula1="0", formula2=str(adj.max))
            d.errorTitle = "得分超出范围"
            d.error = dv_text.fit(dv_text.ADJUSTMENT_ERROR.format(name=adj.name, max=adj.max), dv_text.ERROR_MAX)
            d.add(f"E{r}")
            n = ws.cell(r, 6)
            self.style(n, input_=True)
            n.alignment = st.WRAP_TOP
            self.cell_name(adj.note_name, ws, r, 6)
            ws.row_dimensions[r].height = max(60.0, _fit_height([(crit, 34), (adj.explanation, 34)], 13))
            r += 1
        ws.cell(r, 1, "加减分合计")
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
        for col in range(1, 7):
            self.style(ws.cell(r, col), center=True)
            ws.cell(r, col).font = st.SECTION_FONT
        c = ws.cell(r, 5, adj_total_formula(fw))
        self.style(c, calc=True, fmt=st.FMT_SCORE, center=True)
        self.cell_name(ct.ADJ_TOTAL, ws, r, 5)
        ws.freeze_panes = "A3"
        self.a4(ws, True, "$2:$2")
        self.protect(ws)

    def summary(self) -> None:
        fw = self.fw
        ws = self.wb.create_sheet(self.sheets.summary)
        self.title(ws, "自评得分汇总", 4)
        self.header(ws, 2, ("一级指标", "分值", "自评得分", "说明"), (22, 10, 12, 40))
        r = 3
        first = r
        for _gid, gname, gmax, gtotal in fw.score_groups():
            ws.cell(r, 1, gname)
            ws.cell(r, 2, gmax)
            c = ws.cell(r, 3, f"={gtotal}")
            for col in (1, 2, 4):
                self.style(ws.cell(r, col), center=col != 4)
            self.style(c, calc=True, fmt=st.FMT_SCORE, center=True)
            r += 1
        last = r - 1
        ws.cell(r, 1, "加减分")
        c = ws.cell(r, 3, "=" + ct.ADJ_TOTAL)
        for col in (1, 2, 4):
            self.style(ws.cell(r, col), center=col != 4)
        self.style(c, calc=True, fmt=st.FMT_SCORE, center=True)
        r += 1
        ws.cell(r, 1, "总分")
        ws.cell(r, 2, fw.total_max)
        c = ws.cell(r, 3, total_formula(fw))
        for col in (1, 2, 4):
            self.style(ws.cell(r, col), center=col != 4)
            ws.cell(r, col).font = st.SECTION_FONT
        self.style(c, calc=True, fmt=st.FMT_SCORE, center=True)
        c.font = st.SECTION_FONT
        ws.cell(r, 4, f"含加减分，最高 {fw.total_cap:g} 分" if fw.total_cap is not None else None)
        self.cell_name(ct.TOTAL_SCORE, ws, r, 3)
        r += 1
        ws.cell(r, 1, "等级")
        c = ws.cell(r, 3, grade_formula(fw))
        for col in (1, 2, 4):
            self.style(ws.cell(r, col), center=col != 4)
        self.style(c, calc=True, center=True)
        grades = sorted(fw.grades, key=lambda g: -g.min)
        ws.cell(r, 4, "；".join(f"{g.name} ≥ {g.min:g}" if g.min > 0 else f"{g.name} < {grades[i - 1].min:g}"
                               for i, g in enumerate(grades)))
        self.cell_name(ct.GRADE, ws, r, 3)
        r += 2
        self.header_row = r
        for i, lab in enumerate(("二级指标", "分值", "自评得分", "所属一级指标"), 1):
            c = ws.cell(r, i, lab)
            c.font, c.fill, c.alignment, c.border = st.HEADER_FONT, st.HEADER_FILL, st.CENTER, st.BORDER
        r += 1
        for l2 in fw.level2:
            ws.cell(r, 1, l2.name)
            ws.cell(r, 2, l2.max)
            ws.cell(r, 4, fw.level1_by_id(l2.parent).name)
            c = ws.cell(r, 3, f"=SUM({','.join(i.score_name for i in fw.indicators_of(l2.id))})")
            for col in (1, 2, 4):
                self.style(ws.cell(r, col), center=col == 2)
            self.style(c, calc=True, fmt=st.FMT_SCORE, center=True)
            self.cell_name(l2.subtotal_name, ws, r, 3)
            r += 1
        self.name(CHART_NAME, ws, f"$A$2:$C${last}")
        add_summary_chart(ws, first, last)
        self.a4(ws, False, None)
        self.protect(ws)

    def report_text(self) -> None:
        ws = self.wb.create_sheet(self.sheets.text)
        self.title(ws, f"{self.sheets.text}（每行一段，按章节顺序写入报告）", 5)
        if self.fw.target is None:
            note = ("“章节”决定段落进入报告的位置；“类型”为“标题”的行按小标题排版。可写占位符，如 {年初预算}、"
                    "{年初预算增长率|增减}，生成报告时换成表中数值（见“填表说明”）。“绩效分析”一章由各指标的自评得分和评分说明自动生成。")
        else:
            note = ("“章节”决定段落进入报告的位置；“类型”为“标题”的行按小标题排版。预算执行、绩效目标、各一级指标的完成情况和"
                    "偏差原因由表格自动生成，这里写的段落跟在其后。可写占位符引用表中数值（见“填表说明”）。")
        ws.cell(2, 1, note).font = st.NOTE_FONT
        ws.merge_cells("A2:E2")
        ws.row_dimensions[2].height = 30
        ws.cell(2, 1).alignment = st.WRAP
        self.header(ws, 3, ("序号", "章节", "类型", "文字", "说明"), (6, 16, 8, 100, 20))
        first, last = 4, 4 + TEXT_ROWS - 1
        keys = list(chapter_keys(self.fw))
        chap = self.dv(ws, type="list", formula1='"' + ",".join(keys) + '"')
        chap.errorTitle, chap.error = "输入有误", "请从下拉列表选择章节。"
        kind = self.dv(ws, type="list", formula1='"' + ",".join(PARAGRAPH_KINDS) + '"')
        kind.errorTitle, kind.error = "输入有误", "请选择“正文”或“标题”。"
        for r in range(first, last + 1):
            self.style(ws.cell(r, 1, r - first + 1), center=True)
            for col in (2, 3):
                self.style(ws.cell(r, col), input_=True, center=True)
            t = ws.cell(r, 4)
            self.style(t, input_=True)
            t.alignment = st.WRAP_TOP
            t.number_format = st.FMT_TEXT
            self.style(ws.cell(r, 5), input_=True)
        for i, (ch, kd, text) in enumerate(default_texts(self.fw)):
            ws.cell(first + i, 2, ch)
            ws.cell(first + i, 3, kd)
            ws.cell(first + i, 4, text)
            ws.row_dimensions[first + i].height = _fit_height([(text, 100)])
        chap.add(f"B{first}:B{last}")
        kind.add(f"C{first}:C{last}")
        for (_, nm, _), col in zip(ct.TEXT_COLUMNS, "BCDE"):
            self.name(nm, ws, f"${col}${first}:${col}${last}")
        ws.freeze_panes = "A4"
        self.a4(ws, True, "$3:$3")
        self.protect(ws, insert_rows=True)

    def results(self) -> None:
        ws = self.wb.create_sheet(self.sheets.results)
        self.title(ws, "校验结果", len(RESULTS_HEADER))
        ws.cell(2, 1, "尚未校验。点击“绩效自评”选项卡中的“校验”，或运行 jxzp validate 工作簿.xlsx --annotate 副本.xlsx。")
        ws.cell(2, 1).font = st.NOTE_FONT
        self.header(ws, 4, RESULTS_HEADER, (6, 7, 28, 12, 9, 24, 20, 70, 16, 16))
        ws.freeze_panes = "A5"
        self.a4(ws, True, "$4:$4")

    def meta(self) -> None:
        self.wb.defined_names[META_FRAMEWORK] = DefinedName(META_FRAMEWORK, attr_text=f'"{self.fw.id}"')
        self.wb.defined_names[META_VERSION] = DefinedName(META_VERSION, attr_text=f'"{TEMPLATE_VERSION}"')
        props = self.wb.properties
        props.title = _form_title(self.fw)
        props.creator = AUTHOR
        props.lastModifiedBy = AUTHOR
        props.keywords = f"jxzp;{self.fw.id};template-{TEMPLATE_VERSION}"

    def build(self) -> Workbook:
        self.guide()
        self.info()
        self.projects()
        for l1 in self.fw.level1:
            self.indicator_sheet(l1)
        if self.fw.target is not None:
            from .target_sheet import build_target_sheet  # noqa: PLC0415

            build_target_sheet(self, self.fw)
        self.adjust()
        self.summary()
        self.report_text()
        self.results()
        self.meta()
        self.wb.active = 1  # open on 基本信息
        # Excel on open: keep the cached values jxzp computed with the core (docs/spreadsheet-programs.md).
        # openpyxl's default calcId (Excel 2007) would make every newer Excel recalculate fully on
        # open — start Python for each UDF cell, then ask to save an unchanged file on closing.
        self.wb.calculation.calcId = EXCEL_CALC_ID
        self.wb.calculation.fullCalcOnLoad = False
        return self.wb


_FIELD_FORMATS = {"amount": st.FMT_AMOUNT, "count": st.FMT_COUNT, "rate": st.FMT_RATE, "year": "0",
                  "text": st.FMT_TEXT, "longtext": st.FMT_TEXT}


def _fill_order(fw: Framework) -> str:
    if fw.target is not None:
        sheets = "、".join(g.sheet for g in fw.level1)
        return ("1. 基本信息：名称、年度、年度预算执行情况（本年财政拨款、上年结转资金、其他资金的年初预算数、全年预算数、"
                "全年执行数）、年度总体目标、评价结论。\n"
                f"2. {sheets}：填写预算执行率的“自评得分”和“评分说明”。\n"
                f"3. {fw.target.sheet}：逐行填写本单位的三级指标（指标性质、年度指标值、度量单位、实际完成值、分值、得分、"
                "偏差原因分析及改进措施）；各一级指标的三级分值合计应等于该一级指标的分值。\n"
                "4. 报告文字：按章节填写报告正文，每行一段。\n"
                "5. 点击“绩效自评”选项卡中的“校验”，按“校验结果”修改；再点击“生成报告”。")
    sh = ct.contract_for(fw).sheets
    return (f"1. {sh.info}：部门、年度、人员编制、收支、支出进度、结转结余、政府采购、公用经费和三公经费等。\n"
            f"2. {sh.projects}：每个项目一行，填写是否设置绩效目标、是否按时完成（是/否）。\n"
            f"3. {'、'.join(g.sheet for g in fw.level1)}、{sh.adjust}：逐项填写“自评得分”和“评分说明”。\n"
            f"4. {sh.text}：按章节填写报告正文，每行一段；可使用占位符引用表中数值。\n"
            "5. 点击“绩效自评”选项卡中的“校验”，按“校验结果”修改；再点击“生成报告”。")


def _form_title(fw: Framework) -> str:
    return fw.form_title


def _placeholder_keys(fw: Framework) -> list[str]:
    return Placeholders(fw).keys()


def add_summary_chart(ws, first: int, last: int) -> None:
    """Score vs maximum by 一级指标 (re-added after openpyxl round trips, which drop charts)."""
    chart = BarChart()
    chart.type = "col"
    chart.title = "各一级指标得分与分值"
    chart.y_axis.title = "分"
    chart.height, chart.width = 7.5, 14
    data = Reference(ws, min_col=2, max_col=3, min_row=2, max_row=last)
    cats = Reference(ws, min_col=1, min_row=first, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    ws.add_chart(chart, "F2")


def build_template(fw: Framework, *, year: int | None = None, department: str | None = None) -> tuple[Workbook, Layout]:
    b = _Builder(fw, year, department)
    return b.build(), b.layout


def add_note(cell, text: str) -> None:
    c = Comment(text, AUTHOR)
    c.width, c.height = 320, 140
    cell.comment = c

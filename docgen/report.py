"""Assemble the 自评报告 from an Evaluation: cover, chapters, 绩效分析, attached 自评表 and chart.

Every figure comes from the Evaluation (the workbook's values recomputed by addin.core)
and is formatted with addin.core.numeric; user text comes from 报告文字 and 评分说明
with its placeholders replaced. Nothing is typed in here that the sheet does not hold.
"""
from __future__ import annotations

import copy
import datetime as _dt
from dataclasses import dataclass, field

import docx
from docx.oxml.ns import qn
from docx.oxml.parser import OxmlElement

from addin.core.chapters import default_texts, outline
from addin.core.contract import TOTAL_SCORE
from addin.core.interchange import table_rows
from addin.core.numeric import fmt_score, is_blank
from addin.core.placeholders import Placeholders

from . import ooxml
from .chart import add_chart, chart_data, describe
from .ooxml import Cell, TableSpec
from .styles import DEFAULT_FONTS, TEXT_W, FontSet, el, setup_document, setup_section
from .text import clean_text, cn_number, format_date, heading_level, paragraphs_of, year_text

REPORT_KIND = "部门整体支出绩效自评报告"
TABLE_TITLE = "部门整体支出绩效自评表"
CHART_CAPTION = "各一级指标自评得分与分值对比"
HEADING_STYLES = {1: "Heading1", 2: "Heading2", 3: "Heading3", 4: "Heading4"}
# 一级 / 二级 / 三级 / 分值 / 自评得分 / 评分说明 (sums to the 156 mm text width)
TABLE_WIDTHS = [1150, 1150, 1870, 700, 1080, TEXT_W - 1150 - 1150 - 1870 - 700 - 1080]
_SENTENCE_END = "。！？!?；;…：:”’）)》】"


@dataclass
class Rendered:
    document: docx.document.Document
    title: str
    warnings: list[str] = field(default_factory=list)


def department(ev) -> str:
    return clean_text(ev.role("department")).replace("\n", "").strip()


def report_title(ev) -> str:
    """{部门}{年度}年度部门整体支出绩效自评报告 (parts left out when blank)."""
    year = year_text(ev.role("year"))
    return f"{department(ev)}{year + '年度' if year else ''}{REPORT_KIND}"


def score_text(raw, score: float | None) -> str:
    """'4.2 分', or a visible marker when the cell is blank or not a number (only with --force)."""
    if score is not None:
        return f"{fmt_score(score)} 分"
    if is_blank(raw):
        return "【未填写】"
    return f"【“{clean_text(raw).strip()}”不是数字】"


def _join(head: str, lines: list[str]) -> tuple[str, list[str]]:
    """head + first line of a note (a comma between, unless the note starts with punctuation).

    The composed paragraph ends with a full stop when the note gives none ("自评减分 0 分，无。").
    """
    if not lines:
        return head + "。", []
    first = lines[0]
    sep = "" if first[:1] in "，,。；;：:、" else "，"
    text = head + sep + first
    if len(lines) == 1 and text[-1:] not in _SENTENCE_END:
        text += "。"
    return text, lines[1:]


class _Builder:
    def __init__(self, ev, fonts: FontSet, today: _dt.date | None, with_chart: bool):
        self.ev = ev
        self.fw = ev.fw
        self.today = today
        self.with_chart = with_chart
        self.fonts = fonts
        self.ph = Placeholders(ev.fw, ev)
        self.warnings: list[str] = []
        self.doc = docx.Document()
        setup_document(self.doc, fonts)
        self.body = self.doc.element.body
        self.sect = self.body.sectPr
        setup_section(self.sect, restart_numbering=True)
        self.opened: list[str] = []  # headings currently open, outermost first

    # ---- low level
    def add(self, element):
        self.sect.addprevious(element)  # O(1): the body's sectPr stays last
        return element

    def para(self, text: str, style: str | None = None, **kw):
        return self.add(ooxml.paragraph(style, text, **kw))

    def heading(self, text: str, level: int):
        return self.para(text, HEADING_STYLES[min(max(level, 1), 4)])

    def open_headings(self, headings: tuple[str, ...]) -> None:
        for i, h in enumerate(headings):
            if i < len(self.opened) and self.opened[i] == h:
                continue
            del self.opened[i:]
            self.opened.append(h)
            self.heading(h, i + 1)

    def render(self, text, where: str) -> list[str]:
        """Cleaned text with placeholders replaced, as paragraphs; problems become warnings."""
        out, problems = self.ph.render(clean_text(text), mark=UNRESOLVED)
        out = clean_text(out)  # a placeholder inserts a raw cell value
        for p in problems:
            self.warnings.append(f"{where}：{p.message}")
        return paragraphs_of(out)

    # ---- cover (its own section: no page number; the body starts at — 1 —)
    def cover(self, title: str) -> None:
        ev = self.ev
        dept = department(ev)
        year = year_text(ev.role("year"))
        # two balanced lines (GB/T 9704: 回行时词意完整) when the title is too long for one
        if dept and len(title) > 20 and title.startswith(dept):
            lines = [dept, title[len(dept):]]
        else:
            lines = [title]
        content: list = []
        for i, line in enumerate(lines):
            if i:
                content.append(ooxml.line_break())
            content.append(ooxml.run(line))
        self.add(ooxml.paragraph("Title", *content, ppr_extra=[el("w:spacing", before=3000, after=0)]))
        info = [("填报单位", dept or "【未填写】"), ("评价年度", f"{year}年度" if year else "【未填写】")]
        for label, role in (("联 系 人", "contact"), ("联系电话", "phone")):
            v = clean_text(ev.role(role)).replace("\n", " ").strip()
            if v:
                info.append((label, v))
        info.append(("报告日期", format_date(ev.role("report_date"), self.today)))
        for k, (label, value) in enumerate(info):
            extra = [el("w:ind", left=1920, leftChars=600, firstLine=0, firstLineChars=0)]
            if k == 0:
                extra.insert(0, el("w:spacing", before=2900, after=0, line=579, lineRule="exact"))
            self.add(ooxml.paragraph("JxCover", f"{label}：{value}", ppr_extra=extra))
        # end the cover section: a copy of the page setup without footers or numbering
        sect = copy.deepcopy(self.sect)
        for e in sect.findall(qn("w:pgNumType")):
            sect.remove(e)
        p = OxmlElement("w:p")
        ppr = OxmlElement("w:pPr")
        ppr.append(el("w:pStyle", val="JxCover"))
        ppr.append(sect)
        p.append(ppr)
        self.add(p)

    def footers(self) -> None:
        sec = self.doc.sections[-1]
        for footer, align in ((sec.footer, "right"), (sec.even_page_footer, "left")):
            footer.is_linked_to_previous = False
            ftr = footer._element
            for child in list(ftr):
                ftr.remove(child)
            # 4号宋体 "— N —": odd pages right, even pages left, one character in from the edge
            ind = el("w:ind", **{align: 280, "firstLine": 0, "firstLineChars": 0})
            ftr.append(ooxml.paragraph("Footer", "— ", *ooxml.page_field_runs(), " —",
                                       ppr_extra=[ind, el("w:jc", val=align)]))

    # ---- chapters from 报告文字
    def chapter_keys(self) -> list[str]:
        return [c.key for c in outline(self.fw)]

    def text_rows(self) -> dict[str, list[tuple[int, str, object]]]:
        keys = self.chapter_keys()
        out: dict[str, list[tuple[int, str, object]]] = {k: [] for k in keys}
        t = self.ev.contract.table("report_text")
        rows = table_rows(self.ev.book, tuple(t.column(r) for r in ("chapter", "kind", "text")))
        for i, (chapter, kind, text) in enumerate(rows, 1):
            if is_blank(text):
                continue
            key = clean_text(chapter).strip()
            if key not in keys:
                self.warnings.append(f"报告文字第 {i} 行：章节“{key}”不是报告的章节，未写入报告")
                continue
            out[key].append((i, clean_text(kind).strip() or "正文", text))
        if self.ev.book.overflow.get(t.key):
            self.warnings.append("报告文字表格下方还有文字（在表格范围之外），未写入报告；请在表内插入行后移入")
        return out

    def chapter(self, ch, rows: list[tuple[int, str, object]]) -> None:
        """One chapter of the outline: the user's paragraphs (or the framework's default text), then its
        generated blocks ("conclusion": total, grade and group scores; "groups": the indicator analysis)."""
        self.open_headings(ch.headings)
        depth = len(ch.headings)
        if not rows:
            rows = [(0, kind, text) for key, kind, text in default_texts(self.fw) if key == ch.key]
        if "groups" in ch.auto:
            self.render_rows(ch, rows, depth)
            self.analysis(ch)
            return
        if not rows:
            self.warnings.append(f"报告文字中没有“{ch.key}”章节的内容")
            self.para(f"【未填写：请在“报告文字”工作表的“{ch.key}”章节填写本部分内容】")
            return
        written = self.render_rows(ch, rows, depth)
        if "conclusion" in ch.auto:
            self.conclusion_tail(ch, written, generated=all(i == 0 for i, _, _ in rows))

    def render_rows(self, ch, rows, depth: int) -> list[str]:
        written: list[str] = []
        for i, kind, text in rows:
            where = f"报告文字第 {i} 行" if i else f"“{ch.key}”的默认文字"
            for line in self.render(text, where):
                if kind == "标题":
                    self.heading(line, heading_level(line) or min(depth + 1, 4))
                else:
                    self.para(line)
                written.append(line)
        return written

    def conclusion_tail(self, ch, written: list[str], generated: bool) -> None:
        """The conclusion always states total and grade (the sheet's), added when the text lacks them."""
        ev = self.ev
        total = fmt_score(ev.total)
        text = "".join(written)
        # the user's own sentence stating another total is not contradicted here: 校验 flags it
        # (R08.text-total-contradiction) and the report gate stops at it
        if total not in text and not _states_total(ev.fw, text):
            for key, _, t in default_texts(self.fw):
                if key == ch.key:
                    for line in self.render(t, f"“{ch.key}”的默认文字"):
                        self.para(line)
                        text += line
        if ev.grade and not ("等级" in text and ev.grade in text):
            self.para(f"自评等级为“{ev.grade}”。")
        if generated:
            parts = [f"{b.name}{fmt_score(ev.groups[b.id])} 分" for b in self.fw.level1]
            adj = [a for a in ev.adjustments.values() if a.score]
            for a in adj:
                parts.append(f"{a.name}{'加' if a.sign > 0 else '减'} {fmt_score(a.score)} 分")
            self.para("其中，" + "，".join(parts) + "。")

    # ---- 三、绩效分析
    def analysis(self, ch) -> None:
        ev, fw = self.ev, self.fw
        self.open_headings(ch.headings)
        d = len(ch.headings)
        n1 = len(fw.level1)
        for k, l1 in enumerate(fw.level1, 1):
            inds1 = fw.indicators_of_level1(l1.id)
            max1 = sum(ev.indicators[i.id].eff_max for i in inds1)
            self.heading(f"（{cn_number(k)}）{l1.name}（{fmt_score(max1)} 分）", d + 1)
            groups = fw.level2_of(l1.id)
            for j, l2 in enumerate(groups, 1):
                inds = fw.indicators_of(l2.id)
                max2 = sum(ev.indicators[i.id].eff_max for i in inds)
                if len(inds) == 1 and inds[0].name == l2.name:
                    # the sample's form: "4.人员管理。指标分值 2 分。" then the score
                    r = ev.indicators[inds[0].id]
                    extra = f"（{r.realloc_note}）" if r.realloc_note else ""
                    self.heading(f"{j}.{l2.name}。指标分值 {fmt_score(max2)} 分{extra}。", d + 2)
                    self.indicator_paragraphs(inds[0], prefix="")
                else:
                    self.heading(f"{j}.{l2.name}。指标分值 {fmt_score(max2)} 分。", d + 2)
                    for m, ind in enumerate(inds, 1):
                        r = ev.indicators[ind.id]
                        mx = fmt_score(r.eff_max) + " 分" + (f"，{r.realloc_note}" if r.realloc_note else "")
                        self.indicator_paragraphs(ind, prefix=f"（{m}）{ind.name}（{mx}）。")
            if k == n1 and fw.adjustments:
                self.adjustments(len(groups) + 1, d + 2)

    def indicator_paragraphs(self, ind, prefix: str) -> None:
        r = self.ev.indicators[ind.id]
        lines = self.render(r.note, f"“{ind.name}”的评分说明")
        first, rest = _join(f"{prefix}自评得分 {score_text(r.raw_score, r.score)}", lines)
        self.para(first)
        for line in rest:
            self.para(line)

    def adjustments(self, number: int, level: int = 3) -> None:
        self.heading(f"{number}.加减分项。", level)
        for m, adj in enumerate(self.fw.adjustments, 1):
            a = self.ev.adjustments[adj.id]
            verb = "加" if a.sign > 0 else "减"
            head = f"（{m}）{a.name}（最多{verb} {fmt_score(a.max)} 分）。"
            lines = self.render(a.note, f"“{a.name}”的评分说明")
            if is_blank(a.raw_score) and not lines:
                self.para(head + "无。")
                continue
            amount = f"{fmt_score(a.score)} 分" if a.score is not None else score_text(a.raw_score, None)
            first, rest = _join(f"{head}自评{verb}分 {amount}", lines)
            self.para(first)
            for line in rest:
                self.para(line)

    # ---- 附件: 自评表 and chart
    def attachment(self) -> None:
        ev = self.ev
        self.para("附件", "JxAttachLabel", page_break_before=True)
        self.para(TABLE_TITLE, "Title", ppr_extra=[el("w:spacing", before=200, after=200)])
        dept = department(ev)
        year = year_text(ev.role("year"))
        self.add(ooxml.paragraph("JxTableCaption", f"填报单位：{dept or '【未填写】'}\t"
                                 f"{'评价年度：' + year + '年' if year else ''}　单位：分",
                                 ppr_extra=[_right_tab()]))
        self.add(ooxml.table(self.score_table(), paragraphs_of))
        if self.with_chart:
            self.chart()

    def score_table(self) -> TableSpec:
        ev, fw = self.ev, self.fw
        head = "JxTableHead"
        spec = TableSpec(TABLE_WIDTHS)
        spec.header = [
            [Cell("评价指标", head, span=3, shade="D9D9D9"), Cell("分值", head, vmerge="restart", shade="D9D9D9"),
             Cell("自评得分", head, vmerge="restart", shade="D9D9D9"),
             Cell("评分说明", head, vmerge="restart", shade="D9D9D9")],
            [Cell("一级指标", head, shade="D9D9D9"), Cell("二级指标", head, shade="D9D9D9"),
             Cell("三级指标", head, shade="D9D9D9"), Cell(vmerge="continue", shade="D9D9D9"),
             Cell(vmerge="continue", shade="D9D9D9"), Cell(vmerge="continue", shade="D9D9D9")],
        ]
        center = "JxTableCenter"
        for l1 in fw.level1:
            first1 = True
            for l2 in fw.level2_of(l1.id):
                first2 = True
                for ind in fw.indicators_of(l2.id):
                    r = ev.indicators[ind.id]
                    score = fmt_score(r.score) if r.score is not None else score_text(r.raw_score, None)
                    note = "\n".join(self.render_quiet(r.note))
                    spec.rows.append([
                        Cell(l1.name if first1 else "", center, vmerge="restart" if first1 else "continue"),
                        Cell(l2.name if first2 else "", center, vmerge="restart" if first2 else "continue"),
                        Cell(ind.name, center),
                        Cell(fmt_score(r.eff_max), center),
                        Cell(score, center),
                        Cell(note),
                    ])
                    first1 = first2 = False
            max1 = sum(ev.indicators[i.id].eff_max for i in fw.indicators_of_level1(l1.id))
            spec.rows.append([Cell("小计", center, span=3), Cell(fmt_score(max1), center),
                              Cell(fmt_score(ev.groups[l1.id]), center), Cell("")])
        for k, adj in enumerate(fw.adjustments):
            a = ev.adjustments[adj.id]
            if a.score is not None:
                shown = ("" if a.sign > 0 or not a.score else "-") + fmt_score(a.score)
            else:
                shown = "" if is_blank(a.raw_score) else score_text(a.raw_score, None)
            note = "\n".join(self.render_quiet(a.note))
            spec.rows.append([
                Cell("加减分项" if k == 0 else "", center, span=2, vmerge="restart" if k == 0 else "continue"),
                Cell(a.name, center), Cell(fmt_score(a.max), center), Cell(shown, center), Cell(note)])
        spec.rows.append([Cell("合计", center, span=3), Cell(fmt_score(fw.total_max), center),
                          Cell(fmt_score(ev.total), center), Cell(f"自评等级：{ev.grade}", center)])
        return spec

    def render_quiet(self, text) -> list[str]:
        """Like render, for text already reported once (the table repeats the 评分说明)."""
        out, _ = self.ph.render(clean_text(text), mark=UNRESOLVED)
        return paragraphs_of(clean_text(out))

    def chart(self) -> None:
        """A native chart (drawn by Word/WPS/LibreOffice in the document's fonts), then its caption."""
        bars = chart_data(self.ev)
        r = OxmlElement("w:r")
        r.append(add_chart(self.doc, bars, self.fonts, descr=f"{CHART_CAPTION}：{describe(bars)}"))
        self.para("", "JxPicture", keep_next=True).append(r)
        self.para(f"图　{CHART_CAPTION}", "JxFigureCaption")

    # ---- whole document
    def build(self) -> Rendered:
        title = report_title(self.ev)
        self.cover(title)
        self.footers()
        rows = self.text_rows()
        for ch in outline(self.fw):
            self.chapter(ch, rows[ch.key])
        self.attachment()
        cp = self.doc.core_properties
        cp.title = title[:255]  # python-docx refuses longer core properties
        cp.subject = REPORT_KIND
        cp.author = (department(self.ev) or "jxzp")[:255]
        cp.last_modified_by = "jxzp"
        cp.comments = "由 jxzp 根据自评表生成"
        cp.keywords = "部门整体支出绩效自评"
        now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0, tzinfo=None)
        cp.created = cp.modified = now
        cp.revision = 1
        return Rendered(self.doc, title, self.warnings)


def _right_tab():
    tabs = el("w:tabs")
    tabs.append(el("w:tab", val="right", pos=TEXT_W))
    return tabs


UNRESOLVED = "【待补：{key}】"  # an unresolved placeholder in the report: visible, never a raw {…}


def _states_total(fw, text: str) -> bool:
    reader = getattr(fw, "text_reader", None)
    return reader is not None and any(r.quantity == TOTAL_SCORE and r.role == "value" and r.when == "this"
                                      for r in reader.read(text))


def render_fixed(ev, *, fonts: FontSet = DEFAULT_FONTS, today: _dt.date | None = None,
                 chart: bool = True) -> Rendered:
    """The fixed-indicator family's report in memory (docgen.build.render picks the family)."""
    return _Builder(ev, fonts, today, chart).build()



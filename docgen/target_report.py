"""The report of the target-table family: chapters from the framework's [report] outline, blocks
written from the workbook (budget execution, goals, one paragraph per indicator group,
deviations, problems and measures), the user's 报告文字 after them, and the attached
self-evaluation table in the official layout (项目资金 block, 年度总体目标, 绩效指标 rows,
总分, 评价结论).

Every figure comes from the Evaluation; labels of the budget block are read from the field
labels ("年初预算数·本年财政拨款"), so a province's variant with other sources needs no code.
"""
from __future__ import annotations

import datetime as _dt

from addin.core.numeric import fmt_pct, fmt_score, fmt_wan, is_blank, is_number
from addin.core.target import QUAL, nature_kind

from . import ooxml
from .ooxml import Cell, TableSpec
from .report import Rendered, _Builder, _right_tab, score_text
from .styles import TEXT_W, el
from .text import clean_text, cn_number, paragraphs_of, year_text

# the official form's columns: 一级 / 二级 / 三级 / 年度指标值 / 实际完成值 / 分值 / 得分 / 偏差原因
WIDTHS = [900, 1000, 1550, 1100, 1100, 600, 950]
WIDTHS.append(TEXT_W - sum(WIDTHS))
BUDGET_COLUMNS = ("年初预算数", "全年预算数", "全年执行数")


def report_kind(fw) -> str:
    return fw.form_title.replace("表", "报告")  # 部门整体支出绩效自评报告 / 项目支出绩效自评报告


def subject(ev) -> str:
    """Who the report is about: the project's name (project form) or the department's."""
    for label in ("项目名称", "部门名称", "主管部门"):
        f = next((f for f in ev.fw.fields if f.label == label), None)
        if f is not None:
            v = clean_text(ev.inputs.get(f.name)).replace("\n", "").strip()
            if v:
                return v
    return ""


def report_title(ev) -> str:
    year = year_text(ev.role("year"))
    return f"{subject(ev)}{year + '年度' if year else ''}{report_kind(ev.fw)}"


class TargetBuilder(_Builder):
    """_Builder's document machinery (cover, styles, headings, placeholders) with the outline's chapters."""

    def field_by_label(self, label: str):
        return next((f for f in self.fw.fields if f.label == label), None)

    def text_of(self, label: str) -> list[str]:
        f = self.field_by_label(label)
        if f is None:
            return []
        return self.render(self.ev.inputs.get(f.name), f"“{label}”")

    def value(self, name: str):
        try:
            return self.ev.value(name)
        except KeyError:
            return None

    # ---- chapters
    def chapter_keys(self) -> list[str]:
        return [c.key for c in self.fw.report_outline]

    def outline_chapter(self, ch, rows: list) -> None:
        self.open_headings(ch.headings)
        depth = len(ch.headings)
        wrote = False
        for block in ch.auto:
            wrote |= bool(getattr(self, f"block_{block}")())
        for i, kind, text in rows:
            for line in self.render(text, f"报告文字第 {i} 行"):
                if kind == "标题":
                    self.heading(line, min(depth + 1, 4))
                else:
                    self.para(line)
                wrote = True
        if not wrote:
            self.warnings.append(f"报告文字中没有“{ch.key}”章节的内容")
            self.para(f"【未填写：请在“报告文字”工作表的“{ch.key}”章节填写本部分内容】")

    # ---- blocks written from the workbook
    def block_staff(self) -> bool:
        """The duties (部门主要职责) and the staffing fields (section 人员编制)."""
        wrote = self._field_block("部门主要职责")
        parts = [f"{f.label} {self.ev.inputs[f.name]:g} {f.unit}".rstrip() for f in self.fw.fields
                 if f.section == "人员编制" and is_number(self.ev.inputs.get(f.name))]
        if parts:
            self.para("人员编制情况：" + "，".join(parts) + "。")
        return wrote or bool(parts)

    def budget_rows(self) -> list[tuple[str, list]]:
        """(source, [年初, 全年, 执行]) read from the labels of the budget fields."""
        rows: dict[str, list] = {}
        for f in self.fw.fields:
            col, sep, source = f.label.partition("·")
            if sep and col in BUDGET_COLUMNS and f.kind == "amount":
                rows.setdefault(source, [None, None, None])[BUDGET_COLUMNS.index(col)] = self.ev.inputs.get(f.name)
        return list(rows.items())

    def block_budget(self) -> bool:
        spec, ev = self.fw.target, self.ev
        if not spec.budget_full:
            return False
        self._field_block("立项依据及主要内容")  # the project form's own description, when it has one
        ini, full, spent, rate = (self.value(n) for n in (spec.budget_initial, spec.budget_full, spec.budget_exec,
                                                           spec.rate_metric))
        if not (is_number(full) and is_number(spent)):
            self.para("【年度预算执行情况未填写完整：请在“基本信息”中填写年初预算数、全年预算数和全年执行数】")
            return True
        year = year_text(ev.role("year"))
        text = (f"{year + '年度' if year else '本年度'}资金总额：年初预算数 {fmt_wan(ini or 0)} 万元，全年预算数 "
                f"{fmt_wan(full)} 万元，全年执行数 {fmt_wan(spent)} 万元，预算执行率 "
                f"{fmt_pct(rate) if is_number(rate) else '无法计算'}（全年执行数 ÷ 全年预算数）。")
        parts = [f"{src} {fmt_wan(v[1])} 万元（执行 {fmt_wan(v[2] or 0)} 万元）"
                 for src, v in self.budget_rows() if is_number(v[1]) and v[1]]
        if parts:
            text += "其中：" + "；".join(parts) + "。"
        self.para(text)
        if spec.exec_indicator:
            r = ev.indicators.get(spec.exec_indicator)
            if r is not None:
                self.para(f"预算执行率指标分值 {fmt_score(r.eff_max)} 分，自评得分 {score_text(r.raw_score, r.score)}。")
        if spec.reason_field:
            for line in self.render(ev.inputs.get(spec.reason_field), "执行率或预算调整的原因说明"):
                self.para(line)
        return True

    def block_goals(self) -> bool:
        wrote = False
        for f in self.fw.fields:
            if f.section == "年度总体目标":
                lines = self.render(self.ev.inputs.get(f.name), f"“{f.label}”")
                label = f.label.partition("·")[2] or f.label
                if lines:
                    self.para(f"{label}：{lines[0]}")
                    for line in lines[1:]:
                        self.para(line)
                    wrote = True
        return wrote

    def block_conclusion(self) -> bool:
        ev = self.ev
        spec = self.fw.target
        lines = self.render(ev.inputs.get(spec.conclusion_field), "“评价结论”") if spec.conclusion_field else []
        for line in lines:
            self.para(line)
        parts = [f"{name} {fmt_score(ev.groups.get(gid, 0))} 分（分值 {fmt_score(mx)} 分）"
                 for gid, name, mx, _t in self.fw.score_groups()]
        self.para(f"自评总分 {fmt_score(ev.total)} 分，等级为“{ev.grade}”。其中：" + "，".join(parts) + "。")
        return True

    def row_phrase(self, r) -> str:
        spec = self.fw.target
        g = r.row.get
        unit = clean_text(g("unit")).strip()
        kind = nature_kind(spec, g("nature"))
        target = clean_text(g("target")).strip()
        shown_target = target if kind == QUAL else f"{clean_text(g('nature')).strip()}{target}{unit}"
        actual = clean_text(g("actual")).strip() or "未填写"
        if kind != QUAL and actual != "未填写":
            actual += unit
        out = f"{clean_text(g('name')).strip()}：年度指标值 {shown_target}，实际完成 {actual}"
        if r.ratio is not None and kind != QUAL:
            out += f"，完成率 {fmt_pct(r.ratio)}"
        out += f"，分值 {fmt_score(r.weight or 0)} 分，得分 {score_text(g('score'), r.score)}"
        return out

    def block_groups(self) -> bool:
        ev, spec = self.ev, self.fw.target
        for k, grp in enumerate(spec.groups, 1):
            rows = [r for r in ev.rows if r.group is grp and not r.row.is_empty and not r.row.is_placeholder]
            self.heading(f"（{cn_number(k)}）{grp.name}（{fmt_score(grp.weight)} 分）", len(self.opened) + 1)
            if not rows:
                self.para(f"未设置{grp.name}。")
                continue
            by_l2: dict[str, list] = {}
            for r in rows:
                by_l2.setdefault(clean_text(r.row.get("level2")).strip() or "其他", []).append(r)
            self.para(f"共设三级指标 {len(rows)} 个（" + "、".join(f"{k2} {len(v)} 个" for k2, v in by_l2.items())
                      + f"），自评得分 {fmt_score(ev.groups.get(grp.id, 0))} 分。")
            for k2, rs in by_l2.items():
                self.para(f"{k2}：" + "；".join(self.row_phrase(r) for r in rs) + "。")
        return True

    def block_deviations(self) -> bool:
        rows = [r for r in self.ev.rows if r.weight is not None and r.score is not None and r.score < r.weight - 1e-9]
        if not rows:
            self.para("各项绩效指标均完成年度指标值，未扣分，无偏差。")
            return True
        for r in rows:
            reason = "；".join(self.render(r.row.get("reason"), f"“{r.row.get('name')}”的偏差原因")) or "【未填写偏差原因】"
            self.para(f"{clean_text(r.row.get('name')).strip()}（扣 {fmt_score(r.weight - r.score)} 分）：{reason}")
        return True

    def _field_block(self, label: str) -> bool:
        lines = self.text_of(label)
        for line in lines:
            self.para(line)
        return bool(lines)

    def _titled_field(self, label: str, title: str) -> bool:
        lines = self.text_of(label)
        if lines:
            self.para(title, keep_next=True)
            for line in lines:
                self.para(line)
        return bool(lines)

    def block_problems(self) -> bool:
        return self._titled_field("存在问题", "（一）存在问题")

    def block_measures(self) -> bool:
        return self._titled_field("改进措施", "（二）改进措施")

    # ---- the attached table in the official layout
    def attachment(self) -> None:
        ev, fw = self.ev, self.fw
        self.para("附件", "JxAttachLabel", page_break_before=True)
        year = year_text(ev.role("year"))
        self.para(f"{fw.form_title}（{year}年度）" if year else fw.form_title, "Title",
                  ppr_extra=[el("w:spacing", before=200, after=200)])
        unit = next((clean_text(ev.inputs.get(f.name)).strip() for f in fw.fields if f.label in ("实施单位", "部门名称")
                     and not is_blank(ev.inputs.get(f.name))), "") or subject(ev)
        self.add(ooxml.paragraph("JxTableCaption", f"填报单位：{unit or '【未填写】'}\t金额单位：万元",
                                 ppr_extra=[_right_tab()]))
        self.add(ooxml.table(self.official_table(), paragraphs_of))
        for note in fw.target.notes:
            self.para("注：" + note, "JxTableCaption")
        if self.with_chart:
            self.chart()

    def official_table(self) -> TableSpec:
        ev, fw, spec = self.ev, self.fw, self.fw.target
        c, head = "JxTableCenter", "JxTableHead"
        t = TableSpec(WIDTHS)
        for label in ("项目名称", "部门名称", "主管部门", "实施单位"):
            f = self.field_by_label(label)
            if f is not None:
                t.rows.append([Cell(label, head, span=2), Cell(clean_text(ev.inputs.get(f.name)), span=6)])
        # budget block
        t.rows.append([Cell("年度预算执行情况（万元）", head, span=2), Cell("年初预算数", head), Cell("全年预算数", head),
                       Cell("全年执行数", head), Cell("分值", head), Cell("执行率", head), Cell("得分", head)])
        r = ev.indicators.get(spec.exec_indicator) if spec.exec_indicator else None
        rate = self.value(spec.rate_metric)
        vals = [self.value(n) for n in (spec.budget_initial, spec.budget_full, spec.budget_exec)]
        t.rows.append([Cell("年度资金总额", c, span=2)] + [Cell(fmt_wan(v) if is_number(v) else "", c) for v in vals]
                      + [Cell(fmt_score(r.eff_max) if r else "", c), Cell(fmt_pct(rate) if is_number(rate) else "—", c),
                         Cell(fmt_score(r.score) if r and r.score is not None else "", c)])
        for k, (src, v) in enumerate(self.budget_rows()):
            sub_rate = "—"
            if is_number(v[1]) and v[1] and is_number(v[2]):
                sub_rate = fmt_pct(v[2] / v[1])
            t.rows.append([Cell(("其中：" if k == 0 else "") + src, c, span=2)]
                          + [Cell(fmt_wan(x) if is_number(x) else "", c) for x in v]
                          + [Cell("—", c), Cell(sub_rate, c), Cell("—", c)])
        # goals
        goals = [f for f in fw.fields if f.section == "年度总体目标"]
        if goals:
            t.rows.append([Cell("年度总体目标", head, span=2)]
                          + [Cell(g.label.partition("·")[2] or g.label, head, span=3) for g in goals[:2]])
            t.rows.append([Cell("", span=2)] + [Cell(clean_text(ev.inputs.get(g.name)), span=3) for g in goals[:2]])
        # indicator rows
        t.rows.append([Cell(h, head) for h in ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                                               "偏差原因分析及改进措施")])
        for grp in spec.groups:
            rows = [x for x in ev.rows if x.group is grp and not x.row.is_empty]
            if not rows:
                continue
            for k, x in enumerate(rows):
                g = x.row.get
                kind = nature_kind(spec, g("nature"))
                unit = clean_text(g("unit")).strip()
                target = clean_text(g("target")).strip()
                shown = target if kind == QUAL else f"{clean_text(g('nature')).strip()}{target}{unit}"
                actual = clean_text(g("actual")).strip()
                if actual and kind != QUAL:
                    actual += unit
                t.rows.append([
                    Cell(f"{grp.name}（{fmt_score(grp.weight)}分）" if k == 0 else "", c,
                         vmerge="restart" if k == 0 else "continue"),
                    Cell(clean_text(g("level2")), c), Cell(clean_text(g("name"))), Cell(shown, c), Cell(actual, c),
                    Cell(fmt_score(x.weight) if x.weight is not None else "", c),
                    Cell(fmt_score(x.score) if x.score is not None else clean_text(g("score")), c),
                    Cell(clean_text(g("reason")))])
        t.rows.append([Cell("总分", head, span=5), Cell(fmt_score(fw.total_max), c), Cell(fmt_score(ev.total), c),
                       Cell(f"等级：{ev.grade}", c)])
        for label in ("评价结论", "存在问题", "改进措施"):
            f = self.field_by_label(label)
            if f is not None:
                t.rows.append([Cell(label, head, span=2), Cell(clean_text(ev.inputs.get(f.name)), span=6)])
        names = [self.field_by_label(x) for x in ("单位负责人", "项目负责人", "财务负责人")]
        sign = "　　".join(f"{f.label}：{clean_text(ev.inputs.get(f.name))}" for f in names if f is not None)
        if sign:
            t.rows.append([Cell(sign, span=8)])
        return t

    # ---- whole document
    def build(self) -> Rendered:
        title = report_title(self.ev)
        self.cover(title)
        self.footers()
        rows = self.text_rows()
        for ch in self.fw.report_outline:
            self.outline_chapter(ch, rows[ch.key])
        self.attachment()
        cp = self.doc.core_properties
        cp.title = title[:255]
        cp.subject = report_kind(self.fw)
        cp.author = (subject(self.ev) or "jxzp")[:255]
        cp.last_modified_by = "jxzp"
        cp.comments = "由 jxzp 根据自评表生成"
        cp.keywords = report_kind(self.fw)
        now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0, tzinfo=None)
        cp.created = cp.modified = now
        cp.revision = 1
        return Rendered(self.doc, title, self.warnings)

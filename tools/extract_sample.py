"""Build addin/samples/lechang_2022.json from the reference report text (developer tool).

Usage: python tools/extract_sample.py ../shared/seed/000_bdf8fd4c272cd2da.txt
The report's paragraphs are re-joined (the text was extracted from a PDF with 28
characters a line), assigned to 报告文字 chapters, and its 评分说明 taken from 三、绩效分析.
Figures the report does not give (project names, per-project amounts) are marked as such.
"""
from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from addin.core.framework import load_framework  # noqa: E402

HEAD = re.compile(r"^(\d+\.|（[一二三四五六七八九十\d]+）|[一二三四五六]、)")


def width(s: str) -> float:
    return sum(1 if unicodedata.east_asian_width(c) in "WFA" else 0.5 for c in s)


def paragraphs(text: str) -> list[str]:
    lines = [l.strip() for l in text.split("\n")]
    lines = [l for l in lines if l and not re.fullmatch(r"\d{1,2}", l)]  # page numbers
    out, cur = [], ""
    for l in lines:
        if HEAD.match(l) and cur and not cur.endswith(("，", "、")) and (
                cur.endswith(("。", "：", "；")) or width(cur.split("\n")[-1]) < 25):
            out.append(cur)
            cur = ""
        cur += l
        if (l.endswith(("。", "：", "；")) and width(l) < 25) or (
                HEAD.match(l) and width(l) < 23 and not l.endswith(("，", "、")) and l == cur):
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    fixed = []
    for p in out:
        # a heading line glued to the paragraph after it
        m = re.match(r"^(\d+\.[^。（]{4,40}?|（[一二三四五六]）[^。]{4,40}?)(（1）|1\.)(.*)$", p)
        if m and not m.group(1).endswith("。"):
            fixed += [m.group(1), m.group(2) + m.group(3)]
            continue
        m = re.match(r"^(（\d+）[^（]*（\d+ 分）)(自评得分.*)$", p)
        if m:
            fixed += [m.group(1), m.group(2)]
            continue
        if fixed and (p.startswith(("局长", "当前，", "根据我市疫情"))):
            fixed[-1] += p
            continue
        fixed.append(p)
    return fixed


def norm(s: str) -> str:
    return re.sub(r"[\s,，、及]", "", s)


def main(seed: str) -> None:
    fw = load_framework("gd_county_2022")
    paras = paragraphs(Path(seed).read_text(encoding="utf-8"))
    by_name = {norm(i.name): i for i in fw.indicators}
    chapter_of_heading = {
        "1.部门主要职责": "部门主要职责", "2.纳入预算编制范围下属单位": "下属单位",
        "3.部门人员编制构成": "人员编制", "1.部门整体收入。": "收入情况", "2.部门整体支出情况": "支出情况",
        "（三）部门整体支出目标及任务": "支出目标及任务", "二、自评结论": "自评结论",
        "三、绩效分析": None, "四、主要绩效": "主要绩效", "五、存在问题": "存在问题", "六、相关建议": "相关建议",
    }
    skip = {"一、部门的基本情况", "（一）部门整体概况", "（二）部门整体收支情况", "2.部门整体支出情况。"}
    chapter = None
    rows, notes, scores = [], {}, {}
    pending = None  # indicator id whose 自评得分 paragraph comes next
    for p in paras:
        if p in chapter_of_heading:
            chapter = chapter_of_heading[p]
            continue
        if p in skip:
            continue
        if chapter is None:  # 三、绩效分析: headings name indicators, then 自评得分 x 分，note
            m = re.match(r"^(?:（\d+）|\d+\.)(.+?)(?:。指标分值|（[\d.]+ ?分）)", p)
            if m and norm(m.group(1)) in by_name:
                pending = by_name[norm(m.group(1))].id
                continue
            if p.startswith("5.加减分项"):
                pending = "bonus"
                continue
            m = re.match(r"^自评得分 ?([\d.]+) ?分(（[^）]*）)?，(.*)$", p)
            if m and pending:
                scores[pending] = float(m.group(1))
                notes[pending] = m.group(3)
                pending = None
            continue
        is_heading = bool(HEAD.match(p)) and not p.endswith("。") and width(p) < 40
        rows.append([chapter, "标题" if is_heading else "正文", p, None])
    # figures in 基本情况/收支 are written with placeholders so the report cannot drift from the sheet
    placeholder_text = {
        "人员编制": "{部门名称}核定行政编制 {行政编制} 名，其中：局长 1 名、副局长 2 名，正股级领导职数 3 名，"
                    "副股级领导职数 1 名，现有干部职工 {行政实有} 名。下设副科级公益一类事业单位乐昌市信息中心，"
                    "核定全额拨款事业编制 {事业编制} 名，现有干部职工 {事业实有} 人。",
        "收入情况": "{评价年度} 年年初预算为 {年初预算} 元，{上年度} 年年初预算 {上年年初预算} 元，与上年度相比，"
                    "年初预算{年初预算增长率|增减}，主要是 2021 年人员变动，2022 年有新增项目，人员经费和项目经费均增加。",
        "支出情况": "{评价年度} 年年终支出决算 {决算支出} 元，上年支出决算为 {上年决算支出} 元，与上年度相比，"
                    "支出决算{决算支出增长率|增减}，人员经费支出和项目经费支出几乎持平。",
    }
    for r in rows:
        if r[0] in placeholder_text:
            r[2] = placeholder_text[r[0]]
            r[3] = "数字以占位符引用基本信息"
    fields = {
        "f_department": "乐昌市政务服务数据管理局", "f_year": 2022, "f_region": "广东省韶关市乐昌市",
        "f_admin_approved": 8, "f_admin_actual": 7, "f_inst_approved": 8, "f_inst_actual": 7,
        "f_budget_initial": 3491995, "f_budget_initial_prev": 3010664.91,
        "f_final_exp": 3638346.02, "f_final_exp_prev": 3651367.49, "f_budget_full": 3491995,
        "f_h1_progress_reported": 0.2011, "f_full_progress_reported": 1.1892,
        "f_carryover": 0, "f_stock_funds": 0, "f_procurement_budget": 0, "f_procurement_actual": 0,
        "f_public_budget": 148900, "f_public_actual": 148900, "f_three_public_budget": 38000,
        "f_three_public_actual": 0, "f_transfer_payments": "否",
    }
    cells = [{"name": k, "value": v} for k, v in fields.items()]
    missing = [i.id for i in fw.indicators if i.id not in scores]
    assert not missing, f"no score found for {missing}"
    for i in fw.indicators:
        cells.append({"name": i.score_name, "value": scores[i.id]})
        cells.append({"name": i.note_name, "value": notes[i.id]})
    cells += [{"name": "s_bonus", "value": scores["bonus"]}, {"name": "n_bonus", "value": notes["bonus"]},
              {"name": "s_penalty", "value": 0}, {"name": "n_penalty", "value": "无"}]
    guessed = "名称依报告正文推断，金额报告未列明"
    projects = [
        "市政府机关大院政务外网机房网络安全服务整改项目", "电子政务外网带宽扩容项目", "乐昌市政府门户网站优化改造项目",
        "市政府门户网站重点领域迁移项目", "政府门户网站适老化改造项目", "视频会议系统建设及维护保障服务",
        "电子政务外网互联网统一出口项目", "乐昌市基层公共服务综合平台电子政务外网运维保障", "信息中心机房网络安全保障项目",
        "乐昌市政府门户网站运维保障", "乐昌市政务VPN网关运维项目", "政务外网网络安全风险监测项目", "其他项目（报告未列明名称）",
    ]
    prows = [[n, None, None, "是", "是", guessed] for n in projects]
    prows[-1][3] = "否"
    prows[-1][5] = "样例假设：报告只说明 13 个项目中 12 个设置了绩效目标，未指明是哪一个"
    data = {
        "format": "jxzp-export", "version": 1, "framework": fw.id,
        "source": "乐昌市政务服务数据管理局 2022 年度部门整体支出绩效自评报告（tools/extract_sample.py 提取）",
        "cells": cells,
        "tables": {"projects": {"columns": [c.name for c in fw.project_columns], "rows": prows},
                   "report_text": {"columns": ["rpt_chapter", "rpt_kind", "rpt_text", "rpt_remark"], "rows": rows}},
    }
    out = Path(__file__).resolve().parents[1] / "addin" / "samples" / "lechang_2022.json"
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{out}: {len(rows)} paragraphs, {len(notes)} notes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/seed/000_bdf8fd4c272cd2da.txt")

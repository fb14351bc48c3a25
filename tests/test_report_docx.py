"""The Word report of the 乐昌 2022 sample: structure, values traced to the sheet, GB/T 9704 formatting."""
from __future__ import annotations

import copy
import datetime as dt
import io
import re
import subprocess
import sys
import zipfile
from collections import Counter

import docx
import pytest
from lxml import etree

import docgen
from addin.core.chapters import DEFAULT_TEXT
from addin.core.evaluate import evaluate
from addin.core.interchange import table_rows
from addin.core.numeric import fmt_count, fmt_pct, fmt_score, fmt_wan, fmt_yuan, is_number
from docgen.chart import chart_data
from docgen.report import TABLE_WIDTHS
from docgen.styles import TEXT_W

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}


def q(tag: str) -> str:
    return f"{{{W}}}{tag}"


# ---------------------------------------------------------------- fixtures
def clone(ev):
    """An independent Evaluation of a copy of ev's book (CalcError cannot be deep-copied)."""
    e = evaluate(ev.fw, copy.deepcopy(ev.book))
    e.inputs.update(ev.inputs)
    return e


@pytest.fixture(scope="module")
def ev(sample_eval):
    e = clone(sample_eval)
    e.inputs["f_report_date"] = "2023年3月"  # a sheet value, so every figure of the report is the sheet's
    return e


@pytest.fixture(scope="module")
def rendered(ev):
    return docgen.render(ev)


@pytest.fixture(scope="module")
def docx_bytes(rendered) -> bytes:
    buf = io.BytesIO()
    rendered.document.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def parts(docx_bytes) -> dict[str, etree._Element]:
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as z:
        return {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xml") and n.startswith("word/")}


@pytest.fixture(scope="module")
def body_paragraphs(docx_bytes) -> list[tuple[str, str]]:
    """(style id, text) of the body's paragraphs, tables excluded, in order."""
    d = docx.Document(io.BytesIO(docx_bytes))
    return [(p.style.style_id, p.text) for p in d.paragraphs]


def all_text(doc_xml) -> list[str]:
    """Text of every paragraph in document.xml, table cells included."""
    return ["".join(t.text or "" for t in p.iter(q("t"))) for p in doc_xml.iter(q("p"))]


def style(parts, sid):
    return parts["word/styles.xml"].find(f"w:style[@w:styleId='{sid}']", NS)


def attr(e, name):
    return e.get(q(name))


# ---------------------------------------------------------------- structure
def test_chapters_in_the_samples_order(body_paragraphs):
    h1 = [t for s, t in body_paragraphs if s == "Heading1"]
    assert h1 == ["一、部门的基本情况", "二、自评结论", "三、绩效分析", "四、主要绩效", "五、存在问题", "六、相关建议"]
    h2 = [t for s, t in body_paragraphs if s == "Heading2"]
    for expected in ("（一）部门整体概况", "（二）部门整体收支情况", "（三）部门整体支出目标及任务",
                     "（一）预算编制情况（28 分）", "（二）预算执行情况（42 分）", "（三）资金使用效益（30 分）",
                     "（一）指标完成情况", "（一）持续提升政务服务便利度，打造高质营商环境"):
        assert expected in h2
    h3 = [t for s, t in body_paragraphs if s == "Heading3"]
    assert h3[:5] == ["1.部门主要职责", "2.纳入预算编制范围下属单位", "3.部门人员编制构成", "1.部门整体收入",
                      "2.部门整体支出情况"]
    assert "1.预算编制。指标分值 18 分。" in h3 and "5.加减分项。" in h3


def test_cover_title_department_and_date(body_paragraphs, rendered):
    assert rendered.title == "乐昌市政务服务数据管理局2022年度部门整体支出绩效自评报告"
    first = body_paragraphs[0]
    assert first[0] == "Title" and first[1].replace("\n", "") == rendered.title
    cover = [t for s, t in body_paragraphs[:8] if s == "JxCover"]
    assert "填报单位：乐昌市政务服务数据管理局" in cover and "报告日期：2023年3月" in cover


def test_one_paragraph_per_indicator(ev, body_paragraphs):
    fw = ev.fw
    start = [t for _, t in body_paragraphs].index("三、绩效分析")
    end = [t for _, t in body_paragraphs].index("四、主要绩效")
    analysis = body_paragraphs[start:end]
    texts = [t for _, t in analysis]
    for l2 in fw.level2:
        inds = fw.indicators_of(l2.id)
        for m, ind in enumerate(inds, 1):
            r = ev.indicators[ind.id]
            note_first = r.note.split("\n")[0].strip()[:12]
            hits = [t for t in texts if note_first and note_first in t]
            assert len(hits) >= 1, ind.name
            if len(inds) == 1 and ind.name == l2.name:
                # the sample's form: the group heading, then "自评得分 N 分，..."
                i = texts.index(next(t for t in texts if re.fullmatch(rf"\d+\.{l2.name}。指标分值 .*", t)))
                assert texts[i + 1].startswith(f"自评得分 {fmt_score(r.score)} 分，")
                assert analysis[i + 1][0] == "Normal"
            else:
                mine = [t for t in texts if t.startswith(f"（{m}）{ind.name}（{fmt_score(r.eff_max)} 分")]
                assert len(mine) == 1, (ind.name, mine)
                assert f"。自评得分 {fmt_score(r.score)} 分，" in mine[0]
                assert note_first in mine[0]
    # the example, verbatim
    assert any(t.startswith("（1）预算编制合理性（5 分）。自评得分 5 分，2022 年度我局结合") for t in texts)
    assert "4.人员管理。指标分值 2 分。" in texts


def test_reallocated_maximum_and_adjustments(body_paragraphs):
    texts = [t for _, t in body_paragraphs]
    exec_rate = next(t for t in texts if "部门预算资金支出率（" in t)
    assert exec_rate.startswith("（1）部门预算资金支出率（6 分，含资金下达合法性转入 3 分）。自评得分 4.2 分，")
    assert any(t.startswith("（6）资金下达合法性（0 分）。自评得分 0 分，") for t in texts)
    assert any(t.startswith("（1）加分项（最多加 3 分）。自评加分 1.5 分，我局被评为") for t in texts)
    assert "（2）减分项（最多减 5 分）。自评减分 0 分，无。" in texts


def test_user_paragraphs_all_present_in_order(ev, body_paragraphs):
    rows = table_rows(ev.book, ("rpt_chapter", "rpt_kind", "rpt_text"))
    texts = [t for _, t in body_paragraphs]
    pos = -1
    for chapter, kind, text in rows:
        if "{" in str(text):
            continue  # placeholder rows are checked with their values
        i = texts.index(str(text).strip(), pos + 1)
        assert i > pos
        pos = i


# ---------------------------------------------------------------- values
def test_placeholder_sentences_use_the_sheets_figures(body_paragraphs):
    texts = [t for _, t in body_paragraphs]
    assert any(t.startswith("2022 年年初预算为 3,491,995 元，2021 年年初预算 3,010,664.91 元，"
                            "与上年度相比，年初预算增长15.99%") for t in texts)
    assert any("2022 年年终支出决算 3,638,346.02 元，上年支出决算为 3,651,367.49 元，与上年度相比，支出决算降低0.36%"
               in t for t in texts)
    assert any(t.startswith("乐昌市政务服务数据管理局核定行政编制 8 名，") and "事业编制 8 名，现有干部职工 7 人" in t
               for t in texts)
    assert not any("{" in t for t in texts)


def test_total_and_grade(ev, body_paragraphs, parts):
    assert ev.total == pytest.approx(98.2)
    texts = [t for _, t in body_paragraphs]
    concl = texts[texts.index("二、自评结论") + 1: texts.index("三、绩效分析")]
    assert any("98.2分" in t for t in concl) and "自评等级为“优”。" in concl
    last_row = parts["word/document.xml"].findall(".//w:tbl/w:tr", NS)[-1]
    cells = ["".join(t.text for t in tc.iter(q("t"))) for tc in last_row.findall("w:tc", NS)]
    assert cells == ["合计", "100", "98.2", "自评等级：优"]


def test_table_scores_are_the_sheets(ev, parts):
    fw = ev.fw
    rows = parts["word/document.xml"].findall(".//w:tbl/w:tr", NS)
    texts = [["".join(t.text for t in tc.iter(q("t"))) for tc in tr.findall("w:tc", NS)] for tr in rows]
    by_name = {r[2]: r for r in texts[2:] if len(r) == 6}
    for ind in fw.indicators:
        r = ev.indicators[ind.id]
        assert by_name[ind.name][3:5] == [fmt_score(r.eff_max), fmt_score(r.score)], ind.name
    subtotals = [r for r in texts if r[0] == "小计"]
    assert [r[1:3] for r in subtotals] == [["28", "27.5"], ["42", "39.2"], ["30", "30"]]
    assert [ev.groups[g.id] for g in fw.level1] == [27.5, pytest.approx(39.2), 30.0]
    adj = [r for r in texts if len(r) == 5 and r[1] in ("加分项", "减分项")]
    assert [r[:4] for r in adj] == [["加减分项", "加分项", "3", "1.5"], ["", "减分项", "5", "0"]]


NUM = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?%?")
ORDINAL = re.compile(r"^(?:[（(]\d+[）)]|\d+[.．、](?!\d))")  # "1." but not "98.2"


def report_numbers(texts: list[str]) -> Counter:
    out: Counter = Counter()
    for t in texts:
        out.update(NUM.findall(ORDINAL.sub("", t.strip())))
    return out


def sheet_numbers(ev) -> set[str]:
    """Every way the report may write a figure the sheet holds, built from the Evaluation alone."""
    fw = ev.fw
    allowed: set[str] = set()

    def number(v, rate=False):
        if not is_number(v):
            return
        allowed.update({fmt_yuan(v), fmt_wan(v), fmt_score(v), fmt_count(v), str(v)})
        if rate:
            allowed.update({fmt_pct(v), fmt_pct(abs(v))})  # {x|增减} writes 降低0.36% for −0.0036

    def words(text):
        allowed.update(NUM.findall(str(text or "")))

    for f in fw.fields:
        v = ev.inputs.get(f.name)
        number(v, f.kind == "rate")
        if isinstance(v, str):
            words(v)
    year = ev.inputs.get("f_year")
    number(year - 1)
    for m in ev.metrics.values():
        number(m.value, m.metric.is_rate)
    for ind in fw.indicators:
        r = ev.indicators[ind.id]
        for v in (ind.max, r.eff_max, r.score, r.suggested):
            number(v)
        words(r.note)
        for rl in fw.reallocations:
            number(rl.points)
    for a in ev.adjustments.values():
        number(a.max)
        number(a.score)
        words(a.note)
    for v in list(ev.subtotals.values()) + list(ev.groups.values()) + [ev.total, fw.total_max]:
        number(v)
    for g in fw.level1:
        number(sum(ev.indicators[i.id].eff_max for i in fw.indicators_of_level1(g.id)))
    for g in fw.level2:
        number(sum(ev.indicators[i.id].eff_max for i in fw.indicators_of(g.id)))
    for g in fw.grades:
        number(g.min)
    for row in table_rows(ev.book, ("rpt_chapter", "rpt_kind", "rpt_text")):
        words(row[2])
    return allowed


def untraced(texts, ev) -> set[str]:
    return set(report_numbers(texts)) - sheet_numbers(ev)


def test_every_number_traces_to_a_sheet_value(ev, parts):
    texts = all_text(parts["word/document.xml"])
    assert report_numbers(texts)["3,491,995"] == 1 and report_numbers(texts)["98.2"] >= 2
    assert untraced(texts, ev) == set()


def test_the_trace_check_catches_a_wrong_figure(ev, parts):
    texts = all_text(parts["word/document.xml"]) + ["2022 年年初预算为 3,491,996 元，增长15.98%"]
    assert untraced(texts, ev) == {"3,491,996", "15.98%"}


def test_values_follow_the_sheet_when_it_changes(ev):
    book = copy.deepcopy(ev.book)
    book.names["f_budget_initial"].cells[0].value = 1234567.8
    book.names["s_budget_rationality"].cells[0].value = 4.5
    e = evaluate(ev.fw, book)
    assert e.metrics["m_budget_growth"].value == pytest.approx(-0.5899)
    assert e.total == pytest.approx(97.7)
    rep = docgen.render(e, chart=False)
    texts = [p.text for p in rep.document.paragraphs]
    assert any("年初预算为 1,234,567.80 元" in t and "年初预算降低58.99%" in t for t in texts)
    assert any(t.startswith("（1）预算编制合理性（5 分）。自评得分 4.5 分，") for t in texts)
    assert not any("3,491,995" in t for t in texts)
    cells = [c.text for c in rep.document.tables[0].rows[-1].cells]
    assert cells[-3:] == ["100", "97.7", "自评等级：优"]


# ---------------------------------------------------------------- user text edge cases
def _with_rows(ev, rows):
    """A copy of ev whose 报告文字 holds rows [(chapter, kind, text)]."""
    e = clone(ev)
    for col, k in (("rpt_chapter", 0), ("rpt_kind", 1), ("rpt_text", 2)):
        cells = e.book.names[col].cells
        for i, c in enumerate(cells):
            c.value, c.formula = (rows[i][k] if i < len(rows) else None), None
        if len(rows) > len(cells):
            raise AssertionError("too many rows")
    return e


def test_generated_chapters_when_the_user_wrote_none(ev):
    keep = [r for r in table_rows(ev.book, ("rpt_chapter", "rpt_kind", "rpt_text"))
            if r[0] not in ("人员编制", "收入情况", "支出情况", "自评结论")]
    e = _with_rows(ev, keep)
    rep = docgen.render(e, chart=False)
    texts = [p.text for p in rep.document.paragraphs]
    assert "乐昌市政务服务数据管理局核定行政编制8名，现有7名；核定事业编制8名，现有7名。" in texts
    assert "2022年年初预算为3,491,995元，2021年年初预算3,010,664.91元，与上年度相比，年初预算增长15.99%。" in texts
    assert any(t.startswith("2022年年终支出决算3,638,346.02元") and t.endswith("支出决算降低0.36%。") for t in texts)
    assert "按照《部门整体支出绩效评价自评表》的评价指标，2022年部门整体支出绩效自评结果为98.2分，等级为“优”。" in texts
    assert "其中，预算编制情况27.5 分，预算执行情况39.2 分，资金使用效益30 分，加分项加 1.5 分。" in texts
    assert len(DEFAULT_TEXT) == 4 and rep.warnings == []


def test_missing_chapter_is_marked_and_warned(ev):
    keep = [r for r in table_rows(ev.book, ("rpt_chapter", "rpt_kind", "rpt_text")) if r[0] != "存在问题"]
    rep = docgen.render(_with_rows(ev, keep), chart=False)
    texts = [p.text for p in rep.document.paragraphs]
    i = texts.index("五、存在问题")
    assert texts[i + 1] == "【未填写：请在“报告文字”工作表的“存在问题”章节填写本部分内容】"
    assert any("存在问题" in w for w in rep.warnings)


def test_placeholders_modifiers_and_problems(ev):
    rows = [("主要绩效", "正文", "年初预算 {年初预算|万元} 万元，决算支出{决算支出增长率|增减}，总分 {总分} 分。"),
            ("主要绩效", "标题", "（一）小标题"),
            ("存在问题", "正文", "引用了不存在的 {没有这个} 占位符。"),
            ("不是章节", "正文", "这一行不进报告。")]
    rep = docgen.render(_with_rows(ev, rows), chart=False)
    paras = rep.document.paragraphs
    texts = [p.text for p in paras]
    assert "年初预算 349.2 万元，决算支出降低0.36%，总分 98.2 分。" in texts
    assert paras[texts.index("（一）小标题")].style.style_id == "Heading2"
    # marked visibly (issue 14: the report never prints a raw {…}), and said
    assert "引用了不存在的 【待补：没有这个】 占位符。" in texts
    assert any("{没有这个}" in w for w in rep.warnings)
    assert any("不是章节" in w for w in rep.warnings) and "这一行不进报告。" not in texts


def test_control_characters_are_stripped_and_emoji_survive(ev):
    e = _with_rows(ev, [("主要绩效", "正文", "第一段\x0b第二段\x01\x07结束 👍🏻 ✅"),
                        ("存在问题", "正文", "含\ud800孤立代理项和\ufffe非字符")])
    e.indicators["budget_rationality"].note = "说明\x00\x1f文字😀\n另起一段"
    buf = io.BytesIO()
    docgen.render(e, chart=False).document.save(buf)  # python-docx/lxml would raise on \x00, \x01...
    texts = [p.text for p in docx.Document(io.BytesIO(buf.getvalue())).paragraphs]
    assert "第一段" in texts and "第二段结束 👍🏻 ✅" in texts
    assert "含孤立代理项和非字符" in texts
    assert any(t.endswith("自评得分 5 分，说明文字😀") for t in texts) and "另起一段" in texts


def test_blank_and_text_scores_are_marked_not_invented(ev):
    e = clone(ev)
    r = e.indicators["budget_standard"]
    r.raw_score, r.score = None, None
    r2 = e.indicators["budget_planning"]
    r2.raw_score, r2.score = "四分", None
    texts = [p.text for p in docgen.render(e, chart=False).document.paragraphs]
    assert any(t.startswith("（2）预算编制规范性（5 分）。自评得分 【未填写】，") for t in texts)
    assert any(t.startswith("（3）预算编制规划性（4 分）。自评得分 【“四分”不是数字】，") for t in texts)


# ---------------------------------------------------------------- names
def test_default_report_name(ev):
    assert docgen.default_report_name(ev) == "乐昌市政务服务数据管理局2022年度部门整体支出绩效自评报告.docx"
    e = clone(ev)
    e.inputs["f_department"] = ' 某某局<办公室>/财务:股*?"|\x07 '
    e.inputs["f_year"] = 2023.0
    assert docgen.default_report_name(e) == "某某局办公室财务股2023年度部门整体支出绩效自评报告.docx"
    e.inputs["f_department"], e.inputs["f_year"] = None, None
    assert docgen.default_report_name(e) == "部门整体支出绩效自评报告.docx"
    e.inputs["f_department"] = "CON"
    assert docgen.default_report_name(e) == "CON部门整体支出绩效自评报告.docx"
    e.inputs["f_department"] = "局" * 300
    assert len(docgen.default_report_name(e).encode("utf-8")) <= 210


# ---------------------------------------------------------------- formatting (GB/T 9704)
def test_page_size_and_margins_in_every_section(parts):
    sects = list(parts["word/document.xml"].iter(q("sectPr")))
    assert len(sects) == 2  # cover, body
    for s in sects:
        pg, mar = s.find("w:pgSz", NS), s.find("w:pgMar", NS)
        assert (attr(pg, "w"), attr(pg, "h")) == ("11906", "16838")  # A4 in twips
        assert {k: attr(mar, k) for k in ("top", "bottom", "left", "right")} == \
               {"top": "2098", "bottom": "1984", "left": "1587", "right": "1474"}  # 37/35/28/26 mm
        grid = s.find("w:docGrid", NS)
        assert attr(grid, "type") is None and attr(grid, "linePitch") == "579"
    assert int(attr(sects[1].find("w:pgMar", NS), "footer")) > 1300


def test_east_asian_fonts_on_the_styles(parts):
    styles = parts["word/styles.xml"]
    expected = {"Normal": "仿宋_GB2312", "Heading1": "黑体", "Heading2": "楷体_GB2312", "Heading3": "仿宋_GB2312",
                "Heading4": "仿宋_GB2312", "Title": "方正小标宋简体", "Footer": "宋体", "JxTableText": "仿宋_GB2312",
                "JxTableHead": "黑体", "JxCover": "仿宋_GB2312"}
    for sid, font in expected.items():
        rf = style(parts, sid).find("w:rPr/w:rFonts", NS)
        assert attr(rf, "eastAsia") == font, sid
        assert attr(rf, "hint") == "eastAsia"
        assert style(parts, sid).find("w:rPr/w:lang", NS).get(q("eastAsia")) == "zh-CN"
    dd = styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:rFonts", NS)
    assert attr(dd, "eastAsia") == "仿宋_GB2312" and attr(dd, "ascii") == "Times New Roman"
    # Word prefers a theme font over the named one: none may remain anywhere in styles.xml
    for rf in styles.iter(q("rFonts")):
        assert not [a for a in rf.attrib if a.lower().endswith("theme")], etree.tostring(rf)
    assert attr(style(parts, "Normal").find("w:rPr/w:sz", NS), "val") == "32"  # 3号
    assert attr(style(parts, "Title").find("w:rPr/w:sz", NS), "val") == "44"  # 2号
    assert attr(style(parts, "Footer").find("w:rPr/w:sz", NS), "val") == "28"  # 4号
    fonts = parts["word/fontTable.xml"]
    alt = fonts.find("w:font[@w:name='仿宋_GB2312']/w:altName", NS)
    assert alt is not None and attr(alt, "val") == "仿宋"


def test_line_pitch_indent_and_spacing(parts):
    normal = style(parts, "Normal").find("w:pPr", NS)
    sp, ind = normal.find("w:spacing", NS), normal.find("w:ind", NS)
    assert (attr(sp, "line"), attr(sp, "lineRule")) == ("579", "exact")
    assert (attr(ind, "firstLineChars"), attr(ind, "firstLine")) == ("200", "640")
    assert attr(style(parts, "Normal").find("w:rPr/w:spacing", NS), "val") == "-10"  # −0.5 pt: 28 per line
    assert attr(normal.find("w:jc", NS), "val") == "both"
    for sid in ("Title", "Footer", "JxPicture", "JxTableText", "JxAttachLabel"):
        ind = style(parts, sid).find("w:pPr/w:ind", NS)
        assert attr(ind, "firstLineChars") == "0", sid  # derived styles reset Normal's indent
    pic = style(parts, "JxPicture").find("w:pPr/w:spacing", NS)
    assert attr(pic, "lineRule") == "auto"  # exact spacing would crop the chart
    for lvl, sid in enumerate(("Heading1", "Heading2", "Heading3", "Heading4")):
        ppr = style(parts, sid).find("w:pPr", NS)
        assert attr(ppr.find("w:outlineLvl", NS), "val") == str(lvl)
        assert ppr.find("w:keepNext", NS) is not None


def test_page_numbers_odd_right_even_left(parts):
    settings = parts["word/settings.xml"]
    assert settings.find("w:evenAndOddHeaders", NS) is not None
    doc = parts["word/document.xml"]
    cover, body = list(doc.iter(q("sectPr")))
    assert cover.find("w:footerReference", NS) is None  # no number on the cover
    assert attr(body.find("w:pgNumType", NS), "start") == "1"
    refs = {attr(r, "type"): r.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
            for r in body.findall("w:footerReference", NS)}
    assert set(refs) == {"default", "even"}
    footers = {n: e for n, e in parts.items() if n.startswith("word/footer")}
    assert len(footers) >= 2
    sides = set()
    for name, ftr in footers.items():
        p = ftr.find("w:p", NS)
        if p is None:
            continue
        kinds = [attr(f, "fldCharType") for f in p.iter(q("fldChar"))]
        assert kinds == ["begin", "separate", "end"], name
        assert "".join(i.text for i in p.iter(q("instrText"))).strip() == "PAGE"
        text = "".join(t.text for t in p.iter(q("t")))
        assert text == "— 1 —"
        sides.add(attr(p.find("w:pPr/w:jc", NS), "val"))
    assert sides == {"right", "left"}


def test_attached_table_merges_and_repeats_its_header(ev, parts):
    tbl = parts["word/document.xml"].find(".//w:tbl", NS)
    grid = [int(attr(g, "w")) for g in tbl.findall("w:tblGrid/w:gridCol", NS)]
    assert grid == TABLE_WIDTHS and sum(grid) == TEXT_W
    rows = tbl.findall("w:tr", NS)
    assert [r.find("w:trPr/w:tblHeader", NS) is not None for r in rows[:3]] == [True, True, False]
    assert not any(r.find("w:trPr/w:cantSplit", NS) is not None for r in rows[2:])
    n_ind, n_l1, n_adj = len(ev.fw.indicators), len(ev.fw.level1), len(ev.fw.adjustments)
    assert len(rows) == 2 + n_ind + n_l1 + n_adj + 1
    for tc in tbl.iter(q("tc")):
        assert tc.find("w:tcPr/w:tcW", NS) is not None  # widths on every cell, not only the grid

    def restarts(col):
        """Vertical merges starting in grid column col (cells located through their gridSpans)."""
        out = 0
        for r in rows[2:]:
            c = 0
            for tc in r.findall("w:tc", NS):
                vm = tc.find("w:tcPr/w:vMerge", NS)
                if c == col and vm is not None and attr(vm, "val") == "restart":
                    out += 1
                span = tc.find("w:tcPr/w:gridSpan", NS)
                c += int(attr(span, "val")) if span is not None else 1
        return out

    assert restarts(0) == n_l1 + 1  # one per 一级指标, one for 加减分项
    assert restarts(1) == len(ev.fw.level2)


C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"


def test_chart_is_a_native_word_chart_drawn_from_the_groups(ev, docx_bytes, parts):
    assert [(b.label, b.maximum, b.score) for b in chart_data(ev)] == [
        ("预算编制情况", 28.0, 27.5), ("预算执行情况", 42.0, pytest.approx(39.2)), ("资金使用效益", 30.0, 30.0)]
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as z:
        names = z.namelist()
        assert not [n for n in names if n.startswith("word/media/")], "no raster image"
        types = z.read("[Content_Types].xml").decode()
        rels = z.read("word/_rels/document.xml.rels").decode()
        chart_rels = etree.fromstring(z.read("word/charts/_rels/chart1.xml.rels"))
        embedded = z.read("word/embeddings/" + chart_rels[0].get("Target").rsplit("/", 1)[1])
    assert "drawingml.chart+xml" in types and "relationships/chart" in rels
    assert chart_rels[0].get("Type").endswith("/relationships/package")
    chart = parts["word/charts/chart1.xml"]
    ns = {"c": C, "a": A}
    sers = chart.findall(".//c:barChart/c:ser", ns)
    assert [s.findtext("c:tx//c:v", namespaces=ns) for s in sers] == ["分值", "自评得分"]
    cats = [v.text for v in sers[0].findall("c:cat//c:pt/c:v", ns)]
    assert cats == ["预算编制情况", "预算执行情况", "资金使用效益"]
    assert [float(v.text) for v in sers[1].findall("c:val//c:pt/c:v", ns)] == pytest.approx([27.5, 39.2, 30])
    # the chart's text in the document's fonts (Word/WPS/LibreOffice draw it: no boxes from a stale font cache)
    assert {e.get("typeface") for e in chart.iter(f"{{{A}}}ea")} == {"仿宋_GB2312"}
    # the data Word's 编辑数据 opens: the same figures in an embedded workbook
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(embedded)).active
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        [None, "分值", "自评得分"], ["预算编制情况", 28, 27.5], ["预算执行情况", 42, pytest.approx(39.2)],
        ["资金使用效益", 30, 30]]
    # shown inline in the document, with the figures as alternative text
    body = parts["word/document.xml"]
    ref = body.find(f".//{{{C}}}chart")
    assert ref is not None and ref.getparent().get("uri").endswith("/chart")
    doc_pr = body.find(".//{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr")
    assert "预算执行情况：分值 42 分，自评得分 39.2 分" in doc_pr.get("descr")
    texts = all_text(parts["word/document.xml"])
    assert "图　各一级指标自评得分与分值对比" in texts


def test_no_plotting_or_array_library_is_imported():
    code = ("import sys, docgen; from addin.app import sample_data; import docgen.chart; "
            "bad = [m for m in ('matplotlib', 'numpy', 'PIL') if m in sys.modules]; "
            "assert not bad, bad; print('ok')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_render_is_deterministic_apart_from_the_timestamp(ev):
    a = [p.text for p in docgen.render(ev, chart=False, today=dt.date(2023, 3, 1)).document.paragraphs]
    b = [p.text for p in docgen.render(ev, chart=False, today=dt.date(2023, 3, 1)).document.paragraphs]
    assert a == b


# Child order of the elements the report writes (ECMA-376 sequences): Word refuses a file
# ("unreadable content") where LibreOffice and python-docx read it without a word.
SEQUENCES = {
    "style": "name aliases basedOn next link autoRedefine hidden uiPriority semiHidden unhideWhenUsed qFormat "
             "locked personal personalCompose personalReply rsid pPr rPr tblPr trPr tcPr tblStylePr",
    "pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd "
           "tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
           "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc "
           "textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    "rPr": "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof "
           "snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText "
           "vertAlign rtl cs em lang eastAsianLayout specVanish oMath",
    "sectPr": "headerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders lnNumType pgNumType cols "
              "formProt vAlign noEndnote titlePg textDirection bidi rtlGutter docGrid printerSettings sectPrChange",
    "tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc tblCellSpacing "
             "tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption tblDescription",
    "tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText vAlign hideMark",
    "font": "altName panose1 charset family notTrueType pitch sig embedRegular embedBold embedItalic embedBoldItalic",
}


def test_elements_are_in_schema_order(parts):
    rank = {k: {name: i for i, name in enumerate(v.split())} for k, v in SEQUENCES.items()}
    rank["sectPr"]["footerReference"] = rank["sectPr"]["headerReference"]
    checked = 0
    for part_name, root in parts.items():
        for tag, order in rank.items():
            for e in root.iter(q(tag)):
                if e.getparent() is not None and e.getparent().tag == q("rPrChange"):
                    continue
                names = [etree.QName(c).localname for c in e if etree.QName(c).namespace == W]
                idx = [order.get(n, -1) for n in names]
                assert -1 not in idx, (part_name, tag, names)
                assert idx == sorted(idx), (part_name, tag, names)
                checked += 1
    assert checked > 1000


def test_absurd_scores_still_render(sample_path):
    """Scores near the float limit (校验 flags them; --force still renders): #NUM! in text, 0 in the chart."""
    from addin.app import open_book

    fw, book = open_book(sample_path)
    book.cell("s_effect").value = 1e300
    book.cell("s_budget_rationality").value = 1.7e308
    book.cell("s_budget_standard").value = 1.7e308
    ev = evaluate(fw, book)
    assert ev.groups["budgeting"] == float("inf") and ev.grade == "#NUM!"
    assert [b.score for b in chart_data(ev)] == [0, 39.2, 0]
    doc = docgen.render_document(ev)
    assert "#NUM!" in "\n".join(p.text for p in doc.paragraphs)

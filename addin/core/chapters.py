"""Chapters of the 自评报告 and the 报告文字 keys that feed them (the sample's structure)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chapter:
    key: str  # the value in 报告文字's 章节 column
    headings: tuple[str, ...]  # headings opened before its paragraphs, outermost first
    generated: bool = False  # True: the report writes a standard text when the user gives none


CHAPTERS: tuple[Chapter, ...] = (
    Chapter("部门主要职责", ("一、部门的基本情况", "（一）部门整体概况", "1.部门主要职责")),
    Chapter("下属单位", ("一、部门的基本情况", "（一）部门整体概况", "2.纳入预算编制范围下属单位")),
    Chapter("人员编制", ("一、部门的基本情况", "（一）部门整体概况", "3.部门人员编制构成"), True),
    Chapter("收入情况", ("一、部门的基本情况", "（二）部门整体收支情况", "1.部门整体收入"), True),
    Chapter("支出情况", ("一、部门的基本情况", "（二）部门整体收支情况", "2.部门整体支出情况"), True),
    Chapter("支出目标及任务", ("一、部门的基本情况", "（三）部门整体支出目标及任务")),
    Chapter("自评结论", ("二、自评结论",), True),
    Chapter("主要绩效", ("四、主要绩效",)),
    Chapter("存在问题", ("五、存在问题",)),
    Chapter("相关建议", ("六、相关建议",)),
)
CHAPTER_KEYS = tuple(c.key for c in CHAPTERS)
ANALYSIS_HEADING = "三、绩效分析"  # generated from the indicator sheets
PARAGRAPH_KINDS = ("正文", "标题")

# Default paragraphs a new template carries, so users see how placeholders work.
DEFAULT_TEXT: tuple[tuple[str, str, str], ...] = (
    ("人员编制", "正文", "{部门名称}核定行政编制{行政编制}名，现有{行政实有}名；核定事业编制{事业编制}名，现有{事业实有}名。"),
    ("收入情况", "正文", "{评价年度}年年初预算为{年初预算}元，{上年度}年年初预算{上年年初预算}元，与上年度相比，年初预算{年初预算增长率|增减}。"),
    ("支出情况", "正文", "{评价年度}年年终支出决算{决算支出}元，上年支出决算为{上年决算支出}元，与上年度相比，支出决算{决算支出增长率|增减}。"),
    ("自评结论", "正文", "按照《部门整体支出绩效评价自评表》的评价指标，{评价年度}年部门整体支出绩效自评结果为{总分}分，等级为“{等级}”。"),
)


def outline(fw) -> tuple:
    """The report's chapters: the framework's [report] outline, or (a framework without one) the sample's."""
    declared = getattr(fw, "report_outline", ())
    if declared:
        return tuple(declared)
    from .target import ReportChapter  # noqa: PLC0415

    out = []
    for c in CHAPTERS:
        out.append(ReportChapter(c.key, c.headings, ("conclusion",) if c.key == "自评结论" else (),
                                 c.key in ("下属单位", "支出目标及任务", "人员编制", "收入情况", "支出情况")))
        if c.key == "自评结论":
            out.append(ReportChapter("绩效分析", (ANALYSIS_HEADING,), ("groups",), True))
    return tuple(out)


def default_texts(fw) -> tuple[tuple[str, str, str], ...]:
    """(chapter, kind, text) paragraphs a new 报告文字 carries and the report falls back on."""
    if getattr(fw, "report_outline", ()):
        return tuple(getattr(fw, "report_texts", ()))
    return DEFAULT_TEXT


def chapter_keys(fw) -> tuple[str, ...]:
    """The 章节 choices of 报告文字: the framework's [report] outline, or the sample's chapters."""
    outline = getattr(fw, "report_outline", ())
    return tuple(c.key for c in outline) if outline else CHAPTER_KEYS


def expected_chapters(fw) -> tuple[str, ...]:
    """Chapters only the user's text fills (a 提示 when 报告文字 has none)."""
    outline = getattr(fw, "report_outline", ())
    if outline:
        with_text = {t[0] for t in getattr(fw, "report_texts", ())}
        return tuple(c.key for c in outline if not c.auto and not getattr(c, "optional", False)
                     and c.key not in with_text)
    return ("部门主要职责", "主要绩效", "存在问题", "相关建议")

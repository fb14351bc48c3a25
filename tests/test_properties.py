"""Property tests: any value in any input cell — 校验 and the report never crash, every finding is well-formed.

Values are put into an in-memory BookData read from the template (or the sample), so what no
xlsx can hold (NaN, infinity) is covered too. Profiles: HYPOTHESIS_PROFILE=dev (default, quick)
or ci (.ci/run sets it; at least 1000 examples per property).
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from addin.core.evaluate import evaluate
from addin.core.findings import SEVERITIES
from addin.core.validation import RULES, rules as _rules, validate  # noqa: F401 - rules register on import
from addin.xlsx.reader import read_book
from addin.app import framework_for

settings.register_profile("dev", max_examples=100, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=1000, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# applied per test (not load_profile) so other modules' hypothesis settings are left as they are
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

KEEP = object()  # leave the base workbook's value
CJK = re.compile(r"[\u4e00-\u9fff]")
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
RULE_IDS = {r.id for r in RULES} | {"R99.internal"}

numbers = st.one_of(
    st.integers(min_value=-(10 ** 300), max_value=10 ** 300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6),
    st.sampled_from([0, -0.0, 1, 0.923, 92.3, 1.5, 2022, 22, 1e16, 1e11, 5e-324, 1e308, -1, 7.5, 3491995]),
)
texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from([
        "三百万", "3,491,995元", " 12 ", "１２３４５６", "92.3%", "349.2万元", "   ", "", "是", "否", "有", "无", "Y",
        "=cmd|' /C calc'!A0", '=HYPERLINK("http://x")', "+1", "-1", "@SUM(1)", "#DIV/0!", "#NAME?", "#REF!", "#N/A",
        "{年初预算}", "{年初预算|万元}", "{年初预算增长率|增减}", "{不存在}", "{", "}", "{{}}", "{总分}",
        "第一行\x0b第二行\x07", "😀👍🚀", "\ud800", "\x1b[2J", "主要绩效", "部门主要职责", "存在问题", "正文", "标题",
        "年初预算 349.2 万元，支出率为 100%，结余率为 0%。", "共实施 13 个项目", "A" * 5000,
    ]),
)
values = st.one_of(
    st.just(KEEP), st.none(), numbers, texts, st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(9999, 12, 31)), st.dates(), st.times(),
)
formulas = st.one_of(st.none(), st.sampled_from([
    "=1200+3400*2", "=1/0", "=-5", "=SUM(A1:A3)", "=f_budget_initial", "=9**9**9", "=1e308*10",
    "=" + "(" * 150 + "1" + ")" * 150, '=__import__("os").system("true")', "=WEBSERVICE(\"http://x\")",
]))


@pytest.fixture(scope="module")
def bases(template_path, sample_path):
    out = []
    for p in (template_path, sample_path):
        book = read_book(p)
        out.append((framework_for(book), book))
    return out


def _input_names(fw) -> list[str]:
    return list(fw.input_names())


def _table_names(fw) -> list[str]:
    return [c.name for c in fw.project_columns] + ["rpt_chapter", "rpt_kind", "rpt_text", "rpt_remark"]


def _randomize(data, fw, base):
    """A copy of base with a drawn value (or formula) in every input cell and in the first table rows."""
    book = copy.deepcopy(base)
    for name in _input_names(fw):
        c = book.cell(name)
        if c is None:
            continue
        v = data.draw(values, label=name)
        if v is not KEEP:
            c.value, c.formula = v, None
        f = data.draw(formulas, label=name + ".formula")
        if f is not None:
            c.value, c.formula = None, f
    rows = data.draw(st.integers(0, 6), label="table rows")
    for name in _table_names(fw):
        for c in book.column(name)[:rows]:
            v = data.draw(values, label=f"{name}[{c.coord}]")
            if v is not KEEP:
                c.value, c.formula = v, None
    return book


def _check_findings(book, result) -> None:
    for f in result.findings:
        assert f.rule in RULE_IDS, f
        assert not f.rule.startswith("R99"), f"a rule crashed: {f.message}\n{f.actual}"
        assert f.severity in SEVERITIES, f
        assert isinstance(f.message, str) and f.message.strip() and CJK.search(f.message), f
        if f.name is not None and book.cell(f.name) is not None:  # the structure is intact here
            assert f.sheet and f.cell, f
        if f.sheet:
            assert f.sheet in book.sheets, f
        json.dumps(f.to_dict(), ensure_ascii=False, allow_nan=True)
    json.dumps(result.to_dict(), ensure_ascii=False, allow_nan=True)
    result.summary_line()


@settings(PROFILE)
@given(data=st.data())
def test_validation_never_crashes_and_findings_are_well_formed(bases, data):
    fw, base = data.draw(st.sampled_from(bases), label="base")
    book = _randomize(data, fw, base)
    ev = evaluate(fw, book)
    # total may be ±inf with scores near 1e308 (Excel shows #NUM!); 校验 reports those scores
    assert isinstance(ev.total, float) and isinstance(ev.grade, str) and ev.grade
    _check_findings(book, validate(fw, book, ev))


docgen = pytest.importorskip("docgen")


@settings(PROFILE)
@given(data=st.data())
def test_report_never_crashes(bases, data):
    """Any values in every input cell (control characters, long text, sums that overflow): the report renders."""
    fw, base = data.draw(st.sampled_from(bases), label="base")
    book = _randomize(data, fw, base)
    ev = evaluate(fw, book)
    doc = docgen.render_document(ev)
    assert doc.paragraphs

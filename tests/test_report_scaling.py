"""The report's cost grows linearly with the 自评表's rows (python-docx's table API is quadratic)."""
from __future__ import annotations

import io

import docgen
from addin.core.numeric import fmt_score
from conftest import count_calls
from docgen._synthetic import synthetic_evaluation


def _calls(ev) -> int:
    return count_calls(lambda: docgen.render(ev, chart=False).document.save(io.BytesIO()))


def test_work_grows_linearly_with_rows():
    small, large = synthetic_evaluation(100), synthetic_evaluation(800)
    assert len(large.fw.indicators) == 800
    ratio = _calls(large) / _calls(small)
    # 8× the rows: linear gives about 8× or less (fixed costs), quadratic about 64×; no clock is read
    assert ratio < 10, ratio


def test_large_report_is_complete():
    ev = synthetic_evaluation(300)
    doc = docgen.render(ev, chart=False).document
    table = doc.tables[0]
    # 2 header rows, one per indicator, a 小计 per 一级指标, the 加减分 rows and 合计
    assert len(table.rows) == 2 + 300 + 3 + len(ev.fw.adjustments) + 1
    texts = [p.text for p in doc.paragraphs]
    assert sum(1 for t in texts if "。自评得分 " in t) == 300
    assert table.rows[-1].cells[-2].text == fmt_score(ev.total)

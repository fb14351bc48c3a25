"""准备发送 (jxzp send-ready, ribbon button): the links Excel with the add-in writes are undone.

The input is the package Excel would write (tests/excel_sim.py: [n]!UDF( calls, an
externalLink part to the add-in's path); LibreOffice's view of the result is in
tests/test_live_values.py.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile

import pytest

from addin.core.formulas import template_udfs as udf_names
from addin.xlsx.send import addin_links, rewrite_formula
from excel_sim import ADDIN_PATH, saved_by_excel_with_addin
from conftest import validate_file


def _parts(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _formulas(parts):
    return [f for n, b in parts.items() if n.startswith("xl/worksheets/")
            for f in re.findall(r"<f>([^<]*)</f>", b.decode("utf-8"))]


@pytest.mark.parametrize("addin_first", [False, True])
def test_send_ready_removes_the_addin_link_and_keeps_everything_else(sample_path, tmp_path, addin_first):
    excel = saved_by_excel_with_addin(sample_path, tmp_path / "excel.xlsx", udf_names(), addin_first=addin_first)
    assert addin_links(excel)
    before = _parts(excel)
    n = "1" if addin_first else "2"
    assert any(f.startswith(f"IFERROR([{n}]!EXEC_RATE(") for f in _formulas(before))
    r = subprocess.run([sys.executable, "-m", "addin.cli", "send-ready", str(excel), "-o", str(tmp_path / "sent.xlsx")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    after = _parts(tmp_path / "sent.xlsx")
    assert addin_links(tmp_path / "sent.xlsx") == []
    assert not [f for f in _formulas(after) if "]!" in f]
    assert sum("EXEC_RATE(" in f for f in _formulas(after)) == sum("EXEC_RATE(" in f for f in _formulas(before))
    wb = after["xl/workbook.xml"].decode("utf-8")
    assert "[1]Sheet1!$A$1" in wb  # the other workbook's link stays, numbered 1 now
    assert wb.count("<externalReference ") == 1
    ct = after["[Content_Types].xml"].decode("utf-8")
    assert ct.count("externalLink+xml") == 1
    gone = set(before) - set(after)
    assert len(gone) == 2 and all("externalLink" in g for g in gone)
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed <= {k for k in after if k.startswith("xl/worksheets/sheet")} | {
        "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"} | (
        {"xl/externalLinks/externalLink1.xml", "xl/externalLinks/_rels/externalLink1.xml.rels"} if addin_first else set())
    assert excel.read_bytes() == excel.read_bytes() and addin_links(excel)  # the original is untouched
    # jxzp reads both the Excel-saved and the sent file as the template's formulas
    for path in (excel, tmp_path / "sent.xlsx"):
        ev, result = validate_file(path)
        assert not [f for f in result.findings if f.rule.startswith("R04")], path
        assert ev.total == pytest.approx(98.2)


def test_send_ready_names_the_copy_and_never_overwrites(sample_path, tmp_path):
    excel = saved_by_excel_with_addin(sample_path, tmp_path / "自评表.xlsx", udf_names(), other_link=False)
    for expected in ("自评表（发送版）.xlsx", "自评表（发送版）(2).xlsx"):
        r = subprocess.run([sys.executable, "-m", "addin.cli", "send-ready", str(excel)], capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / expected).exists() and expected in r.stdout
    out = tmp_path / "自评表（发送版）.xlsx"
    assert "externalReferences" not in _parts(out)["xl/workbook.xml"].decode("utf-8")
    r = subprocess.run([sys.executable, "-m", "addin.cli", "send-ready", str(excel), "-o", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "已存在" in r.stderr + r.stdout


def test_rewrite_formula_touches_only_our_functions_outside_strings():
    udf = rewrite_formula('IFERROR([2]!EXEC_RATE(a,b),"[2]!EXEC_RATE(")+[1]Sheet1!A1+[2]!OTHER(1)', {2}, {})
    assert udf == 'IFERROR(EXEC_RATE(a,b),"[2]!EXEC_RATE(")+[1]Sheet1!A1+[2]!OTHER(1)'
    assert rewrite_formula("[3]!RATIO(a,b)+[2]Sheet1!A1", {1}, {2: 1, 3: 2}) == "[3]!RATIO(a,b)+[1]Sheet1!A1".replace(
        "[3]", "[2]")
    path = ADDIN_PATH.replace("file:///", "")
    assert rewrite_formula(f"'{path}'!SUGGEST_SCORE(x)+C:\\AddIns\\jxzp.xlam!RATIO(a,b)", set(), {}) == \
        "SUGGEST_SCORE(x)+RATIO(a,b)"


def test_ribbon_prepare_send_writes_the_copy_next_to_the_workbook(sample_path, tmp_path, monkeypatch):
    from addin import ribbon
    from addin.adapters.offline import OfflineApp, OfflineBook

    monkeypatch.setenv("JXZP_HOME", str(tmp_path / "home"))
    excel = saved_by_excel_with_addin(sample_path, tmp_path / "book.xlsx", udf_names(), other_link=False)
    book = OfflineBook(excel, OfflineApp())
    monkeypatch.setattr(ribbon, "_caller_book", lambda: book)
    ribbon.prepare_send()
    out = tmp_path / "book（发送版）.xlsx"
    assert out.exists() and addin_links(out) == [] and addin_links(excel)
    assert str(out) in book.app.alerts[-1]["prompt"]
    assert json.loads(subprocess.run([sys.executable, "-m", "addin.cli", "validate", str(out), "--json"],
                                     capture_output=True, text=True, timeout=300).stdout)["findings"] is not None


def test_ribbon_prepare_send_needs_a_saved_workbook(sample_path, tmp_path, monkeypatch):
    from addin import ribbon
    from addin.adapters.offline import OfflineApp, OfflineBook

    monkeypatch.setenv("JXZP_HOME", str(tmp_path / "home"))
    book = OfflineBook(sample_path, OfflineApp())
    book.path = tmp_path / "工作簿1"  # never saved: Excel reports a bare name
    monkeypatch.setattr(ribbon, "_caller_book", lambda: book)
    ribbon.prepare_send()
    assert "还没有保存过" in book.app.alerts[-1]["prompt"]
    assert not list(tmp_path.glob("*发送版*"))


def test_validate_suggests_send_ready_for_a_file_with_addin_links(sample_path, tmp_path):
    excel = saved_by_excel_with_addin(sample_path, tmp_path / "excel.xlsx", udf_names(), other_link=False)
    r = subprocess.run([sys.executable, "-m", "addin.cli", "validate", str(excel)], capture_output=True, text=True,
                       timeout=300)
    assert "send-ready" in r.stdout and "jxzp.xlam" in r.stdout
    r = subprocess.run([sys.executable, "-m", "addin.cli", "validate", str(sample_path)], capture_output=True,
                       text=True, timeout=300)
    assert "send-ready" not in r.stdout

"""Live values in a spreadsheet program without the add-in: LibreOffice recomputes every cell.

One LibreOffice session (tools/lo_calc.py over UNO) edits the inputs of the blank template
with seeded random input sets (blanks, zeros, text, negatives, error values, rounding
knife-edges) and of the 乐昌 sample (a colleague's edits, one after another), recalculates,
and reads every computed cell. Each must equal what the core computes from the same inputs:
rates to 4 decimals with Excel's half-up rounding, the same Chinese messages, suggested
scores, subtotals, totals, grade and the 汇总 column the chart plots. The file LibreOffice
saves last is read back by jxzp (validate: formulas accepted, values equal); a formula the
user overwrote in LibreOffice is still found.
"""
from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from addin.core.errors import CalcError
from addin.core.evaluate import evaluate
from addin.core.formulas import computed_formulas
from addin.core.framework import load_framework
from addin.core.rates import exec_rate
from addin.xlsx.reader import read_book
from lo_uno import as_cell, run_jobs, same, setter

pytestmark = pytest.mark.libreoffice

N_RANDOM = 240  # input sets on the blank template (CI: at least 200)
N_SAMPLE = 30  # successive edits of the sample
N_SENT = 10  # input sets on a file saved by Excel with the add-in and made ready to send
PROJECT_ROWS_USED = 16
SEED = 20221231
ERRORS = ("#DIV/0!", "#N/A")


# ---------------------------------------------------------------- random inputs
def _amount(rng: random.Random, errors: bool = True):
    r = rng.random()
    if r < 0.08:
        return None
    if r < 0.15:
        return 0
    if r < 0.18:
        return rng.choice(["12万", "约300", "待核实"])
    if r < 0.21:
        return -round(rng.uniform(1, 1e5), 2)
    if r < 0.23 and errors:
        return rng.choice(ERRORS)
    return round(rng.uniform(0, 10 ** rng.randint(1, 9)), rng.choice((0, 2)))


def _count(rng: random.Random):
    r = rng.random()
    if r < 0.06:
        return None
    if r < 0.16:
        return 0
    if r < 0.18:
        return "十二"
    return rng.randint(0, 60)


def _rate(rng: random.Random):
    r = rng.random()
    if r < 0.35:
        return None
    if r < 0.38:
        return -0.1
    return round(rng.uniform(0, 1.3), rng.choice((2, 4, 6)))


def _score(rng: random.Random, mx: float):
    r = rng.random()
    if r < 0.12:
        return None
    if r < 0.16:
        return "满分"
    if r < 0.3:
        return mx
    return round(rng.uniform(0, mx * 1.1), rng.choice((0, 1, 2)))


def random_inputs(fw, rng: random.Random) -> tuple[dict, list[dict]]:
    """(name -> value for fields and scores, project rows)."""
    vals: dict = {}
    for f in fw.fields:
        if f.kind == "amount":
            vals[f.name] = _amount(rng)
        elif f.kind == "count":
            vals[f.name] = _count(rng)
        elif f.kind == "rate":
            vals[f.name] = _rate(rng)
        elif f.kind == "yesno":
            vals[f.name] = rng.choice(["是", "否", "否", None, "无"])
    if rng.random() < 0.3:  # half-up knife-edges: x.xxxx5 exactly in decimal
        vals["f_budget_full"] = 100000
        vals["f_full_spent"] = rng.randint(0, 130000) + 0.5
        vals["f_h1_spent"] = rng.choice([None, rng.randint(0, 60000) + 0.5])
        vals["f_budget_initial_prev"] = 200000
        vals["f_budget_initial"] = rng.randint(100000, 300000) + 0.1 * rng.randint(0, 9)
    if rng.random() < 0.15:  # all-zero denominators: the 不适用 / 为0 messages
        for n in ("f_procurement_budget", "f_procurement_actual", "f_assets_total", "f_public_budget"):
            vals[n] = 0
    for ind in fw.indicators:
        vals[ind.score_name] = _score(rng, ind.max)
    for adj in fw.adjustments:
        vals[adj.score_name] = _score(rng, adj.max)
    rows = []
    for i in range(rng.randint(0, PROJECT_ROWS_USED)):
        rows.append({
            "p_name": None if rng.random() < 0.1 else f"项目{i + 1}",
            "p_budget": _amount(rng, errors=False),
            "p_spent": _amount(rng),
            "p_has_targets": rng.choice(["是", "是", "否", None, "是 "]),
            "p_on_time": rng.choice(["是", "否", None]),
            "p_remark": None,
        })
    return vals, rows


# ---------------------------------------------------------------- the core's answer
def core_book(base, vals: dict, rows: list[dict]):
    book = copy.deepcopy(base)
    for name, v in vals.items():
        c = book.cell(name)
        c.value, c.formula = v, None
    for col in ("p_name", "p_budget", "p_spent", "p_has_targets", "p_on_time", "p_remark"):
        for i, c in enumerate(book.column(col)):
            c.value, c.formula = (rows[i].get(col) if i < len(rows) else None), None
    return book


def project_rate(row: dict | None):
    """Mirror of the per-project 执行率 formula (blank name or budget: empty)."""
    if row is None or row.get("p_name") in (None, "") or row.get("p_budget") in (None, ""):
        return ""
    try:
        return exec_rate(row.get("p_spent"), row.get("p_budget"))
    except CalcError as e:
        return e.message


def adj_total(ev) -> float:
    from addin.core.rates import excel_sum

    plus = excel_sum(*[a.raw_score for a in ev.adjustments.values() if a.sign > 0])
    minus = excel_sum(*[a.raw_score for a in ev.adjustments.values() if a.sign < 0])
    return plus - minus


class Plan:
    """Where the computed cells are and what each should show."""

    def __init__(self, fw, path):
        self.fw = fw
        self.base = read_book(path)
        self.names = [n for n in computed_formulas(fw) if self.base.cell(n) is not None]
        self.rates = self.base.column("p_exec_rate")[:PROJECT_ROWS_USED + 2]
        wb = load_workbook(path)
        ws = wb["汇总"]
        self.summary = [(ws.title, c.coordinate, c.value[1:]) for row in ws.iter_rows(min_col=3, max_col=3)
                        for c in row if isinstance(c.value, str) and c.value[1:] in
                        {l1.total_name for l1 in fw.level1} | {"adj_total"}]
        assert len(self.summary) == len(fw.level1) + 1  # the rows the 汇总 chart plots + 加减分

    def reads(self) -> list[list[str]]:
        cells = [self.base.cell(n) for n in self.names] + self.rates
        return [[c.sheet, c.coord] for c in cells] + [[s, c] for s, c, _ in self.summary]

    def labels(self) -> list[str]:
        return self.names + [f"p_exec_rate[{i}]" for i in range(len(self.rates))] + [f"汇总!{c}" for _, c, _ in self.summary]

    def expected(self, vals: dict, rows: list[dict]) -> list[list]:
        ev = evaluate(self.fw, core_book(self.base, vals, rows))
        out = []
        for n in self.names:
            out.append(as_cell(adj_total(ev) if n == "adj_total" else ev.expected(n)))
        out += [as_cell(project_rate(rows[i] if i < len(rows) else None)) for i in range(len(self.rates))]
        for _, _, ref in self.summary:
            out.append(as_cell(adj_total(ev) if ref == "adj_total" else ev.expected(ref)))
        return out

    def setters(self, vals: dict, rows: list[dict]) -> dict:
        sets = [setter(self.base.cell(n).sheet, self.base.cell(n).coord, v) for n, v in vals.items()]
        for i in range(len(rows)):
            for col, v in rows[i].items():
                c = self.base.column(col)[i]
                sets.append(setter(c.sheet, c.coord, v))
        first, last = self.base.column("p_name")[0], self.base.column("p_remark")[-1]
        return {"clear": [[first.sheet, f"{first.coord}:{last.coord}"]], "set": sets}


def sample_state(plan: Plan) -> tuple[dict, list[dict]]:
    vals = {}
    for f in plan.fw.fields:
        if f.kind in ("amount", "count", "rate", "yesno"):
            vals[f.name] = plan.base.raw(f.name)
    for ind in plan.fw.indicators:
        vals[ind.score_name] = plan.base.raw(ind.score_name)
    for adj in plan.fw.adjustments:
        vals[adj.score_name] = plan.base.raw(adj.score_name)
    cols = {c: plan.base.column(c) for c in ("p_name", "p_budget", "p_spent", "p_has_targets", "p_on_time", "p_remark")}
    n = max((i + 1 for i, c in enumerate(cols["p_name"]) if c.value not in (None, "")), default=0)
    rows = [{c: cols[c][i].value for c in cols} for i in range(n)]
    return vals, rows


# ---------------------------------------------------------------- one LibreOffice session for everything
@pytest.fixture(scope="module")
def live(template_path, sample_path, tmp_path_factory):
    fw = load_framework()
    work = tmp_path_factory.mktemp("live")
    rng = random.Random(SEED)
    t_plan, s_plan = Plan(fw, template_path), Plan(fw, sample_path)

    t_sets, t_expected = [], []
    for _ in range(N_RANDOM):
        vals, rows = random_inputs(fw, rng)
        t_sets.append(t_plan.setters(vals, rows))
        t_expected.append(t_plan.expected(vals, rows))

    # the sample edited step by step, first the edit of issue 12 (上年年初预算)
    vals, rows = sample_state(s_plan)
    s_sets, s_expected = [], []
    rvals, rrows = random_inputs(fw, rng)
    for k in range(N_SAMPLE):
        if k == 0:
            change = {"f_budget_initial_prev": 3_000_000}
        else:
            keys = rng.sample(sorted(rvals), rng.randint(1, 4))
            rvals, rrows = random_inputs(fw, rng)
            change = {key: rvals[key] for key in keys}
            if rng.random() < 0.2:
                rows = rrows
        vals = {**vals, **change}
        st = s_plan.setters(change, rows)
        s_sets.append(st)
        s_expected.append(s_plan.expected(vals, rows))
    final_state = (vals, rows)

    # a file saved by an Excel with the add-in ([1]!EXEC_RATE …), made ready to send, opened without the add-in
    from addin.core.formulas import template_udfs
    from addin.app.books import send_ready_file as send_ready
    from excel_sim import saved_by_excel_with_addin

    excel = saved_by_excel_with_addin(sample_path, work / "excel_saved.xlsx", template_udfs(), addin_first=True)
    sent, _ = send_ready(excel, work / "sent.xlsx")
    x_sets, x_expected = [], []
    for _ in range(N_SENT):
        vals, rows = random_inputs(fw, rng)
        x_sets.append(s_plan.setters(vals, rows))
        x_expected.append(s_plan.expected(vals, rows))

    lo_saved = work / "lo_saved.xlsx"
    overwritten = work / "lo_overwritten.xlsx"
    growth, sub = s_plan.base.cell("m_budget_growth"), s_plan.base.cell(f"sub_{fw.level2[0].id}")
    jobs = [
        {"file": str(template_path), "unprotect": True, "read": t_plan.reads(), "sets": t_sets},
        {"file": str(sample_path), "unprotect": True, "read": s_plan.reads(), "sets": s_sets, "save_as": str(lo_saved)},
        {"file": str(sample_path), "unprotect": True, "read": [],
         "sets": [{"set": [[growth.sheet, growth.coord, "num", 0.5], [sub.sheet, sub.coord, "formula", "=1+1"]]}],
         "save_as": str(overwritten)},
        {"file": str(sent), "unprotect": True, "read": s_plan.reads(), "sets": x_sets},
    ]
    out = run_jobs(jobs, work)
    return {"fw": fw, "template": (t_plan, t_expected, out[0]["results"]),
            "sample": (s_plan, s_expected, out[1]["results"]), "final_state": final_state,
            "lo_saved": lo_saved, "overwritten": overwritten, "s_plan": s_plan,
            "sent": (s_plan, x_expected, out[3]["results"])}


def _mismatches(plan: Plan, expected, results):
    bad = []
    labels = plan.labels()
    for k, (want_set, got_set) in enumerate(zip(expected, results)):
        for label, want, got in zip(labels, want_set, got_set):
            if not same(got, want):
                bad.append((k, label, want, got))
    return bad


def test_every_computed_cell_equals_the_core_over_random_input_sets(live):
    plan, expected, results = live["template"]
    assert len(results) == N_RANDOM >= 200
    bad = _mismatches(plan, expected, results)
    assert not bad, f"{len(bad)} mismatches, first: {bad[:8]}"
    flat = [g for s in results for g in s]
    # the sets exercised what they were meant to: numbers, messages of every kind, no #NAME?
    texts = {g[1] for g in flat if g[0] == "text"}
    assert ["error", "#NAME?"] not in flat
    for msg in ("预算数为0，无法计算", "不适用（预算数为0）", "上年数为0，无法计算增长率", "支出数不是数字",
                "支出数为负数", "未填支出金额或系统进度", "计算值无法计算，无建议得分", "上半年支出进度不是数字"):
        assert msg in texts, msg
    assert any(t.endswith("为错误值#DIV/0!") for t in texts) and any(t.endswith("为错误值#N/A") for t in texts)
    assert sum(1 for g in flat if g[0] == "num") > N_RANDOM * 40


def test_half_up_rounding_knife_edges_agree(live):
    plan, expected, results = live["template"]
    i = plan.names.index("m_full_progress")
    edges = [s[i][1] for s in expected if s[i][0] == "num" and round(s[i][1] * 1e5) % 10 == 0
             and abs(s[i][1] * 1e4 - round(s[i][1] * 1e4)) < 1e-9]
    assert edges  # some 0.xxxx5 -> rounded results went through both engines
    assert not _mismatches(plan, expected, results)


def test_the_sample_edited_in_libreoffice_keeps_computing(live):
    plan, expected, results = live["sample"]
    assert len(results) == N_SAMPLE
    bad = _mismatches(plan, expected, results)
    assert not bad, f"{len(bad)} mismatches, first: {bad[:8]}"
    first = dict(zip(plan.labels(), results[0]))
    # issue 12: after changing 上年年初预算 every rate still shows a number
    assert not [g for g in results[0] if g[0] == "error"]  # no #NAME? (nor any error)
    assert ["error", "#NAME?"] not in [g for s in results for g in s]
    numeric = [m.name for m in live["fw"].metrics if m.is_rate and first[m.name][0] == "num"]
    assert len(numeric) >= 10, numeric  # the rest are the sample's own 0/0 and blank cases, as in the core
    assert first["m_budget_growth"][1] == pytest.approx(round(3491995 / 3_000_000 - 1, 4))


def test_a_file_last_saved_by_libreoffice_validates(live):
    """jxzp reads LibreOffice's file: formulas accepted (R04 silent), shown values equal the core's."""
    path = live["lo_saved"]
    r = subprocess.run([sys.executable, "-m", "addin.cli", "validate", str(path), "--json"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode in (0, 1), r.stderr
    findings = json.loads(r.stdout)["findings"]
    assert not [f for f in findings if f["rule"].startswith("R04")], findings
    plan = live["s_plan"]
    book = read_book(path)
    ev = evaluate(live["fw"], book)
    vals, rows = live["final_state"]
    want = plan.expected(vals, rows)
    cached = load_workbook(path, data_only=True)  # the values LibreOffice stored with the formulas
    for name, w in zip(plan.names, want):
        c = book.cell(name)
        assert c.formula is not None, name
        assert same(as_cell(cached[c.sheet][c.coord].value), w), (name, cached[c.sheet][c.coord].value, w)
        if name != "adj_total":
            assert same(as_cell(ev.expected(name)), w), name  # jxzp's reading of the file agrees


def test_an_overwritten_formula_is_still_found_after_libreoffice(live):
    r = subprocess.run([sys.executable, "-m", "addin.cli", "validate", str(live["overwritten"]), "--json"],
                       capture_output=True, text=True, timeout=300)
    findings = json.loads(r.stdout)["findings"]
    r04 = {f["name"] for f in findings if f["rule"].startswith("R04")}
    assert r04 == {"m_budget_growth", f"sub_{live['fw'].level2[0].id}"}, r04


def test_a_file_made_ready_to_send_computes_without_the_addin(live):
    """Excel-with-add-in's [1]!UDF calls, undone by 准备发送: LibreOffice computes the fallbacks."""
    plan, expected, results = live["sent"]
    assert len(results) == N_SENT
    bad = _mismatches(plan, expected, results)
    assert not bad, f"{len(bad)} mismatches, first: {bad[:8]}"

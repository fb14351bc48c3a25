"""Batch review (`jxzp review`): summary content against per-file `validate --json`, links,
broken files, misbehaving workers, interruption, the progress/cancel API, both families."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from addin.core.framework import available_frameworks
from addin.review import HAS_ERRORS, OK, OLD_TEMPLATE, UNREADABLE, review_folder, review_to_workbook
from addin.review.summary import write_workbook
from addin.app.books import create_template as new_template
from test_bad_input_kit import jxzp, rewrite_zip, with_doctype

pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from review_corpus import make_corpus  # noqa: E402

TESTS = Path(__file__).resolve().parent


def cli(*args, cwd: Path, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "addin.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("review") / "各部门"
    make_corpus(folder, count=200, variants=10)
    return folder


def summary_rows(ws, header_row: int):
    rows = list(ws.iter_rows(min_row=header_row))
    head = [c.value for c in rows[0]]
    return head, rows[1:]


# ---------------------------------------------------------------- 200 files through the command line
def test_200_files_summary_matches_validate(corpus, tmp_path):
    out = tmp_path / "复核汇总.xlsx"
    r = cli("review", corpus, "-o", out, "--json", cwd=tmp_path)
    assert r.returncode == 1, r.stderr[-2000:]  # the sample's mistakes are 错误
    assert "复核进度" in r.stderr and "复核完成：200/200" in r.stderr
    data = json.loads(r.stdout)
    assert data["total"] == data["done"] == 200 and data["partial"] is False
    files = {f["file"]: f for f in data["files"]}
    assert len(files) == 200

    # every file against `jxzp validate --json` of the same file (variants and their copies alike)
    by_bytes: dict[bytes, dict] = {}
    for name, f in files.items():
        path = corpus / name
        key = path.read_bytes()
        if key not in by_bytes:
            v = jxzp("validate", path, "--json")
            assert v.code == 1, v.text[-2000:]
            by_bytes[key] = json.loads(v.out)
        ref = by_bytes[key]
        assert f["status"] == HAS_ERRORS
        assert f["counts"] == {k: ref["summary"][k] for k in ("错误", "警告", "提示")}
        assert f["total"] == ref["totals"]["total"] and f["grade"] == ref["totals"]["grade"]
        assert sorted((x["code"], x["sheet"], x["cell"], x["severity"]) for x in f["findings"]) == \
            sorted((x["code"], x["sheet"], x["cell"], x["severity"]) for x in ref["findings"])
    assert len(by_bytes) == 10

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["汇总", "问题清单", "统计", "无法读取"]
    ws = wb["汇总"]
    head, rows = summary_rows(ws, 2)
    assert "复核汇总" in ws["A1"].value and "部分结果" not in ws["A1"].value
    assert head[:10] == ["序号", "文件", "部门", "年度", "指标体系", "总分", "等级", "错误", "警告", "提示"]
    assert {"决算支出率", "资金支出率", "自评分−建议分", "状态"} <= set(head)
    col = {h: i for i, h in enumerate(head)}
    assert len(rows) == 200 and ws.freeze_panes == "C3"
    for row in rows:
        name = row[col["文件"]].value
        f = files[name]
        link = row[col["文件"]].hyperlink
        assert (out.parent / link.target).resolve() == (corpus / name).resolve()
        assert row[col["错误"]].value == f["counts"]["错误"] and row[col["状态"]].value == HAS_ERRORS
        assert row[col["部门"]].value == f["department"] and row[col["总分"]].value == f["total"]
        assert row[col["决算支出率"]].value == pytest.approx(f["rates"]["决算支出率"])

    ws = wb["问题清单"]
    head, rows = summary_rows(ws, 1)
    assert head == ["文件", "部门", "工作表", "单元格", "代码", "严重程度", "指标", "说明"]
    assert len(rows) == sum(len(f["findings"]) for f in files.values())
    assert ws.freeze_panes == "A2"
    (table,) = ws.tables.values()
    assert table.ref == f"A1:H{len(rows) + 1}" and table.autoFilter is not None
    expected = Counter((n, x["sheet"], x["cell"], x["code"]) for n, f in files.items() for x in f["findings"])
    got = Counter()
    for row in rows:
        name, sheet, cell, code = row[0].value, row[2].value, row[3].value, row[4].value
        got[(name, sheet, cell, code)] += 1
        if cell:
            link = row[3].hyperlink
            assert link.location == f"'{sheet}'!{cell}"
            assert (out.parent / link.target).resolve() == (corpus / name).resolve()
    assert got == expected

    stats = [c.value for row in wb["统计"].iter_rows() for c in row if c.value is not None]
    for title in ("概况", "总分分布", "等级分布", "最常见的问题（前 20 种）", "部门排名：错误最多（前 20）"):
        assert title in stats
    top_code = Counter(x["code"] for f in files.values() for x in f["findings"]).most_common(1)[0][0]
    assert top_code in stats
    assert wb["无法读取"].max_row == 1  # header only


# ---------------------------------------------------------------- broken files never stop the run
def _broken_folder(sample: Path, folder: Path) -> dict[str, str]:
    """name -> expected status; good copies beside every kind of bad file."""
    folder.mkdir()
    data = sample.read_bytes()
    (folder / "好1.xlsx").write_bytes(data)
    (folder / "sub").mkdir()
    (folder / "sub" / "好2.xlsm").write_bytes(data)
    (folder / "文本.xlsx").write_text("部门,总分\n甲,90\n", encoding="utf-8")
    (folder / "截断.xlsx").write_bytes(data[: len(data) // 3])
    (folder / "空.xlsx").write_bytes(b"")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(600)
    (folder / "加密.xlsx").write_bytes(ole)
    rewrite_zip(sample, folder / "实体炸弹.xlsx", lambda n, d: with_doctype(
        d, b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>') if n == "xl/workbook.xml" else d)
    rewrite_zip(sample, folder / "旧模板.xlsx", lambda n, d: d.replace(
        b'name="jx_template_version">"1"', b'name="jx_template_version">"0"') if n == "xl/workbook.xml" else d)
    plain = openpyxl.Workbook()
    plain.active["A1"] = "不是自评表"
    plain.save(folder / "普通表格.xlsx")
    (folder / "~$好1.xlsx").write_bytes(b"\x05zhang" + bytes(159))  # Excel's lock file: skipped
    os.mkfifo(folder / "管道.xlsx")  # opening it blocks forever: the per-file timeout ends it
    return {"好1.xlsx": HAS_ERRORS, "sub/好2.xlsm": HAS_ERRORS, "文本.xlsx": UNREADABLE, "截断.xlsx": UNREADABLE,
            "空.xlsx": UNREADABLE, "加密.xlsx": UNREADABLE, "实体炸弹.xlsx": UNREADABLE,
            "旧模板.xlsx": OLD_TEMPLATE, "普通表格.xlsx": UNREADABLE, "管道.xlsx": UNREADABLE}


def test_broken_locked_and_malicious_files(sample_path, tmp_path):
    folder = tmp_path / "收到的文件"
    expected = _broken_folder(sample_path, folder)
    with zipfile.ZipFile(folder / "旧模板.xlsx") as z:
        assert b'"0"' in z.read("xl/workbook.xml")
    with review_folder(folder, jobs=2, timeout=3) as run:
        got = {run.shown(r): r for r in run.rows}
        assert {k: r.status for k, r in got.items()} == expected
        assert run.skipped == ["~$好1.xlsx"] and not run.partial
        reasons = {k: r.reason for k, r in got.items()}
        assert "看起来是" in reasons["文本.xlsx"] and "截断" in reasons["截断.xlsx"]
        assert "空文件" in reasons["空.xlsx"] and "密码" in reasons["加密.xlsx"]
        assert "实体" in reasons["实体炸弹.xlsx"] and "模板版本" in reasons["旧模板.xlsx"]
        assert "不是 jxzp 自评表" in reasons["普通表格.xlsx"] and "超过 3 秒" in reasons["管道.xlsx"]
        assert run.restarts >= 1
        ref = json.loads(jxzp("validate", sample_path, "--json").out)["summary"]
        for k in ("好1.xlsx", "sub/好2.xlsm"):
            assert (got[k].errors, got[k].warnings, got[k].infos) == (ref["错误"], ref["警告"], ref["提示"])
        out = write_workbook(run, tmp_path / "汇总.xlsx")
    wb = openpyxl.load_workbook(out)
    head, rows = summary_rows(wb["无法读取"], 1)
    assert head == ["文件", "状态", "原因"]
    listed = {r[0].value: (r[1].value, r[2].value) for r in rows}
    assert set(listed) == {k for k, s in expected.items() if s != HAS_ERRORS} | {"~$好1.xlsx"}
    assert listed["旧模板.xlsx"][0] == OLD_TEMPLATE and listed["~$好1.xlsx"][0] == "已跳过"
    _, rows = summary_rows(wb["汇总"], 2)
    assert len(rows) == len(expected)


def test_hanging_crashing_and_memory_hungry_workers_are_replaced(sample_path, tmp_path):
    sys.path.insert(0, str(TESTS))  # workers import the task module from the same path

    def run(names, **limits):
        folder = tmp_path / f"f{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        for n in names:
            (folder / n).write_bytes(sample_path.read_bytes())
        with review_folder(folder, jobs=2, task="review_tasks:misbehave", **limits) as r:
            got = {r.shown(x): x for x in r.rows}
        assert set(got) == set(names) and not r.partial
        good = [x for n, x in got.items() if n[0] in "ab"]
        assert {x.status for x in good} == {HAS_ERRORS}
        assert len({(x.errors, x.warnings, x.infos, x.total) for x in good}) == 1
        return got, r

    names = ["a1.xlsx", "hang.xlsx", "a2.xlsx", "crash.xlsx", "a3.xlsx"] + [f"b{i}.xlsx" for i in range(6)]
    got, r = run(names, timeout=2)
    assert got["hang.xlsx"].status == UNREADABLE and "超过 2 秒" in got["hang.xlsx"].reason
    assert got["crash.xlsx"].status == UNREADABLE and "SIGSEGV" in got["crash.xlsx"].reason
    assert r.restarts >= 2
    got, r = run(["a1.xlsx", "hog.xlsx", "a2.xlsx"] + [f"b{i}.xlsx" for i in range(4)], timeout=120, memory_mb=1200)
    assert got["hog.xlsx"].status == UNREADABLE and "1200 MB" in got["hog.xlsx"].reason
    # many bad files in a row, each the first of a fresh worker: still no reason to give up the run
    got, r = run(["a1.xlsx"] + [f"hang{i}.xlsx" for i in range(4)] + [f"crash{i}.xlsx" for i in range(4)]
                 + ["b1.xlsx"], timeout=1)
    assert sum(x.status == UNREADABLE for x in got.values()) == 8 and r.restarts >= 8


# ---------------------------------------------------------------- interruption
def test_ctrl_c_writes_partial_summary(corpus, tmp_path):
    out = tmp_path / "中断.xlsx"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "addin.cli", "review", str(corpus), "-o", str(out), "--jobs", "1"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stderr.readline()  # the first progress line: the run is under way
    assert "复核进度" in first, first
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "复核被中断（部分结果）" in err and "Traceback" not in err
    wb = openpyxl.load_workbook(out)
    ws = wb["汇总"]
    assert "部分结果" in ws["A2"].value
    _, rows = summary_rows(ws, 3)
    assert 0 < len(rows) < 200
    assert all(r[1].value for r in rows)
    assert "部分结果" in str([c.value for row in wb["统计"].iter_rows(max_row=3) for c in row])
    # no worker left behind
    left = subprocess.run(["pgrep", "-f", f"review {corpus}"], capture_output=True, text=True).stdout.split()
    assert not [p for p in left if int(p) != proc.pid]


# ---------------------------------------------------------------- the web page's API
def test_progress_and_cancel_api(corpus, tmp_path):
    seen: list[tuple[int, int, str]] = []
    stop = threading.Event()

    def progress(done: int, total: int, current: str) -> None:
        seen.append((done, total, current))
        if done >= 12:
            stop.set()

    files = sorted(corpus.rglob("*.xlsx"))[:60]
    pairs = [(p, f"上传{i:02d}.xlsx") for i, p in enumerate(files)]
    res = review_to_workbook(None, tmp_path / "web.xlsx", files=pairs, progress=progress, cancelled=stop.is_set,
                             links=False)
    assert res["partial"] is True and 12 <= res["done"] < 60 and res["files"] == 60
    assert [d for d, _, _ in seen] == list(range(1, len(seen) + 1))
    assert {t for _, t, _ in seen} == {60} and all(c.startswith("上传") for _, _, c in seen)
    wb = openpyxl.load_workbook(res["out"])
    _, rows = summary_rows(wb["汇总"], 3)
    assert len(rows) == res["done"] and all(r[1].value.startswith("上传") and r[1].hyperlink is None for r in rows)


def test_review_use_case_through_addin_app(sample_path, tmp_path):
    from addin import app

    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(sample_path.read_bytes())
    seen = []
    out = app.review(app.Review(folder, tmp_path / "s.xlsx", jobs=1), progress=seen.append)
    assert isinstance(out, app.ReviewOutcome) and out.exit_code == 1 and not out.ok
    assert out.paths == [tmp_path / "s.xlsx"] and out.counts == {HAS_ERRORS: 1} and out.done == out.total == 1
    assert [(p.done, p.total, p.current) for p in seen] == [(1, 1, "a.xlsx")]
    with pytest.raises(Exception, match="已存在"):
        app.review(app.Review(folder, tmp_path / "s.xlsx"))


def test_csv_output_and_exit_codes(sample_path, tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(sample_path.read_bytes())
    r = cli("review", folder, "--csv", cwd=tmp_path)
    assert r.returncode == 1 and not (tmp_path / "复核汇总.xlsx").exists()
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("序号,文件,部门") and lines[1].startswith("1,a.xlsx,")
    r = cli("review", tmp_path / "没有这个文件夹", cwd=tmp_path)
    assert r.returncode == 2 and "找不到文件夹" in r.stderr
    (tmp_path / "空").mkdir()
    r = cli("review", tmp_path / "空", "-o", tmp_path / "空.xlsx", cwd=tmp_path)
    assert r.returncode == 2 and "没有找到" in r.stderr and not (tmp_path / "空.xlsx").exists()
    (tmp_path / "复核汇总.xlsx").write_bytes(b"x")
    r = cli("review", folder, cwd=tmp_path)
    assert r.returncode == 2 and "已存在" in r.stderr and (tmp_path / "复核汇总.xlsx").read_bytes() == b"x"


# ---------------------------------------------------------------- every framework family
def test_both_families_in_one_run(tmp_path):
    """Every bundled framework's sample (county table, national target tables) in one folder."""
    folder = tmp_path / "两类表"
    folder.mkdir()
    for ident in available_frameworks():
        assert jxzp("sample", "--framework", ident, "-o", folder / f"{ident}.xlsx").code == 0
    new_template(folder / "空白.xlsx", framework=available_frameworks()[-1], year=2023, department="测试部门")
    with review_folder(folder, jobs=2) as run:
        rows = {run.shown(r): r for r in run.rows}
        findings = {}
        for i, f in run.findings():
            findings.setdefault(run.rows[i].path, []).append(f)
        assert len(rows) == len(available_frameworks()) + 1
        for name, r in rows.items():
            assert r.status in (OK, HAS_ERRORS), r.reason
            v = json.loads(jxzp("validate", folder / name, "--json").out)
            assert (r.errors, r.warnings, r.infos) == (v["summary"]["错误"], v["summary"]["警告"], v["summary"]["提示"])
            assert sorted(f[2] for f in findings.get(r.path, [])) == sorted(x["code"] for x in v["findings"])
            assert r.total == v["totals"]["total"]
            assert r.rates and any(x is not None for x in r.rates.values()) or name == "空白.xlsx"
        assert rows["空白.xlsx"].department == "测试部门" and rows["空白.xlsx"].year == 2023
        assert {r.framework for r in rows.values()} == set(available_frameworks())
        assert "预算执行率" in rows["national_dept_target.xlsx"].rates
        assert "决算支出率" in rows["gd_county_2022.xlsx"].rates
        out = write_workbook(run, tmp_path / "汇总.xlsx")
    head = [c.value for c in openpyxl.load_workbook(out)["汇总"][2]]
    assert {"决算支出率", "预算执行率"} <= set(head)


# ---------------------------------------------------------------- pandas only here
def test_pandas_stays_off_the_addin_and_validate_paths(sample_path, tmp_path):
    code = f"""
import sys
import addin.ribbon, addin.app, addin.cli, addin.core.rates, addin.core.scoring
from addin.cli import main
assert main(["validate", {str(sample_path)!r}, "--json"]) == 1
from addin.review.check import review_file
review_file({str(sample_path)!r})
import addin.review, addin.review.run, addin.review.pool
bad = [m for m in ("pandas",) if m in sys.modules]  # (openpyxl imports numpy itself when present)
assert not bad, bad
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]


# ---------------------------------------------------------------- another program opens the summary
@pytest.mark.libreoffice
def test_libreoffice_opens_the_summary(sample_path, tmp_path):
    from conftest import soffice

    exe = soffice()
    folder = tmp_path / "f"
    folder.mkdir()
    for n in ("甲.xlsx", "乙.xlsx"):
        (folder / n).write_bytes(sample_path.read_bytes())
    (folder / "坏.xlsx").write_text("x", encoding="utf-8")
    with review_folder(folder, jobs=1) as run:
        out = write_workbook(run, tmp_path / "汇总.xlsx")
    conv = tmp_path / "conv"
    subprocess.run([exe, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
                    "--outdir", str(conv), str(out)], check=True, capture_output=True, timeout=300)
    sheets = {p.stem.split("-", 1)[-1]: p.read_text(encoding="utf-8") for p in conv.glob("*.csv")}
    assert {"汇总", "问题清单", "统计", "无法读取"} <= set(sheets), sorted(sheets)
    lines = sheets["汇总"].splitlines()
    assert lines[1].startswith("序号,文件,部门") and len(lines) == 5
    assert "坏.xlsx" in sheets["无法读取"] and "R05.rate-over-bound" in sheets["问题清单"]


# ---------------------------------------------------------------- the workbook as written (addin/review/xlsxout.py)
def _summary_of(folder: Path, out: Path) -> Path:
    with review_folder(folder, jobs=1) as run:
        return write_workbook(run, out)


def _fill(c) -> str | None:
    return c.fill.fgColor.rgb[-6:] if c.fill.fill_type == "solid" else None


def test_summary_styles_links_and_table(sample_path, tmp_path):
    from test_xlsxout import check_package

    folder = tmp_path / "f"
    (folder / "sub").mkdir(parents=True)
    (folder / "甲.xlsx").write_bytes(sample_path.read_bytes())
    (folder / "sub" / "乙 & 丙.xlsx").write_bytes(sample_path.read_bytes())
    (folder / "坏.xlsx").write_text("x", encoding="utf-8")
    (tmp_path / "out").mkdir()  # beside the folder: links go up and back down
    out = _summary_of(folder, tmp_path / "out" / "汇总.xlsx")
    check_package(out)
    wb = openpyxl.load_workbook(out)

    ws = wb["汇总"]
    head, rows = summary_rows(ws, 2)
    col = {h: i for i, h in enumerate(head)}
    assert ws["A1"].font.b and ws["A1"].font.sz == 13 and not (ws["A1"].font.color and ws["A1"].font.color.rgb)
    assert all(c.font.b and _fill(c) == "DDEBF7" for c in ws[2])
    assert ws.column_dimensions["B"].width == 36 and ws.freeze_panes == "C3"
    for name in ("汇总", "问题清单", "统计", "无法读取"):
        ps = wb[name].page_setup
        assert (ps.orientation, str(ps.paperSize), ps.fitToWidth, ps.fitToHeight) == ("landscape", "9", 1, 0), name
        assert wb[name].sheet_properties.pageSetUpPr.fitToPage
    by_name = {r[col["文件"]].value: r for r in rows}
    assert set(by_name) == {"甲.xlsx", "sub/乙 & 丙.xlsx", "坏.xlsx"}
    for name in ("甲.xlsx", "sub/乙 & 丙.xlsx"):
        r = by_name[name]
        link = r[col["文件"]].hyperlink
        assert link.target == f"../f/{name}" and link.location is None
        assert r[col["文件"]].font.color.rgb.endswith("0563C1") and r[col["文件"]].font.u == "single"
        assert r[col["决算支出率"]].number_format == "0.00%" and isinstance(r[col["决算支出率"]].value, float)
        assert r[col["总分"]].number_format == "0.0#" and r[col["自评分−建议分"]].number_format == "0.0#"
        assert r[col["状态"]].value == HAS_ERRORS and _fill(r[col["状态"]]) == "FFC7CE"
        assert not r[col["部门"]].font.b and _fill(r[col["部门"]]) is None
    bad = by_name["坏.xlsx"]
    assert _fill(bad[col["状态"]]) == "D9D9D9" and bad[col["说明"]].alignment.wrap_text
    assert bad[col["错误"]].value is None  # not read: no counts rather than zeros

    ws = wb["问题清单"]
    head, rows = summary_rows(ws, 1)
    assert all(c.font.b and _fill(c) == "DDEBF7" for c in ws[1])
    (table,) = [ws.tables[k] for k in ws.tables]
    assert table.displayName == "问题清单" and table.ref == table.autoFilter.ref == f"A1:H{len(rows) + 1}"
    assert [c.name for c in table.tableColumns] == head and table.tableStyleInfo.name == "TableStyleLight9"
    fills = {"错误": "FFC7CE", "警告": "FFEB9C", "提示": "DDEBF7"}
    assert {r[5].value for r in rows} >= {"错误", "警告"}
    for r in rows:
        assert _fill(r[5]) == fills[r[5].value]
        file_cell, where = r[0], r[3]
        if where.value:  # the link sits on the cell reference, to the place in the file
            assert where.hyperlink.target == f"../f/{file_cell.value}"
            assert where.hyperlink.location == f"'{r[2].value}'!{where.value}" and file_cell.hyperlink is None
        else:
            assert file_cell.hyperlink.target == f"../f/{file_cell.value}"

    ws = wb["无法读取"]
    _, rows = summary_rows(ws, 1)
    assert [(r[0].value, r[0].hyperlink.target, r[1].value) for r in rows] == [("坏.xlsx", "../f/坏.xlsx", UNREADABLE)]
    assert rows[0][2].alignment.wrap_text and rows[0][2].alignment.vertical == "top"
    stats = wb["统计"]
    assert stats["A1"].font.b and stats["A1"].font.sz == 13


def test_summary_of_files_without_findings_and_of_nothing(tmp_path):
    from test_xlsxout import check_package

    folder = tmp_path / "坏的"
    folder.mkdir()
    (folder / "文本.xlsx").write_text("部门,总分\n", encoding="utf-8")
    (folder / "空.xlsx").write_bytes(b"")
    for f, n in ((folder, 2), (tmp_path / "空文件夹", 0)):
        f.mkdir(exist_ok=True)
        out = _summary_of(f, tmp_path / f"{f.name}.xlsx")
        parts = check_package(out)
        assert not [p for p in parts if p.startswith("xl/tables/")]  # no table without rows
        wb = openpyxl.load_workbook(out)
        assert wb.sheetnames == ["汇总", "问题清单", "统计", "无法读取"]
        assert wb["问题清单"].max_row == 1 and not wb["问题清单"].tables
        _, rows = summary_rows(wb["汇总"], 2)
        assert len(rows) == n and len(summary_rows(wb["无法读取"], 1)[1]) == n
        assert f"共 {n} 个工作簿" in wb["汇总"]["A1"].value


def test_summary_limits_partial_runs_and_hostile_names(sample_path, tmp_path, monkeypatch):
    from addin.review import summary

    folder = tmp_path / "f"
    folder.mkdir()
    for n in ("a.xlsx", "b.xlsx", "c.xlsx"):
        (folder / n).write_bytes(sample_path.read_bytes())
    monkeypatch.setattr(summary, "MAX_ROWS", 5)
    monkeypatch.setattr(summary, "MAX_LINKS", 4)
    stop = threading.Event()
    hostile = {str(folder / "a.xlsx"): "甲\x07<&>_x0041_\ud800.xlsx", str(folder / "b.xlsx"): " 乙\t部门 "}
    with review_folder(folder, jobs=1, files=sorted(folder.glob("*.xlsx")), names=hostile,
                       on_progress=lambda p: stop.set() if p.done >= 2 else None, cancel=stop) as run:
        assert run.partial and run.done == 2
        out = write_workbook(run, tmp_path / "s.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb["汇总"]
    assert "部分结果" in ws["A2"].value and ws["A2"].font.color.rgb.endswith("C00000") and ws["A2"].font.b
    assert ws.freeze_panes == "C4"
    _, rows = summary_rows(ws, 3)
    assert [r[1].value for r in rows] == ["甲\ufffd<&>_x005F_x0041_\ufffd.xlsx", " 乙\t部门 "]
    findings = wb["问题清单"]
    _, rows = summary_rows(findings, 1)
    assert len(rows) == 6 and rows[-1][0].value == "问题超过 5 条，其余未列出；请分批复核"
    assert rows[-1][0].font.color.rgb.endswith("C00000")
    assert [findings.tables[k].ref for k in findings.tables] == ["A1:H6"]
    links = [c for name in wb.sheetnames for row in wb[name].iter_rows() for c in row if c.hyperlink]
    assert len(links) == 4  # MAX_LINKS for the whole workbook
    # links=False (uploads): no hyperlink, no relationships part
    with review_folder(folder, jobs=1, files=[folder / "c.xlsx"]) as run:
        out = write_workbook(run, tmp_path / "nolinks.xlsx", links=False)
    with zipfile.ZipFile(out) as z:  # (问题清单's relationships part holds its table only)
        assert "xl/worksheets/_rels/sheet1.xml.rels" not in z.namelist()
        assert b"hyperlink" not in z.read("xl/worksheets/_rels/sheet2.xml.rels")
    wb = openpyxl.load_workbook(out)
    assert not [c for row in wb["汇总"].iter_rows() for c in row if c.hyperlink]


def test_the_summary_is_written_without_openpyxl(tmp_path):
    code = f"""
import sys
from pathlib import Path
from addin.review.run import ReviewRun
from addin.review.summary import write_workbook
write_workbook(ReviewRun(Path("."), [], 0, False, 0.0, 1), Path({str(tmp_path / "s.xlsx")!r}))
assert "openpyxl" not in sys.modules
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert openpyxl.load_workbook(tmp_path / "s.xlsx").sheetnames == ["汇总", "问题清单", "统计", "无法读取"]

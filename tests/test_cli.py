"""The command line: subcommands, exit codes 0/1/2, Chinese messages, no tracebacks, no overwrites."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import sha256


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("sub", ["new", "sample", "demo", "validate", "report", "export", "fill", "names",
                                 "frameworks", "build-addin", "install-addin", "uninstall-addin"])
def test_every_subcommand_has_help(sub):
    r = cli(sub, "--help")
    assert r.returncode == 0 and "用法" in r.stdout


def test_bad_arguments_exit_2_in_chinese():
    r = cli("validate")
    assert r.returncode == 2 and "缺少必需的参数" in r.stderr
    r = cli("nosuch")
    assert r.returncode == 2 and "无效的选项" in r.stderr
    r = cli()
    assert r.returncode == 2


def test_new_and_sample(tmp_path):
    out = tmp_path / "模板.xlsx"
    r = cli("new", "-o", str(out), "--year", "2023", "--department", "某某局")
    assert r.returncode == 0 and out.exists() and "已生成" in r.stdout
    before = sha256(out)
    r = cli("new", "-o", str(out))
    assert r.returncode == 2 and "已存在" in r.stderr and "--overwrite" in r.stderr
    assert sha256(out) == before  # never overwritten without being told
    r = cli("new", "-o", str(out), "--overwrite")
    assert r.returncode == 0
    s = tmp_path / "s.xlsx"
    assert cli("sample", "-o", str(s)).returncode == 0
    r = cli("export", str(s), "--json")
    d = json.loads(r.stdout)
    assert d["totals"]["total"] == 98.2 and d["framework"] == "gd_county_2022"


def test_unusable_input_exit_2(tmp_path):
    txt = tmp_path / "x.csv"
    txt.write_text("a,b\n1,2\n", encoding="utf-8")
    for args in (["validate", str(tmp_path / "missing.xlsx")], ["validate", str(txt)], ["export", str(txt)],
                 ["report", str(txt)]):
        r = cli(*args)
        assert r.returncode == 2, args
        assert r.stderr.startswith("错误：") and "Traceback" not in r.stderr


def test_debug_shows_the_traceback(tmp_path):
    r = cli("--debug", "validate", str(tmp_path / "missing.xlsx"))
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_names_contract_table():
    r = cli("names", "--markdown")
    assert r.returncode == 0
    assert "| `f_budget_initial` | 年初预算 | 录入 |" in r.stdout
    assert "| `total_score` | 总分 | 计算 |" in r.stdout
    r = cli("names", "--json")
    rows = json.loads(r.stdout)
    assert {"name", "label", "kind", "refers_to", "type", "role", "table"} == set(rows[0])


def test_frameworks_list_and_check(tmp_path):
    r = cli("frameworks")
    assert r.returncode == 0 and "gd_county_2022" in r.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("[framework]\nid='x'\n", encoding="utf-8")
    r = cli("frameworks", "--check", str(bad))
    assert r.returncode == 2 and "有误" in r.stderr


def test_demo_writes_a_folder_and_refuses_foreign_ones(tmp_path):
    d = tmp_path / "demo"
    r = cli("demo", "-o", str(d))
    assert r.returncode == 0, r.stderr
    assert (d / "乐昌市政务服务数据管理局_2022_自评表.xlsx").exists()
    assert (d / "乐昌市政务服务数据管理局_2022_自评表_校验标注.xlsx").exists()
    data = json.loads((d / "校验结果.json").read_text(encoding="utf-8"))
    assert data["summary"]["错误"] == 2
    assert cli("demo", "-o", str(d)).returncode == 0  # its own folder: rerun is fine
    other = tmp_path / "other"
    other.mkdir()
    (other / "mine.txt").write_text("x")
    r = cli("demo", "-o", str(other))
    assert r.returncode == 2 and "不会写入" in r.stderr

"""README's generated tables match the code, and its two commands are the ones CI runs."""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))


def test_generated_tables_are_current():
    import update_readme

    for rel, sections in update_readme.GENERATED.items():
        text = (ROOT / rel).read_text(encoding="utf-8")
        assert update_readme.render(text, sections) == text, f"{rel} 过期：请运行 python tools/update_readme.py"


def test_readme_is_short_and_its_links_resolve():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) <= 14 * 1024
    for target in re.findall(r"\]\((docs/[^)]+)\)", readme):  # every linked doc and picture exists
        assert (ROOT / target).is_file(), target
    steps = re.findall(r"\*\*\d\. (\S+?)。\*\*", readme)
    assert steps == ["新建", "填写", "校验", "看校验结果", "清除标记", "生成报告"], steps
    assert "venv" in readme and "错误" in readme and "警告" in readme and "提示" in readme


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    m = re.search(r"```(?:bash|sh)?\n# 运行测试\n(.+?)\n```", readme)
    assert m, "README lacks the test command block"
    assert m.group(1).strip() in ci
    assert "jxzp demo" in readme


def test_shipped_workbooks_are_current(tmp_path):
    """workbook_template/ holds what `jxzp new` and `jxzp sample` write today."""
    from addin.app import export_data as export, write_sample as make_sample, create_template as new_template

    shipped = ROOT / "workbook_template"
    fresh_sample = make_sample(tmp_path / "s.xlsx")
    fresh_template = new_template(tmp_path / "t.xlsx")
    for name, fresh in (("乐昌市政务服务数据管理局_2022_自评表.xlsx", fresh_sample),
                        ("部门整体支出绩效自评表_模板.xlsx", fresh_template)):
        a, b = export(shipped / name), export(fresh)
        a.pop("source"), b.pop("source")
        assert a == b, f"{name} 过期：请用 jxzp sample / jxzp new 重新生成"

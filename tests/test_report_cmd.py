"""`jxzp report`: the 校验 gate, where the file goes, no silent overwrite, atomic write, exit codes."""
from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest

import addin.app.check as app_check
from addin.cli import main
from addin.core.findings import ERROR, INFO, WARNING, Finding, ValidationResult

NAME = "乐昌市政务服务数据管理局2022年度部门整体支出绩效自评报告.docx"


def result(*severities: str) -> ValidationResult:
    r = ValidationResult(source="test")
    for i, s in enumerate(severities):
        r.add(Finding(rule=f"T{i:02d}.test", severity=s, message=f"测试问题 {i}"))
    return r


@pytest.fixture
def wb(sample_path, tmp_path) -> Path:
    """The sample workbook alone in a fresh folder."""
    dst = tmp_path / "自评表.xlsx"
    shutil.copy(sample_path, dst)
    return dst


@pytest.fixture
def gate(monkeypatch):
    """Replace 校验 by a fixed result, so the gate is tested apart from the rules."""
    def set_result(r: ValidationResult):
        monkeypatch.setattr(app_check, "run_rules", lambda fw, book, ev, debug=False: r)
    return set_result


def docx_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".docx")


def run(capsys, *argv) -> tuple[int, str]:
    code = main(["report", *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_errors_refuse_without_force(wb, gate, capsys):
    gate(result(ERROR, ERROR, WARNING))
    code, out = run(capsys, wb)
    assert code == 1
    assert docx_files(wb.parent) == []
    assert "2 条“错误”" in out and "jxzp validate" in out and "--force" in out


def test_force_writes_next_to_the_workbook_and_says_so(wb, gate, capsys):
    gate(result(ERROR))
    code, out = run(capsys, wb, "--force")
    assert code == 0
    assert docx_files(wb.parent) == [NAME]
    assert "已按 --force 生成报告" in out
    assert str((wb.parent / NAME).resolve()) in out
    d = docx.Document(str(wb.parent / NAME))
    assert d.core_properties.title == NAME[:-5]


def test_clean_workbook_needs_no_force(wb, gate, capsys):
    gate(result(WARNING, INFO))
    code, out = run(capsys, wb)
    assert code == 0 and docx_files(wb.parent) == [NAME]
    assert "警告 1 条" in out


def test_never_overwrites_without_overwrite(wb, gate, capsys):
    gate(result())
    target = wb.parent / NAME
    target.write_bytes(b"the user's edited report")
    code, out = run(capsys, wb)
    assert code == 0
    assert target.read_bytes() == b"the user's edited report"
    second = wb.parent / NAME.replace(".docx", "(2).docx")
    assert second.exists() and "另存为" in out and second.name in out
    run(capsys, wb)
    assert (wb.parent / NAME.replace(".docx", "(3).docx")).exists()
    code, _ = run(capsys, wb, "--overwrite")
    assert code == 0 and target.read_bytes()[:2] == b"PK"
    assert len(docx_files(wb.parent)) == 3


def test_explicit_output(wb, gate, capsys, tmp_path):
    gate(result())
    out_dir = tmp_path / "报告"
    out_dir.mkdir()
    code, out = run(capsys, wb, "-o", out_dir / "自评报告")
    assert code == 0 and docx_files(out_dir) == ["自评报告.docx"]  # .docx added
    code, out = run(capsys, wb, "-o", out_dir / "自评报告.docx")
    assert code == 0 and docx_files(out_dir) == ["自评报告(2).docx", "自评报告.docx"]


@pytest.mark.parametrize("bad, words", [
    ("report.pdf", ".docx"),
    ("missing-folder/report.docx", "不存在"),
    ("a|b.docx", "不允许"),
])
def test_unusable_output_is_exit_2(wb, gate, capsys, bad, words):
    gate(result())
    code, out = run(capsys, wb, "-o", wb.parent / bad)
    assert code == 2 and words in out
    assert docx_files(wb.parent) == []


def test_unusable_input_is_exit_2(tmp_path, gate, capsys):
    gate(result())
    code, out = run(capsys, tmp_path / "没有这个文件.xlsx")
    assert code == 2 and "找不到文件" in out
    (tmp_path / "x.xlsx").write_text("not a workbook", encoding="utf-8")
    code, out = run(capsys, tmp_path / "x.xlsx")
    assert code == 2 and "不是 .xlsx" in out


def test_write_is_atomic(wb, gate, capsys, monkeypatch):
    gate(result())

    def broken_save(self, path):
        Path(path).write_bytes(b"half a fi")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(docx.document.Document, "save", broken_save)
    code, out = run(capsys, wb)
    assert code == 2 and "无法写入" in out
    assert [p.name for p in wb.parent.iterdir()] == [wb.name]  # no partial report, no temp file


def test_real_validation_gates_the_sample(wb, capsys):
    """With the lead's rules: the sample has 错误 findings, so it needs --force."""
    pytest.importorskip("addin.core.validation")
    code, out = run(capsys, wb)
    assert code == 1 and docx_files(wb.parent) == []
    code, out = run(capsys, wb, "--force")
    assert code == 0 and docx_files(wb.parent) == [NAME]


def test_unwritable_folder(wb, gate, capsys, monkeypatch):
    """Where the temporary file cannot be created (a read-only or protected folder)."""
    import addin.fs as fs

    gate(result())

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fs.tempfile, "mkstemp", denied)
    code, out = run(capsys, wb)
    assert code == 2 and "没有写入权限" in out
    assert docx_files(wb.parent) == []

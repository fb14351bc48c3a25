"""Bad input, part 4: where the output goes — names, folders, existing and locked files.

Each case: exit code 2 and a Chinese message naming the file and the fix when the output
cannot be written; an existing file is never replaced unless asked; a failed write leaves
neither half a file nor a temporary `.jxzp-*` file; the input is never touched.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from addin import fs
from addin.xlsx import files  # noqa: F401
from test_bad_input_kit import Guard, copy_to, expect, jxzp, sha256

# the three commands that write a file, each as (argv builder, file suffix)
WRITERS = {
    "annotate": (lambda src, out: ["validate", src, "--annotate", out], ".xlsx", 1),
    "report": (lambda src, out: ["report", src, "--force", "-o", out], ".docx", 0),
    "export": (lambda src, out: ["export", src, "--json", "-o", out], ".json", 0),
}


@pytest.fixture
def src(sample_path, tmp_path) -> Path:
    d = tmp_path / "输入"
    d.mkdir()
    return copy_to(sample_path, d)


@pytest.mark.parametrize("cmd", list(WRITERS))
def test_existing_output_is_not_replaced(src, tmp_path, cmd):
    argv, suffix, ok = WRITERS[cmd]
    out = tmp_path / f"已有{suffix}"
    out.write_bytes(b"the user's own file")
    with Guard([src, out], [tmp_path]):
        r = jxzp(*argv(src, out))
        if cmd == "report":  # the report takes the next free name instead
            expect(r, 0, "已存在", "另存为", "(2).docx")
            assert (tmp_path / "已有(2).docx").exists()
        else:
            expect(r, 2, str(out), "已存在", "--overwrite")
    expect(jxzp(*argv(src, out), "--overwrite"), ok)
    assert out.read_bytes() != b"the user's own file"


def test_output_is_the_input(src):
    with Guard([src], [src.parent]):
        expect(jxzp("validate", src, "--annotate", src, "--overwrite"), 2, "与输入文件相同", "换一个输出文件名")
        expect(jxzp("export", src, "--json", "-o", src, "--overwrite"), 2, "与输入文件相同")
        expect(jxzp("report", src, "--force", "-o", src), 2, ".docx")


@pytest.mark.parametrize("cmd", list(WRITERS))
def test_chinese_and_spaced_names_work(src, tmp_path, cmd):
    argv, suffix, ok = WRITERS[cmd]
    out = tmp_path / "乐昌市 政务服务（2022）" / f"自评 结果·第1版{suffix}"
    out.parent.mkdir()
    with Guard([src], [out.parent]):
        expect(jxzp(*argv(src, out)), ok)
    assert out.exists() and out.stat().st_size > 0


BAD_NAMES = [
    ("长" * 100 + ".xlsx", ("过长", "80 个汉字以内")),
    ("CON.xlsx", ("保留名", "换一个文件名")),
    ("aux.校验.xlsx", ("保留名",)),
    ("自评表?.xlsx", ("不允许的字符", "?")),
    ("a<b>.xlsx", ("不允许的字符",)),
    ("标注.xlsx.", ("句点结尾",)),
    ("标注 .xlsx ", ("空格或句点结尾",)),
]


@pytest.mark.parametrize("name, phrases", BAD_NAMES, ids=["too-long", "CON", "aux", "question", "angle", "dot", "space"])
def test_bad_output_names(src, tmp_path, name, phrases):
    out = tmp_path / name
    with Guard([src], [tmp_path]):
        expect(jxzp("validate", src, "--annotate", out), 2, *phrases)
    assert os.listdir(tmp_path) == ["输入"]


def test_output_folder_missing(src, tmp_path):
    out = tmp_path / "没有的文件夹" / "标注.xlsx"
    expect(jxzp("validate", src, "--annotate", out), 2, "输出文件夹", "不存在", "先创建")


def test_output_path_is_a_folder(src, tmp_path):
    expect(jxzp("validate", src, "--annotate", tmp_path), 2, "是文件夹", "请给出文件名")


def _really_read_only(folder: Path) -> bool:
    try:
        (folder / "probe").write_bytes(b"")
    except OSError:
        return True
    (folder / "probe").unlink()
    return False


@pytest.mark.parametrize("cmd", list(WRITERS))
def test_read_only_folder(src, tmp_path, monkeypatch, cmd):
    argv, suffix, _ = WRITERS[cmd]
    ro = tmp_path / "只读"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if not _really_read_only(ro):  # root ignores the mode: simulate the OS refusal for this folder only
            real = fs.tempfile.mkstemp

            def refuse(*a, dir=None, **k):
                if dir is not None and Path(dir) == ro:
                    raise PermissionError(errno.EACCES, "Permission denied")
                return real(*a, dir=dir, **k)

            monkeypatch.setattr(fs.tempfile, "mkstemp", refuse)
        with Guard([src], [ro]):
            expect(jxzp(*argv(src, ro / f"结果{suffix}")), 2, "没有写入权限", str(ro), "换一个输出文件夹")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize("cmd", list(WRITERS))
def test_output_locked_by_another_program(src, tmp_path, monkeypatch, cmd):
    """Windows refuses to replace a file Excel/Word has open: os.replace raises PermissionError."""
    argv, suffix, _ = WRITERS[cmd]
    out = tmp_path / f"结果{suffix}"
    out.write_bytes(b"open in Excel")
    real = os.replace

    def locked(a, b, *k, **kw):
        if Path(b) == out:
            raise PermissionError(errno.EACCES, "The process cannot access the file")
        return real(a, b, *k, **kw)

    monkeypatch.setattr(fs.os, "replace", locked)
    with Guard([src, out], [tmp_path]):
        expect(jxzp(*argv(src, out), "--overwrite"), 2, str(out), "被占用", "关闭该文件")


def test_disk_full_while_writing(src, tmp_path, monkeypatch):
    import docx.document

    def full(self, path):
        Path(path).write_bytes(b"PK\x03\x04half a docx")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(docx.document.Document, "save", full)
    out = tmp_path / "报告.docx"
    with Guard([src], [tmp_path]):
        r = expect(jxzp("report", src, "--force", "-o", out), 2, str(out), "磁盘空间不足")
        assert "No space" not in r.text
    assert not out.exists()


def test_crash_while_writing_leaves_nothing(src, tmp_path, monkeypatch):
    """Even a bug in the middle of writing leaves neither half a file nor a temporary file."""
    from addin.xlsx.ooxml import Package

    def boom(self, path):
        Path(path).write_bytes(b"PK\x03\x04half an xlsx")
        raise RuntimeError("bug")

    monkeypatch.setattr(Package, "save", boom)
    out = tmp_path / "标注.xlsx"
    with Guard([src], [tmp_path]):
        r = jxzp("validate", src, "--annotate", out)
        assert r.code == 3 and "Traceback" not in r.text and "--debug" in r.text
    assert not out.exists()


@pytest.mark.parametrize("cmd", list(WRITERS))
def test_output_gets_normal_permissions(src, tmp_path, cmd):
    """Temporary files are private (0600); the finished file must not stay that way on a shared folder."""
    argv, suffix, _ = WRITERS[cmd]
    out = tmp_path / f"结果{suffix}"
    old = os.umask(0o022)
    try:
        jxzp(*argv(src, out))
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_report_needs_a_docx_name(src, tmp_path):
    with Guard([src], [tmp_path]):
        expect(jxzp("report", src, "--force", "-o", tmp_path / "报告.xlsx"), 2, ".docx", "报告.xlsx")
    assert not (tmp_path / "报告.xlsx").exists()


def test_default_report_name_from_a_department_with_slashes(sample_path, tmp_path):
    from conftest import mutate

    p = mutate(sample_path, tmp_path / "自评表.xlsx", {"f_department": 'A/B:局*"?'})
    before = sha256(p)
    expect(jxzp("report", p, "--force"), 0, "已生成自评报告")
    assert [x.name for x in tmp_path.glob("*.docx")] == ["AB局2022年度部门整体支出绩效自评报告.docx"]
    assert sha256(p) == before


def test_workbook_output_needs_an_xlsx_name(src, tmp_path):
    data = tmp_path / "数据.json"
    expect(jxzp("export", src, "--json", "-o", data), 0)
    with Guard([src, data], [tmp_path]):
        expect(jxzp("fill", src, "--from", data, "-o", tmp_path / "回填.docx"), 2, "回填.docx", "扩展名应为 .xlsx", "回填.xlsx")
    assert not (tmp_path / "回填.docx").exists()


def test_annotated_copy_needs_an_xlsx_name(src, tmp_path):
    with Guard([src], [tmp_path]):
        expect(jxzp("validate", src, "--annotate", tmp_path / "标注.docx"), 2, "标注.docx", "扩展名应为 .xlsx")


def test_json_passed_as_the_workbook(src, tmp_path):
    data = tmp_path / "数据.xlsx"  # export written under a workbook's name
    expect(jxzp("export", src, "--json", "-o", data), 0)
    with Guard([data], [tmp_path]):
        expect(jxzp("validate", data), 2, "数据.xlsx", "JSON 数据文件", "jxzp fill")

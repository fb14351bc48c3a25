"""Opening and writing files safely.

Before openpyxl sees a file we check what it is (a real .xlsx, not .xls/.csv/.docx, not
password-protected, not a zip bomb); XML is parsed by openpyxl through defusedxml (a
dependency), so entity bombs are refused. Output goes to a temporary file in the target
folder and is renamed into place, so a failure never leaves half a file, and an existing
file is only replaced when the caller says so.
"""
from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

from ..core.errors import InputError, OutputError

MAX_FILE_BYTES = 50 * 1024 * 1024  # a 自评表 is well under 1 MB
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_RATIO = 200  # uncompressed/compressed per member, for members over 1 MB
MAX_MEMBERS = 5000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_workbook_file(path: str | Path) -> Path:
    """Refuse anything that is not a plausible .xlsx, with a message saying what it is."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"找不到文件：{p}")
    if p.is_dir():
        raise InputError(f"{p} 是文件夹，不是工作簿文件")
    try:
        size = p.stat().st_size
        with p.open("rb") as fh:
            head = fh.read(8)
    except OSError as e:
        raise InputError(f"无法读取文件 {p}：{e.strerror or e}") from None
    if size == 0:
        raise InputError(f"文件 {p.name} 是空文件（0 字节）")
    if size > MAX_FILE_BYTES:
        raise InputError(f"文件 {p.name} 有 {size / 1048576:.0f} MB，超过 {MAX_FILE_BYTES // 1048576} MB 上限，"
                         "不像是自评表；请检查是否选错了文件")
    ext = p.suffix.lower()
    if head.startswith(OLE_MAGIC):
        if ext == ".xls":
            raise InputError(f"{p.name} 是旧版 Excel 97-2003 格式（.xls）。请在 Excel/WPS 中“另存为” .xlsx 后再试")
        if ext in (".xlsx", ".xlsm", ".xlam"):
            raise InputError(f"{p.name} 设置了打开密码（文件已加密）。请在 Excel 中取消密码（文件→信息→保护工作簿）后另存再试")
        raise InputError(f"{p.name} 不是 .xlsx 工作簿（是 Office 97-2003 文件）")
    if head[:2] != b"PK":
        kind = {".csv": "CSV 文本", ".txt": "文本", ".pdf": "PDF", ".doc": "Word 文档"}.get(ext, "未知格式")
        raise InputError(f"{p.name} 不是 .xlsx 工作簿（看起来是{kind}文件）。请用 jxzp new 生成的自评表")
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            _check_zip_sizes(p, infos)
    except zipfile.BadZipFile:
        raise InputError(f"{p.name} 已损坏（zip 结构不完整，可能是未下载完或被截断）。请重新获取文件") from None
    except zipfile.LargeZipFile:
        raise InputError(f"{p.name} 过大，不像是自评表") from None
    if "word/document.xml" in names:
        raise InputError(f"{p.name} 是 Word 文档，不是工作簿。请给出自评表 .xlsx")
    if "ppt/presentation.xml" in names:
        raise InputError(f"{p.name} 是 PowerPoint 文件，不是工作簿")
    if "xl/workbook.xml" not in names:
        raise InputError(f"{p.name} 不是 Excel 工作簿（缺少 xl/workbook.xml）")
    return p


def _check_zip_sizes(p: Path, infos) -> None:
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"{p.name} 含 {len(infos)} 个内部文件，不像是自评表（可能是恶意文件）")
    total = 0
    for i in infos:
        total += i.file_size
        if i.file_size > 1_048_576 and i.compress_size and i.file_size / i.compress_size > MAX_RATIO:
            raise InputError(f"{p.name} 的内部文件 {i.filename} 压缩比异常（{i.file_size // max(1, i.compress_size)} 倍），"
                             "疑似“压缩炸弹”，已拒绝打开")
    if total > MAX_UNPACKED_BYTES:
        raise InputError(f"{p.name} 解压后达 {total / 1048576:.0f} MB，超过上限，已拒绝打开")


def load_workbook_safely(path: str | Path, *, read_only: bool):
    """openpyxl.load_workbook after the checks, with its exceptions turned into InputError."""
    import openpyxl  # noqa: PLC0415 - kept off the UDF import path

    p = check_workbook_file(path)
    try:
        return openpyxl.load_workbook(p, read_only=read_only, data_only=False, keep_links=False)
    except InputError:
        raise
    except Exception as e:  # openpyxl raises many types for broken parts
        name = type(e).__name__
        if "Defused" in name or "Entities" in name or "DTD" in name:
            raise InputError(f"{p.name} 含有不安全的 XML（实体定义），已拒绝打开") from None
        raise InputError(f"{p.name} 无法作为工作簿读取（{name}：{str(e)[:200]}）。"
                         "请在 Excel/WPS 中打开后另存为 .xlsx 再试") from None


def unique_path(path: Path) -> Path:
    """path, or 'name(2).ext', 'name(3).ext'... when it exists."""
    if not path.exists():
        return path
    for i in range(2, 1000):
        cand = path.with_name(f"{path.stem}({i}){path.suffix}")
        if not cand.exists():
            return cand
    raise OutputError(f"{path.parent} 中同名文件过多，请指定输出文件名")


def check_output_path(out: str | Path, *, overwrite: bool, inputs: tuple[Path, ...] = ()) -> Path:
    p = Path(out)
    if p.exists() and p.is_dir():
        raise OutputError(f"输出路径 {p} 是文件夹，请给出文件名")
    for src in inputs:
        try:
            if p.exists() and p.samefile(src):
                raise OutputError(f"输出文件 {p} 与输入文件相同。jxzp 不修改输入文件，请换一个输出文件名")
        except OSError:
            pass
    if p.exists() and not overwrite:
        raise OutputError(f"文件 {p} 已存在。如确需覆盖请加 --overwrite，或换一个文件名")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise OutputError(f"输出文件夹 {parent} 不存在")
    if len(p.name.encode("utf-8")) > 240:
        raise OutputError(f"输出文件名过长（{len(p.name)} 个字符），请缩短")
    bad = set('<>:"|?*') & set(p.name)
    if bad or any(ord(ch) < 32 for ch in p.name):
        raise OutputError(f"输出文件名 {p.name!r} 含有 Windows 不允许的字符 {''.join(sorted(bad))}")
    stem = p.stem.split(".")[0].upper()
    if stem in {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}:
        raise OutputError(f"输出文件名 {p.name} 是 Windows 保留名，请换一个")
    return p


def atomic_write(out: Path, write: Callable[[Path], None], *, overwrite: bool) -> Path:
    """Write through a temporary file in the same folder, then rename into place."""
    parent = out.parent if str(out.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".jxzp-", suffix=out.suffix, dir=parent)
    except PermissionError:
        raise OutputError(f"没有写入权限：{parent}。请换一个输出文件夹") from None
    except OSError as e:
        raise OutputError(f"无法在 {parent} 中写文件：{e.strerror or e}") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        if out.exists() and not overwrite:  # appeared meanwhile
            raise OutputError(f"文件 {out} 已存在。如确需覆盖请加 --overwrite")
        os.replace(tmp_path, out)
    except PermissionError:
        raise OutputError(f"无法写入 {out}：文件被占用（可能正在 Excel/WPS/Word 中打开）或没有权限。"
                          "请关闭该文件或换一个文件名") from None
    except OSError as e:
        if isinstance(e, OutputError):
            raise
        raise OutputError(f"无法写入 {out}：{e.strerror or e}") from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return out

"""Opening and writing files safely.

Before openpyxl sees a file we check what it is (a real .xlsx, not .xls/.csv/.docx/.ods/HTML,
not password-protected, not Excel's "~$" lock file, not a zip bomb) and read every part once:
CRC errors are found here, and any XML part with a DOCTYPE (entity bombs, external entities)
is refused — Excel never writes one. openpyxl then parses through defusedxml (a dependency)
as a second line. Output goes to a temporary file in the target folder and is renamed into
place, so a failure never leaves half a file, and an existing file is only replaced when the
caller says so.
"""
from __future__ import annotations

import errno
import os
import tempfile
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Callable

from ..core.errors import InputError, OutputError

MAX_FILE_BYTES = 50 * 1024 * 1024  # a 自评表 is well under 1 MB
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_RATIO = 200  # uncompressed/compressed per member, for members over 1 MB
MAX_MEMBERS = 5000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_XML_PARTS = (".xml", ".rels", ".vml")
_BINARY_PARTS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".bin")
_CHUNK = 1 << 16
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _ole_kind(p: Path) -> str:
    """What an OLE compound file holds, from its directory entry names (UTF-16 in the file)."""
    try:
        data = p.read_bytes()
    except OSError:
        return ""
    for stream, kind in (("EncryptedPackage", "encrypted"), ("WordDocument", "doc"),
                         ("PowerPoint Document", "ppt"), ("Workbook", "xls"), ("Book", "xls")):
        if _utf16(stream) in data:
            return kind
    return ""


def _sniff(head: bytes) -> str:
    """A short Chinese name for what a non-zip, non-OLE file looks like."""
    h = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if h.startswith((b"{", b"[")):
        return "JSON 数据文件（如 jxzp export 导出的数据，可用 jxzp fill 写回工作簿）"
    if h.startswith(b"%pdf"):
        return "PDF 文件"
    if h.startswith((b"<!doctype html", b"<html", b"<meta", b"<table", b"<head")) or b"<html" in h[:512]:
        return "网页（HTML）格式的表格，常见于财务系统导出的“.xls”"
    if h.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return "Excel 2003 XML 表格"
    if h.startswith(b"<?xml") or h.startswith(b"<"):
        return "XML 文本文件"
    if head.startswith((b"Rar!", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b")):
        return "压缩包（RAR/7z/gz），请先解压"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        return "图片"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "文本（UTF-16）文件，可能是制表符分隔的导出数据"
    for enc in ("utf-8", "gb18030"):
        try:
            text = head.decode(enc)
        except UnicodeDecodeError:
            continue
        if text and sum(ch.isprintable() or ch in "\r\n\t" for ch in text) / len(text) > 0.95:
            return "CSV 或文本文件" if ("," in text or "\t" in text or "，" in text) else "文本文件"
    return "未知格式的文件"


def check_workbook_file(path: str | Path) -> Path:
    """Refuse anything that is not a plausible .xlsx, with a message saying what it is and what to do."""
    p = Path(path)
    try:
        found, folder = p.exists(), p.is_dir()
    except OSError as e:  # e.g. a name too long for the file system
        raise InputError(f"无法读取文件 {p}：{_os_reason(e)}。请检查路径和文件名") from None
    if not found:
        raise InputError(f"找不到文件：{p}。请检查路径和文件名（含扩展名 .xlsx）")
    if folder:
        raise InputError(f"{p} 是文件夹，不是工作簿文件。请给出其中的自评表 .xlsx")
    try:
        size = p.stat().st_size
        with p.open("rb") as fh:
            head = fh.read(2048)
    except OSError as e:
        raise InputError(f"无法读取文件 {p}：{_os_reason(e)}。如文件正在其他程序中打开，请关闭后再试") from None
    if p.name.startswith("~$"):
        real = p.name[2:]
        raise InputError(f"{p.name} 是 Excel/WPS 打开工作簿时生成的临时锁定文件，不是工作簿本身。"
                         f"请选择同一文件夹中的“{real}”（如提示被占用，请先在 Excel/WPS 中关闭它）")
    if size == 0:
        raise InputError(f"文件 {p.name} 是空文件（0 字节），可能保存或复制未完成。请重新保存或重新获取文件")
    if size > MAX_FILE_BYTES:
        raise InputError(f"文件 {p.name} 有 {size / 1048576:.0f} MB，超过 {MAX_FILE_BYTES // 1048576} MB 上限，"
                         "不像是自评表；请检查是否选错了文件")
    ext = p.suffix.lower()
    if head.startswith(OLE_MAGIC):
        kind = _ole_kind(p)
        if kind == "encrypted":
            raise InputError(f"{p.name} 设置了打开密码（文件已加密），无法读取。请在 Excel 中打开，"
                             "在“文件→信息→保护工作簿→用密码进行加密”中清空密码后保存，再试")
        if kind == "doc":
            raise InputError(f"{p.name} 是 Word 97-2003 文档（.doc），不是工作簿。请给出自评表 .xlsx")
        if kind == "ppt":
            raise InputError(f"{p.name} 是 PowerPoint 文件，不是工作簿。请给出自评表 .xlsx")
        named = "" if ext == ".xls" else f"（扩展名却是 {p.suffix or '空'}）"
        raise InputError(f"{p.name} 是旧版 Excel 97-2003 格式（.xls）{named}。"
                         "请在 Excel/WPS 中打开，“另存为”Excel 工作簿（*.xlsx）后再试")
    if head[:2] != b"PK":
        raise InputError(f"{p.name} 不是 .xlsx 工作簿，看起来是{_sniff(head)}。"
                         "请在 Excel/WPS 中打开，“另存为”Excel 工作簿（*.xlsx），或把数据复制到 jxzp new 生成的自评表中")
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            _check_zip_sizes(p, infos)
            _refuse_other_packages(p, zf, names)
            _read_all_parts(p, zf, infos)
    except zipfile.BadZipFile:
        raise InputError(f"{p.name} 已损坏（zip 结构不完整，可能是未下载完、复制中断或被截断）。"
                         "请重新获取文件，或在 Excel/WPS 中打开（可尝试“打开并修复”）后另存") from None
    except zipfile.LargeZipFile:
        raise InputError(f"{p.name} 过大，不像是自评表") from None
    except NotImplementedError:
        raise InputError(f"{p.name} 使用了不支持的压缩方式，不是 Excel/WPS 保存的工作簿。请在 Excel/WPS 中另存为 .xlsx") from None
    except (OSError, EOFError) as e:
        raise InputError(f"无法读取 {p.name}：{_os_reason(e) if isinstance(e, OSError) else '文件不完整'}。"
                         "请重新获取文件") from None
    return p


def _refuse_other_packages(p: Path, zf: zipfile.ZipFile, names: set[str]) -> None:
    if "word/document.xml" in names:
        raise InputError(f"{p.name} 是 Word 文档，不是工作簿。请给出自评表 .xlsx")
    if "ppt/presentation.xml" in names:
        raise InputError(f"{p.name} 是 PowerPoint 文件，不是工作簿。请给出自评表 .xlsx")
    if "mimetype" in names and "content.xml" in names:
        mime = zf.read("mimetype")[:100] if zf.getinfo("mimetype").file_size < 200 else b""
        what = "OpenDocument 表格（.ods）" if b"spreadsheet" in mime else "OpenDocument 文件"
        raise InputError(f"{p.name} 是{what}，不是 .xlsx。请在 LibreOffice/WPS 中“另存为”Excel 2007-365 (.xlsx) 后再试")
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            raise InputError(f"{p.name} 是 Excel 二进制工作簿（.xlsb）。请在 Excel 中“另存为”Excel 工作簿（*.xlsx）后再试")
        raise InputError(f"{p.name} 不是 Excel 工作簿（压缩包中缺少 xl/workbook.xml）。请给出 jxzp 自评表 .xlsx")


def _check_zip_sizes(p: Path, infos) -> None:
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"{p.name} 含 {len(infos)} 个内部文件，不像是自评表（可能是恶意文件），已拒绝打开")
    total = 0
    for i in infos:
        total += i.file_size
        if i.file_size > 1_048_576 and i.file_size / max(1, i.compress_size) > MAX_RATIO:
            raise InputError(f"{p.name} 的内部文件 {i.filename} 压缩比异常（{i.file_size // max(1, i.compress_size)} 倍），"
                             "疑似“压缩炸弹”，已拒绝打开。请向发送者索取原始工作簿")
    if total > MAX_UNPACKED_BYTES:
        raise InputError(f"{p.name} 解压后达 {total / 1048576:.0f} MB，超过 {MAX_UNPACKED_BYTES // 1048576} MB 上限，"
                         "疑似“压缩炸弹”，已拒绝打开")


def _read_all_parts(p: Path, zf: zipfile.ZipFile, infos) -> None:
    """Read every member once: CRC errors and DTDs in XML parts are refused here.

    zipfile never yields more than a member's declared size, so the size checks above bound this.
    """
    for info in infos:
        if info.is_dir():
            continue
        # any part may be named as XML by the package's relationships, whatever its extension
        is_xml = not info.filename.lower().endswith(_BINARY_PARTS)
        tail = b""
        first = True
        utf16 = False
        try:
            with zf.open(info) as fh:
                while True:
                    chunk = fh.read(_CHUNK)
                    if not chunk:
                        break
                    if not is_xml:
                        continue
                    if first:
                        utf16 = chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in chunk[:4]
                        first = False
                    text = tail + chunk
                    if utf16:
                        text = text.replace(b"\x00", b"")  # enough to see ASCII markup in UTF-16
                    if any(m in text for m in _DTD_MARKERS):
                        raise InputError(
                            f"{p.name} 的内部文件 {info.filename} 含有 XML 实体定义（DOCTYPE/ENTITY）。Excel/WPS 保存的工作簿"
                            "不会有这种内容，它可用于“XML 炸弹”或读取本机文件，已拒绝打开。请向发送者索取原始工作簿，"
                            "或用 jxzp new 生成新的自评表后把数据复制进去")
                    tail = text[-16:]
        except zipfile.BadZipFile as e:
            raise InputError(f"{p.name} 已损坏：内部文件 {info.filename} 校验失败（{_zip_reason(e)}）。"
                             "请重新获取文件，或在 Excel/WPS 中“打开并修复”后另存") from None
        except (zlib.error, EOFError):
            raise InputError(f"{p.name} 已损坏：内部文件 {info.filename} 无法解压。"
                             "请重新获取文件，或在 Excel/WPS 中“打开并修复”后另存") from None


def _zip_reason(e: Exception) -> str:
    s = str(e)
    return "CRC 校验码不符" if "CRC" in s else "数据不完整"


def _sheet_of_part(zf: zipfile.ZipFile, part: str) -> str | None:
    """The sheet name whose XML is `part`, for messages."""
    from lxml import etree  # noqa: PLC0415

    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        wb = etree.fromstring(zf.read("xl/workbook.xml"), parser)
        rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"), parser)
    except Exception:
        return None
    targets = {r.get("Id"): (r.get("Target") or "").lstrip("/") for r in rels}
    for s in wb.iter("{*}sheet"):
        rid = next((v for k, v in s.attrib.items() if k.endswith("}id")), None)
        t = targets.get(rid, "")
        if t and (t == part or "xl/" + t == part):
            return s.get("name")
    return None


def _find_broken_part(p: Path) -> str | None:
    """The first XML part that is not well-formed, named for the user; None when all parse."""
    from lxml import etree  # noqa: PLC0415

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        with zipfile.ZipFile(p) as zf:
            for info in zf.infolist():
                if not info.filename.lower().endswith(_XML_PARTS):
                    continue
                try:
                    etree.fromstring(zf.read(info), parser)
                except etree.XMLSyntaxError as e:
                    sheet = _sheet_of_part(zf, info.filename)
                    where = f"（工作表“{sheet}”）" if sheet else ""
                    line = f"，第 {e.lineno} 行" if getattr(e, "lineno", None) else ""
                    return f"内部文件 {info.filename}{where} 的 XML 已损坏{line}"
    except (zipfile.BadZipFile, OSError):
        return None
    return None


def load_workbook_safely(path: str | Path, *, read_only: bool):
    """openpyxl.load_workbook after the checks, with its exceptions turned into InputError."""
    import openpyxl  # noqa: PLC0415 - kept off the UDF import path

    p = check_workbook_file(path)
    try:
        with warnings.catch_warnings():
            # openpyxl's English warnings (unsupported extensions, date limits) are not the user's business
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(p, read_only=read_only, data_only=False, keep_links=False)
    except InputError:
        raise
    except Exception as e:  # openpyxl raises many types for broken parts
        raise unreadable(p, e) from None


def unreadable(path: str | Path, e: Exception, *, generic: bool = True) -> InputError | None:
    """The InputError for a package openpyxl failed on (when loading, or later when streaming a sheet).

    With generic=False, None when no damaged part explains the exception (then it is a bug, not the file).
    """
    p = Path(path)
    name = type(e).__name__
    if "Defused" in name or "Entities" in name or "DTD" in name:
        return InputError(f"{p.name} 含有不安全的 XML（实体定义），已拒绝打开。请向发送者索取原始工作簿")
    broken = _find_broken_part(p)
    if broken:
        return InputError(f"{p.name} 无法作为工作簿读取：{broken}。请在 Excel/WPS 中打开（可尝试“打开并修复”）"
                          "后另存为 .xlsx 再试")
    if not generic:
        return None
    return InputError(f"{p.name} 无法作为工作簿读取（结构不符合 .xlsx 规范：{name}）。"
                      "请在 Excel/WPS 中打开后另存为 .xlsx 再试；如仍不行，请加 --debug 运行并把输出发给维护者")


def unique_path(path: Path) -> Path:
    """path, or 'name(2).ext', 'name(3).ext'... when it exists."""
    if not path.exists():
        return path
    for i in range(2, 1000):
        cand = path.with_name(f"{path.stem}({i}){path.suffix}")
        if not cand.exists():
            return cand
    raise OutputError(f"{path.parent} 中同名文件过多，请指定输出文件名")


_WIN_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}


def check_output_path(out: str | Path, *, overwrite: bool, inputs: tuple[Path, ...] = (),
                      suffixes: tuple[str, ...] = ()) -> Path:
    """Refuse an output path that cannot or must not be written; suffixes: the allowed extensions, if any."""
    p = Path(out)
    # the name first: an over-long name makes even exists() fail
    if len(p.name.encode("utf-8")) > 240:
        raise OutputError(f"输出文件名过长（{len(p.name)} 个字符，{len(p.name.encode('utf-8'))} 字节），"
                          "超过系统上限；请缩短到 80 个汉字以内")
    bad = set('<>:"|?*\\') & set(p.name)
    if bad or any(ord(ch) < 32 for ch in p.name):
        shown = "".join(sorted(bad)) or "控制字符"
        raise OutputError(f"输出文件名 {p.name!r} 含有 Windows 不允许的字符 {shown}，请去掉后再试")
    if p.name != p.name.rstrip(". "):
        raise OutputError(f"输出文件名 {p.name!r} 以空格或句点结尾，Windows 会把它改名；请去掉结尾的空格或句点")
    stem = p.name.split(".")[0].strip().upper()
    if stem in _WIN_RESERVED:
        raise OutputError(f"输出文件名 {p.name} 使用了 Windows 保留名 {stem}（设备名），无法在 Windows 中打开；请换一个文件名")
    try:
        exists = p.exists()
        if exists and p.is_dir():
            raise OutputError(f"输出路径 {p} 是文件夹，请给出文件名（如 {p / '自评表_校验标注.xlsx'}）")
        for src in inputs:
            try:
                if exists and p.samefile(src):
                    raise OutputError(f"输出文件 {p} 与输入文件相同。jxzp 不修改输入文件，请换一个输出文件名")
            except OSError:
                pass
        if exists and not overwrite:
            raise OutputError(f"文件 {p} 已存在，未覆盖。如确需覆盖请加 --overwrite，或换一个文件名")
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.exists():
            raise OutputError(f"输出文件夹 {parent} 不存在。请先创建该文件夹，或换一个输出路径")
    except OSError as e:
        raise OutputError(f"无法使用输出路径 {p}：{_os_reason(e)}。请换一个较短、存在的输出路径") from None
    if suffixes and p.suffix.lower() not in suffixes:
        raise OutputError(f"输出文件 {p.name} 的扩展名应为 {' 或 '.join(suffixes)}（不是 {p.suffix or '空'}），"
                          f"请改为如 {p.stem}{suffixes[0]}")
    return p


def _os_reason(e: OSError) -> str:
    """An OSError in Chinese (strerror is English on most systems)."""
    code = getattr(e, "errno", None)
    reasons = {
        errno.ENOSPC: "磁盘空间不足",
        errno.EROFS: "所在磁盘或文件夹是只读的",
        errno.EACCES: "没有权限",
        errno.EPERM: "没有权限",
        errno.ENAMETOOLONG: "文件名或路径过长",
        errno.ENOENT: "文件或文件夹不存在",
        errno.EISDIR: "这是一个文件夹",
        errno.EIO: "读写出错（磁盘或网络故障）",
        errno.EBUSY: "文件被占用",
    }
    if hasattr(errno, "EDQUOT"):
        reasons[errno.EDQUOT] = "超出磁盘配额"
    if code in reasons:
        return reasons[code]
    return f"系统错误 {e.strerror or e}" if (e.strerror or str(e)) else "系统错误"


def _default_mode() -> int:
    """The permissions a newly created file gets (mkstemp's temporary files are 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(out: Path, write: Callable[[Path], None], *, overwrite: bool) -> Path:
    """Write through a temporary file in the same folder, then rename into place."""
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".jxzp-", suffix=out.suffix, dir=parent)
    except PermissionError:
        raise OutputError(f"没有写入权限：文件夹 {parent} 不允许写入（只读或无权限）。请换一个输出文件夹") from None
    except OSError as e:
        raise OutputError(f"无法在文件夹 {parent} 中写文件：{_os_reason(e)}。请换一个输出文件夹") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        try:  # same permissions as any new file (or as the file replaced), not mkstemp's 0600
            mode = out.stat().st_mode & 0o7777 if out.exists() else _default_mode()
            os.chmod(tmp_path, mode)
        except OSError:
            pass
        if out.exists() and not overwrite:  # appeared meanwhile
            raise OutputError(f"文件 {out} 已存在，未覆盖。如确需覆盖请加 --overwrite")
        os.replace(tmp_path, out)
    except PermissionError:
        raise OutputError(f"无法写入 {out}：文件被占用（可能正在 Excel/WPS/Word 中打开）或没有权限。"
                          "请关闭该文件后重试，或换一个文件名") from None
    except OutputError:
        raise
    except OSError as e:
        raise OutputError(f"无法写入 {out}：{_os_reason(e)}。请检查磁盘空间和权限，或换一个输出位置") from None
    finally:
        if tmp_path.exists():
            try:
                tmp_path.unlink()
            except OSError:
                pass
    return out


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

import warnings
import zipfile
import zlib
from pathlib import Path

from ..core.errors import InputError
from ..fs import os_reason, atomic_write, check_output_path, unique_path  # noqa: F401 - re-exported

MAX_FILE_BYTES = 50 * 1024 * 1024  # a 自评表 is well under 1 MB
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_RATIO = 200  # uncompressed/compressed per member, for members over RATIO_FLOOR
# jxzp's own output may hold long repeated text (a 32767-character note compresses ~1000x):
# small members are bounded by MAX_UNPACKED_BYTES anyway, so only big ones need the ratio check
RATIO_FLOOR = 16 * 1024 * 1024
MAX_MEMBERS = 5000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_XML_PARTS = (".xml", ".rels", ".vml")
_BINARY_PARTS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".bin")
_CHUNK = 1 << 16
KEEP_BYTES = 8 * 1024 * 1024  # check_workbook_file(keep=...) holds a package's XML up to this size (bigger: read again)
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


def check_workbook_file(path: str | Path, keep: dict[str, bytes] | None = None,
                        members: set[str] | None = None) -> Path:
    """Refuse anything that is not a plausible .xlsx, with a message saying what it is and what to do.

    With `keep`, the XML parts read for the screening are left there (part name -> bytes) when
    the package unpacks to at most KEEP_BYTES, so a reader need not decompress them again;
    `members` receives the names of all its parts.
    """
    p = Path(path)
    try:
        found, folder = p.exists(), p.is_dir()
    except OSError as e:  # e.g. a name too long for the file system
        raise InputError(f"无法读取文件 {p}：{os_reason(e)}。请检查路径和文件名") from None
    if not found:
        raise InputError(f"找不到文件：{p}。请检查路径和文件名（含扩展名 .xlsx）")
    if folder:
        raise InputError(f"{p} 是文件夹，不是工作簿文件。请给出其中的自评表 .xlsx")
    try:
        size = p.stat().st_size
        with p.open("rb") as fh:
            head = fh.read(2048)
    except OSError as e:
        raise InputError(f"无法读取文件 {p}：{os_reason(e)}。如文件正在其他程序中打开，请关闭后再试") from None
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
            if members is not None:
                members.update(names)
            _check_zip_sizes(p, infos)
            _refuse_other_packages(p, zf, names)
            if keep is not None and sum(i.file_size for i in infos) > KEEP_BYTES:
                keep = None
            _read_all_parts(p, zf, infos, keep)
    except zipfile.BadZipFile:
        raise InputError(f"{p.name} 已损坏（zip 结构不完整，可能是未下载完、复制中断或被截断）。"
                         "请重新获取文件，或在 Excel/WPS 中打开（可尝试“打开并修复”）后另存") from None
    except zipfile.LargeZipFile:
        raise InputError(f"{p.name} 过大，不像是自评表") from None
    except NotImplementedError:
        raise InputError(f"{p.name} 使用了不支持的压缩方式，不是 Excel/WPS 保存的工作簿。请在 Excel/WPS 中另存为 .xlsx") from None
    except (OSError, EOFError) as e:
        raise InputError(f"无法读取 {p.name}：{os_reason(e) if isinstance(e, OSError) else '文件不完整'}。"
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
        if i.file_size > RATIO_FLOOR and i.file_size / max(1, i.compress_size) > MAX_RATIO:
            raise InputError(f"{p.name} 的内部文件 {i.filename} 压缩比异常（{i.file_size // max(1, i.compress_size)} 倍），"
                             "疑似“压缩炸弹”，已拒绝打开。请向发送者索取原始工作簿")
    if total > MAX_UNPACKED_BYTES:
        raise InputError(f"{p.name} 解压后达 {total / 1048576:.0f} MB，超过 {MAX_UNPACKED_BYTES // 1048576} MB 上限，"
                         "疑似“压缩炸弹”，已拒绝打开")


def _read_all_parts(p: Path, zf: zipfile.ZipFile, infos, keep: dict[str, bytes] | None = None) -> None:
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
        kept: list[bytes] | None = [] if keep is not None and is_xml else None
        try:
            with zf.open(info) as fh:
                while True:
                    chunk = fh.read(_CHUNK if kept is None else -1)
                    if kept is not None and chunk:
                        kept.append(chunk)
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
                    if b"<!" in text and any(m in text for m in _DTD_MARKERS):  # one pass when neither is there
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
        if kept is not None:  # read whole and CRC-checked: the reader may use these bytes
            keep[info.filename] = b"".join(kept)


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

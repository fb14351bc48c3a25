"""Bad input, part 1: what gets passed as "the workbook".

Each case: exit code 2, a Chinese message naming the file (and the part or name inside it)
and the fix, no traceback, the input's bytes unchanged, no temporary files left.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import docx
import msoffcrypto
import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from addin.xlam.cfb import build_compound_file
from addin.xlsx import files
from test_bad_input_kit import Guard, copy_to, edit_book, expect, jxzp, rewrite_zip, sheet_part, with_doctype

BOMB = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%s;" % (b"" if i == 1 else str(i - 1).encode())) * 10)
                   for i in range(1, 10))
        + b"]>")
XXE = b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


# ---------------------------------------------------------------- not a workbook at all
def _csv(p: Path) -> None:
    p.write_text("项目,数值\n年初预算,3491995\n决算支出,3638346.02\n", encoding="utf-8")


def _csv_gbk(p: Path) -> None:
    p.write_bytes("项目\t数值\n年初预算\t3491995\n".encode("gb18030"))


def _docx(p: Path) -> None:
    d = docx.Document()
    d.add_paragraph("乐昌市政务服务数据管理局2022年度部门整体支出绩效自评报告")
    d.save(p)


def _xls(p: Path) -> None:  # an Excel 97-2003 file: a compound file with a Workbook stream
    p.write_bytes(build_compound_file({"Workbook": b"\x09\x08\x10\x00" + bytes(5000)}))


def _doc(p: Path) -> None:
    p.write_bytes(build_compound_file({"WordDocument": bytes(5000)}))


def _html(p: Path) -> None:  # what many 财务系统 export as "报表.xls"
    p.write_bytes('<html><head><meta charset="gbk"></head><body><table><tr><td>年初预算</td>'
                  '<td>3491995</td></tr></table></body></html>'.encode("gb18030"))


def _ods(p: Path) -> None:
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("content.xml", "<office:document-content/>")
        z.writestr("META-INF/manifest.xml", "<manifest/>")


def _pdf(p: Path) -> None:
    p.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


NOT_A_WORKBOOK = [
    # file name, how it is made, what the message must say (besides the file name)
    ("数据.csv", _csv, ("CSV", "另存为", ".xlsx")),
    ("自评表.xlsx", _csv, ("CSV", "另存为")),  # a CSV renamed to .xlsx
    ("导出.xlsx", _csv_gbk, ("文本", "另存为")),
    ("报告.docx", _docx, ("Word 文档", "自评表 .xlsx")),
    ("自评表(1).xlsx", _docx, ("Word 文档", "自评表 .xlsx")),  # a report renamed to .xlsx
    ("自评表.xls", _xls, ("97-2003", "另存为", "*.xlsx")),
    ("改了扩展名.xlsx", _xls, ("97-2003", "扩展名却是 .xlsx", "另存为")),
    ("说明.doc", _doc, ("Word 97-2003", "自评表 .xlsx")),
    ("财务系统导出.xls", _html, ("网页（HTML）", "另存为")),
    ("自评表.ods", _ods, ("OpenDocument 表格", "另存为")),
    ("扫描件.pdf", _pdf, ("PDF", "另存为")),
]


@pytest.mark.parametrize("name, make, phrases", NOT_A_WORKBOOK, ids=[c[0] for c in NOT_A_WORKBOOK])
def test_not_a_workbook_is_named_for_what_it_is(tmp_path, name, make, phrases):
    p = tmp_path / name
    make(p)
    with Guard([p], [tmp_path]):
        for cmd in (["validate", p], ["report", p, "--force"], ["export", p]):
            r = expect(jxzp(*cmd), 2, p.name, *phrases)
            assert r.err.startswith("错误：")
        expect(jxzp("validate", p, "--annotate", tmp_path / "标注.xlsx"), 2, p.name)
    assert not (tmp_path / "标注.xlsx").exists()


def test_password_protected_workbook(sample_path, tmp_path):
    p = tmp_path / "加密的自评表.xlsx"
    with open(sample_path, "rb") as src, open(p, "wb") as dst:
        msoffcrypto.OfficeFile(src).encrypt("123456", dst)
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 2, p.name, "打开密码", "清空密码")
        expect(jxzp("report", p, "--force"), 2, "打开密码")


def test_excel_lock_file_is_not_the_workbook(sample_path, tmp_path):
    copy_to(sample_path, tmp_path, "自评表.xlsx")
    lock = tmp_path / "~$自评表.xlsx"  # what Excel/WPS leave next to an open workbook (165 bytes)
    lock.write_bytes(b"\x05zhang" + bytes(159))
    with Guard([lock], [tmp_path]):
        expect(jxzp("validate", lock), 2, "临时锁定文件", "“自评表.xlsx”")


def test_empty_file(tmp_path):
    p = tmp_path / "自评表.xlsx"
    p.write_bytes(b"")
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 2, p.name, "0 字节", "重新")


@pytest.mark.parametrize("missing", ["没有这个文件.xlsx", "没有的文件夹/自评表.xlsx"])
def test_missing_file(tmp_path, missing):
    expect(jxzp("validate", tmp_path / missing), 2, "找不到文件", "检查路径")


def test_folder_instead_of_file(tmp_path):
    expect(jxzp("validate", tmp_path), 2, "是文件夹", "自评表 .xlsx")


# ---------------------------------------------------------------- damaged packages
def test_truncated_download(sample_path, tmp_path):
    p = tmp_path / "下载一半.xlsx"
    data = sample_path.read_bytes()
    p.write_bytes(data[: len(data) * 2 // 3])
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 2, p.name, "已损坏", "被截断", "重新获取")


def test_flipped_bytes_inside_a_part(sample_path, tmp_path):
    """The zip directory is fine but one part's data is damaged (CRC mismatch)."""
    p = tmp_path / "坏扇区.xlsx"
    part = sheet_part(sample_path, "预算编制")
    rewrite_zip(sample_path, p, compression=zipfile.ZIP_STORED)  # stored: the sheet's bytes are in the file as is
    raw = bytearray(p.read_bytes())
    with zipfile.ZipFile(p) as z:
        info = z.getinfo(part)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 200
    raw[start:start + 8] = b"XXXXXXXX"
    p.write_bytes(bytes(raw))
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 2, p.name, "已损坏", part, "CRC", "打开并修复")


def test_malformed_xml_in_a_sheet_names_the_sheet(sample_path, tmp_path):
    p = tmp_path / "坏表.xlsx"
    part = sheet_part(sample_path, "预算编制")
    rewrite_zip(sample_path, p, lambda n, d: d.replace(b"</sheetData>", b"</sheetDat>") if n == part else d)
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 2, p.name, part, "工作表“预算编制”", "打开并修复")


# ---------------------------------------------------------------- hostile packages
@pytest.mark.parametrize("target", ["xl/workbook.xml", "sheet", "[Content_Types].xml", "utf16-sheet"])
def test_xml_entity_bomb_is_refused_before_parsing(sample_path, tmp_path, target):
    p = tmp_path / "炸弹.xlsx"
    part = sheet_part(sample_path, "基本信息") if "sheet" in target else target

    def edit(n, d):
        if n != part:
            return d
        d = with_doctype(d, BOMB).replace(b"<sheetData>", b"<sheetData><!-- &lol9; -->", 1)
        if target == "utf16-sheet":  # the same bomb in UTF-16, which a byte search for "<!DOCTYPE" would miss
            d = d.replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode("utf-8").encode("utf-16")
        return d

    rewrite_zip(sample_path, p, edit)
    t = time.perf_counter()
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 2, p.name, part, "实体定义", "已拒绝打开", "原始工作簿")
    assert time.perf_counter() - t < 5


def test_external_entity_cannot_read_local_files(sample_path, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("机密内容-不应出现", encoding="utf-8")
    p = tmp_path / "xxe.xlsx"
    xxe = XXE.replace(b"file:///etc/passwd", secret.as_uri().encode())
    part = sheet_part(sample_path, "基本信息")

    def edit(n, d):
        if n != part:
            return d
        d = with_doctype(d, xxe.replace(b"<!DOCTYPE r", b"<!DOCTYPE worksheet"))
        return d.replace(b"<t>\xe6\x9d\xa5", b"<t>&xxe;\xe6\x9d\xa5", 1)

    rewrite_zip(sample_path, p, edit)
    with Guard([p], [tmp_path]):
        r = expect(jxzp("validate", p, "--json"), 2, "实体定义")
        assert "机密内容" not in r.text


@pytest.mark.parametrize("kind", ["ratio", "total", "members"])
def test_zip_bomb_is_refused_before_unpacking(sample_path, tmp_path, monkeypatch, kind):
    p = tmp_path / "压缩炸弹.xlsx"
    if kind == "ratio":  # one member of zeros: 60 MB in ~60 KB
        rewrite_zip(sample_path, p, extra={"xl/media/image1.png": bytes(60 * 1024 * 1024)})
        phrase = "压缩比异常"
    elif kind == "total":  # many members, each under the ratio limit, adding up past the total limit
        monkeypatch.setattr(files, "MAX_UNPACKED_BYTES", 8 * 1024 * 1024)
        rewrite_zip(sample_path, p, extra={f"xl/media/image{i}.bin": os.urandom(1024 * 1024) for i in range(9)},
                    compression=zipfile.ZIP_STORED)
        phrase = "解压后达"
    else:
        rewrite_zip(sample_path, p, extra={f"xl/media/{i}.bin": b"x" for i in range(files.MAX_MEMBERS + 1)},
                    compression=zipfile.ZIP_STORED)
        phrase = "个内部文件"
    t = time.perf_counter()
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 2, p.name, phrase, "已拒绝打开")
    assert time.perf_counter() - t < 10


def test_oversized_file(sample_path, tmp_path):
    p = tmp_path / "巨大.xlsx"
    with open(p, "wb") as f:  # sparse: 60 MB on paper, nothing on disk
        f.write(sample_path.read_bytes())
        f.seek(60 * 1024 * 1024)
        f.write(b"\0")
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 2, p.name, "60 MB", "50 MB 上限", "选错了文件")


def test_macros_and_external_links_are_never_run(sample_path, tmp_path):
    """A macro-enabled copy (.xlsm with a VBA project) and an external link: read as data, nothing runs."""
    p = tmp_path / "带宏.xlsm"
    marker = tmp_path / "ran"
    rewrite_zip(sample_path, p, extra={
        "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + f"Shell \"touch {marker}\"".encode() * 50,
        "xl/externalLinks/externalLink1.xml": b'<externalLink xmlns="http://schemas.openxmlformats.org/'
                                              b'spreadsheetml/2006/main"><externalBook r:id="rId1" xmlns:r='
                                              b'"http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>'
                                              b"</externalLink>",
    })
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 1, "118.92%")
        expect(jxzp("report", p, "--force", "-o", tmp_path / "报告.docx"), 0)
    assert not marker.exists()


# ---------------------------------------------------------------- an xlsx, but not (this version of) ours
def test_random_xlsx(tmp_path):
    p = tmp_path / "工资表.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "工资"])
    wb.active.append(["张三", 5000])
    wb.defined_names["Print_Titles"] = DefinedName("Print_Titles", attr_text="Sheet!$1:$1")
    wb.save(p)
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 2, p.name, "不是 jxzp 自评表", "jxzp new")
        expect(jxzp("report", p, "--force"), 2, "不是 jxzp 自评表")


def test_older_template_version(sample_path, tmp_path):
    def old(wb):
        wb.defined_names["jx_template_version"] = DefinedName("jx_template_version", attr_text='"0"')

    p = edit_book(sample_path, tmp_path / "旧模板.xlsx", old)
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 2, p.name, "模板版本为 0", "jxzp new", "jxzp export")


def test_framework_name_deleted(sample_path, tmp_path):
    p = edit_book(sample_path, tmp_path / "少名称.xlsx", lambda wb: wb.defined_names.pop("jx_framework"))
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 2, p.name, "jx_framework", "名称管理器")


def test_framework_name_cannot_point_at_a_file(sample_path, tmp_path, fw):
    """jx_framework comes from the workbook: a path there must not make jxzp read (or fetch) that file."""
    from addin.core.framework import FRAMEWORK_DIR

    evil = tmp_path / "evil.toml"
    evil.write_text((FRAMEWORK_DIR / f"{fw.id}.toml").read_text(encoding="utf-8"), encoding="utf-8")

    def point(wb):
        wb.defined_names["jx_framework"] = DefinedName("jx_framework", attr_text=f'"{evil}"')

    p = edit_book(sample_path, tmp_path / "指向文件.xlsx", point)
    with Guard([p], [tmp_path]):
        expect(jxzp("validate", p), 2, p.name, "jx_framework", "不是指标体系标识", "不能指定")


def test_library_warnings_do_not_reach_the_user(sample_path, tmp_path):
    """openpyxl warns in English (a date cell out of range, unknown extensions); the user sees Chinese only."""
    p = tmp_path / "日期越界.xlsx"

    def bad_date(wb):
        c = wb["基本信息"]["B7"]  # 报告日期: a number far beyond any date, formatted as a date
        c.value = 1e16
        c.number_format = "yyyy-mm-dd"

    edit_book(sample_path, p, bad_date)
    r = subprocess.run([sys.executable, "-m", "addin.cli", "validate", str(p)], capture_output=True, text=True,
                       cwd=Path(__file__).resolve().parents[1])
    assert r.returncode == 1, r.stderr
    assert "Warning" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.strip() == ""

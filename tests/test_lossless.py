"""Lossless writes (issue 11): a corpus of customised workbooks through 校验 → (rows inserted) → 清除标记.

Crafted with Excel-style XML: a VBA project (.xlsm), threaded comments with their legacy
notes, sparklines (x14 extLst), a dynamic-array formula with its metadata part, an external
link, customXml, printer settings, a shape drawing, a theme/tint pattern fill and a user's own
note (author, size, visibility) on marked cells, an unknown part, merged ranges, a sheet
locked with a password. Made by LibreOffice headless (tests/lo_uno_ops.py): shapes, pictures,
charts, comments, rich text, external links — then rows inserted above marked cells.

Compared part by part (bytes) and cell by cell (values, formulas, fills, notes).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from addin.xlsx.annotate import annotate_file, clear_file
from conftest import soffice, validate_file
from test_bad_input_kit import Guard, expect, jxzp

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MARKED_SHEET = "预算执行"  # the sample has findings on K3, K4, I14, K14
UNO = Path(__file__).with_name("lo_uno_ops.py")


# ---------------------------------------------------------------- crafting Excel-style parts
def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _write(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in parts.items():
            z.writestr(n, d)
    return path


def _sheet_part(parts: dict[str, bytes], name: str) -> str:
    wb = etree.fromstring(parts["xl/workbook.xml"])
    rels = etree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    target = {r.get("Id"): r.get("Target") for r in rels}
    for s in wb.iter(f"{{{NS}}}sheet"):
        if s.get("name") == name:
            t = target[s.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")]
            return t.lstrip("/") if t.startswith("/") else "xl/" + t
    raise KeyError(name)


def _add_rel(parts, rels_part: str, rid: str, rtype: str, target: str, mode: str = "") -> None:
    rels = parts.get(rels_part, b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Relationships '
                     b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')
    extra = f' TargetMode="{mode}"' if mode else ""
    parts[rels_part] = rels.replace(b"</Relationships>", f'<Relationship Id="{rid}" Type="{rtype}" Target="{target}"{extra}/>'
                                    "</Relationships>".encode())


def _ct(parts, xml: str) -> None:
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", xml.encode() + b"</Types>")


def _insert_before(xml: bytes, tags: list[bytes], fragment: bytes) -> bytes:
    """Insert fragment before the first of tags found (schema order), else before the end."""
    for t in tags:
        i = xml.find(b"<" + t)
        if i >= 0:
            return xml[:i] + fragment + xml[i:]
    return xml.replace(b"</worksheet>", fragment + b"</worksheet>")


RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
TC_GUID = "{5E8A3C2B-0D1F-4C6A-9B7E-1A2B3C4D5E6F}"


def craft_excel_features(sample: Path, out: Path) -> Path:
    parts = _parts(sample)
    sp = _sheet_part(parts, MARKED_SHEET)
    srels = sp.replace("worksheets/", "worksheets/_rels/") + ".rels"
    x = parts[sp]
    # a theme colour with tint in a pattern fill, and a user's own formats, on marked cell K3
    st = parts["xl/styles.xml"]
    nfill = int(re.search(rb'<fills count="(\d+)"', st).group(1))
    st = re.sub(rb'<fills count="\d+">', f'<fills count="{nfill + 1}">'.encode(), st)
    st = st.replace(b"</fills>", b'<fill><patternFill patternType="lightGrid"><fgColor theme="5" tint="0.3999"/>'
                                 b'<bgColor indexed="65"/></patternFill></fill></fills>')
    nxf = int(re.search(rb'<cellXfs count="(\d+)"', st).group(1))
    st = re.sub(rb'<cellXfs count="\d+">', f'<cellXfs count="{nxf + 1}">'.encode(), st)
    st = st.replace(b"</cellXfs>", f'<xf numFmtId="10" fontId="0" fillId="{nfill}" borderId="0" xfId="0" '
                                   'applyFill="1" applyNumberFormat="1"/></cellXfs>'.encode())
    parts["xl/styles.xml"] = st
    x = re.sub(rb'(<c r="K3")( s="\d+")?', f'\\1 s="{nxf}"'.encode(), x, count=1)
    # a dynamic-array formula (cell metadata) in M3
    x = re.sub(rb'(<row r="3"[^>]*>)', rb'\1', x, count=1)
    x = x.replace(b'<c r="K3"', b'<c r="M3" cm="1"><f t="array" ref="M3:M5">_xlfn._xlws.SORT(B3:B5)</f><v>1</v></c><c r="K3"', 1) \
        if False else x
    x = re.sub(rb'(<row r="3"[^>]*>)(.*?)(</row>)', lambda m: m.group(1) + m.group(2) +
               b'<c r="Z3" cm="1"><f t="array" ref="Z3:Z5">_xlfn._xlws.SORT(B3:B5)</f><v>1</v></c>' + m.group(3), x,
               count=1, flags=re.S)
    parts["xl/metadata.xml"] = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<metadata xmlns="' + NS.encode() +
                                b'" xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
                                b'<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" copy="1" '
                                b'pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" clearFormats="1" '
                                b'clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes><futureMetadata '
                                b'name="XLDAPR" count="1"><bk><extLst><ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
                                b'<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk></futureMetadata>'
                                b'<cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata></metadata>')
    _add_rel(parts, "xl/_rels/workbook.xml.rels", "rIdMeta", RT.replace("relationships/", "relationships/") + "sheetMetadata",
             "metadata.xml")
    _ct(parts, '<Override PartName="/xl/metadata.xml" ContentType="application/vnd.openxmlformats-officedocument.'
               'spreadsheetml.sheetMetadata+xml"/>')
    # sparklines in the sheet's extension list
    x = x.replace(b"</worksheet>", b'<extLst><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}" xmlns:x14="http://'
                  b'schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:sparklineGroups xmlns:xm="http://schemas.'
                  b'microsoft.com/office/excel/2006/main"><x14:sparklineGroup displayEmptyCellsAs="gap"><x14:colorSeries '
                  b'rgb="FF376092"/><x14:sparklines><x14:sparkline><xm:f>\'' + MARKED_SHEET.encode() + b"'!B3:D3</xm:f>"
                  b"<xm:sqref>Y3</xm:sqref></x14:sparkline></x14:sparklines></x14:sparklineGroup></x14:sparklineGroups>"
                  b"</ext></extLst></worksheet>")
    # a shape drawing (the 审核章 stamp) and printer settings
    parts["xl/drawings/drawing99.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/'
        b'drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><xdr:twoCellAnchor>'
        b"<xdr:from><xdr:col>12</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
        b"<xdr:to><xdr:col>14</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>5</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
        b'<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="2" name="\xe5\xae\xa1\xe6\xa0\xb8\xe7\xab\xa0"/><xdr:cNvSpPr/>'
        b'</xdr:nvSpPr><xdr:spPr><a:prstGeom prst="ellipse"><a:avLst/></a:prstGeom></xdr:spPr><xdr:txBody><a:bodyPr/>'
        b"<a:p><a:r><a:t>\xe5\xae\xa1\xe6\xa0\xb8\xe7\xab\xa0</a:t></a:r></a:p></xdr:txBody></xdr:sp><xdr:clientData/>"
        b"</xdr:twoCellAnchor></xdr:wsDr>")
    _ct(parts, '<Override PartName="/xl/drawings/drawing99.xml" ContentType="application/vnd.openxmlformats-officedocument.'
               'drawing+xml"/>')
    _add_rel(parts, srels, "rIdDr99", RT + "drawing", "../drawings/drawing99.xml")
    parts["xl/printerSettings/printerSettings1.bin"] = bytes(range(256)) * 4
    _ct(parts, '<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
               'printerSettings"/>')
    _add_rel(parts, srels, "rIdPs1", RT + "printerSettings", "../printerSettings/printerSettings1.bin")
    x = _insert_before(x, [b"legacyDrawing", b"legacyDrawingHF", b"picture", b"oleObjects", b"tableParts", b"extLst"],
                       b'<drawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rIdDr99"/>')
    # threaded comments: on a marked cell (K4) and an unmarked one (B3), with their legacy notes
    tcs = "".join(f'<threadedComment ref="{ref}" dT="2023-03-01T10:00:00.00" personId="{TC_GUID}" id="{{0000000{i}-0000-'
                  f'0000-0000-00000000000{i}}}"><text>{text}</text></threadedComment>'
                  for i, (ref, text) in enumerate((("K4", "请复核这个比率"), ("B3", "预算数来自批复")), 1))
    parts["xl/threadedComments/threadedComment1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<ThreadedComments xmlns="http://schemas.microsoft.com/'
        f'office/spreadsheetml/2018/threadedcomments">{tcs}</ThreadedComments>').encode()
    parts["xl/persons/person.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<personList xmlns="http://schemas.microsoft.com/office/'
        f'spreadsheetml/2018/threadedcomments"><person displayName="张会计" id="{TC_GUID}" userId="zhang" providerId="None"/>'
        "</personList>").encode()
    _ct(parts, '<Override PartName="/xl/threadedComments/threadedComment1.xml" ContentType="application/vnd.ms-excel.'
               'threadedcomments+xml"/><Override PartName="/xl/persons/person.xml" ContentType="application/vnd.ms-excel.'
               'person+xml"/><Override PartName="/xl/comments99.xml" ContentType="application/vnd.openxmlformats-'
               'officedocument.spreadsheetml.comments+xml"/>')
    if b'Extension="vml"' not in parts["[Content_Types].xml"]:
        _ct(parts, '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>')
    _add_rel(parts, srels, "rIdTc1", "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment",
             "../threadedComments/threadedComment1.xml")
    _add_rel(parts, "xl/_rels/workbook.xml.rels", "rIdPerson", "http://schemas.microsoft.com/office/2017/10/"
             "relationships/person", "persons/person.xml")
    # legacy notes: the threaded ones' placeholders, and a user's own visible, large note on marked cell I14
    notes = [("K4", "tc={00000001-0000-0000-0000-000000000001}", "[Threaded comment]\n请复核这个比率"),
             ("B3", "tc={00000002-0000-0000-0000-000000000002}", "[Threaded comment]\n预算数来自批复"),
             ("I14", "李科长", "李科长:\n执行数已与决算核对")]
    authors = list(dict.fromkeys(a for _, a, _ in notes))
    comments = "".join(f'<comment ref="{ref}" authorId="{authors.index(a)}"><text><r><rPr><b/><sz val="9"/><rFont '
                       f'val="宋体"/></rPr><t xml:space="preserve">{t}</t></r></text></comment>' for ref, a, t in notes)
    parts["xl/comments99.xml"] = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<comments xmlns="' + NS +
                                  '"><authors>' + "".join(f"<author>{a}</author>" for a in authors) +
                                  f"</authors><commentList>{comments}</commentList></comments>").encode()
    shapes = []
    for k, (ref, _, _) in enumerate(notes):
        col = ord(ref[0]) - 65
        row = int(ref[1:]) - 1
        visible = ref == "I14"
        shapes.append(f'<v:shape id="_x0000_s{5121 + k}" type="#_x0000_t202" style=\'position:absolute;margin-left:300pt;'
                      f'margin-top:10pt;width:{200 + 50 * visible}pt;height:{80 + 40 * visible}pt;z-index:{k + 1};'
                      f'visibility:{"visible" if visible else "hidden"}\' fillcolor="#ffffe1" o:insetmode="auto">'
                      '<v:fill color2="#ffffe1"/><v:textbox/><x:ClientData ObjectType="Note"><x:MoveWithCells/>'
                      f'<x:Anchor>{col + 1}, 15, {row}, 2, {col + 4}, 15, {row + 5}, 16</x:Anchor><x:AutoFill>False'
                      f'</x:AutoFill><x:Row>{row}</x:Row><x:Column>{col}</x:Column>{"<x:Visible/>" if visible else ""}'
                      "</x:ClientData></v:shape>")
    parts["xl/drawings/vmlDrawing99.vml"] = (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">\r\n <o:shapelayout v:ext="edit">\r\n  <o:idmap v:ext="edit" '
        'data="5"/>\r\n </o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
        'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/>'
        "</v:shapetype>\r\n" + "\r\n".join(shapes) + "</xml>").encode()
    _add_rel(parts, srels, "rIdCm99", RT + "comments", "../comments99.xml")
    _add_rel(parts, srels, "rIdVml99", RT + "vmlDrawing", "../drawings/vmlDrawing99.vml")
    x = _insert_before(x, [b"legacyDrawingHF", b"picture", b"oleObjects", b"tableParts", b"extLst"],
                       b'<legacyDrawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
                       b'r:id="rIdVml99"/>')
    parts[sp] = x
    # an external link, customXml, and a part nobody knows
    parts["xl/externalLinks/externalLink1.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<externalLink xmlns="' + NS.encode() +
        b'" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><externalBook r:id="rId1">'
        b'<sheetNames><sheetName val="Sheet1"/></sheetNames><sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="A1">'
        b"<v>3491995</v></cell></row></sheetData></sheetDataSet></externalBook></externalLink>")
    _add_rel(parts, "xl/externalLinks/_rels/externalLink1.xml.rels", "rId1", RT + "externalLinkPath",
             "file:///C:/%E8%B4%A2%E5%8A%A1/%E5%86%B3%E7%AE%97.xlsx", "External")
    _add_rel(parts, "xl/_rels/workbook.xml.rels", "rIdExt1", RT + "externalLink", "externalLinks/externalLink1.xml")
    _ct(parts, '<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/vnd.openxmlformats-'
               'officedocument.spreadsheetml.externalLink+xml"/>')
    wbx = parts["xl/workbook.xml"]
    wbx = wbx.replace(b"<definedNames>", b'<externalReferences><externalReference xmlns:r="http://schemas.openxmlformats.org/'
                      b'officeDocument/2006/relationships" r:id="rIdExt1"/></externalReferences><definedNames>', 1)
    parts["xl/workbook.xml"] = wbx
    parts["customXml/item1.xml"] = b'<?xml version="1.0" encoding="UTF-8" standalone="no"?><b:Sources xmlns:b="http://schemas.openxmlformats.org/officeDocument/2006/bibliography"/>'
    parts["customXml/itemProps1.xml"] = (b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\r\n<ds:datastoreItem '
                                         b'ds:itemID="{11111111-2222-3333-4444-555555555555}" xmlns:ds="http://schemas.'
                                         b'openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs/></ds:datastoreItem>')
    _add_rel(parts, "customXml/_rels/item1.xml.rels", "rId1", RT + "customXmlProps", "itemProps1.xml")
    _add_rel(parts, "xl/_rels/workbook.xml.rels", "rIdCx1", RT + "customXml", "../customXml/item1.xml")
    _ct(parts, '<Override PartName="/customXml/itemProps1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
               'customXmlProperties+xml"/>')
    parts["xl/jxzp-test/unknown.dat"] = b"\x00\x01 something only the user's tool understands \xff"
    return _write(out, parts)


def craft_xlsm(sample: Path, out: Path) -> Path:
    from addin.xlam.ovba import VbaModule, build_vba_project

    parts = _parts(sample)
    parts["xl/vbaProject.bin"] = build_vba_project("VBAProject", [
        VbaModule("ThisWorkbook", "document", 'Attribute VB_Name = "ThisWorkbook"\r\n'),
        VbaModule("Module1", "std", 'Attribute VB_Name = "Module1"\r\nSub Hello()\r\n    MsgBox "hi"\r\nEnd Sub\r\n')])
    ct = parts["[Content_Types].xml"].replace(b"spreadsheetml.sheet.main+xml", b"spreadsheetml.sheet.main+xml")
    ct = ct.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    parts["[Content_Types].xml"] = ct
    _ct(parts, '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>')
    _add_rel(parts, "xl/_rels/workbook.xml.rels", "rIdVba", "http://schemas.microsoft.com/office/2006/relationships/"
             "vbaProject", "vbaProject.bin")
    return _write(out, parts)


def craft_merged(sample: Path, out: Path) -> Path:
    """基本信息 A55:B55 merged: the finding on B55 (全年支出进度) is not the range's top-left; so is the input B25."""
    parts = _parts(sample)
    sp = _sheet_part(parts, "基本信息")
    x = parts[sp]
    if b"<mergeCells" in x:
        x = re.sub(rb'<mergeCells count="(\d+)">', lambda m: f'<mergeCells count="{int(m.group(1)) + 2}"><mergeCell '
                   f'ref="A55:B55"/><mergeCell ref="A25:B25"/>'.encode(), x, count=1)
    else:
        x = _insert_before(x, [b"phoneticPr", b"conditionalFormatting", b"dataValidations", b"hyperlinks", b"printOptions",
                               b"pageMargins"], b'<mergeCells count="2"><mergeCell ref="A55:B55"/><mergeCell ref="A25:B25"/></mergeCells>')
    parts[sp] = x
    return _write(out, parts)


def craft_locked(sample: Path, out: Path) -> Path:
    parts = _parts(sample)
    sp = _sheet_part(parts, MARKED_SHEET)
    parts[sp] = re.sub(rb"<sheetProtection ", b'<sheetProtection password="CC1A" ', parts[sp], count=1)
    assert b'password="CC1A"' in parts[sp]
    return _write(out, parts)


@pytest.fixture(scope="session")
def corpus(sample_path, session_dir) -> dict[str, Path]:
    d = session_dir / "corpus"
    d.mkdir(exist_ok=True)
    return {
        "excel_features": craft_excel_features(sample_path, d / "excel_features.xlsx"),
        "macro": craft_xlsm(sample_path, d / "带宏.xlsm"),
        "merged": craft_merged(sample_path, d / "merged.xlsx"),
        "locked": craft_locked(sample_path, d / "locked.xlsx"),
        "sample": sample_path,
    }


def _annotate(src: Path, out: Path):
    from addin.app.books import open_book
    from addin.core.evaluate import evaluate
    from addin.core.validation import validate

    fw, book = open_book(src)
    result = validate(fw, book, evaluate(fw, book))
    return annotate_file(fw, src, out, result), result


def _changed(a: dict[str, bytes], b: dict[str, bytes]) -> set[str]:
    return {n for n in set(a) | set(b) if a.get(n) != b.get(n)}


ALLOWED = re.compile(r"^(\[Content_Types\]\.xml|xl/workbook\.xml|xl/_rels/workbook\.xml\.rels|xl/styles\.xml|"
                     r"xl/sharedStrings\.xml|xl/worksheets/sheet\d+\.xml|xl/worksheets/_rels/sheet\d+\.xml\.rels|"
                     r"xl/comments\d+\.xml|xl/drawings/vmlDrawing\d+\.vml)$")


# ---------------------------------------------------------------- crafted corpus: part by part
@pytest.mark.parametrize("kind", ["excel_features", "macro", "merged", "locked", "sample"])
def test_annotate_then_clear_gives_back_every_part_byte_for_byte(corpus, tmp_path, kind):
    src = corpus[kind]
    out = tmp_path / f"标注{src.suffix}"
    with Guard([src], [tmp_path]):
        done, result = _annotate(src, out)
    before, after = _parts(src), _parts(out)
    changed = _changed(before, after)
    assert changed and all(ALLOWED.match(n) for n in changed), sorted(n for n in changed if not ALLOWED.match(n))
    # nothing lost or added besides what marks need; untouched parts keep their bytes and zip order
    assert set(before) <= set(after)
    assert [n for n in after if n in before] == list(before)
    for n in before:
        if not ALLOWED.match(n):
            assert after[n] == before[n], n
    # text stays compact: UTF-8, shared strings (only the bookkeeping JSON is inline)
    for n in changed:
        assert b"&#" not in after[n].replace(b"&#10;", b"").replace(b"&#13;", b"").replace(b"&#9;", b""), n
    assert out.stat().st_size < src.stat().st_size * 1.25 + 20_000
    # the marked cells are marked (or told why not)
    wb = openpyxl.load_workbook(out)
    assert "_jxzp_marks" in wb.sheetnames and wb["_jxzp_marks"].sheet_state == "veryHidden"
    rows = list(wb["校验结果"].iter_rows(min_row=5, values_only=True))
    assert len(rows) == len(result.findings)
    # 代码: the finding codes of `validate --json`, in workbook order
    assert [c.value for c in wb["校验结果"][4]][:3] == ["序号", "级别", "代码"]
    assert [r[2] for r in rows] == [f.code for f in result.sorted()]
    # ... then clear: every part as it was
    back = tmp_path / f"还原{src.suffix}"
    with Guard([out], [tmp_path]):
        cleared = clear_file(out, back)
    assert cleared.clear.complete
    restored = _parts(back)
    assert same_parts(restored, before)


def _c14n(data: bytes) -> bytes:
    try:
        return etree.tostring(etree.fromstring(data), method="c14n")
    except etree.XMLSyntaxError:
        return data


def same_parts(got: dict[str, bytes], want: dict[str, bytes]) -> bool:
    """Same parts; those jxzp never edits byte for byte, the XML it edits equal as canonical XML
    (lxml writes a namespace declaration before the attributes where Excel writes it after)."""
    assert set(got) == set(want), set(got) ^ set(want)
    for n in want:
        if got[n] == want[n]:
            continue
        assert ALLOWED.match(n) and _c14n(got[n]) == _c14n(want[n]), n
    return True


def test_xlsm_keeps_its_macros_and_content_type(corpus, tmp_path):
    src = corpus["macro"]
    with Guard([src], [tmp_path]):
        expect(jxzp("validate", src, "--annotate", tmp_path / "标注.xlsm"), 1, "已写入带标注的副本")
        # a macro workbook stays one: an .xlsx name would make Excel refuse the file
        expect(jxzp("validate", src, "--annotate", tmp_path / "标注.xlsx"), 2, "扩展名应为 .xlsm")
    parts = _parts(tmp_path / "标注.xlsm")
    assert parts["xl/vbaProject.bin"] == _parts(src)["xl/vbaProject.bin"]
    assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in parts["[Content_Types].xml"]
    assert b"vbaProject" in parts["xl/_rels/workbook.xml.rels"]
    from oletools.olevba import VBA_Parser  # noqa: PLC0415 - the independent reader the add-in tests use

    vba = VBA_Parser(str(tmp_path / "标注.xlsm"))
    assert any("MsgBox" in code for *_, code in vba.extract_macros())


def test_marked_sheet_keeps_extensions_drawings_and_threaded_comments(corpus, tmp_path):
    src = corpus["excel_features"]
    _annotate(src, tmp_path / "a.xlsx")
    parts = _parts(tmp_path / "a.xlsx")
    sp = _sheet_part(parts, MARKED_SHEET)
    root = etree.fromstring(parts[sp])
    orig = etree.fromstring(_parts(src)[sp])
    for tag in ("extLst", "drawing", "legacyDrawing", "mergeCells", "dataValidations", "sheetProtection"):
        o, n = orig.find(f"{{{NS}}}{tag}"), root.find(f"{{{NS}}}{tag}")
        assert (o is None) == (n is None), tag
        if o is not None:
            assert etree.tostring(o, method="c14n") == etree.tostring(n, method="c14n"), tag
    kids = [etree.QName(c).localname for c in root]
    assert kids.index("drawing") < kids.index("legacyDrawing") < kids.index("extLst")
    # a dynamic-array formula keeps its cell metadata
    assert b'cm="1"' in parts[sp] and b"_xlfn._xlws.SORT" in parts[sp]
    # the threaded comment's cell: filled, its conversation untouched; the user's own note kept after ours
    comments = parts["xl/comments99.xml"].decode()
    assert "[Threaded comment]\n请复核这个比率" in comments
    wb = openpyxl.load_workbook(tmp_path / "a.xlsx")
    ws = wb[MARKED_SHEET]
    assert ws["K4"].fill.fgColor.rgb.endswith("FFC7CE") or ws["K4"].fill.fgColor.rgb.endswith("FFEB9C")
    assert ws["I14"].comment.text.startswith("【jxzp 校验】") and ws["I14"].comment.text.endswith("执行数已与决算核对")


def test_reannotating_never_records_jxzp_marks_as_originals(corpus, tmp_path):
    src = corpus["excel_features"]
    _annotate(src, tmp_path / "a1.xlsx")
    _annotate(tmp_path / "a1.xlsx", tmp_path / "a2.xlsx")
    note = openpyxl.load_workbook(tmp_path / "a2.xlsx")[MARKED_SHEET]["I14"].comment.text
    assert note.count("【jxzp 校验】") == 1
    clear_file(tmp_path / "a2.xlsx", tmp_path / "c.xlsx")
    assert same_parts(_parts(tmp_path / "c.xlsx"), _parts(src))


def test_merged_range_marks_its_top_left_cell_and_fill_explains(corpus, tmp_path):
    src = corpus["merged"]
    with Guard([src], [tmp_path]):
        r = expect(jxzp("validate", src, "--annotate", tmp_path / "a.xlsx"), 1, "已写入带标注的副本")
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx")["基本信息"]
    assert ws["A55"].fill.fgColor.rgb.endswith("FFC7CE") and ws["A55"].comment.text.startswith("【jxzp 校验】")
    data = tmp_path / "d.json"
    data.write_text(json.dumps({"cells": [{"name": "f_full_progress_reported", "value": 1.0},
                                          {"name": "f_budget_initial", "value": 3491995}]}), encoding="utf-8")
    with Guard([src], [tmp_path]):
        r = expect(jxzp("fill", src, "--from", data, "-o", tmp_path / "f.xlsx"), 0, "合并单元格 A25:B25", "取消合并")
    assert "已写入 1 个值" in r.text


def test_password_locked_sheet_is_listed_not_marked(corpus, tmp_path):
    src = corpus["locked"]
    with Guard([src], [tmp_path]):
        expect(jxzp("validate", src, "--annotate", tmp_path / "a.xlsx"), 1, "保护密码", MARKED_SHEET, "只列在")
    parts, orig = _parts(tmp_path / "a.xlsx"), _parts(src)
    sp = _sheet_part(orig, MARKED_SHEET)
    assert parts[sp] == orig[sp]  # the locked sheet is not touched
    wb = openpyxl.load_workbook(tmp_path / "a.xlsx")
    listed = [r for r in wb["校验结果"].iter_rows(min_row=5, values_only=True) if r[3] == MARKED_SHEET]
    assert listed and "保护密码" in wb["校验结果"]["A2"].value
    with Guard([tmp_path / "a.xlsx"], [tmp_path]):
        expect(jxzp("clear", tmp_path / "a.xlsx", "-o", tmp_path / "c.xlsx"), 0, "已清除")
    assert same_parts(_parts(tmp_path / "c.xlsx"), orig)


def test_clear_leaves_cells_whose_mark_the_user_removed(corpus, tmp_path):
    """The user recoloured one marked cell and deleted jxzp's note on another: both stay as the user left them."""
    from addin.xlsx.ooxml import Comments, Package

    src = corpus["sample"]
    _annotate(src, tmp_path / "a.xlsx")
    pkg = Package(tmp_path / "a.xlsx")
    sh = pkg.sheet(MARKED_SHEET)
    user_xf = sh.style_of("B3")
    sh.set_style("K3", user_xf)  # the user's own format on K3 (jxzp's fill gone)
    Comments(sh).delete("K4")  # the user deleted jxzp's note on K4 (jxzp's fill still there)
    pkg.save(tmp_path / "edited.xlsx")
    r = expect(jxzp("clear", tmp_path / "edited.xlsx", "-o", tmp_path / "c.xlsx"), 0, "已清除")
    assert "保持原样" in r.text
    got = Package(tmp_path / "c.xlsx").sheet(MARKED_SHEET)
    orig = Package(src).sheet(MARKED_SHEET)
    assert got.style_of("K3") == user_xf  # left alone
    assert got.style_of("K4") == orig.style_of("K4")  # fill restored
    assert Comments(got).find("K4") is None  # no note brought back


def test_clear_needs_an_output_name_or_overwrite(corpus, tmp_path):
    a = tmp_path / "a.xlsx"
    _annotate(corpus["sample"], a)
    with Guard([a], [tmp_path]):
        expect(jxzp("clear", a), 2, "-o", "--overwrite")
    expect(jxzp("clear", a, "--overwrite"), 0, "已清除")
    assert same_parts(_parts(a), _parts(corpus["sample"]))


# ---------------------------------------------------------------- cached values, temp files, names, sizes
def test_every_formula_cell_has_a_cached_value_and_errors_are_error_cells(sample_path, sample_eval):
    parts = _parts(sample_path)
    missing = []
    for n, data in parts.items():
        if re.match(r"xl/worksheets/sheet\d+\.xml$", n):
            for c in etree.fromstring(data).iter(f"{{{NS}}}c"):
                if c.find(f"{{{NS}}}f") is not None and c.find(f"{{{NS}}}v") is None:
                    missing.append((n, c.get("r")))
                v = c.find(f"{{{NS}}}v")
                assert v is None or v.text not in ("inf", "-inf", "nan"), (n, c.get("r"))
    assert missing == []
    wb = openpyxl.load_workbook(sample_path, data_only=True)
    ev = sample_eval
    assert [wb["汇总"][f"C{r}"].value for r in range(3, 7)] == [*ev.groups.values(), ev.adj_total] == [27.5, 39.2, 30, 1.5]
    assert wb["加减分"]["E5"].value == ev.adj_total


def test_absurd_score_is_an_error_cell_not_inf(sample_path, tmp_path):
    from conftest import mutate

    out = mutate(sample_path, tmp_path / "大.xlsx", {"s_budget_rationality": 1e308, "s_budget_standard": 1e308})
    xml = b"".join(d for n, d in _parts(out).items() if n.startswith("xl/worksheets/"))
    assert b">inf<" not in xml and b'<v>#NUM!</v>' in xml and b't="e"' in xml


def test_stale_temporary_files_of_a_killed_run_are_removed(sample_path, tmp_path):
    stale = tmp_path / ".jxzp-999999999-abcd.xlsx"  # no such process
    stale.write_bytes(b"PK half")
    live = tmp_path / f".jxzp-{os.getpid()}-efgh.xlsx"
    live.write_bytes(b"PK busy")
    expect(jxzp("validate", sample_path, "--annotate", tmp_path / "a.xlsx"), 1)
    assert not stale.exists() and live.exists()
    live.unlink()


def test_eight_concurrent_reports_get_eight_names(sample_path, tmp_path):
    wb = tmp_path / "自评表.xlsx"
    shutil.copy(sample_path, wb)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    procs = [subprocess.Popen([sys.executable, "-m", "addin.cli", "report", str(wb), "--force"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    docs = sorted(p.name for p in tmp_path.glob("*.docx"))
    assert len(docs) == 8, docs
    stems = {re.sub(r"\(\d+\)$", "", Path(d).stem) for d in docs}
    assert len(stems) == 1 and sum("(" in d for d in docs) == 7
    assert not list(tmp_path.glob(".jxzp-*"))


def test_own_output_with_long_texts_is_read_again(sample_path, tmp_path):
    """Long, repetitive texts compress a thousandfold: not a zip bomb when jxzp wrote them itself."""
    from conftest import mutate

    rows = [["部门主要职责", "正文", "哈" * 32000 + str(i), None] for i in range(60)]
    out = mutate(sample_path, tmp_path / "长文.xlsx", tables={"report_text": {"rows": rows}})
    with zipfile.ZipFile(out) as z:
        assert max(i.file_size / max(1, i.compress_size) for i in z.infolist() if i.file_size > 1 << 20) > 200
    expect(jxzp("validate", out, "--annotate", tmp_path / "a.xlsx"), 1)
    expect(jxzp("validate", tmp_path / "a.xlsx"), 1)


# ---------------------------------------------------------------- made by LibreOffice, rows inserted between
def _lo_batch(jobs: list[dict], work: Path) -> None:
    soffice()
    py = "/usr/bin/python3"
    if not Path(py).exists() or subprocess.run([py, "-c", "import uno"], capture_output=True).returncode:
        if os.environ.get("JXZP_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("python3-uno 未安装")
        pytest.skip("python3-uno 未安装")
    jf = work / f"jobs{len(list(work.glob('jobs*.json')))}.json"
    jf.write_text(json.dumps(jobs, ensure_ascii=False), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    r = subprocess.run([py, str(UNO), str(jf), str(work / "lo_profile")], capture_output=True, text=True, timeout=600,
                       env=env)
    assert r.returncode == 0, r.stderr[-3000:]


def _cells(path: Path) -> dict:
    """Every cell's value/formula, fill and note (text, author), and each sheet's merged ranges."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                f = c.fill
                fg = f.fgColor
                fill = (f.fill_type, fg.type, fg.rgb if fg.type == "rgb" else fg.theme if fg.type == "theme" else fg.indexed,
                        round(fg.tint or 0, 4))
                note = (c.comment.text, c.comment.author) if c.comment else None
                if c.value is None and f.fill_type is None and note is None:
                    continue
                out[(ws.title, c.coordinate)] = (c.value, fill, note)
        out[(ws.title, "merged")] = sorted(str(r) for r in ws.merged_cells.ranges)
    return out


@pytest.fixture(scope="session")
def lo_corpus(sample_path, session_dir):
    """LibreOffice customises the sample; jxzp annotates; LibreOffice inserts rows above marked cells (and the
    same rows in the unannotated file, as the reference)."""
    work = session_dir / "lo"
    work.mkdir(exist_ok=True)
    png = work / "stamp.png"
    png.write_bytes(bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108020000009077"
                                  "53de0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"))
    other = work / "决算.xlsx"
    shutil.copy(sample_path, other)
    custom = work / "custom.xlsx"
    _lo_batch([{"in": str(sample_path), "out": str(custom), "ops": [
        {"op": "shape", "sheet": "汇总", "text": "审核章"},
        {"op": "image", "sheet": "基本信息", "path": str(png)},
        {"op": "chart", "sheet": MARKED_SHEET, "range": "A2:C6"},
        {"op": "comment", "sheet": MARKED_SHEET, "cell": "B3", "text": "用户的批注"},
        {"op": "comment", "sheet": MARKED_SHEET, "cell": "K14", "text": "会计：此处已复核"},
        {"op": "rich", "sheet": "基本信息", "cell": "F2", "text": "加粗红字其余正常"},
        {"op": "extlink", "sheet": "基本信息", "cell": "F3", "file": str(other)},
        {"op": "fill", "sheet": MARKED_SHEET, "cell": "K3", "rgb": "00B050"},
    ]}], work)
    annotated = work / "annotated.xlsx"
    _annotate(custom, annotated)
    moves = [{"op": "insert_rows", "sheet": MARKED_SHEET, "row": 3, "count": 2},
             {"op": "insert_rows", "sheet": "基本信息", "row": 50, "count": 1},
             {"op": "delete_rows", "sheet": "资金使用效益", "row": 2, "count": 1}]
    moved, reference = work / "annotated_moved.xlsx", work / "custom_moved.xlsx"
    _lo_batch([{"in": str(annotated), "out": str(moved), "ops": moves},
               {"in": str(custom), "out": str(reference), "ops": moves}], work)
    return {"custom": custom, "annotated": annotated, "moved": moved, "reference": reference}


@pytest.mark.libreoffice
def test_libreoffice_customised_workbook_keeps_everything_through_annotate_and_clear(lo_corpus, tmp_path):
    custom = lo_corpus["custom"]
    parts = _parts(custom)
    assert any(n.startswith("xl/media/") for n in parts) and any(n.startswith("xl/charts/") for n in parts)
    assert any(n.startswith("xl/externalLinks/") for n in parts) and any(n.startswith("xl/drawings/drawing") for n in parts)
    back = clear_file(lo_corpus["annotated"], tmp_path / "还原.xlsx").path
    assert same_parts(_parts(back), parts)  # straight back: every part
    ann = _parts(lo_corpus["annotated"])
    for n in parts:  # the annotated copy: drawings, pictures, charts, links untouched
        if not ALLOWED.match(n):
            assert ann[n] == parts[n], n


@pytest.mark.libreoffice
def test_marks_follow_their_cells_when_libreoffice_inserts_and_deletes_rows(lo_corpus, tmp_path):
    moved = lo_corpus["moved"]
    wb = openpyxl.load_workbook(moved)
    ws = wb[MARKED_SHEET]
    assert ws["K5"].comment is not None and ws["K5"].comment.text.startswith("【jxzp 校验】")  # K3 moved down 2 rows
    back = tmp_path / "还原.xlsx"
    r = expect(jxzp("clear", moved, "-o", back), 0, "已清除")
    assert "保持原样" not in r.text
    got, want = _cells(back), _cells(lo_corpus["reference"])
    diff = {k: (want.get(k), got.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}
    assert diff == {}
    assert "_jxzp_marks" not in openpyxl.load_workbook(back).sheetnames
    assert not any(n.startswith("_jxzp_mark") for n in openpyxl.load_workbook(back).defined_names)
    ev, _ = validate_file(back)
    assert ev.total == pytest.approx(98.2)


# ---------------------------------------------------------------- sorted rows
def _swap_rows(src: Path, dst: Path, sheet: str, r1: int, r2: int) -> Path:
    """What sorting two rows does to a package: cells (values, formats) and their notes trade rows;
    defined names keep their addresses (Excel, WPS and LibreOffice do not move names when sorting)."""
    parts = _parts(src)
    sp = _sheet_part(parts, sheet)
    root = etree.fromstring(parts[sp])
    other = {r1: r2, r2: r1}
    sd = root.find(f"{{{NS}}}sheetData")
    for row in sd:
        r = int(row.get("r"))
        if r in other:
            row.set("r", str(other[r]))
            for c in row:
                c.set("r", re.sub(r"\d+$", str(other[r]), c.get("r")))
    for row in sorted(sd, key=lambda e: int(e.get("r"))):
        sd.append(row)
    parts[sp] = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + etree.tostring(root, encoding="UTF-8")
    rels_part = sp.replace("worksheets/", "worksheets/_rels/") + ".rels"
    rels = etree.fromstring(parts[rels_part]) if rels_part in parts else []
    for rel in rels:
        target = "xl/" + rel.get("Target").replace("../", "")
        if rel.get("Type").endswith("/comments"):
            parts[target] = re.sub(rb'ref="([A-Z]+)(\d+)"', lambda m: b'ref="' + m.group(1) + str(
                other.get(int(m.group(2)), int(m.group(2)))).encode() + b'"', parts[target])
        if rel.get("Type").endswith("/vmlDrawing"):
            parts[target] = re.sub(rb"<x:Row>(\d+)</x:Row>", lambda m: b"<x:Row>" + str(
                other.get(int(m.group(1)) + 1, int(m.group(1)) + 1) - 1).encode() + b"</x:Row>", parts[target])
    return _write(dst, parts)


def test_marks_follow_their_notes_when_rows_are_sorted(corpus, tmp_path):
    """K3 and K4 both carry marks; a sort swaps the rows: each cell gets its own original back."""
    plain = _swap_rows(corpus["sample"], tmp_path / "plain_sorted.xlsx", MARKED_SHEET, 3, 4)
    _annotate(corpus["sample"], tmp_path / "a.xlsx")
    sorted_ann = _swap_rows(tmp_path / "a.xlsx", tmp_path / "a_sorted.xlsx", MARKED_SHEET, 3, 4)
    r = expect(jxzp("clear", sorted_ann, "-o", tmp_path / "c.xlsx"), 0, "已清除")
    assert "保持原样" not in r.text
    got, want = _cells(tmp_path / "c.xlsx"), _cells(plain)
    assert {k: (want.get(k), got.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)} == {}


def test_an_older_templates_results_header_names_the_codes(sample_path, tmp_path):
    """Workbooks made before 校验结果 listed codes say “规则” in C4: 校验 renames the column it fills."""
    import subprocess
    import sys

    old = tmp_path / "旧模板.xlsx"
    wb = openpyxl.load_workbook(sample_path)
    wb["校验结果"]["C4"] = "规则"
    wb.save(old)
    out = tmp_path / "已校验.xlsx"
    r = subprocess.run([sys.executable, "-m", "addin.cli", "validate", str(old), "--annotate", str(out)],
                       capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    ws = openpyxl.load_workbook(out)["校验结果"]
    assert ws["C4"].value == "代码" and ws["C5"].value and "." in ws["C5"].value

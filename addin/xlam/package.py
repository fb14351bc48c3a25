"""The .xlam package (an OOXML zip) around vbaProject.bin and the ribbon XML.

Written by hand rather than through openpyxl: the parts are few and fixed, and every byte
(zip timestamps, part order, document properties) must depend on the input only, so two
builds are identical. The layout follows xlwings' own quickstart_addin_ribbon.xlam, with
the ribbon as an Office 2010 ``customUI/customUI14.xml`` part.

The workbook holds one sheet, ``<project>.conf``, which xlwings' VBA reads for its
settings (key in column A, value in column B).
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from xml.sax.saxutils import escape

__all__ = ["CONFIG_SHEET_PART", "CUSTOM_UI_PART", "VBA_PART", "build_package", "config_sheet_xml",
           "read_config", "replace_part"]

CONTENT_TYPES_PART = "[Content_Types].xml"
WORKBOOK_PART = "xl/workbook.xml"
CONFIG_SHEET_PART = "xl/worksheets/sheet1.xml"
VBA_PART = "xl/vbaProject.bin"
CUSTOM_UI_PART = "customUI/customUI14.xml"
THEME_PART = "xl/theme/theme1.xml"
CONFIG_SHEET_CODENAME = "Sheet1"  # must match the document module macros/Sheet1.cls

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_OFFICE_DOCUMENT = NS_REL_DOC + "/officeDocument"
REL_CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
REL_EXTENDED = NS_REL_DOC + "/extended-properties"
REL_WORKSHEET = NS_REL_DOC + "/worksheet"
REL_STYLES = NS_REL_DOC + "/styles"
REL_THEME = NS_REL_DOC + "/theme"
CT_THEME = "application/vnd.openxmlformats-officedocument.theme+xml"
REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
REL_CUSTOM_UI14 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
CT_ADDIN = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
CT_MACRO_WORKBOOK = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CT_VBA = "application/vnd.ms-office.vbaProject"

_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can hold: no build clock in the file
# Stored, not deflated: deflate output differs between zlib builds, stored bytes do not,
# so a build on Windows and one on Linux are identical too. The package stays ~100 KB.


def _content_types(workbook_type: str) -> str:
    return (
        _XML_DECL
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{WORKBOOK_PART}" ContentType="{workbook_type}"/>'
        f'<Override PartName="/{CONFIG_SHEET_PART}" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f'<Override PartName="/{THEME_PART}" ContentType="{CT_THEME}"/>'
        f'<Override PartName="/{VBA_PART}" ContentType="{CT_VBA}"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        "</Types>"
    )


def _root_rels() -> str:
    return (
        _XML_DECL
        + f'<Relationships xmlns="{NS_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{REL_OFFICE_DOCUMENT}" Target="{WORKBOOK_PART}"/>'
        f'<Relationship Id="rId2" Type="{REL_CORE}" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{REL_EXTENDED}" Target="docProps/app.xml"/>'
        f'<Relationship Id="rId4" Type="{REL_CUSTOM_UI14}" Target="{CUSTOM_UI_PART}"/>'
        "</Relationships>"
    )


def _workbook_xml(sheet_name: str) -> str:
    # codeName ties the workbook to the ThisWorkbook document module of vbaProject.bin.
    return (
        _XML_DECL
        + f'<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL_DOC}">'
        '<workbookPr codeName="ThisWorkbook"/>'
        '<bookViews><workbookView visibility="hidden" activeTab="0"/></bookViews>'
        f'<sheets><sheet name="{escape(sheet_name, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/></sheets>'
        '<calcPr calcId="191029"/>'
        "</workbook>"
    )


def _workbook_rels() -> str:
    return (
        _XML_DECL
        + f'<Relationships xmlns="{NS_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{REL_WORKSHEET}" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL_STYLES}" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{REL_VBA}" Target="vbaProject.bin"/>'
        f'<Relationship Id="rId4" Type="{REL_THEME}" Target="theme/theme1.xml"/>'
        "</Relationships>"
    )


_STYLES = (
    _XML_DECL
    + f'<styleSheet xmlns="{NS_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _theme() -> bytes:
    """The Office theme every workbook Excel saves carries (colours and fonts the styles refer to)."""
    from openpyxl.writer.theme import theme_xml  # noqa: PLC0415 - a fixed text, the same in every build

    return theme_xml.encode("utf-8")


def _cell(ref: str, value: str | bool) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'


def config_sheet_xml(settings: Sequence[tuple[str, str | bool]]) -> str:
    """The config sheet: one setting per row, key in A, value in B (bool or text)."""
    rows = []
    for i, (key, value) in enumerate(settings, 1):
        if not key or key != key.strip():
            raise ValueError(f"bad config key {key!r}")
        rows.append(f'<row r="{i}">{_cell(f"A{i}", key)}{_cell(f"B{i}", value)}</row>')
    last = max(1, len(settings))
    return (
        _XML_DECL
        + f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL_DOC}">'
        f'<sheetPr codeName="{CONFIG_SHEET_CODENAME}"/>'
        f'<dimension ref="A1:B{last}"/>'
        '<cols><col min="1" max="1" width="28" customWidth="1"/><col min="2" max="2" width="60" customWidth="1"/></cols>'
        f'<sheetData>{"".join(rows)}</sheetData>'
        "</worksheet>"
    )


def read_config(sheet_xml: bytes | str) -> list[tuple[str, str | bool]]:
    """Settings back out of a config sheet written by config_sheet_xml."""
    import xml.etree.ElementTree as ET  # noqa: PLC0415 - our own part, not user input

    root = ET.fromstring(sheet_xml)
    ns = {"m": NS_MAIN}
    out = []
    for row in root.iterfind("m:sheetData/m:row", ns):
        cells = []
        for c in row.iterfind("m:c", ns):
            if c.get("t") == "b":
                cells.append(c.findtext("m:v", "", ns) == "1")
            else:
                cells.append("".join(t.text or "" for t in c.iterfind(".//m:t", ns)))
        if len(cells) == 2:
            out.append((str(cells[0]), cells[1]))
    return out


def _core_xml(title: str, keywords: str, description: str) -> str:
    return (
        _XML_DECL
        + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>jxzp</dc:creator>"
        f"<cp:keywords>{escape(keywords)}</cp:keywords><dc:description>{escape(description)}</dc:description>"
        "</cp:coreProperties>"
    )


_APP = (
    _XML_DECL
    + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity></Properties>"
)


def _zip(parts: Iterable[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 0  # "MS-DOS": no host-dependent attributes
            info.external_attr = 0
            zf.writestr(info, data)
    return buf.getvalue()


def build_package(*, vba_project: bytes, custom_ui: bytes, config: Sequence[tuple[str, str | bool]],
                  sheet_name: str, title: str, keywords: str, description: str,
                  addin: bool = True) -> bytes:
    """The .xlam (or, with ``addin=False``, an .xlsm with the same parts) as bytes."""
    parts = [
        (CONTENT_TYPES_PART, _content_types(CT_ADDIN if addin else CT_MACRO_WORKBOOK).encode()),
        ("_rels/.rels", _root_rels().encode()),
        ("docProps/core.xml", _core_xml(title, keywords, description).encode()),
        ("docProps/app.xml", _APP.encode()),
        (WORKBOOK_PART, _workbook_xml(sheet_name).encode()),
        ("xl/_rels/workbook.xml.rels", _workbook_rels().encode()),
        (CONFIG_SHEET_PART, config_sheet_xml(config).encode()),
        ("xl/styles.xml", _STYLES.encode()),
        (THEME_PART, _theme()),
        (VBA_PART, vba_project),
        (CUSTOM_UI_PART, custom_ui),
    ]
    return _zip(parts)


def replace_part(package: bytes, part: str, data: bytes) -> bytes:
    """The same package with one part's bytes replaced; order and zip metadata kept."""
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        names = zf.namelist()
        if part not in names:
            raise KeyError(part)
        parts = [(n, data if n == part else zf.read(n)) for n in names]
    return _zip(parts)


def read_part(package: bytes, part: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        return zf.read(part)


def parts_of(package: bytes) -> Mapping[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}

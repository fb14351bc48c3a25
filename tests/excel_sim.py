"""What Excel writes when it saves a workbook whose formulas call a loaded add-in's functions.

Not verified against a real Excel here (none on Linux); built from the package layout Excel
documents (ECMA-376 externalLink parts; MS KB 817578; the [1]! form Microsoft describes in
office-forums "What is [1]! in an Excel formula"): every call of an add-in function becomes
[n]!NAME(, the add-in is an externalBook listing the names used, related by an
externalLinkPath relationship to the add-in's absolute path (TargetMode External).
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

ADDIN_PATH = r"file:///C:\Users\张三\AppData\Roaming\Microsoft\AddIns\jxzp.xlam"
OTHER_BOOK = r"file:///D:\财务\2022年预算.xlsx"
LINK_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"
REL_LINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink"
REL_PATH = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLinkPath"


def _link_xml(names: list[str]) -> str:
    defined = "".join(f'<definedName name="{n}"/>' for n in names)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<externalBook r:id="rId1"><definedNames>{defined}</definedNames></externalBook></externalLink>')


def _other_xml() -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames>'
            '<sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="A1"><v>42</v></cell></row></sheetData>'
            '</sheetDataSet></externalBook></externalLink>')


def _rels(target: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL_PATH}" Target="{target}" TargetMode="External"/></Relationships>')


def saved_by_excel_with_addin(src: Path, dst: Path, udfs: list[str], *, other_link: bool = True,
                              addin_first: bool = False) -> Path:
    """dst: src as Excel with the add-in saves it — [n]!UDF( calls and the add-in's link part.

    With other_link, a defined name also refers to another workbook; addin_first puts the
    add-in at [1] and that workbook at [2] (removing the add-in must renumber it to [1]).
    """
    with zipfile.ZipFile(src) as z:
        infos = z.infolist()
        data = {i.filename: z.read(i.filename) for i in infos}
    addin_n = 1 if (addin_first or not other_link) else 2
    other_n = 2 if addin_first else 1
    pat = re.compile(r"(?<![!\w.])(" + "|".join(udfs) + r")\(")
    used: set[str] = set()

    def qualify(m: re.Match) -> str:
        used.add(m.group(1))
        return f"[{addin_n}]!{m.group(1)}("

    for name in list(data):
        if name.startswith("xl/worksheets/sheet") and name.endswith(".xml"):
            text = data[name].decode("utf-8")
            text = re.sub(r"(<f[^>]*>)([^<]*)(</f>)", lambda m: m.group(1) + pat.sub(qualify, m.group(2)) + m.group(3),
                          text)
            data[name] = text.encode("utf-8")
    links = [(f"xl/externalLinks/externalLink{addin_n}.xml", _link_xml(sorted(used)), ADDIN_PATH)]
    if other_link:
        links.append((f"xl/externalLinks/externalLink{other_n}.xml", _other_xml(), OTHER_BOOK))
    links.sort()
    wb = data["xl/workbook.xml"].decode("utf-8")
    rels = data["xl/_rels/workbook.xml.rels"].decode("utf-8")
    ct = data["[Content_Types].xml"].decode("utf-8")
    refs = ""
    for i, (part, xml, target) in enumerate(links, 1):
        rid = f"rIdLink{i}"
        data[part] = xml.encode("utf-8")
        data[part.replace("externalLinks/", "externalLinks/_rels/") + ".rels"] = _rels(target).encode("utf-8")
        rels = rels.replace("</Relationships>", f'<Relationship Id="{rid}" Type="{REL_LINK}" '
                                                f'Target="{part[3:]}"/></Relationships>')
        ct = ct.replace("</Types>", f'<Override PartName="/{part}" ContentType="{LINK_CT}"/></Types>')
        refs += f'<externalReference r:id="{rid}"/>'
    wb = wb.replace("</sheets>", f"</sheets><externalReferences>{refs}</externalReferences>", 1)
    if other_link:  # a name into the other workbook
        wb = wb.replace("<definedNames>", f'<definedNames><definedName name="budget_source">[{other_n}]Sheet1!$A$1'
                                          '</definedName>', 1)
    if 'xmlns:r=' not in wb[:wb.index(">")]:  # Excel declares r: on the root
        wb = wb.replace("<workbook ", '<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ', 1)
    data["xl/workbook.xml"] = wb.encode("utf-8")
    data["xl/_rels/workbook.xml.rels"] = rels.encode("utf-8")
    data["[Content_Types].xml"] = ct.encode("utf-8")
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for info in infos:
            out.writestr(info, data.pop(info.filename))
        for name, blob in data.items():
            out.writestr(name, blob)
    return dst

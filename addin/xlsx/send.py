"""准备发送: undo what an Excel with the add-in does to the UDF calls when it saves.

With jxzp.xlam loaded, Excel binds EXEC_RATE(...) to the add-in and saves it as
``[1]!EXEC_RATE(...)`` plus an external-link part pointing at the add-in's path on this PC.
On a colleague's PC that link prompts ("此工作簿包含到外部源的链接") and the calls turn into
'C:\\Users\\…\\jxzp.xlam'!EXEC_RATE. This module rewrites such a package: the add-in
qualifiers go from every formula (cells, shared formulas, names, validations, conditional
formats, charts), the add-in's external-link parts and their references go, other links
are renumbered; every other part is copied byte for byte. The bare calls then fall back
to their native formulas where the add-in is missing (addin/core/native.py) and bind to
the add-in again where it is loaded.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..core.formulas import template_udfs

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
EXTERNAL_LINK = f"{REL_NS}/externalLink"
ADDIN_SUFFIXES = (".xlam", ".xla")
UDFS = tuple(template_udfs())
# elements whose text is a formula
_FORMULA_TAGS = {"f", "formula", "formula1", "formula2", "definedName"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


@dataclass
class SendReport:
    rewritten: int = 0  # formulas that changed
    removed_links: list[str] = field(default_factory=list)  # add-in paths no longer referenced
    kept_links: list[str] = field(default_factory=list)  # other workbooks' links (left alone)


def _rels_path(part: str) -> str:
    d, f = posixpath.split(part)
    return posixpath.join(d, "_rels", f + ".rels")


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _unquote_path(target: str) -> str:
    from urllib.parse import unquote  # noqa: PLC0415

    return unquote(target.replace("file:///", "").replace("file://", ""))


def _udf_pattern() -> re.Pattern:
    names = "|".join(re.escape(u) for u in UDFS)
    # [n]!UDF(  or  'C:\...\jxzp.xlam'!UDF(  or  C:\...\jxzp.xlam!UDF(  (case-insensitive like Excel)
    return re.compile(r"(?:\[(\d+)\]|'[^']*\.xlam?'|[^\s'!,()=+\-*/&<>^\"]*\.xlam?)!(?=(?:" + names + r")\s*\()",
                      re.IGNORECASE)


def _outside_strings(text: str, fn) -> str:
    parts = text.split('"')
    return '"'.join(fn(p) if i % 2 == 0 else p for i, p in enumerate(parts))


def rewrite_formula(text: str, addin_links: set[int], renumber: dict[int, int]) -> str:
    """One formula: drop add-in qualifiers before our UDFs, renumber the remaining [n] links."""
    pat = _udf_pattern()

    def fix(part: str) -> str:
        def drop(m: re.Match) -> str:
            if m.group(1) is not None and int(m.group(1)) not in addin_links:
                return m.group(0)  # another workbook's function of the same name: not ours to touch
            return ""

        part = pat.sub(drop, part)
        if renumber:
            part = re.sub(r"\[(\d+)\]", lambda m: f"[{renumber.get(int(m.group(1)), int(m.group(1)))}]", part)
        return part

    return _outside_strings(text, fix)


def ready_to_send(src: Path, dst: Path) -> SendReport:
    """Write dst: src without the add-in's links. dst may equal nothing but a new path."""
    rep = SendReport()
    with zipfile.ZipFile(src) as z:
        infos = z.infolist()
        data = {i.filename: z.read(i.filename) for i in infos}
    wb_part = "xl/workbook.xml"
    for name, blob in data.items():  # the officeDocument relationship names the workbook part
        if name == "_rels/.rels":
            for r in etree.fromstring(blob, _PARSER).iter(f"{{{PKG_REL_NS}}}Relationship"):
                if r.get("Type", "").endswith("/officeDocument"):
                    wb_part = r.get("Target").lstrip("/")
    wb_rels_part = _rels_path(wb_part)
    wb = etree.fromstring(data[wb_part], _PARSER)
    wb_rels = etree.fromstring(data[wb_rels_part], _PARSER)
    rel_by_id = {r.get("Id"): r for r in wb_rels.iter(f"{{{PKG_REL_NS}}}Relationship")}
    refs_el = wb.find(f"{{{NS}}}externalReferences")
    refs = list(refs_el) if refs_el is not None else []

    # which external links are the add-in (index is 1-based, in workbook order)
    addin, link_parts = set(), {}
    for n, ref in enumerate(refs, 1):
        rel = rel_by_id.get(ref.get(f"{{{REL_NS}}}id"))
        if rel is None:
            continue
        part = _resolve(wb_part, rel.get("Target"))
        link_parts[n] = (ref, rel, part)
        target = ""
        if _rels_path(part) in data:
            for r in etree.fromstring(data[_rels_path(part)], _PARSER).iter(f"{{{PKG_REL_NS}}}Relationship"):
                target = _unquote_path(r.get("Target", ""))
        if target.lower().endswith(ADDIN_SUFFIXES) and _is_ours(target, data.get(part)):
            addin.add(n)
            rep.removed_links.append(target)
        else:
            rep.kept_links.append(target)
    renumber, k = {}, 0
    for n in range(1, len(refs) + 1):
        if n not in addin:
            k += 1
            if k != n:
                renumber[n] = k

    changed: dict[str, bytes] = {}
    for name, blob in data.items():
        if not name.endswith(".xml") or not name.startswith("xl/") or name.startswith("xl/externalLinks/"):
            continue
        if b"!" not in blob and not renumber:
            continue
        root = etree.fromstring(blob, _PARSER)
        hit = 0
        for el in root.iter():
            if not isinstance(el.tag, str) or el.text is None:
                continue
            if etree.QName(el).localname not in _FORMULA_TAGS:
                continue
            new = rewrite_formula(el.text, addin, renumber)
            if new != el.text:
                el.text, hit = new, hit + 1
        if hit:
            rep.rewritten += hit
            changed[name] = root
    # drop the add-in links from the workbook, its relationships, the content types and the package
    dropped: set[str] = set()
    if addin:
        wb = changed.get(wb_part, wb)
        refs_el = wb.find(f"{{{NS}}}externalReferences")
        for n in sorted(addin):
            ref, rel, part = link_parts[n]
            for el in refs_el:
                if el.get(f"{{{REL_NS}}}id") == ref.get(f"{{{REL_NS}}}id"):
                    refs_el.remove(el)
                    break
            wb_rels.remove(rel_by_id[rel.get("Id")])
            dropped |= {part, _rels_path(part)}
        if len(refs_el) == 0:
            wb.remove(refs_el)
        changed[wb_part] = wb
        changed[wb_rels_part] = wb_rels
        ct = etree.fromstring(data["[Content_Types].xml"], _PARSER)
        for o in list(ct.iter(f"{{{CT_NS}}}Override")):
            if o.get("PartName", "").lstrip("/") in dropped:
                ct.remove(o)
        changed["[Content_Types].xml"] = ct
    _write(dst, infos, data, changed, dropped)
    return rep


def _is_ours(target: str, link_xml: bytes | None) -> bool:
    """Our add-in (jxzp*.xlam), or an add-in whose names are only jxzp UDFs — not someone else's."""
    if re.split(r"[\\/]", target)[-1].lower().startswith("jxzp"):
        return True
    if link_xml is None:
        return False
    root = etree.fromstring(link_xml, _PARSER)
    names = {d.get("name", "").upper() for d in root.iter(f"{{{NS}}}definedName")}
    return bool(names) and names <= {u.upper() for u in UDFS}


def _write(dst: Path, infos, data, changed, dropped) -> None:
    def serial(v) -> bytes:
        if isinstance(v, bytes):
            return v
        return etree.tostring(v, xml_declaration=True, encoding="UTF-8", standalone=True)

    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for info in infos:
            if info.filename in dropped:
                continue
            blob = serial(changed[info.filename]) if info.filename in changed else data[info.filename]
            out.writestr(info, blob)


def addin_links(path: Path) -> list[str]:
    """Paths of add-in links a package carries (for validate's hint and the tests)."""
    out = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/externalLinks/_rels/"):
                for r in etree.fromstring(z.read(name), _PARSER).iter(f"{{{PKG_REL_NS}}}Relationship"):
                    t = _unquote_path(r.get("Target", ""))
                    if t.lower().endswith(ADDIN_SUFFIXES):
                        out.append(t)
    return out

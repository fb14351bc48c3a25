"""Surgical edits of an .xlsx/.xlsm package: change a few parts, keep every other one byte for byte.

openpyxl rebuilds the whole package on save and drops what it does not model (VBA projects,
drawings, external links, threaded comments, sparklines, customXml...). jxzp's writes on a
user's workbook go through this module instead:

- ``Package`` holds the zip members as bytes in their original order; only parts that were
  edited are serialised again (with their original XML declaration), all others are copied as
  they were, with their original zip entry (name, date, compression).
- ``Sheet`` finds or creates cells and rows in order, sets styles and values (shared strings,
  never inline strings for everything; UTF-8, never ``&#NNNNN;``), knows merged ranges and
  password protection, and inserts child elements in the order the schema requires.
- ``Styles`` appends fills and cell formats (cellXfs) and finds them again.
- ``Comments`` adds and removes notes: the comments part and its legacy VML drawing, edited as
  text so the user's shapes stay exactly as they are.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from lxml import etree
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter, range_boundaries

from ..core.errors import InputError

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_NS = "http://www.w3.org/XML/1998/namespace"
RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
REL_WORKSHEET = RT + "worksheet"
REL_SST = RT + "sharedStrings"
REL_STYLES = RT + "styles"
REL_COMMENTS = RT + "comments"
REL_VML = RT + "vmlDrawing"
REL_THREADED = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_SST = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
DEFAULT_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
_DECL = re.compile(rb"\A(\xef\xbb\xbf)?\s*<\?xml[^>]*\?>\s*")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                          remove_blank_text=False)


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def serialise(root, original: bytes | None) -> bytes:
    """The element as a part: the original declaration kept, UTF-8 text (no character references)."""
    m = _DECL.match(original or b"")
    if m:
        decl = m.group(0).lstrip(b"\xef\xbb\xbf")
    else:  # a new part gets Excel's declaration; an existing one keeps having none
        decl = DEFAULT_DECL if not original else b""
    return decl + etree.tostring(root, encoding="UTF-8")


class Package:
    """The members of a zip package; edits in memory, save() writes a new zip."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            with zipfile.ZipFile(self.path) as z:
                self._infos = [i for i in z.infolist() if not i.is_dir()]
                self._data = {i.filename: z.read(i) for i in self._infos}
        except (zipfile.BadZipFile, OSError) as e:
            raise InputError(f"无法读取 {self.path.name}：{e}") from None
        self._xml: dict[str, Any] = {}
        self._dirty: set[str] = set()
        self._sheets: list[tuple[str, str, Any]] | None = None

    # ---------------------------------------------------------------- parts
    def names(self) -> list[str]:
        return [i.filename for i in self._infos if i.filename in self._data] + \
            [n for n in self._data if n not in {i.filename for i in self._infos}]

    def has(self, part: str) -> bool:
        return part in self._data

    def read(self, part: str) -> bytes:
        if part in self._dirty and part in self._xml:
            self._flush(part)
        return self._data[part]

    def xml(self, part: str):
        """The parsed part (parsed once); edits to it are saved."""
        if part not in self._xml:
            try:
                self._xml[part] = etree.fromstring(self._data[part], _PARSER)
            except etree.XMLSyntaxError as e:
                raise InputError(f"{self.path.name} 的内部文件 {part} 的 XML 已损坏（{e}），请在 Excel/WPS 中打开并另存后再试") from None
        self._dirty.add(part)
        return self._xml[part]

    def peek(self, part: str):
        """The parsed part for reading only (not marked as changed)."""
        dirty = part in self._dirty
        root = self.xml(part)
        if not dirty:
            self._dirty.discard(part)
        return root

    def write(self, part: str, data: bytes) -> None:
        self._xml.pop(part, None)
        self._dirty.discard(part)
        self._data[part] = data

    def put_xml(self, part: str, root) -> None:
        self._data.setdefault(part, b"")
        self._xml[part] = root
        self._dirty.add(part)

    def remove(self, part: str) -> None:
        self._data.pop(part, None)
        self._xml.pop(part, None)
        self._dirty.discard(part)

    def _flush(self, part: str) -> None:
        self._data[part] = serialise(self._xml[part], self._data.get(part))

    def save(self, path: str | Path) -> None:
        for p in list(self._dirty):
            if p in self._data:
                self._flush(p)
        seen = set()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for info in self._infos:
                if info.filename in self._data:
                    z.writestr(info, self._data[info.filename], compress_type=info.compress_type)
                    seen.add(info.filename)
            for name, data in self._data.items():
                if name not in seen:
                    z.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)

    # ---------------------------------------------------------------- relationships
    @staticmethod
    def rels_name(part: str) -> str:
        d, b = posixpath.split(part)
        return posixpath.join(d, "_rels", b + ".rels")

    def rels(self, part: str, *, create: bool = False):
        name = self.rels_name(part)
        if name not in self._data:
            if not create:
                return None
            self.put_xml(name, etree.Element(f"{{{PR_NS}}}Relationships", nsmap={None: PR_NS}))
        return self.xml(name) if create else self.peek(name)

    @staticmethod
    def resolve(source_part: str, target: str) -> str:
        if target.startswith("/"):
            return target.lstrip("/")
        return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))

    def related(self, part: str, rel_type: str) -> list[tuple[str, str]]:
        """(rId, target part) of part's internal relationships of this type."""
        rels = self.rels(part)
        if rels is None:
            return []
        return [(r.get("Id"), self.resolve(part, r.get("Target", ""))) for r in rels
                if r.get("Type") == rel_type and r.get("TargetMode") != "External"]

    def add_rel(self, part: str, rel_type: str, target_part: str) -> str:
        rels = self.rels(part, create=True)
        used = {r.get("Id") for r in rels}
        n = 1
        while f"rId{n}" in used:
            n += 1
        rid = f"rId{n}"
        target = posixpath.relpath(target_part, posixpath.dirname(part))
        etree.SubElement(rels, f"{{{PR_NS}}}Relationship", Id=rid, Type=rel_type, Target=target)
        return rid

    def remove_rel(self, part: str, rid: str) -> None:
        rels = self.rels(part, create=True)
        for r in list(rels):
            if r.get("Id") == rid:
                rels.remove(r)
        if len(rels) == 0:
            self.remove(self.rels_name(part))

    def free_name(self, pattern: str) -> str:
        """pattern with {} -> first free part name (xl/comments{}.xml -> xl/comments3.xml)."""
        n = 1
        while pattern.format(n) in self._data:
            n += 1
        return pattern.format(n)

    # ---------------------------------------------------------------- content types
    def content_types(self):
        return self.xml("[Content_Types].xml")

    def override(self, part: str) -> str | None:
        for o in self.peek("[Content_Types].xml"):
            if o.get("PartName") == "/" + part:
                return o.get("ContentType")
        return None

    def set_override(self, part: str, ctype: str) -> None:
        ct = self.content_types()
        for o in ct:
            if o.get("PartName") == "/" + part:
                o.set("ContentType", ctype)
                return
        etree.SubElement(ct, f"{{{CT_NS}}}Override", PartName="/" + part, ContentType=ctype)

    def remove_override(self, part: str) -> None:
        ct = self.content_types()
        for o in list(ct):
            if o.get("PartName") == "/" + part:
                ct.remove(o)

    def has_default(self, ext: str) -> bool:
        return any(o.get("Extension", "").lower() == ext for o in self.peek("[Content_Types].xml")
                   if o.tag == f"{{{CT_NS}}}Default")

    # ---------------------------------------------------------------- workbook
    @property
    def workbook_part(self) -> str:
        rels = etree.fromstring(self._data["_rels/.rels"], _PARSER)
        for r in rels:
            if r.get("Type", "").endswith("/officeDocument"):
                return r.get("Target", "").lstrip("/")
        return "xl/workbook.xml"

    def workbook(self):
        return self.xml(self.workbook_part)

    def sheets(self) -> list[tuple[str, str, Any]]:
        """(name, part, <sheet> element) in workbook order (chart sheets included, part may be '')."""
        wbp = self.workbook_part
        wb = self.peek(wbp)
        targets = {rid: t for rid, t in self.related(wbp, REL_WORKSHEET)}
        rels = self.rels(wbp)
        every = {r.get("Id"): self.resolve(wbp, r.get("Target", "")) for r in rels} if rels is not None else {}
        out = []
        for s in wb.iter(q("sheet")):
            rid = s.get(f"{{{R_NS}}}id")
            out.append((s.get("name"), targets.get(rid) or every.get(rid, ""), s))
        return out

    def sheet_part(self, name: str) -> str | None:
        for n, part, _ in self.sheets():
            if n == name and part in self._data:
                return part
        return None

    def sheet(self, name: str) -> "Sheet":
        part = self.sheet_part(name)
        if part is None:
            raise KeyError(name)
        return Sheet(self, name, part)

    def add_sheet(self, name: str, root, *, state: str | None = None) -> str:
        wbp = self.workbook_part
        part = self.free_name(posixpath.join(posixpath.dirname(wbp), "worksheets", "sheet{}.xml"))
        self.put_xml(part, root)
        self.set_override(part, CT_WORKSHEET)
        rid = self.add_rel(wbp, REL_WORKSHEET, part)
        wb = self.workbook()
        sheets = wb.find(q("sheets"))
        ids = [int(s.get("sheetId", "0")) for s in sheets]
        el = etree.SubElement(sheets, q("sheet"), name=name, sheetId=str(max(ids + [0]) + 1))
        if state:
            el.set("state", state)
        el.set(f"{{{R_NS}}}id", rid)
        return part

    def remove_sheet(self, name: str) -> None:
        wbp = self.workbook_part
        wb = self.workbook()
        sheets = wb.find(q("sheets"))
        for i, s in enumerate(list(sheets)):
            if s.get("name") != name:
                continue
            rid = s.get(f"{{{R_NS}}}id")
            part = dict(self.related(wbp, REL_WORKSHEET)).get(rid)
            sheets.remove(s)
            if part:
                for _, sub in self.related(part, REL_COMMENTS) + self.related(part, REL_VML):
                    self.remove(sub)
                    self.remove_override(sub)
                self.remove(self.rels_name(part))
                self.remove(part)
                self.remove_override(part)
            self.remove_rel(wbp, rid)
            self._shift_local_names(i)
            return

    def _shift_local_names(self, removed_index: int) -> None:
        dn = self.workbook().find(q("definedNames"))
        if dn is None:
            return
        for d in list(dn):
            lid = d.get("localSheetId")
            if lid is None:
                continue
            if int(lid) == removed_index:
                dn.remove(d)
            elif int(lid) > removed_index:
                d.set("localSheetId", str(int(lid) - 1))
        if len(dn) == 0:
            dn.getparent().remove(dn)

    def defined_names(self) -> dict[str, Any]:
        """Workbook-level defined names -> <definedName> element."""
        dn = self.peek(self.workbook_part).find(q("definedNames"))
        return {} if dn is None else {d.get("name"): d for d in dn if d.get("localSheetId") is None}

    def add_defined_name(self, name: str, text: str, *, hidden: bool = True, local: int | None = None) -> None:
        wb = self.workbook()
        dn = wb.find(q("definedNames"))
        if dn is None:
            dn = etree.Element(q("definedNames"))
            insert_ordered(wb, dn, WORKBOOK_ORDER)
        el = etree.SubElement(dn, q("definedName"), name=name)
        if local is not None:
            el.set("localSheetId", str(local))
        if hidden:
            el.set("hidden", "1")
        el.text = text

    def remove_defined_name(self, name: str) -> None:
        wb = self.workbook()
        dn = wb.find(q("definedNames"))
        if dn is None:
            return
        for d in list(dn):
            if d.get("name") == name and d.get("localSheetId") is None:
                dn.remove(d)
        if len(dn) == 0:
            wb.remove(dn)

    # ---------------------------------------------------------------- shared parts
    def shared_strings(self) -> "SharedStrings":
        if getattr(self, "_sst", None) is None:
            self._sst = SharedStrings(self)
        return self._sst

    def styles(self) -> "Styles":
        if getattr(self, "_styles", None) is None:
            self._styles = Styles(self)
        return self._styles


WORKBOOK_ORDER = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
                  "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
                  "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
                  "fileRecoveryPr", "webPublishObjects", "extLst")
SHEET_ORDER = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
               "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
               "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
               "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
               "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
               "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
               "extLst")


def insert_ordered(parent, el, order: tuple[str, ...]) -> None:
    """Insert el among parent's children where the schema's sequence puts it."""
    local = etree.QName(el).localname
    rank = order.index(local)
    for i, child in enumerate(parent):
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name in order and order.index(name) > rank:
            parent.insert(i, el)
            return
    parent.append(el)


def split_coord(coord: str) -> tuple[int, int]:
    col, row = coordinate_from_string(coord.replace("$", ""))
    return row, column_index_from_string(col)


class Sheet:
    """One worksheet part."""

    def __init__(self, pkg: Package, name: str, part: str):
        self.pkg, self.name, self.part = pkg, name, part

    @property
    def root(self):
        return self.pkg.xml(self.part)

    def peek(self):
        return self.pkg.peek(self.part)

    # ------------------------------------------------------------ cells
    def find_cell(self, coord: str):
        root = self.peek()
        sd = root.find(q("sheetData"))
        if sd is None:
            return None
        row, col = split_coord(coord)
        want = f"{get_column_letter(col)}{row}"
        r_el = self._row(sd, row, create=False)
        if r_el is None:
            return None
        for c in r_el.iter(q("c")):
            if c.get("r") == want:
                return c
        return None

    def _row(self, sd, row: int, *, create: bool):
        prev = None
        expected = 0
        for r_el in sd.iter(q("row")):
            n = int(r_el.get("r") or expected + 1)
            expected = n
            if n == row:
                return r_el
            if n > row:
                break
            prev = r_el
        if not create:
            return None
        new = etree.Element(q("row"), r=str(row))
        if prev is None:
            sd.insert(0, new)
        else:
            prev.addnext(new)
        return new

    def cell(self, coord: str):
        """The <c> element at coord, created (with its row) in order when absent."""
        found = self.find_cell(coord)
        root = self.root  # marks the part as edited
        if found is not None:
            return found
        sd = root.find(q("sheetData"))
        if sd is None:
            sd = etree.Element(q("sheetData"))
            insert_ordered(root, sd, SHEET_ORDER)
        row, col = split_coord(coord)
        r_el = self._row(sd, row, create=True)
        new = etree.Element(q("c"), r=f"{get_column_letter(col)}{row}")
        after = None
        for c in r_el.findall(q("c")):
            if split_coord(c.get("r"))[1] < col:
                after = c
        if after is None:
            r_el.insert(0, new)
        else:
            after.addnext(new)
        spans = r_el.get("spans")
        if spans and ":" in spans:
            lo, hi = (int(x) for x in spans.split(":"))
            r_el.set("spans", f"{min(lo, col)}:{max(hi, col)}")
        if r_el.get("s") and r_el.get("customFormat") == "1":
            new.set("s", r_el.get("s"))  # an empty cell shows its row's format
        return new

    def style_of(self, coord: str) -> int:
        c = self.find_cell(coord)
        if c is not None:
            return int(c.get("s", "0"))
        row, col = split_coord(coord)
        root = self.peek()
        sd = root.find(q("sheetData"))
        r_el = self._row(sd, row, create=False) if sd is not None else None
        if r_el is not None and r_el.get("customFormat") == "1":
            return int(r_el.get("s", "0"))
        cols = root.find(q("cols"))
        for c_el in (cols if cols is not None else []):
            if int(c_el.get("min", 0)) <= col <= int(c_el.get("max", 0)) and c_el.get("style"):
                return int(c_el.get("style"))
        return 0

    def set_style(self, coord: str, xf: int) -> None:
        c = self.cell(coord)
        if xf:
            c.set("s", str(xf))
        else:
            c.attrib.pop("s", None)

    def iter_cells(self) -> Iterator[Any]:
        sd = self.peek().find(q("sheetData"))
        if sd is not None:
            yield from sd.iter(q("c"))

    # ------------------------------------------------------------ values
    def set_value(self, coord: str, value: Any, *, formula: str | None = None, text: bool = False) -> None:
        """Write a constant (str/number/bool/None) or a formula with its cached value."""
        c = self.cell(coord)
        for tag in ("f", "v", "is"):
            for el in c.findall(q(tag)):
                c.remove(el)
        c.attrib.pop("t", None)
        if formula is not None:
            etree.SubElement(c, q("f")).text = formula.lstrip("=")
            if value is not None:
                set_cached(c, value)
            return
        if value is None:
            return
        if isinstance(value, bool):
            c.set("t", "b")
            etree.SubElement(c, q("v")).text = "1" if value else "0"
        elif isinstance(value, (int, float)) and not text:
            etree.SubElement(c, q("v")).text = _num(value)
        else:
            idx = self.pkg.shared_strings().add(str(value))
            c.set("t", "s")
            etree.SubElement(c, q("v")).text = str(idx)

    def constant(self, coord: str) -> tuple[bool, Any]:
        """(True, value) of a constant cell (None when empty); (False, None) for a formula or rich text."""
        c = self.find_cell(coord)
        if c is None:
            return True, None
        if c.find(q("f")) is not None:
            return False, None
        t, v = c.get("t", "n"), c.find(q("v"))
        if t == "inlineStr":
            is_ = c.find(q("is"))
            return (True, is_[0].text or "") if is_ is not None and len(is_) == 1 and is_[0].tag == q("t") else (False, None)
        if v is None:
            return True, None
        if t == "s":
            sst = self.pkg.shared_strings()
            si = sst.si(int(v.text))
            return (True, si[0].text or "") if si is not None and len(si) == 1 and si[0].tag == q("t") else (False, None)
        if t == "b":
            return True, v.text in ("1", "true")
        if t in ("str", "e"):
            return True, v.text or ""
        try:
            x = float(v.text)
        except (TypeError, ValueError):
            return False, None
        return True, int(x) if x.is_integer() and abs(x) < 2 ** 53 and re.fullmatch(r"-?\d+", v.text or "") else x

    # ------------------------------------------------------------ structure
    def merged_ranges(self) -> list[tuple[int, int, int, int]]:
        mc = self.peek().find(q("mergeCells"))
        out = []
        for m in (mc if mc is not None else []):
            try:
                out.append(range_boundaries(m.get("ref", "")))
            except (ValueError, TypeError):
                continue
        return out

    def merge_anchor(self, coord: str) -> tuple[str, str | None]:
        """(top-left cell of the merged range holding coord, or coord; the range text or None)."""
        row, col = split_coord(coord)
        for c1, r1, c2, r2 in self.merged_ranges():
            if c1 <= col <= c2 and r1 <= row <= r2 and (c1, r1) != (c2, r2):
                rng = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"
                return f"{get_column_letter(c1)}{r1}", rng
        return f"{get_column_letter(col)}{row}", None

    def password_protected(self) -> bool:
        p = self.peek().find(q("sheetProtection"))
        if p is None or p.get("sheet") not in ("1", "true"):
            return False
        return bool(p.get("password") or p.get("hashValue"))

    def child(self, tag: str, *, create: bool = False):
        root = self.peek() if not create else self.root
        el = root.find(q(tag))
        if el is None and create:
            el = etree.Element(q(tag))
            insert_ordered(root, el, SHEET_ORDER)
        return el


def _num(v: float | int) -> str:
    if isinstance(v, int):
        return str(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


ERROR_LITERALS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")


def set_cached(c, value: Any) -> None:
    """The cached result of a formula cell: number, text (t="str"), boolean, or error (t="e")."""
    import math  # noqa: PLC0415

    for el in c.findall(q("v")):
        c.remove(el)
    c.attrib.pop("t", None)
    if value is None:
        return
    v = etree.SubElement(c, q("v"))
    if isinstance(value, bool):
        c.set("t", "b")
        v.text = "1" if value else "0"
    elif isinstance(value, (int, float)):
        try:
            finite = math.isfinite(float(value))
        except OverflowError:
            finite = False
        if finite:
            v.text = _num(value)
        else:  # Excel shows #NUM! for a result beyond its range; never the text "inf"
            c.set("t", "e")
            v.text = "#NUM!"
    elif isinstance(value, str) and value.upper() in ERROR_LITERALS:
        c.set("t", "e")
        v.text = value.upper()
    else:
        c.set("t", "str")
        v.text = str(value)


class SharedStrings:
    """The shared string table: plain strings found again, new ones appended."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        wbp = pkg.workbook_part
        found = pkg.related(wbp, REL_SST)
        if found:
            self.part = found[0][1]
        else:
            self.part = posixpath.join(posixpath.dirname(wbp), "sharedStrings.xml")
            root = etree.Element(q("sst"), nsmap={None: NS}, count="0", uniqueCount="0")
            pkg.put_xml(self.part, root)
            pkg.add_rel(wbp, REL_SST, self.part)
            pkg.set_override(self.part, CT_SST)
        self._index: dict[str, int] | None = None

    @property
    def root(self):
        return self.pkg.xml(self.part)

    def _build(self) -> dict[str, int]:
        idx: dict[str, int] = {}
        for i, si in enumerate(self.pkg.peek(self.part).findall(q("si"))):
            t = si.find(q("t"))
            if t is not None and len(si) == 1:
                idx.setdefault(t.text or "", i)
        return idx

    def __len__(self) -> int:
        return len(self.pkg.peek(self.part).findall(q("si")))

    def si(self, i: int):
        sis = self.pkg.peek(self.part).findall(q("si"))
        return sis[i] if 0 <= i < len(sis) else None

    def text(self, i: int) -> str:
        si = self.pkg.peek(self.part).findall(q("si"))[i]
        return "".join(t.text or "" for t in si.iter(q("t")) if t.getparent().tag != q("rPh"))

    def add(self, text: str) -> int:
        if self._index is None:
            self._index = self._build()
        if text in self._index:
            return self._index[text]
        root = self.root
        si = etree.SubElement(root, q("si"))
        t = etree.SubElement(si, q("t"))
        t.text = text
        if text != text.strip() or "\n" in text:
            t.set(f"{{{XML_NS}}}space", "preserve")
        n = len(root.findall(q("si")))
        self._index[text] = n - 1
        root.set("uniqueCount", str(n))
        root.set("count", str(int(root.get("count", "0") or 0) + 1))
        return n - 1

    def add_si(self, si_xml: str) -> int:
        """Append a recorded <si> (rich text kept as it was)."""
        root = self.root
        root.append(etree.fromstring(si_xml.encode("utf-8"), _PARSER))
        n = len(root.findall(q("si")))
        root.set("uniqueCount", str(n))
        root.set("count", str(int(root.get("count", "0") or 0) + 1))
        self._index = None
        return n - 1

    def truncate(self, n: int) -> None:
        root = self.root
        sis = root.findall(q("si"))
        for si in sis[n:]:
            root.remove(si)
        root.set("uniqueCount", str(min(n, len(sis))))
        self._index = None


def share_inline_strings(pkg: Package) -> None:
    """Plain inline strings (openpyxl writes every text so, CJK as &#NNNNN;) moved to the shared string table."""
    sst = None
    for name, part, _ in pkg.sheets():
        if not part or not pkg.has(part):
            continue
        root = pkg.peek(part)
        cells = [c for c in root.iter(q("c")) if c.get("t") == "inlineStr"]
        if not cells:
            continue
        pkg.xml(part)
        sst = sst or pkg.shared_strings()
        for c in cells:
            is_ = c.find(q("is"))
            if is_ is None or len(is_) != 1 or is_[0].tag != q("t"):
                continue  # rich text stays as it is
            idx = sst.add(is_[0].text or "")
            c.remove(is_)
            c.set("t", "s")
            etree.SubElement(c, q("v")).text = str(idx)


def c14n(el) -> bytes:
    return etree.tostring(el, method="c14n")


class Styles:
    """styles.xml: fills, fonts, borders and cell formats (cellXfs) found or appended."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        found = pkg.related(pkg.workbook_part, REL_STYLES)
        if not found:
            raise InputError(f"{pkg.path.name} 缺少样式部件（styles.xml），请在 Excel/WPS 中打开并另存后再试")
        self.part = found[0][1]

    @property
    def root(self):
        return self.pkg.xml(self.part)

    def _list(self, tag: str, *, create: bool = False):
        root = self.pkg.peek(self.part) if not create else self.root
        el = root.find(q(tag))
        if el is None and create:
            el = etree.Element(q(tag), count="0")
            order = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                     "tableStyles", "colors", "extLst")
            insert_ordered(root, el, order)
        return el

    def count(self, tag: str) -> int:
        el = self._list(tag)
        return 0 if el is None else len(el)

    def item(self, tag: str, i: int):
        el = self._list(tag)
        return el[i] if el is not None and 0 <= i < len(el) else None

    def xf(self, i: int):
        return self.item("cellXfs", i)

    def fill_of(self, xf_index: int):
        xf = self.xf(xf_index)
        if xf is None:
            return None
        return self.item("fills", int(xf.get("fillId", "0")))

    def find_or_add(self, tag: str, el) -> int:
        lst = self._list(tag, create=True)
        key = c14n(el)
        for i, existing in enumerate(lst):
            if c14n(existing) == key:
                return i
        lst = self._list(tag, create=True)
        self.pkg.xml(self.part)  # edited
        lst.append(el)
        lst.set("count", str(len(lst)))
        return len(lst) - 1

    def xf_with(self, base: int, **ids: int) -> int:
        """A cell format like xf `base` with fillId/fontId/borderId replaced (found or appended)."""
        src = self.xf(base)
        new = etree.fromstring(etree.tostring(src)) if src is not None else etree.Element(q("xf"), numFmtId="0", fontId="0", fillId="0", borderId="0", xfId="0")
        for k, v in ids.items():
            new.set(k, str(v))
            new.set(_APPLY[k], "1")
        return self.find_or_add("cellXfs", new)

    def truncate(self, tag: str, n: int) -> None:
        lst = self._list(tag)
        if lst is None or len(lst) <= n:
            return
        self.pkg.xml(self.part)
        for el in list(lst)[n:]:
            lst.remove(el)
        lst.set("count", str(len(lst)))


_APPLY = {"numFmtId": "applyNumberFormat", "fontId": "applyFont", "fillId": "applyFill", "borderId": "applyBorder"}


def solid_fill(rgb: str):
    fill = etree.Element(q("fill"))
    pf = etree.SubElement(fill, q("patternFill"), patternType="solid")
    etree.SubElement(pf, q("fgColor"), rgb="FF" + rgb[-6:].upper())
    etree.SubElement(pf, q("bgColor"), indexed="64")
    return fill


def fill_rgb(fill) -> str | None:
    """RRGGBB of a solid fill given as an explicit colour, else None."""
    if fill is None:
        return None
    pf = fill.find(q("patternFill"))
    if pf is None or pf.get("patternType") != "solid":
        return None
    fg = pf.find(q("fgColor"))
    rgb = fg.get("rgb") if fg is not None else None
    return rgb[-6:].upper() if rgb else None


# ---------------------------------------------------------------- notes (comments + legacy VML)
_SHAPE = re.compile(rb"<v:shape\b(?:(?!<v:shape\b).)*?</v:shape>\s*", re.S)
_VML_HEAD = (b'<xml xmlns:v="urn:schemas-microsoft-com:vml"\r\n xmlns:o="urn:schemas-microsoft-com:office:office"\r\n'
             b' xmlns:x="urn:schemas-microsoft-com:office:excel">\r\n <o:shapelayout v:ext="edit">\r\n'
             b'  <o:idmap v:ext="edit" data="{idmap}"/>\r\n </o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202"\r\n'
             b'  path="m,l,21600r21600,l21600,xe">\r\n  <v:stroke joinstyle="miter"/>\r\n'
             b'  <v:path gradientshapeok="t" o:connecttype="rect"/>\r\n </v:shapetype>')


@dataclass
class NoteShape:
    width_pt: float = 270.0
    height_pt: float = 120.0
    visible: bool = False


def note_shape_xml(shape_id: int, row: int, col: int, shape: NoteShape) -> bytes:
    """The VML shape Excel draws a note with (row, col 1-based)."""
    vis = "visible" if shape.visible else "hidden"
    anchor = f"{col}, 15, {max(row - 2, 0)}, 10, {col + 3}, 15, {max(row - 2, 0) + 8}, 4"
    return (f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" style=\'position:absolute;margin-left:80pt;'
            f'margin-top:2pt;width:{shape.width_pt:g}pt;height:{shape.height_pt:g}pt;z-index:{shape_id % 1024};'
            f'visibility:{vis}\' fillcolor="#ffffe1" o:insetmode="auto">'
            '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style=\'mso-direction-alt:auto\'>'
            '<div style=\'text-align:left\'></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f'<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill>'
            f'<x:Row>{row - 1}</x:Row><x:Column>{col - 1}</x:Column>'
            + ("<x:Visible/>" if shape.visible else "") + '</x:ClientData></v:shape>').encode("utf-8")


def _shape_cell(block: bytes) -> tuple[int, int] | None:
    r = re.search(rb"<x:Row>\s*(\d+)\s*</x:Row>", block)
    c = re.search(rb"<x:Column>\s*(\d+)\s*</x:Column>", block)
    if not r or not c or b'ObjectType="Note"' not in block:
        return None
    return int(r.group(1)) + 1, int(c.group(1)) + 1


class Comments:
    """The notes of one sheet: comments part + legacy VML drawing, created on demand."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.pkg = sheet.pkg
        found = self.pkg.related(sheet.part, REL_COMMENTS)
        self.part = found[0][1] if found else None
        vml = self.pkg.related(sheet.part, REL_VML)
        self.vml = vml[0][1] if vml else None
        self.created: list[str] = []

    def threaded_refs(self) -> set[str]:
        out = set()
        for _, part in self.pkg.related(self.sheet.part, REL_THREADED):
            if self.pkg.has(part):
                for tc in self.pkg.peek(part).iter("{*}threadedComment"):
                    out.add(tc.get("ref", ""))
        return out

    def find(self, coord: str):
        if self.part is None or not self.pkg.has(self.part):
            return None
        for cm in self.pkg.peek(self.part).iter(q("comment")):
            if cm.get("ref") == coord:
                return cm
        return None

    def text(self, coord: str) -> str | None:
        cm = self.find(coord)
        if cm is None:
            return None
        t = cm.find(q("text"))
        return "".join(x.text or "" for x in t.iter(q("t"))) if t is not None else ""

    def _author_id(self, author: str) -> int:
        root = self.pkg.xml(self.part)
        authors = root.find(q("authors"))
        for i, a in enumerate(authors):
            if a.text == author:
                return i
        etree.SubElement(authors, q("author")).text = author
        return len(authors) - 1

    def _ensure_parts(self) -> None:
        pkg, sp = self.pkg, self.sheet.part
        if self.part is None:
            self.part = pkg.free_name("xl/comments{}.xml")
            root = etree.Element(q("comments"), nsmap={None: NS})
            etree.SubElement(root, q("authors"))
            etree.SubElement(root, q("commentList"))
            pkg.put_xml(self.part, root)
            pkg.set_override(self.part, CT_COMMENTS)
            pkg.add_rel(sp, REL_COMMENTS, self.part)
            self.created.append(self.part)
        if self.vml is None:
            self.vml = pkg.free_name("xl/drawings/vmlDrawing{}.vml")
            # shape id blocks (idmap) must not overlap any other drawing's in the workbook
            used = [int(x) for n in pkg.names() if n.lower().endswith(".vml")
                    for m in re.finditer(rb'<o:idmap[^>]*data="([\d,\s]+)"', pkg.read(n))
                    for x in re.findall(rb"\d+", m.group(1))]
            idmap = max(used + [[n for n, _, _ in pkg.sheets()].index(self.sheet.name)]) + 1
            pkg.write(self.vml, _VML_HEAD.replace(b"{idmap}", str(idmap).encode()) + b"</xml>")
            if not pkg.has_default("vml"):  # an Override of its own: removed with the part, nothing else moves
                pkg.set_override(self.vml, CT_VML)
            rid = pkg.add_rel(sp, REL_VML, self.vml)
            el = etree.Element(q("legacyDrawing"))
            el.set(f"{{{R_NS}}}id", rid)
            insert_ordered(self.sheet.root, el, SHEET_ORDER)
            self.created.append(self.vml)

    def _next_shape_id(self, data: bytes) -> int:
        ids = [int(x) for x in re.findall(rb'id="_x0000_s(\d+)"', data)]
        m = re.search(rb'<o:idmap[^>]*data="(\d+)', data)
        base = int(m.group(1)) * 1024 if m else 1024
        return max(ids + [base]) + 1

    def put(self, coord: str, text: str, author: str, shape: NoteShape) -> None:
        """A new note (the cell has none), or the text of the existing one replaced."""
        self._ensure_parts()
        aid = self._author_id(author)
        cm = self.find(coord)
        root = self.pkg.xml(self.part)
        if cm is None:
            cl = root.find(q("commentList"))
            cm = etree.SubElement(cl, q("comment"), ref=coord, authorId=str(aid))
            row, col = split_coord(coord)
            data = self.pkg.read(self.vml)
            block = note_shape_xml(self._next_shape_id(data), row, col, shape)
            end = data.rfind(b"</xml>")
            self.pkg.write(self.vml, data[:end] + block + data[end:])
        else:
            cm.set("authorId", str(aid))
            for child in list(cm):
                cm.remove(child)
        t_el = etree.SubElement(cm, q("text"))
        r = etree.SubElement(t_el, q("r"))
        rpr = etree.SubElement(r, q("rPr"))
        etree.SubElement(rpr, q("sz"), val="9")
        etree.SubElement(rpr, q("rFont"), val="宋体")
        t = etree.SubElement(r, q("t"))
        t.text = text
        t.set(f"{{{XML_NS}}}space", "preserve")

    def replace(self, coord: str, original_xml: str) -> None:
        """Put back a recorded <comment> element (its ref follows the cell)."""
        cm = self.find(coord)
        el = etree.fromstring(original_xml.encode("utf-8"), _PARSER)
        el.set("ref", coord)
        self.pkg.xml(self.part)
        if cm is not None:
            cm.getparent().replace(cm, el)

    def delete(self, coord: str) -> None:
        """Remove the note of coord; parts left empty go, with their relationships."""
        cm = self.find(coord)
        if cm is None:
            return
        self.pkg.xml(self.part)
        cm.getparent().remove(cm)
        if self.vml and self.pkg.has(self.vml):
            row, col = split_coord(coord)
            data = self.pkg.read(self.vml)
            for m in _SHAPE.finditer(data):
                if _shape_cell(m.group(0)) == (row, col):
                    end = m.start() + len(m.group(0).rstrip())  # the shape only: whitespace around it stays
                    self.pkg.write(self.vml, data[:m.start()] + data[end:])
                    break

    def drop_if_empty(self) -> None:
        pkg, sp = self.pkg, self.sheet.part
        if self.part and pkg.has(self.part):
            root = pkg.peek(self.part)
            cl = root.find(q("commentList"))
            if cl is not None and len(cl) == 0:
                for rid, target in pkg.related(sp, REL_COMMENTS):
                    pkg.remove_rel(sp, rid)
                pkg.remove(self.part)
                pkg.remove_override(self.part)
                self.part = None
        if self.vml and pkg.has(self.vml) and not _SHAPE.search(pkg.read(self.vml)):
            for rid, target in pkg.related(sp, REL_VML):
                pkg.remove_rel(sp, rid)
                for el in list(self.sheet.root.iter(q("legacyDrawing"))):
                    if el.get(f"{{{R_NS}}}id") == rid:
                        el.getparent().remove(el)
            pkg.remove(self.vml)
            pkg.remove_override(self.vml)
            self.vml = None

    def prune_author(self, author: str) -> None:
        if not self.part or not self.pkg.has(self.part):
            return
        root = self.pkg.peek(self.part)
        authors = root.find(q("authors"))
        ids = [i for i, a in enumerate(authors) if a.text == author]
        if not ids or ids[0] != len(authors) - 1:
            return  # only the last author can go without renumbering the others
        if any(cm.get("authorId") == str(ids[0]) for cm in root.iter(q("comment"))):
            return
        self.pkg.xml(self.part)
        authors.remove(authors[ids[0]])


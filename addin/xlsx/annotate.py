"""校验 marks on a workbook file, and 清除标记 without Excel: `jxzp validate --annotate`, `jxzp clear`.

The file is patched part by part (addin.xlsx.ooxml): the marked cells get a cell format with
the severity fill, a note (comments part + legacy VML) and a hidden defined name each; the
校验结果 sheet and the very hidden bookkeeping sheet are written; styles, shared strings,
workbook, relationships and content types get only what those need. Every other part —
VBA project, drawings, pictures, external links, threaded comments, customXml, printer
settings, unknown parts — is copied byte for byte. The logic of marking and clearing lives
in addin.core.marks, shared with Excel's ribbon; FilePort is its file side.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from openpyxl.utils.cell import get_column_letter

from ..core.findings import ValidationResult
from ..core.framework import Framework
from ..core.marks import (FILL_COLORS, MARK_NAME_PREFIX, MARKS_SHEET, RESULTS_SHEET, ClearOutcome, Look, MarkOutcome,
                          apply_marks, clear_marks, write_results)
from ..fs import atomic_write, check_output_path
from .files import check_workbook_file
from .ooxml import (NS, REL_SST, Comments, NoteShape, Package, Sheet, fill_rgb, insert_ordered, q,
                    solid_fill, SHEET_ORDER)
from .styles import FONT_NAME
from .template import AUTHOR, RESULTS_HEADER

RESULTS_FIRST_ROW = 5  # header at row 4 (template)
_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?(\d+)(?::.*)?$")
_BORDER = ('<border xmlns="%s"><left style="thin"><color rgb="FFBFBFBF"/></left><right style="thin"><color rgb="FFBFBFBF"/>'
           '</right><top style="thin"><color rgb="FFBFBFBF"/></top><bottom style="thin"><color rgb="FFBFBFBF"/></bottom>'
           '<diagonal/></border>' % NS)


def _font(*, bold: bool = False, color: str | None = None, underline: bool = False, size: str = "10.5"):
    f = etree.Element(q("font"))
    if bold:
        etree.SubElement(f, q("b"))
    if underline:
        etree.SubElement(f, q("u"))
    etree.SubElement(f, q("sz"), val=size)
    if color:
        etree.SubElement(f, q("color"), rgb="FF" + color)
    etree.SubElement(f, q("name"), val=FONT_NAME)
    etree.SubElement(f, q("family"), val="3")
    etree.SubElement(f, q("charset"), val="134")
    return f


def quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


class FilePort:
    """addin.core.marks.MarkPort over a Package."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self._comments: dict[str, Comments] = {}
        self._rows: list[list[Any]] | None = None  # bookkeeping rows, written by commit()
        self._meta: dict | None = None
        self._styles_intact = True

    # ------------------------------------------------------------ sheets and cells
    def sheet_names(self) -> list[str]:
        return [n for n, part, _ in self.pkg.sheets() if part and self.pkg.has(part)]

    def _sheet(self, name: str) -> Sheet:
        return self.pkg.sheet(name)

    def locked(self, sheet: str) -> bool:
        return self._sheet(sheet).password_protected()

    def anchor_cell(self, sheet: str, coord: str) -> str:
        return self._sheet(sheet).merge_anchor(coord)[0]

    def comments(self, sheet: str) -> Comments:
        if sheet not in self._comments:
            self._comments[sheet] = Comments(self._sheet(sheet))
        return self._comments[sheet]

    def look(self, sheet: str, coord: str) -> Look:
        sh = self._sheet(sheet)
        xf = sh.style_of(coord)
        fill = self.pkg.styles().fill_of(xf)
        cm = self.comments(sheet)
        el = cm.find(coord)
        return Look(style=str(xf), fill=etree.tostring(fill, encoding="unicode") if fill is not None else "",
                    note=cm.text(coord), note_data=etree.tostring(el, encoding="unicode") if el is not None else "",
                    threaded=coord in cm.threaded_refs())

    def mark(self, sheet: str, coord: str, rgb: str, note: str | None) -> str:
        sh = self._sheet(sheet)
        styles = self.pkg.styles()
        xf = styles.xf_with(sh.style_of(coord), fillId=styles.find_or_add("fills", solid_fill(rgb)))
        sh.set_style(coord, xf)
        if note is not None:
            cm = self.comments(sheet)
            cm.put(coord, note, AUTHOR, NoteShape())
            self._meta.setdefault("created", []).extend(x for x in cm.created if x not in self._meta["created"])
        return str(xf)

    def has_fill(self, sheet: str, coord: str, rgb: str) -> bool:
        sh = self._sheet(sheet)
        return fill_rgb(self.pkg.styles().fill_of(sh.style_of(coord))) == rgb.upper()[-6:]

    def note_text(self, sheet: str, coord: str) -> str | None:
        return self.comments(sheet).text(coord)

    def find_note(self, sheet: str, text: str) -> str | None:
        cm = self.comments(sheet)
        if cm.part is None or not self.pkg.has(cm.part):
            return None
        for el in self.pkg.peek(cm.part).iter(q("comment")):
            if cm.text(el.get("ref", "")) == text:
                return el.get("ref")
        return None

    def restore_fill(self, sheet: str, coord: str, record: dict) -> None:
        sh = self._sheet(sheet)
        cur = sh.style_of(coord)
        if self._styles_intact and record.get("marked") == str(cur) and record.get("style", "").isdigit():
            sh.set_style(coord, int(record["style"]))  # the very format the cell had
            return
        styles = self.pkg.styles()  # formats renumbered by another program: same format, original fill
        fill_xml = record.get("fill") or ""
        if fill_xml.startswith("<"):
            fill = etree.fromstring(fill_xml.encode("utf-8"))
        elif re.fullmatch(r"(?:[0-9A-Fa-f]{2})?[0-9A-Fa-f]{6}", fill_xml):  # files of jxzp 0.x: a colour
            fill = solid_fill(fill_xml)
        else:
            fill = etree.fromstring(f'<fill xmlns="{NS}"><patternFill patternType="none"/></fill>')
        sh.set_style(coord, styles.xf_with(cur, fillId=styles.find_or_add("fills", fill)))

    def restore_note(self, sheet: str, coord: str, record: dict) -> None:
        cm = self.comments(sheet)
        if record.get("note_data"):
            cm.replace(coord, record["note_data"])
        elif record.get("had_note"):
            cm.put(coord, record.get("note", ""), AUTHOR, NoteShape())
        else:
            cm.delete(coord)

    # ------------------------------------------------------------ anchors
    def add_anchor(self, name: str, sheet: str, coord: str) -> None:
        m = re.match(r"([A-Z]+)(\d+)", coord)
        self.pkg.add_defined_name(name, f"{quote_sheet(sheet)}!${m.group(1)}${m.group(2)}", hidden=True)

    def anchor(self, name: str):
        d = self.pkg.defined_names().get(name)
        if d is None:
            return False
        text = (d.text or "").strip()
        m = _REF.match(text)
        if "#REF!" in text or not m:
            return None
        sheet = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
        return sheet, f"{m.group(3)}{m.group(4)}"

    def remove_anchor(self, name: str) -> None:
        self.pkg.remove_defined_name(name)

    def anchor_names(self) -> list[str]:
        return [n for n in self.pkg.defined_names() if n.startswith(MARK_NAME_PREFIX)]

    # ------------------------------------------------------------ bookkeeping sheet
    def read_rows(self, sheet: str) -> list[list[Any]] | None:
        if self._rows is not None and sheet == MARKS_SHEET:
            return self._rows
        if sheet not in self.sheet_names():
            return None
        sh = self._sheet(sheet)
        sst = self.pkg.shared_strings() if any(c.get("t") == "s" for c in sh.iter_cells()) else None
        rows: dict[int, dict[int, Any]] = {}
        for c in sh.iter_cells():
            row, col = _rc(c.get("r"))
            t = c.get("t")
            v = c.find(q("v"))
            if t == "inlineStr":
                val = "".join(x.text or "" for x in c.iter(q("t")))
            elif v is None:
                continue
            elif t == "s":
                val = sst.text(int(v.text))
            elif t in ("str", "e"):
                val = v.text or ""
            else:
                try:
                    val = int(v.text) if re.fullmatch(r"-?\d+", v.text or "") else float(v.text)
                except (TypeError, ValueError):
                    val = v.text
            rows.setdefault(row, {})[col] = val
        out = []
        for r in sorted(rows):
            cols = rows[r]
            out.append([cols.get(i) for i in range(1, max(cols) + 1)])
        return out

    def write_rows(self, sheet: str, rows: list[list[Any]]) -> None:
        assert sheet == MARKS_SHEET
        self._rows = rows  # written with the port's final bookkeeping by commit()

    def remove_sheet(self, sheet: str) -> None:
        if sheet == MARKS_SHEET:
            self._rows = []
        if sheet in self.sheet_names():
            self.pkg.remove_sheet(sheet)

    # ------------------------------------------------------------ the port's own bookkeeping
    def begin(self) -> dict:
        styles = self.pkg.styles()
        sst_part = self.pkg.related(self.pkg.workbook_part, REL_SST)
        meta: dict[str, Any] = {"v": 1, "base": {t: styles.count(t) for t in ("fonts", "fills", "borders", "cellXfs")},
                                "sst": len(self.pkg.shared_strings()) if sst_part else -1, "created": []}
        if sst_part:
            meta["sst_count"] = self.pkg.peek(sst_part[0][1]).get("count")
        results = self.pkg.sheet_part(RESULTS_SHEET)
        meta["results"] = self.pkg.read(results).decode("utf-8") if results else None
        if results:  # A2 as it is (LibreOffice makes it rich text), for files saved by another program meanwhile
            c = Sheet(self.pkg, RESULTS_SHEET, results).find_cell("A2")
            v = c.find(q("v")) if c is not None else None
            if c is not None and c.get("t") == "s" and v is not None:
                si = self.pkg.shared_strings().si(int(v.text))
                meta["results_a2"] = etree.tostring(si, encoding="unicode") if si is not None else None
            elif c is not None and c.get("t") == "inlineStr":
                is_ = c.find(q("is"))
                is_.tag = q("si")
                meta["results_a2"] = etree.tostring(is_, encoding="unicode")
                is_.tag = q("is")
        fdb = self._filter_name(create=False)
        meta["filter"] = fdb.text if fdb is not None else None
        self._meta = meta
        return meta

    def _fingerprint(self) -> dict:
        """Hashes of the parts another program renumbers when it saves (styles, shared strings)."""
        pkg = self.pkg
        out = {"styles": hashlib.sha1(pkg.read(pkg.styles().part)).hexdigest()}
        for _, part in pkg.related(pkg.workbook_part, REL_SST):
            out["sst"] = hashlib.sha1(pkg.read(part)).hexdigest() if pkg.has(part) else ""
        return out

    def start_clear(self, meta: dict) -> None:
        # only a file no other program has saved since 校验 can get its parts back as they were;
        # otherwise each cell gets its original fill on whatever formats the file has now
        self._styles_intact = bool(meta.get("hash")) and meta["hash"] == self._fingerprint()

    def finish_clear(self, meta: dict, complete: bool) -> None:
        pkg = self.pkg
        for cm in self._comments.values():
            cm.drop_if_empty()
            cm.prune_author(AUTHOR)
        if not complete or not meta.get("v"):
            return
        if "results" in meta:
            self._restore_results(meta)
        if not self._styles_intact:
            return
        self._truncate_styles(meta.get("base") or {})
        sst_base = meta.get("sst", -1)
        if not pkg.related(pkg.workbook_part, REL_SST):
            return
        sst = pkg.shared_strings()
        if sst_base >= 0 and self._max_sst_ref() < sst_base:
            sst.truncate(sst_base)
            if meta.get("sst_count") is not None:
                sst.root.set("count", meta["sst_count"])
        elif sst_base == -1 and self._max_sst_ref() < 0:  # jxzp created the table: it goes again
            for rid, part in pkg.related(pkg.workbook_part, REL_SST):
                pkg.remove_rel(pkg.workbook_part, rid)
                pkg.remove(part)
                pkg.remove_override(part)
            pkg._sst = None

    def _max_sst_ref(self) -> int:
        m = -1
        for name in self.sheet_names():
            for c in self._sheet(name).iter_cells():
                if c.get("t") == "s":
                    v = c.find(q("v"))
                    if v is not None and (v.text or "").isdigit():
                        m = max(m, int(v.text))
        return m

    def _truncate_styles(self, base: dict) -> None:
        styles = self.pkg.styles()
        xf_base = base.get("cellXfs")
        if xf_base is None:
            return
        used = 0
        for name in self.sheet_names():
            root = self._sheet(name).peek()
            for el in root.iter(q("c"), q("row")):
                used = max(used, int(el.get("s", "0") or 0))
            for el in root.iter(q("col")):
                used = max(used, int(el.get("style", "0") or 0))
        if used >= xf_base:
            return
        styles.truncate("cellXfs", xf_base)
        refs = {"fills": "fillId", "fonts": "fontId", "borders": "borderId"}
        for tag, attr in refs.items():
            n = base.get(tag)
            if n is None:
                continue
            top = -1
            for lst in ("cellXfs", "cellStyleXfs"):
                for i in range(styles.count(lst)):
                    top = max(top, int(styles.item(lst, i).get(attr, "0")))
            if top < n:
                styles.truncate(tag, n)

    # ------------------------------------------------------------ 校验结果
    def _filter_name(self, *, create: bool):
        names = [n for n, _, _ in self.pkg.sheets()]
        if RESULTS_SHEET not in names:
            return None
        idx = str(names.index(RESULTS_SHEET))
        root = self.pkg.peek(self.pkg.workbook_part)
        dn = root.find(q("definedNames"))
        for d in (dn if dn is not None else []):
            if d.get("name") == "_xlnm._FilterDatabase" and d.get("localSheetId") == idx:
                return d
        if not create:
            return None
        self.pkg.add_defined_name("_xlnm._FilterDatabase", "", hidden=True, local=int(idx))
        return self._filter_name(create=False)

    def _restore_results(self, meta: dict) -> None:
        original = meta.get("results")
        part = self.pkg.sheet_part(RESULTS_SHEET)
        if original is None:
            if part:
                self.pkg.remove_sheet(RESULTS_SHEET)
            return
        if part and self._styles_intact:
            self.pkg.write(part, original.encode("utf-8"))
        elif part:  # saved by another program: its style and string numbers changed; empty the list instead
            sh = self._sheet(RESULTS_SHEET)
            root = sh.root
            sd = root.find(q("sheetData"))
            for r in list(sd):
                if int(r.get("r", "0")) >= RESULTS_FIRST_ROW:
                    sd.remove(r)
            sh.set_value("A2", None)
            if meta.get("results_a2"):
                c = sh.cell("A2")
                c.set("t", "s")
                etree.SubElement(c, q("v")).text = str(self.pkg.shared_strings().add_si(meta["results_a2"]))
            for tag in ("hyperlinks",) + (("autoFilter",) if meta.get("filter") is None else ()):
                el = root.find(q(tag))
                if el is not None:
                    root.remove(el)
        fdb = self._filter_name(create=False)
        if meta.get("filter") is None and fdb is not None:
            self.pkg.workbook()
            parent = fdb.getparent()
            parent.remove(fdb)
            if len(parent) == 0:
                parent.getparent().remove(parent)
        elif meta.get("filter") is not None and fdb is not None:
            self.pkg.workbook()
            fdb.text = meta["filter"]

    def write_results(self, summary: str, has_errors: bool, rows: list[list[Any]],
                      links: dict[int, tuple[str, str]]) -> None:
        pkg = self.pkg
        styles = pkg.styles()
        if pkg.sheet_part(RESULTS_SHEET) is None:
            root = etree.fromstring(f'<worksheet xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
                                    f'2006/relationships"><sheetData/><pageMargins left="0.7" right="0.7" top="0.75" '
                                    f'bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
            part = pkg.add_sheet(RESULTS_SHEET, root)
            sh = Sheet(pkg, RESULTS_SHEET, part)
            head = styles.xf_with(0, fontId=styles.find_or_add("fonts", _font(bold=True, color="FFFFFF")),
                                  fillId=styles.find_or_add("fills", solid_fill("1F4E78")))
            sh.set_value("A1", RESULTS_SHEET)
            for i, lab in enumerate(RESULTS_HEADER, 1):
                sh.set_value(f"{get_column_letter(i)}{RESULTS_FIRST_ROW - 1}", lab)
                sh.set_style(f"{get_column_letter(i)}{RESULTS_FIRST_ROW - 1}", head)
        sh = self._sheet(RESULTS_SHEET)
        for i, lab in enumerate(RESULTS_HEADER, 1):  # an older template's header (“规则”) names what follows now
            sh.set_value(f"{get_column_letter(i)}{RESULTS_FIRST_ROW - 1}", lab)
        root = sh.root
        sd = root.find(q("sheetData"))
        for r in list(sd):
            n = int(r.get("r", "0"))
            if n == 2 or n >= RESULTS_FIRST_ROW:
                sd.remove(r)
        border = styles.find_or_add("borders", etree.fromstring(_BORDER))
        body_font = styles.find_or_add("fonts", _font())
        body = self._aligned(styles.xf_with(0, fontId=body_font, borderId=border))
        link = self._aligned(styles.xf_with(0, fontId=styles.find_or_add("fonts", _font(color="0563C1", underline=True)),
                                            borderId=border))
        sev = {s: self._aligned(styles.xf_with(0, fontId=body_font, borderId=border,
                                               fillId=styles.find_or_add("fills", solid_fill(rgb))))
               for s, rgb in FILL_COLORS.items()}
        head = styles.xf_with(0, fontId=styles.find_or_add("fonts", _font(bold=True, color="C00000" if has_errors else "006100")))
        when = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        sh.set_value("A2", f"{summary}（{when} 校验）")
        sh.set_style("A2", head)
        ncols = len(RESULTS_HEADER)
        for i, row in enumerate(rows):
            r = RESULTS_FIRST_ROW + i
            for j, v in enumerate(row[:ncols], 1):
                coord = f"{get_column_letter(j)}{r}"
                sh.set_value(coord, None if v in (None, "") else v, text=isinstance(v, str))
                xf = sev.get(v, body) if j == 2 else (link if (j == 5 and i in links) else body)
                sh.set_style(coord, xf)
        hl = root.find(q("hyperlinks"))
        if hl is not None:
            root.remove(hl)
        if links:
            hl = etree.Element(q("hyperlinks"))
            for i, (sheet, coord) in sorted(links.items()):
                etree.SubElement(hl, q("hyperlink"), ref=f"E{RESULTS_FIRST_ROW + i}",
                                 location=f"{quote_sheet(sheet)}!{coord}", display=coord)
            insert_ordered(root, hl, SHEET_ORDER)
        last = max(RESULTS_FIRST_ROW, RESULTS_FIRST_ROW + len(rows) - 1)
        ref = f"A{RESULTS_FIRST_ROW - 1}:{get_column_letter(ncols)}{last}"
        af = sh.child("autoFilter", create=True)
        for child in list(af):
            af.remove(child)
        af.set("ref", ref)
        fdb = self._filter_name(create=True)
        self.pkg.workbook()
        fdb.text = f"{quote_sheet(RESULTS_SHEET)}!$A${RESULTS_FIRST_ROW - 1}:${get_column_letter(ncols)}${last}"
        dim = root.find(q("dimension"))
        if dim is not None:
            dim.set("ref", f"A1:{get_column_letter(ncols)}{last}")

    def _aligned(self, xf: int) -> int:
        styles = self.pkg.styles()
        el = etree.fromstring(etree.tostring(styles.xf(xf)))
        for a in el.findall(q("alignment")):
            el.remove(a)
        el.insert(0, etree.Element(q("alignment"), vertical="top", wrapText="1"))
        el.set("applyAlignment", "1")
        return styles.find_or_add("cellXfs", el)

    # ------------------------------------------------------------ writing the bookkeeping
    def commit(self) -> None:
        """Write the bookkeeping sheet (marks + the port's JSON, with counts after all additions)."""
        if self._rows is None:
            return
        if MARKS_SHEET in self.sheet_names():
            self.pkg.remove_sheet(MARKS_SHEET)
        if not self._rows:
            return
        meta_rows = [r for r in self._rows if r and r[0] == "#port"]
        rows = [r for r in self._rows if not (r and r[0] == "#port")]
        root = etree.fromstring(f'<worksheet xmlns="{NS}"><sheetData/></worksheet>')
        part = self.pkg.add_sheet(MARKS_SHEET, root, state="veryHidden")
        sh = Sheet(self.pkg, MARKS_SHEET, part)
        for i, row in enumerate(rows, 1):
            for j, v in enumerate(row, 1):
                if v not in (None, ""):
                    sh.set_value(f"{get_column_letter(j)}{i}", v, text=isinstance(v, str))
        meta = self._meta if self._meta is not None else {}
        if meta_rows and not meta:
            try:
                meta = json.loads("".join(str(x) for x in meta_rows[0][1:] if x))
            except ValueError:
                meta = {}
        if meta.get("v"):
            meta["hash"] = self._fingerprint()
        text = json.dumps(meta, ensure_ascii=False)
        chunks = [text[i:i + 30000] for i in range(0, len(text), 30000)] or [""]
        r = len(rows) + 1
        for j, v in enumerate(["#port", *chunks], 1):  # inline: the JSON must not move the string table
            c = sh.cell(f"{get_column_letter(j)}{r}")
            c.set("t", "inlineStr")
            is_ = etree.SubElement(c, q("is"))
            etree.SubElement(is_, q("t")).text = v


def _rc(coord: str) -> tuple[int, int]:
    m = re.match(r"([A-Z]+)(\d+)", coord or "A1")
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


# ---------------------------------------------------------------- the commands' jobs
@dataclass
class AnnotateOutcome:
    path: Path
    marks: MarkOutcome

    @property
    def notes(self) -> list[str]:
        return self.marks.notes()


def _out_suffixes(src: Path) -> tuple[str, ...]:
    # a macro-enabled workbook stays one (Excel refuses an .xlsm package named .xlsx and vice versa)
    return (".xlsm",) if src.suffix.lower() == ".xlsm" else (".xlsx",)


def annotate_copy(fw: Framework, src: Path, out: Path, result: ValidationResult, *,
                  overwrite: bool = False) -> Path:
    return annotate_file(fw, src, out, result, overwrite=overwrite).path


def annotate_file(fw: Framework, src: Path, out: Path, result: ValidationResult, *,
                  overwrite: bool = False) -> AnnotateOutcome:
    """A copy of src with the marks and 校验结果; src is never changed."""
    src = Path(src)
    out = check_output_path(out, overwrite=overwrite, inputs=(src,), suffixes=_out_suffixes(src))
    pkg = Package(check_workbook_file(src))
    port = FilePort(pkg)
    marks = apply_marks(port, result)
    write_results(port, result, {i.id: i.name for i in fw.indicators}, marks.notes())
    port.commit()
    path = atomic_write(out, pkg.save, overwrite=overwrite)
    return AnnotateOutcome(path, marks)


@dataclass
class ClearFileOutcome:
    path: Path
    clear: ClearOutcome
    had_marks: bool = True
    notes: list[str] = field(default_factory=list)


def clear_file(src: Path, out: Path, *, overwrite: bool = False) -> ClearFileOutcome:
    """A copy of src without jxzp's marks (fills, notes, bookkeeping, 校验结果 as before 校验)."""
    src = Path(src)
    out = check_output_path(out, overwrite=overwrite, inputs=(src,), suffixes=_out_suffixes(src))
    pkg = Package(check_workbook_file(src))
    port = FilePort(pkg)
    had = MARKS_SHEET in port.sheet_names() or bool(port.anchor_names())
    outcome = clear_marks(port)
    port.commit()
    path = atomic_write(out, pkg.save, overwrite=overwrite)
    return ClearFileOutcome(path, outcome, had, outcome.notes())

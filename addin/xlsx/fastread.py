"""A lean read of a workbook file into the same BookData as reader.read_book, for batch review.

reader.read_book goes through openpyxl's read-only mode: it builds the whole stylesheet,
every defined name object and a Python object per cell of every scanned row (≈ 70 ms for
the sample). Batch review reads thousands of files, so this module parses only what
reader._read asks for — workbook.xml, the relationships, the number formats (to know which
numbers are dates), shared strings and the sheets it iterates — with lxml, handing
reader._read a small stand-in for openpyxl's read-only workbook. Cells are decoded the way
openpyxl's WorkSheetParser decodes them (same helpers), so the BookData is the same; a
test holds the two readers to equal output on well-formed and damaged files.

Whatever the stand-in does not model (cells or rows without a reference, rows out of order,
a sheet part missing, no stylesheet...) raises _NotLean and the file is read by read_book.
The file is screened by files.check_workbook_file first, exactly as read_book does.
"""
from __future__ import annotations

import posixpath
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree
from openpyxl.cell.text import Text
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet._reader import WorkSheetParser, _cast_number

from ..core.errors import InputError
from ..core.model import BookData
from . import reader
from .files import check_workbook_file, unreadable

M = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS = {"m": M}
_M = "{%s}" % M
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_CELLS = etree.XPath("m:sheetData/m:row/m:c[*]", namespaces=_NS)  # cells with a value, formula or string
_ROW_REFS = etree.XPath("m:sheetData/m:row/@r", namespaces=_NS)
_ROWS = etree.XPath("count(m:sheetData/m:row)", namespaces=_NS)
_RICH = etree.XPath("m:r/m:t/text()", namespaces=_NS)
_V, _F, _IS, _T = _M + "v", _M + "f", _M + "is", _M + "t"
_WORKSHEET = "/worksheet"
_CHARTSHEET = "/chartsheet"
_RESERVED = ("_xlnm.Print_Titles", "_xlnm.Print_Area", "_xlnm._FilterDatabase")


_COORDS: dict[str, tuple[int, int]] = {}


class _NotLean(Exception):
    """The file has a feature the lean reader does not model: read it with openpyxl instead."""


def read_book_fast(path: str | Path) -> BookData:
    """reader.read_book's result, read with less work; falls back to read_book when unsure."""
    p = check_workbook_file(path)
    try:
        with zipfile.ZipFile(p) as zf:
            wb = _LeanBook(zf)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return reader._read(wb, str(path))
    except (InputError, MemoryError):
        raise
    except _NotLean:
        pass
    except Exception as e:  # a damaged part: the same message read_book would give
        err = unreadable(path, e, generic=False)
        if err is not None:
            raise err from e
    return reader.read_book(path)  # anything unexpected: the reference reader decides


def _xml(zf: zipfile.ZipFile, part: str):
    try:
        data = zf.read(part)
    except KeyError:
        raise _NotLean(part) from None
    return etree.fromstring(data, _PARSER)


def _text(node) -> str:
    """Text.from_tree(node).content: the plain text plus rich-text runs, without phonetic runs."""
    if len(node) == 1 and node[0].tag == _T:  # the usual <is><t>text</t></is>
        return node[0].text or ""
    t = node.find(_T)
    runs = _RICH(node)
    if t is None and not runs:
        return Text.from_tree(node).content if len(node) else ""
    return (t.text or "" if t is not None else "") + "".join(runs)


class _LeanBook:
    """What reader._read uses of openpyxl's read-only Workbook."""

    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        root = _xml(zf, "xl/workbook.xml")
        pr = root.find(_M + "workbookPr")
        date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        self.epoch = CALENDAR_MAC_1904 if date1904 else WINDOWS_EPOCH
        rels = _xml(zf, "xl/_rels/workbook.xml.rels")
        targets: dict[str, tuple[str, str]] = {}
        for r in rels:
            if r.get("TargetMode") == "External":
                continue
            t = r.get("Target") or ""
            t = t[1:] if t.startswith("/") else posixpath.normpath(posixpath.join("xl", t))
            targets[r.get("Id")] = (t, r.get("Type") or "")
        names = set(zf.namelist())
        self._sheets: dict[str, Any] = {}
        self.sheetnames: list[str] = []
        sheets = root.find(_M + "sheets")
        for s in (sheets if sheets is not None else ()):
            rid = s.get("{%s}id" % R)
            title = s.get("name")
            if not rid or rid not in targets or title is None:
                raise _NotLean("sheet without a relationship")
            target, kind = targets[rid]
            if target not in names:
                raise _NotLean("missing sheet part")
            if kind.endswith(_CHARTSHEET):
                self._sheets[title] = _ChartSheet()
            elif kind.endswith(_WORKSHEET):
                self._sheets[title] = _LeanSheet(self, target)
            else:
                raise _NotLean(kind)
            self.sheetnames.append(title)
        self.defined_names: dict[str, DefinedName] = {}
        dn = root.find(_M + "definedNames")
        for d in (dn if dn is not None else ()):
            if d.tag != _M + "definedName":
                continue
            name = d.get("name")
            if d.get("localSheetId") is not None or name in _RESERVED:
                continue  # sheet-scoped names are not the workbook's (as openpyxl)
            self.defined_names[name] = _Name(name, d.text)
        self._strings: list[str] | None = None
        self._styles: tuple[set[int], set[int]] | None = None
        self._plain: set[str | None] | None = None
        self._n_styles = 0

    def __getitem__(self, title: str):
        return self._sheets[title]

    def close(self) -> None:
        pass

    @property
    def shared_strings(self) -> list[str]:
        if self._strings is None:
            self._strings = []
            if "xl/sharedStrings.xml" in self.zf.NameToInfo:
                root = _xml(self.zf, "xl/sharedStrings.xml")
                self._strings = [_text(si).replace("x005F_", "") for si in root.iterchildren(_M + "si")]
            elif any(n.lower().endswith("sharedstrings.xml") for n in self.zf.NameToInfo):
                raise _NotLean("shared strings elsewhere")
        return self._strings

    @property
    def plain_styles(self) -> set[str | None]:
        """Values of s="..." (and none) under which a number is just a number (not a date)."""
        if self._plain is None:
            dates, _ = self.date_styles
            self._plain = {None} | {str(i) for i in range(self._n_styles) if i not in dates}
        return self._plain

    @property
    def date_styles(self) -> tuple[set[int], set[int]]:
        """Indices of cell styles whose number format shows a date, and a duration (as openpyxl)."""
        if self._styles is None:
            root = _xml(self.zf, "xl/styles.xml")
            custom = {}
            fmts = root.find(_M + "numFmts")
            for f in (fmts if fmts is not None else ()):
                custom[int(f.get("numFmtId"))] = f.get("formatCode")
            xfs = root.find(_M + "cellXfs")
            if xfs is None or not len(xfs):
                raise _NotLean("no cell styles")
            dates, spans = set(), set()
            for idx, xf in enumerate(xfs.iterchildren(_M + "xf")):
                fid = int(xf.get("numFmtId", 0))
                fmt = custom[fid] if fid in custom else BUILTIN_FORMATS.get(fid)
                if fmt and is_date_format(fmt):
                    dates.add(idx)
                if fmt and is_timedelta_format(fmt):
                    spans.add(idx)
            self._styles = (dates, spans)
            self._n_styles = idx + 1
        return self._styles


# one contiguous range on one sheet, the shape of every name jxzp defines
_SIMPLE_REF = re.compile(r"(?:'([^']+)'|([^'^ !]+))!(\$?[A-Z]{1,3}\$?[0-9]{1,7}(?::\$?[A-Z]{1,3}\$?[0-9]{1,7})?)")


class _Name:
    """DefinedName's attr_text and destinations; openpyxl's own object for anything but a plain range."""

    __slots__ = ("name", "attr_text")

    def __init__(self, name: str, text: str | None):
        self.name, self.attr_text = name, text

    @property
    def destinations(self):
        m = _SIMPLE_REF.fullmatch(self.attr_text or "")
        if m is None:
            return DefinedName(name=self.name, attr_text=self.attr_text).destinations
        return iter(((m.group(1) or m.group(2), m.group(3)),))


class _ChartSheet:
    """A chart sheet: no cells (reader._read skips objects without iter_rows)."""


class _Cell:
    __slots__ = ("row", "column", "value", "data_type")

    def __init__(self, row: int, column: int, value: Any, data_type: str):
        self.row, self.column, self.value, self.data_type = row, column, value, data_type


class _LeanSheet:
    """What reader._read uses of openpyxl's ReadOnlyWorksheet: max_row and iter_rows."""

    def __init__(self, book: _LeanBook, part: str):
        self.book = book
        self.part = part
        self._root = None

    @property
    def root(self):
        if self._root is None:
            self._root = _xml(self.book.zf, self.part)
        return self._root

    @property
    def max_row(self) -> int | None:
        dim = self.root.find(_M + "dimension")
        if dim is None or not dim.get("ref"):
            return None
        try:
            return range_boundaries(dim.get("ref"))[3]
        except (ValueError, TypeError):
            raise _NotLean("dimension") from None

    def iter_rows(self, min_row: int, max_row: int, min_col: int, max_col: int):
        """Rows in [min_row, max_row] as lists of the cells that hold something, in [min_col, max_col].

        openpyxl yields empty cells too; reader._read does nothing with a cell without value
        or formula that a missing cell would not also do.
        """
        root = self.root
        refs = _ROW_REFS(root)
        if len(refs) != _ROWS(root):
            raise _NotLean("row without r")
        last = 0
        for r in refs:  # openpyxl skips rows out of order; we do not model that
            if not r.isdigit() or int(r) <= last:
                raise _NotLean("rows out of order")
            last = int(r)
        book = self.book
        parser = None
        out: list[_Cell] = []
        row_el = None
        row_no = 0
        coords = _COORDS
        plain = book.plain_styles
        for c in _CELLS(root):
            parent = c.getparent()
            if parent is not row_el:
                if out:
                    yield out
                    out = []
                row_el = parent
                row_no = int(parent.get("r"))
                if row_no > max_row:
                    break
            coord = c.get("r")
            rc = coords.get(coord)
            if rc is None:
                if coord is None:
                    raise _NotLean("cell without r")
                rc = coordinate_to_tuple(coord)
                if len(coords) < 200_000:  # the same template's coordinates recur file after file
                    coords[coord] = rc
            row, col = rc
            if row != row_no:
                raise _NotLean("cell outside its row")
            first = c[0]
            if first.tag == _F or (len(c) > 1 and c.find(_F) is not None):  # every formula, in order: a shared formula starts at its first cell
                if parser is None:
                    parser = WorkSheetParser(None, book.shared_strings, epoch=book.epoch)
                value, dtype = parser.parse_formula(c), "f"
            elif row_no < min_row or col < min_col or col > max_col:
                continue
            elif first.tag == _V and len(c) == 1 and c.get("t") is None and c.get("s") in plain:
                v = first.text  # the common number cell
                value, dtype = (_cast_number(v), "n") if v else (None, "n")
            else:
                value, dtype = self._value(c, coord)
            if row_no >= min_row and min_col <= col <= max_col:
                # a cell given twice: both are yielded and the later wins in reader._read, as in openpyxl
                out.append(_Cell(row, col, value, dtype))
        if out:
            yield out

    def _value(self, c, coord: str) -> tuple[Any, str]:
        """WorkSheetParser.parse_cell for a cell without a formula (data_only=False)."""
        t = c.get("t", "n")
        if t == "inlineStr":
            node = c.find(_IS)
            return (None, t) if node is None else (_text(node), "s")
        v = c.findtext(_V) or None
        if v is None:
            return None, t
        if t == "n":
            value = _cast_number(v)
            s = c.get("s")
            if s:
                dates, spans = self.book.date_styles
                sid = int(s)
                if sid in dates:
                    try:
                        return from_excel(value, self.book.epoch, timedelta=sid in spans), "d"
                    except (OverflowError, ValueError):
                        return "#VALUE!", "e"
            return value, t
        if t == "s":
            return self.book.shared_strings[int(v)], t
        if t == "b":
            return bool(int(v)), t
        if t == "str":
            return v, "s"
        if t == "d":
            return from_ISO8601(v), t
        return v, t

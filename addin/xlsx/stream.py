"""A read-only .xlsx package reader for exactly what the workbook contract needs.

openpyxl builds a full object model (and imports numpy when it is installed) to answer
three questions jxzp asks: which sheets exist, what the defined names point at, and what
a few hundred named cells hold. This module answers them straight from the XML: the
workbook part once, and each needed sheet streamed row by row, only over the rows and
columns asked for, stopping after the last one.

Safety: files.check_workbook_file has already refused every part with a DOCTYPE or
ENTITY (the one screening); the parser below is lxml's C parser with entities, DTDs and
network access off, so nothing is re-screened in Python.

Values follow openpyxl's read-only mode (the previous reader), so results are the same:
numbers as int or float, shared/inline strings as text, booleans, error codes as text
("#N/A"), ISO and date-formatted serials as datetimes, and formulas as "=..." (the cached
value of a formula cell is ignored: the core recomputes). Shared formulas are translated
from their master cell as Excel does.
"""
from __future__ import annotations

import datetime as _dt
import io
import posixpath
import re
import zipfile
from typing import Any, Iterator

from lxml import etree

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_ROW, _C, _V, _F, _IS, _T, _R, _SI = (MAIN + t for t in ("row", "c", "v", "f", "is", "t", "r", "si"))
_PARSE = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}
MAX_ROW = 1_048_576
WHOLE_PART_BYTES = 1024 * 1024  # parts up to this are parsed whole (tree ≈ 7× the part); bigger ones streamed

# ---------------------------------------------------------------- A1 references
_LETTERS: list[str] = []


def get_column_letter(n: int) -> str:
    """1 -> 'A', 27 -> 'AA' (Excel's 16384 columns)."""
    if n < len(_LETTERS):
        return _LETTERS[n]
    if not 1 <= n <= 18278:
        raise ValueError(f"column {n} is out of range")
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


_LETTERS.extend([""] + [get_column_letter(i) for i in range(1, 703)])


class _ColumnIndex(dict):
    """'B' -> 2, 'b' -> 2; filled on first use of each column."""

    def __missing__(self, letters: str) -> int:
        if not letters or len(letters) > 3 or not letters.isalpha() or not letters.isascii():
            raise ValueError(f"not a column: {letters!r}")
        n = column_index(letters)
        self[letters] = n
        return n


_COLUMN = _ColumnIndex()


def column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_RANGE = re.compile(r"^\$?([A-Za-z]{1,3})?\$?(\d+)?(?::\$?([A-Za-z]{1,3})?\$?(\d+)?)?$")


def split_coordinate(coord: str) -> tuple[str, int]:
    """'B5' -> ('B', 5)."""
    m = _CELL.match(coord)
    if not m:
        raise ValueError(f"not a cell reference: {coord!r}")
    return m.group(1).upper(), int(m.group(2))


def range_bounds(ref: str) -> tuple[int | None, int | None, int | None, int | None]:
    """'$B$4:$B$203' -> (min_col, min_row, max_col, max_row); None for a side left open ('A:A', '3:3')."""
    m = _RANGE.match(ref.strip())
    if not m or not ref.strip() or (m.group(1) is None and m.group(2) is None):
        raise ValueError(f"not a range: {ref!r}")
    c1, r1, c2, r2 = m.groups()
    if ":" not in ref:
        c2, r2 = c1, r1
    return (column_index(c1) if c1 else None, int(r1) if r1 else None,
            column_index(c2) if c2 else None, int(r2) if r2 else None)


# 'Sheet name'!$A$1:$B$2 or Sheet1!A1, areas separated by commas
_AREA = re.compile(r"""\s*(?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>[^'!,()"\s]+))!(?P<cells>\$?[A-Za-z]{0,3}\$?\d*"""
                   r"""(?::\$?[A-Za-z]{0,3}\$?\d*)?)\s*(?:,|$)""")


def destinations(text: str) -> list[tuple[str, str]]:
    """(sheet, cells) for each area a defined name's text refers to; [] for constants and formulas."""
    text = (text or "").strip().lstrip("=")
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _AREA.match(text, pos)
        if not m or not m.group("cells"):
            return []
        sheet = m.group("quoted").replace("''", "'") if m.group("quoted") is not None else m.group("plain")
        out.append((sheet, m.group("cells")))
        pos = m.end()
    return out


class DefinedName:
    """A workbook-level defined name (the two attributes the reader uses, as openpyxl names them)."""

    __slots__ = ("name", "attr_text")

    def __init__(self, name: str, attr_text: str):
        self.name, self.attr_text = name, attr_text

    @property
    def destinations(self) -> list[tuple[str, str]]:
        return destinations(self.attr_text)


# ---------------------------------------------------------------- shared formulas
_FORMULA_TOKEN = re.compile(
    r'"(?:[^"]|"")*"'  # a string literal: left alone
    r"|'(?:[^']|'')*'!"  # a quoted sheet name
    r"|(?<![A-Za-z0-9_.\\$])(\$?)([A-Za-z]{1,3})(\$?)(\d{1,7})(?![A-Za-z0-9_(.!])")


def shift_formula(formula: str, drow: int, dcol: int) -> str:
    """The formula of a shared-formula master moved by (drow, dcol): relative A1 references follow."""
    if not drow and not dcol:
        return formula

    def sub(m: re.Match) -> str:
        if m.group(2) is None:
            return m.group(0)
        cabs, col, rabs, row = m.group(1), m.group(2), m.group(3), int(m.group(4))
        c = column_index(col) + (0 if cabs else dcol)
        r = row + (0 if rabs else drow)
        if c < 1 or r < 1:
            return "#REF!"
        return f"{cabs}{get_column_letter(c)}{rabs}{r}"

    return _FORMULA_TOKEN.sub(sub, formula)


# ---------------------------------------------------------------- dates
# built-in number formats that show dates or times (14-22, 45-47; 27-36 and 50-58 in Chinese Excel)
_DATE_BUILTINS = set(range(14, 23)) | {45, 46, 47} | set(range(27, 37)) | set(range(50, 59))
_TIMEDELTA_BUILTINS = {46}
_STRIP = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CHAR = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_TIMEDELTA = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)
_EPOCH_1900 = _dt.datetime(1899, 12, 30)
_EPOCH_1904 = _dt.datetime(1904, 1, 1)


def is_date_format(code: str) -> bool:
    return _DATE_CHAR.search(_STRIP.sub("", code.split(";")[0])) is not None


def from_serial(value: float, date1904: bool, as_timedelta: bool):
    """An Excel date serial as datetime (time for a fraction of a day; timedelta for [h]:mm)."""
    if as_timedelta:
        return _dt.timedelta(days=value)
    day, fraction = divmod(value, 1)
    diff = _dt.timedelta(milliseconds=round(fraction * 86_400_000))
    if 0 <= value < 1 and diff.days == 0:
        return (_dt.datetime.min + diff).time()
    if 0 < value < 60 and not date1904:
        day += 1  # Excel's phantom 1900-02-29
    return (_EPOCH_1904 if date1904 else _EPOCH_1900) + _dt.timedelta(days=day) + diff


# ---------------------------------------------------------------- the package
class MalformedPart(ValueError):
    """Well-formed XML that is not a valid sheet (a number that is not one, a string index past the table...)."""


class Sheet:
    """One worksheet part, streamed on demand."""

    def __init__(self, book: "Workbook", title: str, part: str):
        self.book, self.title, self.part = book, title, part
        self.max_row = MAX_ROW  # streaming stops at the sheet's last row anyway

    def iter_cells(self, min_row: int, max_row: int, min_col: int, max_col: int) -> Iterator[tuple[int, int, Any, str | None]]:
        """(row, column, value, formula) of each cell present in the window, in sheet order."""
        book = self.book
        masters: dict[str, tuple[str, int, int]] = {}  # shared formula index -> (formula, row, col)
        row_no = 0
        rows = book.elements(self.part, _ROW)
        try:
            for row in rows:
                try:
                    r_attr = row.get("r")
                    row_no = int(r_attr) if r_attr else row_no + 1
                    if row_no > max_row:
                        break
                    if row_no >= min_row:
                        col_no = 0
                        skipped = False  # empty cells passed over without working out their column
                        for c in row:  # (inline, not a generator per row: a template has hundreds of rows)
                            if not len(c) and c.get("t") != "inlineStr":
                                skipped = True  # an empty styled cell: the common case in a template's unused rows
                                continue
                            ref = c.get("r")
                            # "B5" -> 2 (rstrip is C code; a cell without r follows the one before it)
                            if ref:
                                col_no = _COLUMN[ref.rstrip("0123456789")]
                            else:
                                col_no = _column_after(c) if skipped else col_no + 1
                            skipped = False
                            cell = self._cell(c, row_no, col_no, min_col, max_col, masters)
                            if cell is not None:
                                yield cell
                    else:
                        self._masters_only(row, row_no, masters)
                except (ValueError, IndexError, KeyError) as e:
                    raise MalformedPart(f"工作表“{self.title}”（{self.part}）第 {row.get('r') or row_no} 行不符合 .xlsx 规范"
                                        f"（{str(e)[:80]}）") from e
        finally:
            rows.close()  # the streamed part's file is closed now, not when collected

    def _cell(self, c, row_no: int, col_no: int, min_col: int, max_col: int, masters: dict):
        """(row, column, value, formula) of a cell that is not an empty styled one; None when out of
        the window or holding nothing. Records the shared formula it defines."""
        if col_no < min_col or col_no > max_col or c.tag != _C:
            # out of the window: only a shared formula it defines matters (cells in it may use it)
            for f in c:
                if f.tag == _F and f.get("t") == "shared" and f.text:
                    masters[f.get("si")] = ("=" + f.text, row_no, col_no)
            return None
        if not len(c):  # an empty inline string: None, as openpyxl reads it
            return row_no, col_no, None, None
        f = v = is_ = None
        for ch in c:
            tag = ch.tag
            if tag == _V:
                v = ch.text
            elif tag == _F:
                f = ch
            elif tag == _IS:
                is_ = ch
        if f is not None:
            if f.get("t") == "shared" and f.text:
                masters[f.get("si")] = ("=" + f.text, row_no, col_no)
            return row_no, col_no, None, self._formula(f, masters, row_no, col_no)
        # the two common cells inline (a number in a style that shows no date, a shared string)
        book = self.book
        t, style = c.get("t"), c.get("s")
        if v and (t is None or t == "n") and style in book.plain_styles:
            try:
                value = float(v) if ("." in v or "E" in v or "e" in v) else int(v)
            except ValueError:
                value = book.value("n", v, is_, style, row_no, col_no, self.title)  # raises, naming the cell
        elif v and t == "s":
            value = book.strings[int(v)]
        else:
            value = book.value(t or "n", v, is_, style, row_no, col_no, self.title)
        return None if value is None else (row_no, col_no, value, None)

    @staticmethod
    def _masters_only(row, row_no: int, masters: dict) -> None:
        """A row above the window: only the shared formulas it defines matter (cells below may use them)."""
        for f in row.iter(_F):
            if f.text and f.get("t") == "shared":
                ref = f.getparent().get("r")
                if ref:
                    masters[f.get("si")] = ("=" + f.text, row_no, _COLUMN[ref.rstrip("0123456789")])
                else:  # cells without references: count them
                    col = list(row).index(f.getparent()) + 1
                    masters[f.get("si")] = ("=" + f.text, row_no, col)

    @staticmethod
    def _formula(f, masters, row: int, col: int) -> str:
        text = f.text  # a new str each time lxml is asked: asked once
        if not text and f.get("t") == "shared":
            master = masters.get(f.get("si"))
            if master is not None:
                return shift_formula(master[0], row - master[1], col - master[2])
        return "=" + (text or "")


def _column_after(c) -> int:
    """The column of a cell without r: one right of the cell before it, found from the nearest with r."""
    n = 1
    prev = c.getprevious()
    while prev is not None:
        ref = prev.get("r")
        if ref:
            return _COLUMN[ref.rstrip("0123456789")] + n
        n += 1
        prev = prev.getprevious()
    return n


class Workbook:
    """The package's workbook part: sheet names, defined names, and values decoded on demand."""

    def __init__(self, path, parts: dict[str, bytes] | None = None, members: set[str] | None = None):
        """`parts`: XML parts already read (check_workbook_file(keep=...)), by name; others come from the
        zip. `members`: the package's part names when known (then the zip is opened only if needed)."""
        self._path = path
        self._zip: zipfile.ZipFile | None = None
        self._bytes = parts or {}
        names = set(members) if members is not None else set(self.zip.namelist())
        self._names = names
        wb_part = self._office_document()
        root = self._xml(wb_part)
        pr = root.find(MAIN + "workbookPr")
        self.date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        rels = self._rels(wb_part)
        self._parts: dict[str, str | None] = {}
        self.sheetnames: list[str] = []
        sheets = root.find(MAIN + "sheets")
        for s in (sheets if sheets is not None else ()):
            title = s.get("name")
            kind, target = rels.get(s.get(_REL_NS + "id"), ("", None))
            self.sheetnames.append(title)
            # only worksheets have cells; chart sheets, dialog and macro sheets are listed, never read
            self._parts[title] = target if kind.endswith("/worksheet") else None
            if kind.endswith("/worksheet") and target not in names:
                raise KeyError(f"missing worksheet part {target}")
        self.defined_names: dict[str, DefinedName] = {}
        dn = root.find(MAIN + "definedNames")
        for d in (dn if dn is not None else ()):
            if d.get("localSheetId") is not None:
                continue  # sheet-scoped names (print titles, filters) are not the workbook's
            name = d.get("name")
            self.defined_names[name] = DefinedName(name, d.text or "")
        self._rels_of_wb = rels
        self._strings: list[str] | None = None
        self._date_styles: tuple[set[int], set[int]] | None = None
        self.plain_styles: set[str | None] = {None, "0"}  # style attributes seen to show numbers, not dates

    # ---- parts
    def _office_document(self) -> str:
        if "_rels/.rels" in self._names:
            for r in self._xml("_rels/.rels").iter(_PKG_REL):
                if r.get("Type", "").endswith("/officeDocument"):
                    t = r.get("Target", "").lstrip("/")
                    if t in self._names:
                        return t
        return "xl/workbook.xml"

    def _xml(self, part: str):
        return etree.fromstring(self.read(part), etree.XMLParser(**_PARSE))

    def read(self, part: str) -> bytes:
        data = self._bytes.get(part)
        return data if data is not None else self.zip.read(part)

    def tree(self, part: str):
        """The part's root element when it is in memory and small enough to parse whole, else None."""
        data = self._bytes.get(part)
        if data is not None and len(data) <= WHOLE_PART_BYTES:
            return etree.fromstring(data, etree.XMLParser(**_PARSE))
        return None

    def elements(self, part: str, tag: str) -> Iterator:
        """The `tag` elements of a part in document order, each complete when yielded.

        A part already in memory and up to WHOLE_PART_BYTES is parsed at once (lxml builds the tree
        in C: about half the time of iterparse); a bigger one is streamed, each element dropped once
        used, so memory stays flat. Elements of the same tag must not nest (rows, cells, strings).
        """
        root = self.tree(part)
        if root is not None:
            yield from root.iter(tag)
            return
        data = self._bytes.get(part)
        with (io.BytesIO(data) if data is not None else self.zip.open(part)) as fh:
            for _, el in etree.iterparse(fh, events=("end",), tag=tag, **_PARSE):
                yield el
                el.clear()
                while el.getprevious() is not None:  # flat memory: drop what was already read
                    del el.getparent()[0]

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        folder, base = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", base + ".rels")
        out: dict[str, tuple[str, str]] = {}
        if rels_part not in self._names:
            return out
        for r in self._xml(rels_part).iter(_PKG_REL):
            target = r.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out[r.get("Id")] = (r.get("Type", ""), path)
        return out

    def _part_of_type(self, suffix: str) -> str | None:
        for kind, path in self._rels_of_wb.values():
            if kind.endswith(suffix) and path in self._names:
                return path
        return None

    def __getitem__(self, title: str) -> Sheet | None:
        """The worksheet, or None for a chart sheet (nothing to read)."""
        part = self._parts[title]
        return Sheet(self, title, part) if part else None

    @property
    def zip(self) -> zipfile.ZipFile:
        if self._zip is None:
            self._zip = zipfile.ZipFile(self._path)
        return self._zip

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    # ---- values
    @property
    def strings(self) -> list[str]:
        if self._strings is None:
            self._strings = []
            part = self._part_of_type("/sharedStrings")
            if part:
                for si in self.elements(part, _SI):
                    # as openpyxl: the text runs without phonetic guides; x005F_ (an escaped "_") dropped
                    self._strings.append(_text_of(si).replace("x005F_", ""))
        return self._strings

    def date_styles(self) -> tuple[set[int], set[int]]:
        """Indexes of cell formats that show dates, and of those showing durations ([h]:mm)."""
        if self._date_styles is None:
            dates: set[int] = set()
            spans: set[int] = set()
            part = self._part_of_type("/styles")
            if part:
                root = self._xml(part)
                custom = {}
                nf = root.find(MAIN + "numFmts")
                for n in (nf if nf is not None else ()):
                    try:
                        custom[int(n.get("numFmtId"))] = n.get("formatCode") or ""
                    except (TypeError, ValueError):
                        continue
                xfs = root.find(MAIN + "cellXfs")
                for i, xf in enumerate(xfs if xfs is not None else ()):
                    try:
                        fid = int(xf.get("numFmtId") or 0)
                    except ValueError:
                        continue
                    code = custom.get(fid)
                    if code is not None:
                        if is_date_format(code):
                            dates.add(i)
                            if _TIMEDELTA.search(code.split(";")[0]):
                                spans.add(i)
                    elif fid in _DATE_BUILTINS:
                        dates.add(i)
                        if fid in _TIMEDELTA_BUILTINS:
                            spans.add(i)
            self._date_styles = (dates, spans)
        return self._date_styles

    def value(self, t: str, v: str | None, is_, style: str | None, row: int, col: int, sheet: str) -> Any:
        if t == "inlineStr":
            return _text_of(is_) if is_ is not None else None
        if not v:
            return None
        if t == "n":
            try:
                num = float(v) if ("." in v or "E" in v or "e" in v) else int(v)
            except ValueError:
                raise ValueError(f"{sheet}!{get_column_letter(col)}{row}: not a number: {v[:40]!r}") from None
            if style and style != "0":
                dates, spans = self.date_styles()
                s = int(style)
                if s in dates:
                    try:
                        return from_serial(num, self.date1904, s in spans)
                    except (OverflowError, ValueError):
                        return "#VALUE!"  # as openpyxl: a serial outside the dates Python can hold
            self.plain_styles.add(style)
            return num
        if t == "s":
            return self.strings[int(v)]
        if t == "b":
            return bool(int(v))
        if t == "d":
            return _iso_datetime(v)
        return v  # "str" (a formula's text result) and "e" (#N/A, #DIV/0!...)


def _text_of(node) -> str:
    """Text of a <si> or <is>: its <t>, or the <t> of each rich-text run <r> (phonetic <rPh> left out)."""
    parts = []
    for ch in node:
        if ch.tag == _T:
            parts.append(ch.text or "")
        elif ch.tag == _R:
            t = ch.find(_T)
            if t is not None and t.text:
                parts.append(t.text)
    return "".join(parts)


def _iso_datetime(v: str):
    try:
        return _dt.datetime.fromisoformat(v.rstrip("Z"))
    except ValueError:
        return v

"""A small streaming .xlsx writer: what the review summary needs and nothing more.

openpyxl's write-only mode spends most of its time per cell (cell objects, style descriptors,
an lxml element each); here a row is a few string joins. Rows stream to a temporary file per
sheet, so memory does not grow with the number of rows; the file is zipped when the sheet ends.

    with StreamWorkbook(path) as wb:
        bold = wb.style(bold=True, fill="DDEBF7")
        ws = wb.add_sheet("名单", widths=[20, 8], freeze="A2")
        ws.append([Cell("姓名", bold), Cell("分数", bold)])
        ws.append([Cell("甲", link=Link("甲.xlsx", "'表1'!B5")), 90.5])
        ws.add_table("名单表", ["姓名", "分数"])

A cell is a plain value (str, int, float, bool; None = no cell) or a Cell (value, style, link).
Text is escaped for XML; characters XML 1.0 cannot hold become U+FFFD; text longer than Excel's
32,767 characters is cut. NaN and infinities are left out (no cell), as Excel has no such numbers.
Styles (font, solid fill, number format, wrap) are declared once with wb.style() and used by index.
"""
from __future__ import annotations

import datetime as _dt
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any, NamedTuple, Sequence

from ..xlsx.stream import column_index, get_column_letter, split_coordinate

__all__ = ["Cell", "Link", "MAX_TEXT", "Sheet", "StreamWorkbook"]

MAX_TEXT = 32_767  # characters a cell holds in Excel
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}
_FLUSH = 2000  # rows kept as text before they go to the sheet's file
_COMPRESS_LEVEL = 3  # sheet XML repeats itself: level 3 is about twice as fast as 6 and ~20% larger
_CACHED, _CACHED_LEN = 4096, 200  # texts remembered per sheet, up to this length: memory stays bounded
_INF = float("inf")

# what text must not hold as is: XML's three, characters XML 1.0 cannot hold, and Excel's
# own _xHHHH_ escape (a literal "_x0041_" would otherwise be read back as "A")
_TEXT_BAD = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_ATTR_BAD = re.compile('[&<>"\x00-\x1f\ud800-\udfff\ufffe\uffff]')
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "_": "_x005F_",
            "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}


def _escape_char(m: re.Match) -> str:
    return _ESCAPES.get(m.group(), "\ufffd")


def xml_text(s: str) -> str:
    """s as the text of an element."""
    return _TEXT_BAD.sub(_escape_char, s) if _TEXT_BAD.search(s) else s


def xml_attr(s: str) -> str:
    """s as an attribute value (in double quotes); tabs and line breaks kept as character references."""
    return _ATTR_BAD.sub(_escape_char, s) if _ATTR_BAD.search(s) else s


class Link(NamedTuple):
    """A hyperlink: target (a file or URL, None for a place in this workbook) and location ("'表'!B5")."""

    target: str | None
    location: str | None = None


class Cell:
    """A value with a style (an index from StreamWorkbook.style; 0 = none) and/or a hyperlink."""

    __slots__ = ("value", "style", "link")

    def __init__(self, value: Any, style: int = 0, link: Link | None = None):
        self.value = value
        self.style = style
        self.link = link


def _cut(s: str) -> str:
    """Text Excel can hold: at most MAX_TEXT UTF-16 units (characters beyond the BMP count twice),
    the cut marked with an ellipsis."""
    if len(s.encode("utf-16-le")) // 2 <= MAX_TEXT:
        return s
    units = 0
    for i, ch in enumerate(s):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > MAX_TEXT - 1:
            return s[:i] + "…"
    return s  # not reached


def _plain(v: Any) -> bool | int | float | str:
    """A value of another type as a bool, int, float or str (numpy scalars, enums, Decimal, dates...)."""
    item = getattr(v, "item", None)
    if callable(item):  # numpy
        v = item()
    for t in (bool, int, float, str):
        if isinstance(v, t):
            return t(v)
    if hasattr(v, "__float__"):
        try:
            return float(v)
        except (TypeError, ValueError):
            pass
    return str(v)


def _inline(v: str) -> str:
    """A text as the <is> of an inline-string cell: cut to what Excel holds, escaped."""
    if len(v) > MAX_TEXT // 2:
        v = _cut(v)
    if _TEXT_BAD.search(v):
        v = _TEXT_BAD.sub(_escape_char, v)
    if v and (v[0] in " \t\n\r" or v[-1] in " \t\n\r"):
        return f'<is><t xml:space="preserve">{v}</t></is>'
    return f"<is><t>{v}</t></is>"


class Sheet:
    """One worksheet being written; rows go out with append(), in order."""

    def __init__(self, index: int, name: str, widths: Sequence[float], freeze: str | None, landscape: bool):
        self.index, self.name = index, name
        self.rows = 0  # rows written so far (the last row's number)
        self._file: IO[bytes] = tempfile.TemporaryFile()
        self._links: IO[bytes] | None = None  # <hyperlink> elements, then their relationships
        self._rels: IO[bytes] | None = None
        self._hl: list[str] = []  # the same, not yet in their files
        self._rl: list[str] = []
        self._n_links = 0
        self._table: tuple[str, list[str], str, str] | None = None  # name, columns, ref, style
        self._buf: list[str] = []
        self._texts: dict[str, str] = {}
        self._letters = [get_column_letter(i) for i in range(1, 27)]
        self._landscape = landscape
        self._buf.append(self._head(widths, freeze))

    # ------------------------------------------------------------ rows
    def append(self, row: Sequence[Any]) -> None:
        """Write the next row: plain values or Cells, from column A; None leaves a cell out."""
        self.rows += 1
        r = str(self.rows)
        letters = self._letters
        if len(row) > len(letters):
            letters.extend(get_column_letter(i) for i in range(len(letters) + 1, len(row) + 1))
        texts = self._texts
        out = [f'<row r="{r}">']
        for col, v in zip(letters, row):
            t = type(v)
            if t is str:  # the common case first
                x = texts.get(v)
                if x is None:
                    x = self._text(v)
                out.append(f'<c r="{col}{r}" t="inlineStr">{x}</c>')
            elif t is Cell:
                if v.link is not None:
                    self._link(col + r, v.link)
                out.append(self._value(col + r, v.value, f' s="{v.style}"' if v.style else ""))
            elif v is not None:
                out.append(self._value(col + r, v, ""))
        out.append("</row>")
        self._buf.append("".join(out))
        if len(self._buf) >= _FLUSH:
            self._flush()

    def _text(self, v: str) -> str:
        """<is> of an inline string; short ones remembered (a summary repeats its names and codes)."""
        x = _inline(v)
        if len(v) <= _CACHED_LEN:
            if len(self._texts) >= _CACHED:  # start again: the texts of the rows being written now count
                self._texts.clear()
            self._texts[v] = x
        return x

    def _value(self, ref: str, v: Any, s: str) -> str:
        """One <c> element; s: ' s="N"' or ''. None -> a styled empty cell or nothing."""
        t = type(v)
        if t is str:
            return f'<c r="{ref}"{s} t="inlineStr">{self._texts.get(v) or self._text(v)}</c>'
        if t is int:
            return f'<c r="{ref}"{s}><v>{v}</v></c>'
        if t is float:
            if v != v or v in (_INF, -_INF):
                return f'<c r="{ref}"{s}/>' if s else ""
            if v.is_integer() and -1e15 < v < 1e15:  # 90.0 as 90, as Excel and openpyxl write it
                return f'<c r="{ref}"{s}><v>{int(v)}</v></c>'
            return f'<c r="{ref}"{s}><v>{v!r}</v></c>'
        if t is bool:
            return f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>'
        if v is None:
            return f'<c r="{ref}"{s}/>' if s else ""
        return self._value(ref, _plain(v), s)

    def _link(self, ref: str, link: Link) -> None:
        where = f' location="{xml_attr(link.location)}"' if link.location else ""
        if link.target is None:
            self._hl.append(f'<hyperlink ref="{ref}"{where}/>')
            return
        self._n_links += 1
        rid = f"rId{self._n_links}"
        self._hl.append(f'<hyperlink ref="{ref}" r:id="{rid}"{where}/>')
        self._rl.append(f'<Relationship Id="{rid}" Type="{_NS_R}/hyperlink" Target="{xml_attr(link.target)}" '
                        'TargetMode="External"/>')

    def add_table(self, name: str, columns: Sequence[str], *, first_row: int = 1,
                  style: str = "TableStyleLight9") -> None:
        """An Excel table (with autofilter) over columns A.. from first_row (its header) to the last row written.
        columns: the header texts, as written in first_row."""
        if self.rows <= first_row:
            raise ValueError("a table needs a header row and at least one row below it")
        ref = f"A{first_row}:{get_column_letter(len(columns))}{self.rows}"
        self._table = (name, list(columns), ref, style)

    # ------------------------------------------------------------ the sheet's XML
    def _head(self, widths: Sequence[float], freeze: str | None) -> str:
        parts = [_DECL, f'<worksheet xmlns="{_NS}" xmlns:r="{_NS_R}">']
        if self._landscape:
            parts.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        selected = ' tabSelected="1"' if self.index == 0 else ""
        parts.append(f'<sheetViews><sheetView workbookViewId="0"{selected}>{_pane(freeze)}</sheetView></sheetViews>')
        parts.append('<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>')
        if widths:
            parts.append("<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                                            for i, w in enumerate(widths, 1)) + "</cols>")
        parts.append("<sheetData>")
        return "".join(parts)

    def _flush(self) -> None:
        self._file.write("".join(self._buf).encode("utf-8"))
        self._buf.clear()
        if self._hl:
            if self._links is None:
                self._links, self._rels = tempfile.TemporaryFile(), _rels_file()
            self._links.write("".join(self._hl).encode("utf-8"))
            self._rels.write("".join(self._rl).encode("utf-8"))
            self._hl.clear()
            self._rl.clear()

    def close(self, zf: zipfile.ZipFile, table_id: int) -> str | None:
        """Finish the XML, zip the sheet (and its relationships, table); returns the table's part name."""
        self._buf.append("</sheetData>")
        self._flush()
        if self._links is not None:
            self._file.write(b"<hyperlinks>")
            self._links.seek(0)
            shutil.copyfileobj(self._links, self._file)
            self._file.write(b"</hyperlinks>")
        end = ['<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>']
        if self._landscape:
            end.append('<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>')
        table_part = None
        if self._table is not None:
            table_rid = f"rId{self._n_links + 1}"
            end.append(f'<tableParts count="1"><tablePart r:id="{table_rid}"/></tableParts>')
            table_part = f"xl/tables/table{table_id}.xml"
        end.append("</worksheet>")
        self._file.write("".join(end).encode("utf-8"))
        _zip_file(zf, f"xl/worksheets/sheet{self.index + 1}.xml", self._file)

        if table_part:
            if self._rels is None:
                self._rels = _rels_file()
            self._rels.write(f'<Relationship Id="{table_rid}" Type="{_NS_R}/table" '
                             f'Target="../tables/table{table_id}.xml"/>'.encode())
        if self._rels is not None:
            self._rels.write(b"</Relationships>")
            _zip_file(zf, f"xl/worksheets/_rels/sheet{self.index + 1}.xml.rels", self._rels)
        if table_part:
            zf.writestr(table_part, _table_xml(table_id, *self._table))
        self.discard()
        return table_part

    def discard(self) -> None:
        for f in (self._file, self._links, self._rels):
            if f is not None:
                f.close()
        self._buf.clear()
        self._hl.clear()
        self._rl.clear()
        self._texts.clear()


def _rels_file() -> IO[bytes]:
    f = tempfile.TemporaryFile()
    f.write(f'{_DECL}<Relationships xmlns="{_NS_PKG}">'.encode())
    return f


def _pane(freeze: str | None) -> str:
    if not freeze or freeze == "A1":
        return '<selection activeCell="A1" sqref="A1"/>'
    letters, row = split_coordinate(freeze)
    col = column_index(letters)
    x = f' xSplit="{col - 1}"' if col > 1 else ""
    y = f' ySplit="{row - 1}"' if row > 1 else ""
    active = "bottomRight" if x and y else ("bottomLeft" if y else "topRight")
    sel = f'<selection pane="{active}" activeCell="{freeze}" sqref="{freeze}"/>'
    if x and y:
        sel = '<selection pane="topRight"/><selection pane="bottomLeft"/>' + sel
    return f'<pane{x}{y} topLeftCell="{freeze}" activePane="{active}" state="frozen"/>{sel}'


def _table_xml(table_id: int, name: str, columns: list[str], ref: str, style: str) -> str:
    cols = "".join(f'<tableColumn id="{i}" name="{xml_attr(c)}"/>' for i, c in enumerate(columns, 1))
    name = xml_attr(name)
    return (f'{_DECL}<table xmlns="{_NS}" id="{table_id}" name="{name}" displayName="{name}" ref="{ref}" '
            f'headerRowCount="1"><autoFilter ref="{ref}"/><tableColumns count="{len(columns)}">{cols}</tableColumns>'
            f'<tableStyleInfo name="{xml_attr(style)}" showFirstColumn="0" showLastColumn="0" '
            'showRowStripes="1" showColumnStripes="0"/></table>')


def _zip_file(zf: zipfile.ZipFile, name: str, f: IO[bytes]) -> None:
    """Copy a temporary file into the zip; its size is known, so Zip64 is used only when it must be
    (Excel has refused small parts written with Zip64 headers)."""
    big = f.tell() * 1.05 > zipfile.ZIP64_LIMIT
    f.seek(0)
    with zf.open(name, "w", force_zip64=big) as dst:
        shutil.copyfileobj(f, dst, 1 << 20)


class StreamWorkbook:
    """A new .xlsx written sheet after sheet; use as a context manager (or call close())."""

    def __init__(self, path: str | Path, *, creator: str = "jxzp"):
        self._zf = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=_COMPRESS_LEVEL)
        self._creator = creator
        self._sheets: list[str] = []
        self._tables: list[str] = []
        self._current: Sheet | None = None
        self._fonts: dict[tuple, int] = {(False, None, None, False): 0}
        self._fills: dict[str | None, int] = {None: 0}  # 1 is Excel's reserved gray125
        self._formats: dict[str, int] = {}
        self._xfs: dict[tuple, int] = {(0, 0, 0, None): 0}
        self._closed = False

    def style(self, *, bold: bool = False, size: float | None = None, color: str | None = None,
              underline: bool = False, fill: str | None = None, fmt: str | None = None,
              wrap: bool = False, valign: str | None = None) -> int:
        """The index of a cell style (declared once, used by many cells). Colours as RRGGBB."""
        font = self._fonts.setdefault((bold, size, color, underline), len(self._fonts))
        fill_id = self._fills.setdefault(fill, len(self._fills) + 1) if fill else 0
        fmt_id = 0
        if fmt:
            fmt_id = _BUILTIN_FORMATS.get(fmt) or self._formats.setdefault(fmt, 164 + len(self._formats))
        align = (wrap, valign) if wrap or valign else None
        return self._xfs.setdefault((font, fill_id, fmt_id, align), len(self._xfs))

    def add_sheet(self, name: str, *, widths: Sequence[float] = (), freeze: str | None = None,
                  landscape: bool = True) -> Sheet:
        """The next sheet (the one before it is finished now). landscape: printed on A4 landscape,
        all columns fitted to the page width."""
        if not name or len(name) > 31 or set(name) & set("[]:*?/\\") or name in self._sheets:
            raise ValueError(f"bad or repeated sheet name: {name!r}")
        self._finish_sheet()
        self._sheets.append(name)
        self._current = Sheet(len(self._sheets) - 1, name, widths, freeze, landscape)
        return self._current

    def _finish_sheet(self) -> None:
        if self._current is not None:
            part = self._current.close(self._zf, len(self._tables) + 1)
            if part:
                self._tables.append(part)
            self._current = None

    def close(self) -> None:
        if self._closed:
            return
        if not self._sheets:
            self.add_sheet("Sheet1")
        self._finish_sheet()
        zf = self._zf
        zf.writestr("xl/workbook.xml", self._workbook_xml())
        zf.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels())
        zf.writestr("xl/styles.xml", self._styles_xml())
        now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        zf.writestr("docProps/core.xml", _core_xml(self._creator, now))
        zf.writestr("docProps/app.xml", f'{_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/'
                    f'2006/extended-properties"><Application>{xml_text(self._creator)}</Application></Properties>')
        zf.writestr("_rels/.rels", _root_rels())
        zf.writestr("[Content_Types].xml", self._content_types())
        zf.close()
        self._closed = True

    def abort(self) -> None:
        """Stop without finishing the file (it is left incomplete; the caller removes it)."""
        if self._current is not None:
            self._current.discard()
            self._current = None
        self._zf.close()
        self._closed = True

    def __enter__(self) -> StreamWorkbook:
        return self

    def __exit__(self, exc_type, *_) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # ------------------------------------------------------------ workbook parts
    def _workbook_xml(self) -> str:
        sheets = "".join(f'<sheet name="{xml_attr(n)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, n in enumerate(self._sheets, 1))
        return (f'{_DECL}<workbook xmlns="{_NS}" xmlns:r="{_NS_R}"><workbookPr/>'
                '<bookViews><workbookView activeTab="0"/></bookViews>'
                f'<sheets>{sheets}</sheets><calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')

    def _workbook_rels(self) -> str:
        rels = [f'<Relationship Id="rId{i}" Type="{_NS_R}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(self._sheets) + 1)]
        rels.append(f'<Relationship Id="rId{len(self._sheets) + 1}" Type="{_NS_R}/styles" Target="styles.xml"/>')
        return f'{_DECL}<Relationships xmlns="{_NS_PKG}">{"".join(rels)}</Relationships>'

    def _content_types(self) -> str:
        o = "application/vnd.openxmlformats-officedocument"
        parts = [("/xl/workbook.xml", f"{o}.spreadsheetml.sheet.main+xml"),
                 ("/xl/styles.xml", f"{o}.spreadsheetml.styles+xml"),
                 ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
                 ("/docProps/app.xml", f"{o}.extended-properties+xml")]
        parts += [(f"/xl/worksheets/sheet{i}.xml", _CT_SHEET) for i in range(1, len(self._sheets) + 1)]
        parts += [(f"/{t}", _CT_TABLE) for t in self._tables]
        over = "".join(f'<Override PartName="{p}" ContentType="{c}"/>' for p, c in parts)
        return (f'{_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                f'<Default Extension="xml" ContentType="application/xml"/>{over}</Types>')

    def _styles_xml(self) -> str:
        fonts = []
        for bold, size, color, underline in self._fonts:
            fonts.append("<font>" + ("<b/>" if bold else "") + ('<u val="single"/>' if underline else "")
                         + f'<sz val="{size or 11}"/>' + (f'<color rgb="FF{color}"/>' if color else "")
                         + '<name val="Calibri"/><family val="2"/></font>')
        fills = ['<fill><patternFill patternType="none"/></fill>', '<fill><patternFill patternType="gray125"/></fill>']
        fills += [f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/><bgColor indexed="64"/>'
                  '</patternFill></fill>' for c in list(self._fills)[1:]]
        xfs = []
        for font, fill, fmt, align in self._xfs:
            applied = (' applyFont="1"' if font else "") + (' applyFill="1"' if fill else "") \
                + (' applyNumberFormat="1"' if fmt else "") + (' applyAlignment="1"' if align else "")
            inner = ""
            if align:
                wrap, valign = align
                inner = "<alignment" + (' wrapText="1"' if wrap else "") \
                    + (f' vertical="{valign}"' if valign else "") + "/>"
            xfs.append(f'<xf numFmtId="{fmt}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"{applied}'
                       + (f">{inner}</xf>" if inner else "/>"))
        num_fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{xml_attr(f)}"/>' for f, i in self._formats.items())
        return (f'{_DECL}<styleSheet xmlns="{_NS}">'
                + (f'<numFmts count="{len(self._formats)}">{num_fmts}</numFmts>' if self._formats else "")
                + f'<fonts count="{len(fonts)}">{"".join(fonts)}</fonts>'
                f'<fills count="{len(fills)}">{"".join(fills)}</fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
                'defaultPivotStyle="PivotStyleLight16"/></styleSheet>')


def _root_rels() -> str:
    return (f'{_DECL}<Relationships xmlns="{_NS_PKG}">'
            f'<Relationship Id="rId1" Type="{_NS_R}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{_NS_PKG}/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_NS_R}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>")


def _core_xml(creator: str, now: str) -> str:
    return (f'{_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:creator>{xml_text(creator)}</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>')

"""Paragraphs, fields and tables written straight as WordprocessingML elements.

python-docx's table API recomputes the whole cell grid on every `row.cells` and `merge`,
which makes a table quadratic in its rows; paragraphs go through a style-name lookup.
Building the elements directly keeps the report linear in its size.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from docx.oxml.ns import qn
from docx.oxml.parser import OxmlElement

from .styles import el

_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def run(text: str = "", *, east_asia: str | None = None, ascii_: str | None = None) -> OxmlElement:
    """A w:r with text (tabs become w:tab). Text must already be clean (see text.clean_text)."""
    r = OxmlElement("w:r")
    if east_asia or ascii_:
        rpr = el("w:rPr")
        rf = el("w:rFonts")
        if ascii_:
            rf.set(qn("w:ascii"), ascii_)
            rf.set(qn("w:hAnsi"), ascii_)
        if east_asia:
            rf.set(qn("w:eastAsia"), east_asia)
            rf.set(qn("w:hint"), "eastAsia")
        rpr.append(rf)
        r.append(rpr)
    parts = text.split("\t")
    for i, part in enumerate(parts):
        if i:
            r.append(OxmlElement("w:tab"))
        if part:
            t = OxmlElement("w:t")
            t.text = part
            t.set(_XML_SPACE, "preserve")
            r.append(t)
    return r


def line_break() -> OxmlElement:
    r = OxmlElement("w:r")
    r.append(OxmlElement("w:br"))
    return r


def paragraph(style: str | None, *content, page_break_before: bool = False, keep_next: bool = False,
              ppr_extra: list | None = None) -> OxmlElement:
    """content: strings (one run each) or ready w:r elements."""
    p = OxmlElement("w:p")
    ppr = OxmlElement("w:pPr")
    if style:
        ppr.append(el("w:pStyle", val=style))
    if keep_next:
        ppr.append(el("w:keepNext"))
    if page_break_before:
        ppr.append(el("w:pageBreakBefore"))
    for extra in ppr_extra or ():
        ppr.append(extra)
    if len(ppr):
        p.append(ppr)
    for c in content:
        if isinstance(c, str):
            if c:
                p.append(run(c))
        else:
            p.append(c)
    return p


def page_field_runs(value: str = "1") -> list[OxmlElement]:
    """A complex PAGE field (Word and LibreOffice update it when laying out)."""
    begin = OxmlElement("w:r")
    begin.append(el("w:fldChar", fldCharType="begin"))
    instr = OxmlElement("w:r")
    it = OxmlElement("w:instrText")
    it.text = " PAGE "
    it.set(_XML_SPACE, "preserve")
    instr.append(it)
    sep = OxmlElement("w:r")
    sep.append(el("w:fldChar", fldCharType="separate"))
    end = OxmlElement("w:r")
    end.append(el("w:fldChar", fldCharType="end"))
    return [begin, instr, sep, run(value), end]


# ---------------------------------------------------------------- tables
@dataclass
class Cell:
    text: str = ""
    style: str = "JxTableText"
    span: int = 1  # columns spanned (gridSpan)
    vmerge: str | None = None  # "restart" or "continue"
    shade: str | None = None  # fill colour, e.g. "D9D9D9"


@dataclass
class TableSpec:
    widths: list[int]  # twips, one per grid column
    header: list[list[Cell]] = field(default_factory=list)  # repeated on every page (w:tblHeader)
    rows: list[list[Cell]] = field(default_factory=list)


def _borders() -> OxmlElement:
    b = el("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        b.append(el(f"w:{side}", val="single", sz=4, space=0, color="000000"))
    return b


def _cell(c: Cell, width: int, texts_to_paragraphs) -> OxmlElement:
    tc = OxmlElement("w:tc")
    pr = OxmlElement("w:tcPr")
    pr.append(el("w:tcW", w=width, type="dxa"))
    if c.span > 1:
        pr.append(el("w:gridSpan", val=c.span))
    if c.vmerge == "restart":
        pr.append(el("w:vMerge", val="restart"))
    elif c.vmerge == "continue":
        pr.append(OxmlElement("w:vMerge"))
    if c.shade:
        pr.append(el("w:shd", val="clear", color="auto", fill=c.shade))
    pr.append(el("w:vAlign", val="center"))
    tc.append(pr)
    lines = texts_to_paragraphs(c.text) if c.vmerge != "continue" else []
    for line in lines or [""]:  # a cell needs at least one paragraph
        tc.append(paragraph(c.style, line))
    return tc


def table(spec: TableSpec, texts_to_paragraphs) -> OxmlElement:
    """The w:tbl of spec: fixed layout, widths on the grid and on every cell, header rows repeated."""
    tbl = OxmlElement("w:tbl")
    pr = OxmlElement("w:tblPr")
    total = sum(spec.widths)
    pr.append(el("w:tblW", w=total, type="dxa"))
    pr.append(el("w:jc", val="center"))
    pr.append(_borders())
    pr.append(el("w:tblLayout", type="fixed"))
    mar = el("w:tblCellMar")
    mar.append(el("w:left", w=85, type="dxa"))
    mar.append(el("w:right", w=85, type="dxa"))
    pr.append(mar)
    pr.append(el("w:tblLook", val="04A0", firstRow=1, lastRow=0, firstColumn=1, lastColumn=0, noHBand=0, noVBand=1))
    tbl.append(pr)
    grid = OxmlElement("w:tblGrid")
    for w in spec.widths:
        grid.append(el("w:gridCol", w=w))
    tbl.append(grid)
    for is_header, rows in ((True, spec.header), (False, spec.rows)):
        for cells in rows:
            tr = OxmlElement("w:tr")
            trpr = OxmlElement("w:trPr")
            if is_header:
                trpr.append(el("w:cantSplit"))
                trpr.append(el("w:tblHeader"))
            # body rows may split across pages: LibreOffice 7.4 dropped cantSplit rows next to merged cells
            tr.append(trpr)
            col = 0
            for c in cells:
                width = sum(spec.widths[col:col + c.span])
                tr.append(_cell(c, width, texts_to_paragraphs))
                col += c.span
            if col != len(spec.widths):
                raise ValueError(f"table row covers {col} of {len(spec.widths)} columns")
            tbl.append(tr)
    return tbl

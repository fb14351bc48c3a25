"""GB/T 9704 page and styles on top of python-docx's default template.

python-docx has no API for East Asian fonts, theme-font removal, character-unit indents
or exact line pitch, so styles are written as WordprocessingML here. Every style the
report uses is rewritten completely (pPr and rPr replaced), so nothing of the default
template's Calibri/Cambria/ＭＳ 明朝 theme leaks into the report.
"""
from __future__ import annotations

from dataclasses import dataclass

from docx.oxml.ns import qn
from docx.oxml.parser import OxmlElement

# ---------------------------------------------------------------- page (twips: 1 mm = 56.69 twips)
PAGE_W, PAGE_H = 11906, 16838  # A4
MARGIN_TOP = 2098  # 37 mm 天头
MARGIN_BOTTOM = 1984  # 35 mm
MARGIN_LEFT = 1587  # 28 mm 订口
MARGIN_RIGHT = 1474  # 26 mm
TEXT_W = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT  # 8845 = 156 mm
# page number: the dashes 7 mm below the text block; the footer line is exact 17 pt with the
# dash at its middle, so its bottom edge sits 35 − 7 − 3 = 25 mm above the page edge
FOOTER_DIST = 1418
HEADER_DIST = 851  # 15 mm (no header is used)

LINE_PITCH = 579  # 225 mm / 22 lines, exact (twips)
BODY_SIZE = 32  # half-points: 3号 16 pt
TITLE_SIZE = 44  # 2号 22 pt
PAGE_NUM_SIZE = 28  # 4号 14 pt
TABLE_SIZE = 21  # 5号 10.5 pt
# 156 mm (442 pt) / 16 pt holds 27.6 characters. −0.5 pt spacing gives GB/T 9704's 28 per line
# (28 × 15.5 = 434 pt). A ，or 、 that falls after the 28th character hangs into the margin
# (Word's default 允许标点溢出边界; LibreOffice does the same): with −0.25 pt, 1 pt short of
# the edge, LibreOffice 7.4 laid such punctuation out but did not paint it.
BODY_CHAR_SPACING = -10  # twentieths of a point


@dataclass(frozen=True)
class FontSet:
    """Font names written into the document (the Windows names the standard uses)."""

    body: str = "仿宋_GB2312"
    title: str = "方正小标宋简体"
    heading1: str = "黑体"
    heading2: str = "楷体_GB2312"
    page_number: str = "宋体"
    latin: str = "Times New Roman"


DEFAULT_FONTS = FontSet()

# fontTable entries: Word substitutes altName (and uses panose/charset) when a font is missing,
# e.g. a Windows 10 PC without the GB2312 fonts gets 仿宋/楷体, which Windows ships.
_FONT_INFO = {
    "仿宋_GB2312": ("仿宋", "02010609030101010101", "modern", "fixed"),
    "楷体_GB2312": ("楷体", "02010609030101010101", "modern", "fixed"),
    "仿宋": ("FangSong", "02010609060101010101", "modern", "fixed"),
    "楷体": ("KaiTi", "02010609060101010101", "modern", "fixed"),
    "黑体": ("SimHei", "02010609060101010101", "modern", "fixed"),
    "宋体": ("SimSun", "02010600030101010101", "auto", "variable"),
    "方正小标宋简体": ("宋体", "02000000000000000000", "auto", "variable"),
}


@dataclass(frozen=True)
class StyleSpec:
    id: str
    name: str
    east_asia: str
    ascii: str
    size: int  # half-points
    based_on: str | None = None
    align: str = "both"
    first_line_chars: int = 0  # hundredths of a character
    line_exact: int | None = LINE_PITCH  # None: single spacing
    keep_next: bool = False
    outline: int | None = None
    bold: bool = False
    char_spacing: int = 0
    before: int = 0
    after: int = 0
    widow_control: bool = False
    custom: bool = False


def style_specs(f: FontSet) -> list[StyleSpec]:
    body = dict(east_asia=f.body, ascii=f.latin, size=BODY_SIZE, char_spacing=BODY_CHAR_SPACING)
    return [
        StyleSpec("Normal", "Normal", first_line_chars=200, **body),
        StyleSpec("Heading1", "heading 1", f.heading1, f.latin, BODY_SIZE, "Normal", first_line_chars=200,
                  keep_next=True, outline=0, char_spacing=BODY_CHAR_SPACING),
        StyleSpec("Heading2", "heading 2", f.heading2, f.latin, BODY_SIZE, "Normal", first_line_chars=200,
                  keep_next=True, outline=1, char_spacing=BODY_CHAR_SPACING),
        StyleSpec("Heading3", "heading 3", f.body, f.latin, BODY_SIZE, "Normal", first_line_chars=200,
                  keep_next=True, outline=2, char_spacing=BODY_CHAR_SPACING),
        StyleSpec("Heading4", "heading 4", f.body, f.latin, BODY_SIZE, "Normal", first_line_chars=200,
                  keep_next=True, outline=3, char_spacing=BODY_CHAR_SPACING),
        StyleSpec("Title", "Title", f.title, f.title, TITLE_SIZE, "Normal", align="center", line_exact=None,
                  keep_next=True),
        # exact line: the page number's position does not depend on the substitute font's line height
        StyleSpec("Footer", "footer", f.page_number, f.page_number, PAGE_NUM_SIZE, "Normal", line_exact=340),
        # custom styles (names shown in Word's style list)
        StyleSpec("JxCover", "封面信息", f.body, f.latin, BODY_SIZE, "Normal", align="left",
                  char_spacing=BODY_CHAR_SPACING, custom=True),
        StyleSpec("JxAttachLabel", "附件标识", f.heading1, f.latin, BODY_SIZE, "Normal", align="left", custom=True),
        StyleSpec("JxTableCaption", "表格说明", f.body, f.latin, 24, "Normal", align="left", line_exact=None,
                  keep_next=True, after=60, custom=True),
        # left, not justified: narrow cells justified spread CJK lines apart
        StyleSpec("JxTableText", "表格文字", f.body, f.latin, TABLE_SIZE, None, align="left", line_exact=None,
                  custom=True),
        StyleSpec("JxTableCenter", "表格文字居中", f.body, f.latin, TABLE_SIZE, "JxTableText", align="center",
                  line_exact=None, custom=True),
        StyleSpec("JxTableHead", "表格标题行", f.heading1, f.latin, TABLE_SIZE, "JxTableText", align="center",
                  line_exact=None, custom=True),
        # exact line spacing would crop a picture to one line
        StyleSpec("JxPicture", "图片", f.body, f.latin, BODY_SIZE, "Normal", align="center", line_exact=None,
                  keep_next=True, before=120, custom=True),
        StyleSpec("JxFigureCaption", "图题", f.heading2, f.latin, 28, "Normal", align="center",
                  line_exact=None, after=120, custom=True),
    ]


# ---------------------------------------------------------------- XML helpers
def el(tag: str, **attrs) -> OxmlElement:
    e = OxmlElement(tag)
    for k, v in attrs.items():
        e.set(qn(f"w:{k}"), str(v))
    return e


def rfonts(east_asia: str, ascii_: str) -> OxmlElement:
    return el("w:rFonts", ascii=ascii_, hAnsi=ascii_, eastAsia=east_asia, cs=ascii_, hint="eastAsia")


def _ppr(s: StyleSpec) -> OxmlElement:
    p = el("w:pPr")
    if s.keep_next:
        p.append(el("w:keepNext"))
    p.append(el("w:widowControl", val="1" if s.widow_control else "0"))
    if s.line_exact is not None:
        p.append(el("w:spacing", before=s.before, after=s.after, line=s.line_exact, lineRule="exact"))
    else:
        p.append(el("w:spacing", before=s.before, after=s.after, line=240, lineRule="auto"))
    # both attributes: Word prefers firstLineChars; derived styles reset it explicitly
    p.append(el("w:ind", left=0, right=0, firstLineChars=s.first_line_chars,
                firstLine=s.first_line_chars * s.size // 10))  # 200 × 32 / 10 = 640 twips
    p.append(el("w:jc", val=s.align))
    if s.outline is not None:
        p.append(el("w:outlineLvl", val=s.outline))
    return p


def _rpr(s: StyleSpec) -> OxmlElement:
    r = el("w:rPr")
    r.append(rfonts(s.east_asia, s.ascii))
    r.append(el("w:b", val="1" if s.bold else "0"))
    r.append(el("w:bCs", val="1" if s.bold else "0"))
    r.append(el("w:color", val="000000"))
    r.append(el("w:spacing", val=s.char_spacing))
    r.append(el("w:kern", val=0))
    r.append(el("w:sz", val=s.size))
    r.append(el("w:szCs", val=s.size))
    r.append(el("w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA"))
    return r


def _strip_theme_fonts(root) -> None:
    """Remove *Theme font attributes: Word prefers a theme font over the named one."""
    for rf in root.iter(qn("w:rFonts")):
        for attr in list(rf.attrib):
            if attr.lower().endswith("theme"):
                del rf.attrib[attr]


def _set_style(styles_el, s: StyleSpec) -> None:
    """Replace name, basedOn, pPr and rPr of a style (created if missing), keeping schema order."""
    st = styles_el.find(f"{qn('w:style')}[@{qn('w:styleId')}='{s.id}']")
    if st is None:
        st = el("w:style", type="paragraph", styleId=s.id)
        if s.custom:
            st.set(qn("w:customStyle"), "1")
        st.append(el("w:qFormat"))  # shown in Word's style gallery
        styles_el.append(st)
    for child in list(st):
        if child.tag in (qn("w:pPr"), qn("w:rPr"), qn("w:basedOn"), qn("w:name")):
            st.remove(child)
    st.insert(0, el("w:name", val=s.name))  # CT_Style: name, aliases, basedOn, next, link, ...
    if s.based_on:
        st.insert(1, el("w:basedOn", val=s.based_on))
    st.append(_ppr(s))  # pPr and rPr come after every other child but tblPr & co. (absent here)
    st.append(_rpr(s))


def _doc_defaults(styles_el, f: FontSet) -> None:
    dd = styles_el.find(qn("w:docDefaults"))
    if dd is None:
        dd = el("w:docDefaults")
        styles_el.insert(0, dd)
    for child in list(dd):
        dd.remove(child)
    rpr_default = el("w:rPrDefault")
    r = el("w:rPr")
    r.append(rfonts(f.body, f.latin))
    r.append(el("w:sz", val=BODY_SIZE))
    r.append(el("w:szCs", val=BODY_SIZE))
    r.append(el("w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA"))
    rpr_default.append(r)
    ppr_default = el("w:pPrDefault")
    p = el("w:pPr")
    p.append(el("w:spacing", after=0, line=240, lineRule="auto"))
    ppr_default.append(p)
    dd.append(rpr_default)
    dd.append(ppr_default)


def _font_table(doc, f: FontSet) -> None:
    part = next((p for p in doc.part.package.iter_parts() if str(p.partname).endswith("/fontTable.xml")), None)
    if part is None:
        return
    from lxml import etree  # noqa: PLC0415 - python-docx depends on lxml

    root = etree.fromstring(part.blob)
    present = {e.get(qn("w:name")) for e in root.findall(qn("w:font"))}
    names = [f.body, f.title, f.heading1, f.heading2, f.page_number]
    for name in dict.fromkeys(names):
        if name in present or name not in _FONT_INFO:
            continue
        alt, panose, family, pitch = _FONT_INFO[name]
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        etree.SubElement(font, qn("w:altName")).set(qn("w:val"), alt)
        etree.SubElement(font, qn("w:panose1")).set(qn("w:val"), panose)
        etree.SubElement(font, qn("w:charset")).set(qn("w:val"), "86")  # GB2312
        etree.SubElement(font, qn("w:family")).set(qn("w:val"), family)
        etree.SubElement(font, qn("w:pitch")).set(qn("w:val"), pitch)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _settings(doc) -> None:
    doc.settings.odd_and_even_pages_header_footer = True
    s = doc.settings.element
    tfl = s.find(qn("w:themeFontLang"))
    if tfl is not None:
        tfl.set(qn("w:eastAsia"), "zh-CN")


def setup_document(doc, fonts: FontSet = DEFAULT_FONTS) -> None:
    styles_el = doc.styles.element
    _doc_defaults(styles_el, fonts)
    for spec in style_specs(fonts):
        _set_style(styles_el, spec)
    _strip_theme_fonts(styles_el)
    _font_table(doc, fonts)
    _settings(doc)


def setup_section(sectPr, *, restart_numbering: bool = False) -> None:
    """A4, GB/T 9704 margins, no character grid (see docs/report-notes.md)."""
    for tag in ("w:pgSz", "w:pgMar", "w:docGrid", "w:pgNumType"):
        old = sectPr.find(qn(tag))
        if old is not None:
            sectPr.remove(old)
    pg = el("w:pgSz", w=PAGE_W, h=PAGE_H)
    mar = el("w:pgMar", top=MARGIN_TOP, right=MARGIN_RIGHT, bottom=MARGIN_BOTTOM, left=MARGIN_LEFT,
             header=HEADER_DIST, footer=FOOTER_DIST, gutter=0)
    # schema order: ... pgSz, pgMar, paperSrc, pgBorders, lnNumType, pgNumType, cols, ..., docGrid
    cols = sectPr.find(qn("w:cols"))
    if cols is None:
        cols = el("w:cols", space=425)
        sectPr.append(cols)
    cols.addprevious(pg)
    cols.addprevious(mar)
    if restart_numbering:
        cols.addprevious(el("w:pgNumType", fmt="decimal", start=1))
    sectPr.append(el("w:docGrid", linePitch=LINE_PITCH))

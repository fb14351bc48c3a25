"""The score-vs-maximum chart of the report, as a native Word chart (DrawingML).

Word, WPS and LibreOffice draw it themselves with the document's fonts, so Chinese labels
never turn into boxes and nothing is rasterised here. The part carries its figures twice,
as the spec wants: a cache in chart1.xml (what is drawn) and an embedded .xlsx (what Word's
and WPS's 编辑数据 opens). Both are written as text: no plotting or spreadsheet library.
"""
from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass

from addin.core.numeric import fmt_score

def escape(text: str) -> str:
    """XML text (xml.sax.saxutils would import urllib and http.client: 30 ms for three replaces)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(text: str) -> str:
    return '"' + escape(text).replace('"', "&quot;").replace("\n", "&#10;") + '"'


SCORE_COLOR = "1F4E78"  # the workbook's header blue
MAX_COLOR = "BFBFBF"
SERIES = ("分值", "自评得分")
SHEET = "Sheet1"  # Word's own name for a chart's data sheet
EMU_PER_MM = 36000


@dataclass(frozen=True)
class Bar:
    label: str
    maximum: float
    score: float


def chart_data(ev) -> list[Bar]:
    """One bar pair per 一级指标: this year's maximum (sum of 适用分值) and the score (the sheet's 合计)."""
    fw = ev.fw

    def finite(v: float) -> float:
        # an overflowing sum (#NUM! in Excel) or an absurd score (flagged by 校验) is drawn as 0:
        # an axis up to 1e308 would flatten every other bar
        return v if math.isfinite(v) and abs(v) <= 1e9 else 0.0

    bars = [Bar(g.name, sum(ev.indicators[i.id].eff_max for i in fw.indicators_of_level1(g.id)),
                finite(ev.groups[g.id])) for g in fw.level1]
    if getattr(fw, "target", None) is not None:  # the indicator table's groups: their declared weights
        bars += [Bar(g.name, g.weight, finite(ev.groups.get(g.id, 0.0))) for g in fw.target.groups]
    return bars


# ---------------------------------------------------------------- chart part
_NS = ('xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
       'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')


def _num(v: float) -> str:
    """A cached value as text: the shortest exact form (4.2, not 4.2000000000000002)."""
    return repr(float(v)) if v != int(v) else str(int(v))


def _col(i: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i]


def _run_props(fonts, size: int, *, bold: bool = False, color: str = "404040", tag: str = "a:defRPr") -> str:
    """Text properties with the document's fonts (size in hundredths of a point)."""
    b = ' b="1"' if bold else ' b="0"'
    return (f'<{tag} sz="{size}"{b}><a:solidFill><a:srgbClr val="{color}"/></a:solidFill>'
            f'<a:latin typeface={quoteattr(fonts.latin)}/><a:ea typeface={quoteattr(fonts.body)}/>'
            f'<a:cs typeface={quoteattr(fonts.latin)}/></{tag}>')


def _tx_pr(fonts, size: int, *, rot: int | None = None, bold: bool = False) -> str:
    body = f'<a:bodyPr rot="{rot}" vert="horz"/>' if rot is not None else "<a:bodyPr/>"
    return (f"<c:txPr>{body}<a:lstStyle/><a:p><a:pPr>{_run_props(fonts, size, bold=bold)}</a:pPr>"
            '<a:endParaRPr lang="zh-CN"/></a:p></c:txPr>')


def _str_cache(values: list[str]) -> str:
    pts = "".join(f'<c:pt idx="{i}"><c:v>{escape(v)}</c:v></c:pt>' for i, v in enumerate(values))
    return f'<c:strCache><c:ptCount val="{len(values)}"/>{pts}</c:strCache>'


def _num_cache(values: list[float]) -> str:
    pts = "".join(f'<c:pt idx="{i}"><c:v>{_num(v)}</c:v></c:pt>' for i, v in enumerate(values))
    return f'<c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="{len(values)}"/>{pts}</c:numCache>'


def _fill(color: str) -> str:
    return f'<c:spPr><a:solidFill><a:srgbClr val="{color}"/></a:solidFill><a:ln><a:noFill/></a:ln></c:spPr>'


def _series(k: int, name: str, color: str, labels: list[str], values: list[float], fonts) -> str:
    n = len(labels)
    col = _col(k + 1)
    return (f'<c:ser><c:idx val="{k}"/><c:order val="{k}"/>'
            f"<c:tx><c:strRef><c:f>{SHEET}!${col}$1</c:f>{_str_cache([name])}</c:strRef></c:tx>"
            f'{_fill(color)}<c:invertIfNegative val="0"/>'
            f"<c:dLbls><c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>{_tx_pr(fonts, 900)}"
            '<c:dLblPos val="outEnd"/><c:showLegendKey val="0"/><c:showVal val="1"/><c:showCatName val="0"/>'
            '<c:showSerName val="0"/><c:showPercent val="0"/><c:showBubbleSize val="0"/></c:dLbls>'
            f"<c:cat><c:strRef><c:f>{SHEET}!$A$2:$A${n + 1}</c:f>{_str_cache(labels)}</c:strRef></c:cat>"
            f"<c:val><c:numRef><c:f>{SHEET}!${col}$2:${col}${n + 1}</c:f>{_num_cache(values)}</c:numRef></c:val>"
            "</c:ser>")


def _axis_line() -> str:
    return '<c:spPr><a:ln w="9525"><a:solidFill><a:srgbClr val="808080"/></a:solidFill></a:ln></c:spPr>'


def chart_xml(bars: list[Bar], fonts, *, data_rid: str | None = "rId1") -> bytes:
    """chart1.xml: clustered columns, 分值 beside 自评得分 per 一级指标, values on the bars."""
    labels = [b.label for b in bars]
    series = [[b.maximum for b in bars], [b.score for b in bars]]
    top = max([v for s in series for v in s] + [1.0])
    step = _nice_step(top * 1.15)
    axis_max = step * math.ceil(top * 1.15 / step)
    sers = "".join(_series(k, name, color, labels, vals, fonts)
                   for k, (name, color, vals) in enumerate(zip(SERIES, (MAX_COLOR, SCORE_COLOR), series)))
    external = (f'<c:externalData r:id="{data_rid}"><c:autoUpdate val="0"/></c:externalData>'
                if data_rid else "")
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<c:chartSpace {_NS}>'
        '<c:date1904 val="0"/><c:lang val="zh-CN"/><c:roundedCorners val="0"/>'
        '<c:chart><c:autoTitleDeleted val="1"/><c:plotArea><c:layout/>'
        f'<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/>{sers}'
        '<c:gapWidth val="80"/><c:overlap val="-5"/><c:axId val="500000001"/><c:axId val="500000002"/></c:barChart>'
        '<c:catAx><c:axId val="500000001"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        '<c:delete val="0"/><c:axPos val="b"/><c:numFmt formatCode="General" sourceLinked="0"/>'
        '<c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f'{_axis_line()}{_tx_pr(fonts, 1000)}<c:crossAx val="500000002"/><c:crosses val="autoZero"/>'
        '<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        '<c:valAx><c:axId val="500000002"/><c:scaling><c:orientation val="minMax"/>'
        f'<c:max val="{_num(axis_max)}"/><c:min val="0"/></c:scaling><c:delete val="0"/><c:axPos val="l"/>'
        '<c:majorGridlines><c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="D9D9D9"/></a:solidFill>'
        '</a:ln></c:spPr></c:majorGridlines>'
        '<c:title><c:tx><c:rich><a:bodyPr rot="0" vert="horz"/><a:lstStyle/><a:p><a:pPr>'
        f'{_run_props(fonts, 1000)}</a:pPr><a:r>{_run_props(fonts, 1000, tag="a:rPr")}<a:t>分</a:t></a:r></a:p>'
        '</c:rich></c:tx><c:overlay val="0"/></c:title>'
        '<c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="none"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:spPr><a:ln><a:noFill/></a:ln></c:spPr>'
        f'{_tx_pr(fonts, 900)}<c:crossAx val="500000001"/><c:crosses val="autoZero"/>'
        f'<c:crossBetween val="between"/><c:majorUnit val="{_num(step)}"/></c:valAx>'
        '<c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr></c:plotArea>'
        f'<c:legend><c:legendPos val="t"/><c:overlay val="0"/>{_tx_pr(fonts, 1000)}</c:legend>'
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
        '<c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>'
        f'{_tx_pr(fonts, 1000)}{external}</c:chartSpace>'
    )
    return xml.encode("utf-8")


def _nice_step(span: float) -> float:
    """A 1/2/5 × 10^k gridline step giving 4 to 8 lines up to span."""
    raw = span / 5
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag  # pragma: no cover


# ---------------------------------------------------------------- embedded workbook
_XLSX_FIXED = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{SHEET}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'styles" Target="styles.xml"/></Relationships>'),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="宋体"/><charset val="134"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"),
}


def _text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def data_workbook(bars: list[Bar]) -> bytes:
    """The chart's data as a one-sheet .xlsx (A: 一级指标, B: 分值, C: 自评得分), as Word embeds it."""
    rows = ['<row r="1">' + _text_cell("B1", SERIES[0]) + _text_cell("C1", SERIES[1]) + "</row>"]
    for i, b in enumerate(bars, 2):
        rows.append(f'<row r="{i}">{_text_cell(f"A{i}", b.label)}<c r="B{i}"><v>{_num(b.maximum)}</v></c>'
                    f'<c r="C{i}"><v>{_num(b.score)}</v></c></row>')
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<dimension ref="A1:C{len(bars) + 1}"/>'
             '<cols><col min="1" max="1" width="16" customWidth="1"/></cols>'
             f'<sheetData>{"".join(rows)}</sheetData></worksheet>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (*_XLSX_FIXED.items(), ("xl/worksheets/sheet1.xml", sheet)):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # same figures, same bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode("utf-8"))
    return buf.getvalue()


# ---------------------------------------------------------------- into the document
def inline_chart_xml(rid: str, shape_id: int, width_mm: float, height_mm: float, descr: str) -> str:
    """The w:drawing that shows the chart part `rid` inline, width × height."""
    cx, cy = round(width_mm * EMU_PER_MM), round(height_mm * EMU_PER_MM)
    return (
        '<w:drawing xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{cx}" cy="{cy}"/>'
        '<wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{shape_id}" name="图表 {shape_id}" descr={quoteattr(descr)}/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        f'<c:chart r:id="{rid}"/></a:graphicData></a:graphic></wp:inline></w:drawing>')


def add_chart(document, bars: list[Bar], fonts, *, width_mm: float = 150, height_mm: float = 80,
              descr: str = ""):
    """Add word/charts/chartN.xml (+ its embedded .xlsx) to document; returns the w:drawing element."""
    from docx.opc.constants import CONTENT_TYPE as CT  # noqa: PLC0415
    from docx.opc.constants import RELATIONSHIP_TYPE as RT  # noqa: PLC0415
    from docx.opc.packuri import PackURI  # noqa: PLC0415
    from docx.opc.part import Part  # noqa: PLC0415
    from docx.oxml import parse_xml  # noqa: PLC0415

    doc_part = document.part
    package = doc_part.package
    n = 1 + sum(1 for p in package.iter_parts() if p.partname.startswith("/word/charts/chart"))
    data_part = Part(PackURI(f"/word/embeddings/Microsoft_Excel_Worksheet{n}.xlsx"), CT.SML_SHEET,
                     data_workbook(bars), package)
    chart_part = Part(PackURI(f"/word/charts/chart{n}.xml"), CT.DML_CHART, b"", package)
    data_rid = chart_part.relate_to(data_part, RT.PACKAGE)
    chart_part._blob = chart_xml(bars, fonts, data_rid=data_rid)
    rid = doc_part.relate_to(chart_part, RT.CHART)
    return parse_xml(inline_chart_xml(rid, doc_part.next_id, width_mm, height_mm, descr))


def describe(bars: list[Bar]) -> str:
    """Alternative text: the figures in words, for screen readers and for text extraction."""
    return "；".join(f"{b.label}：分值 {fmt_score(b.maximum)} 分，自评得分 {fmt_score(b.score)} 分" for b in bars)

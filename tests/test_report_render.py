"""The report as LibreOffice lays it out: pages, page numbers, margins, and no text lost on the way.

Skipped when LibreOffice or poppler-utils are missing, unless JXZP_REQUIRE_LIBREOFFICE=1 (CI),
in which case they fail.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

import docgen
from docgen._synthetic import synthetic_evaluation

pytestmark = pytest.mark.libreoffice

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PT_PER_MM = 72 / 25.4
PAGE_W_PT, PAGE_H_PT = 210 * PT_PER_MM, 297 * PT_PER_MM
BLOCK = {"left": 28 * PT_PER_MM, "right": PAGE_W_PT - 26 * PT_PER_MM,
         "top": 37 * PT_PER_MM, "bottom": PAGE_H_PT - 35 * PT_PER_MM}


HANGING = "，。、；：？！”’）》」』"


def tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        msg = f"{name} 未安装（LibreOffice / poppler-utils），无法检查报告的版面"
        if os.environ.get("JXZP_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(msg + "，但 JXZP_REQUIRE_LIBREOFFICE=1")
        pytest.skip(msg)
    return exe


def to_pdf(docx_path: Path, workdir: Path) -> Path:
    exe = shutil.which("soffice") or shutil.which("libreoffice") or tool("soffice")
    tool("pdftotext")
    profile = workdir / "lo_profile"  # our own profile: other LibreOffice runs may be going on
    r = subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(workdir), str(docx_path)], capture_output=True, text=True, timeout=240)
    pdf = workdir / (docx_path.stem + ".pdf")
    assert r.returncode == 0 and pdf.exists(), r.stdout + r.stderr
    return pdf


def pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def pages_words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page: (xMin, yMin, xMax, yMax, word) from pdftotext -bbox."""
    out = []
    for page in pdftotext(pdf, "-bbox").split("<page ")[1:]:
        words = []
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
                             page):
            words.append((*map(float, m.groups()[:4]), html.unescape(m.group(5))))
        out.append(words)
    return out


def docx_text(docx_path: Path) -> list[tuple[bool, str]]:
    """(inside a table, text) for every paragraph of document.xml."""
    root = etree.fromstring(zipfile.ZipFile(docx_path).read("word/document.xml"))
    out = []
    for p in root.iter(f"{W}p"):
        in_table = any(a.tag == f"{W}tbl" for a in p.iterancestors())
        out.append((in_table, "".join(t.text or "" for t in p.iter(f"{W}t"))))
    return out


def squeeze(s: str) -> str:
    return re.sub(r"\s+", "", s)


@pytest.fixture(scope="module")
def sample_pdf(sample_eval, tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("report_pdf")
    path = docgen.build_report(sample_eval, d / "report.docx")
    return path, to_pdf(path, d)


def test_pages_numbers_and_size(sample_pdf):
    _, pdf = sample_pdf
    n = page_count(pdf)
    assert 20 <= n <= 60, n
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (round(w), round(h)) == (595, 842)  # A4
    raw = pdftotext(pdf, "-raw")
    assert "— 1 —" in raw
    pages = raw.split("\f")[:n]
    assert not re.search(r"—\s*\d+\s*—", pages[0])  # the cover has no number
    for i, page in enumerate(pages[1:], 1):  # body pages count from 1
        assert f"— {i} —" in page, (i, page[-80:])
    assert f"— {n} —" not in raw


def test_every_character_of_the_docx_is_in_the_pdf(sample_pdf):
    """LibreOffice has silently dropped table rows before: count every character, tables included."""
    path, pdf = sample_pdf
    want = Counter(squeeze("".join(t for _, t in docx_text(path))))
    got = Counter(squeeze(pdftotext(pdf, "-raw")))
    missing = {c: want[c] - got[c] for c in want if got[c] < want[c]}
    assert missing == {}
    assert sum(want.values()) > 15_000


def test_body_paragraphs_read_through_in_the_pdf(sample_pdf):
    path, pdf = sample_pdf
    flow = re.sub(r"—\d+—", "", squeeze(pdftotext(pdf, "-raw")))  # page numbers interrupt paragraphs
    paragraphs = [squeeze(t) for in_table, t in docx_text(path) if not in_table and t.strip()]
    assert len(paragraphs) > 150
    lost = [p[:30] for p in paragraphs if p not in flow]
    assert lost == []


def test_text_stays_in_the_block_and_numbers_alternate_sides(sample_pdf):
    _, pdf = sample_pdf
    mid = PAGE_W_PT / 2
    for i, words in enumerate(pages_words(pdf)[1:], 1):
        body = [w for w in words if w[1] < BLOCK["bottom"]]
        foot = [w for w in words if w[1] >= BLOCK["bottom"]]
        assert "".join(w[4] for w in foot) == f"—{i}—", (i, foot)
        if i % 2:  # odd: right, one character in from the block's edge
            assert min(w[0] for w in foot) > mid and BLOCK["right"] - max(w[2] for w in foot) == pytest.approx(14, abs=3)
        else:
            assert max(w[2] for w in foot) < mid and min(w[0] for w in foot) - BLOCK["left"] == pytest.approx(14, abs=3)
        # the dashes about 7 mm below the text block
        centre = sum((w[1] + w[3]) / 2 for w in foot) / len(foot)
        assert 5 <= (centre - BLOCK["bottom"]) / PT_PER_MM <= 9, (i, centre)
        for x0, y0, x1, y1, text in body:
            # a line-end ，。、 may hang into the margin by one character (标点溢出边界)
            hang = 17 if text[-1:] in HANGING else 1.5
            assert BLOCK["left"] - 1 <= x0 and x1 <= BLOCK["right"] + hang, (i, text, x0, x1)
            assert BLOCK["top"] - 3 <= y0 and y1 <= BLOCK["bottom"] + 1, (i, text, y0, y1)


def test_body_page_has_22_lines_of_28_characters(sample_pdf):
    """GB/T 9704's grid: a full page of running text holds 22 lines; a full line 28 characters."""
    _, pdf = sample_pdf
    pages = pages_words(pdf)
    page = pages[1]  # 一、部门的基本情况: plain paragraphs only
    lines = sorted({round(w[1]) for w in page if w[1] < BLOCK["bottom"]})
    assert len(lines) == 22, lines
    pitch = (lines[-1] - lines[0]) / 21
    assert pitch == pytest.approx(579 / 20, abs=0.3)  # exact 579-twip line spacing
    # 28 full-width characters on a full line (the two-character indent counted), never more
    widths = []
    for y in lines:
        text = "".join(w[4] for w in page if round(w[1]) == y)
        indent = (min(w[0] for w in page if round(w[1]) == y) - BLOCK["left"]) / 15.5
        widths.append(sum(1 if ord(c) > 0x7F else 0.5 for c in text) + round(indent))
    assert max(widths) <= 28.5, widths
    assert sum(1 for w in widths if w >= 27.5) >= 10, widths


def test_chinese_is_rendered_with_a_cjk_font(sample_pdf):
    _, pdf = sample_pdf
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "CJK" in fonts, fonts


def test_long_table_loses_no_rows(tmp_path):
    """A 150-row 自评表 over several pages with merged 一级/二级 cells."""
    ev = synthetic_evaluation(150)
    rep = docgen.render(ev, chart=False)
    path = tmp_path / "long.docx"
    rep.document.save(str(path))
    pdf = to_pdf(path, tmp_path)
    raw = pdftotext(pdf, "-raw")
    for k in range(1, 151):
        assert len(re.findall(rf"三级指标\s*{k}(?!\d)", raw)) >= 2, k  # in the analysis and in the table
    want = Counter(squeeze("".join(t for _, t in docx_text(path))))
    got = Counter(squeeze(raw))
    assert {c: want[c] - got[c] for c in want if got[c] < want[c]} == {}

"""Render the README's walkthrough pictures from the real files: LibreOffice → PDF → PNG (docs/img/).

    python tools/screenshots.py            # needs soffice and pdftoppm (poppler-utils)

Each picture is one sheet of a workbook jxzp wrote (the other sheets hidden in a copy, by editing
xl/workbook.xml only, so the cached values LibreOffice shows stay the ones jxzp wrote) or the
first pages of the generated report.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "img"


def only_sheet(src: Path, dst: Path, sheet: str) -> Path:
    """A copy of src in which every sheet but `sheet` is hidden (and `sheet` is the active one)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/workbook.xml":
                text = data.decode("utf-8")
                names = re.findall(r'<sheet [^>]*name="([^"]+)"', text)
                active = names.index(sheet)

                def fix(m: re.Match) -> str:
                    tag = re.sub(r'\sstate="[^"]*"', "", m.group(0))
                    if m.group(1) != sheet:
                        tag = tag.replace("<sheet ", '<sheet state="hidden" ', 1)
                    return tag

                text = re.sub(r'<sheet [^>]*name="([^"]+)"[^>]*/>', fix, text)
                text = re.sub(r'activeTab="\d+"', f'activeTab="{active}"', text)
                if "activeTab=" not in text:
                    text = text.replace("<workbookView ", f'<workbookView activeTab="{active}" ', 1)
                text = re.sub(r'firstSheet="\d+"', f'firstSheet="{active}"', text)
                # LibreOffice prints a hidden sheet that has a print area: keep only the shown sheet's
                text = re.sub(r'<definedName [^>]*name="_xlnm\.Print_Area"[^>]*localSheetId="(\d+)"[^>]*>[^<]*</definedName>',
                              lambda m: m.group(0) if int(m.group(1)) == active else "", text)
                data = text.encode("utf-8")
            zout.writestr(item, data)
    return dst


def to_png(doc: Path, out: Path, tmp: Path, page: int = 1, dpi: int = 70) -> Path:
    profile = f"file://{tmp}/lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp), str(doc)], check=True, capture_output=True, timeout=240)
    pdf = tmp / (doc.stem + ".pdf")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(out.with_suffix(""))], check=True, timeout=120)
    return out


def main() -> None:
    from addin import app
    from addin.core.contract import SHEETS

    if not shutil.which("soffice") or not shutil.which("pdftoppm"):
        raise SystemExit("需要 soffice（LibreOffice）和 pdftoppm（poppler-utils）")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jxzp-shots-") as t:
        tmp = Path(t)
        blank = app.create_template(tmp / "blank.xlsx", department="某某局", year=2022)
        sample = app.write_sample(tmp / "sample.xlsx")
        checked = app.validate(app.Validate(sample, annotate=tmp / "annotated.xlsx"))
        cleared = app.clear(app.Clear(tmp / "annotated.xlsx", tmp / "cleared.xlsx")).paths[0]
        report = app.report(app.Report(sample, tmp / "report.docx", force=True)).path
        indicator_sheet = checked.checked.fw.level1[1].sheet  # 预算执行: the 118.92% and 4.2 points
        shots = [
            ("1-new.png", only_sheet(blank, tmp / "s1.xlsx", SHEETS.info), 1),
            ("2-fill.png", only_sheet(sample, tmp / "s2.xlsx", SHEETS.info), 1),
            ("3-validate.png", only_sheet(tmp / "annotated.xlsx", tmp / "s3.xlsx", indicator_sheet), 1),
            ("4-results.png", only_sheet(tmp / "annotated.xlsx", tmp / "s4.xlsx", SHEETS.results), 1),
            ("5-cleared.png", only_sheet(cleared, tmp / "s5.xlsx", indicator_sheet), 1),
            ("6-report.png", report, 2),
        ]
        for name, doc, page in shots:
            to_png(doc, OUT / name, tmp, page)
            print(OUT / name)


if __name__ == "__main__":
    main()

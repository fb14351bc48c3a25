"""Another spreadsheet program reads what jxzp writes: LibreOffice headless converts it."""
from __future__ import annotations

import subprocess

import pytest

from conftest import soffice


def _convert(src, outdir, fmt: str):
    exe = soffice()
    profile = outdir / "lo_profile"
    r = subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                        "--outdir", str(outdir), str(src)], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    out = outdir / (src.stem + "." + fmt.split(":")[0])
    assert out.exists() and out.stat().st_size > 0, r.stdout + r.stderr
    return out


@pytest.mark.libreoffice
def test_libreoffice_reads_the_template_and_the_sample(template_path, sample_path, tmp_path):
    for src in (template_path, sample_path):
        pdf = _convert(src, tmp_path, "pdf")
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "基本信息" in text and "预算编制情况" in text
    # the sample's computed cells show the core's values, not #NAME?, in a program without the add-in
    assert "15.99%" in text and "104.19%" in text and "98.2" in text
    assert "#NAME?" not in text.replace("显示 #NAME?", "")


@pytest.mark.libreoffice
def test_libreoffice_round_trip_keeps_the_contract(sample_path, tmp_path):
    """Saved again by LibreOffice (as a WPS/LibreOffice user would), the file still validates the same."""
    from conftest import validate_file

    out = _convert(sample_path, tmp_path, "xlsx:Calc MS Excel 2007 XML")
    if out == sample_path:
        pytest.skip("same name")
    ev, result = validate_file(out)
    assert ev.total == pytest.approx(98.2)
    errors = {(f.rule.split(".")[0], f.name) for f in result.findings if f.severity == "错误"}
    assert errors == {("R05", "m_full_progress"), ("R08", "n_carryover_rate")}, [f.message for f in result.findings if f.rule.startswith("R04")]

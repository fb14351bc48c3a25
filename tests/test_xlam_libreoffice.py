"""LibreOffice (headless) opens the built add-in and lists its VBA modules with their code.

LibreOffice imports an Excel file's VBA project into a Basic library when it loads the
file; converting to .ods writes that library out (Basic/<project>/<module>.xml), which is
how the modules are listed here. The .xlam is opened with the import filter forced
(LibreOffice does not pick one for add-ins by itself); the .xlsm built from the same
sources opens as it is. This proves a third, independent reader parses the project; it is
no compile check for Excel (LibreOffice does not run xlwings' VBA).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from addin.xlam import build
from addin.xlam.ovba import module_source_bytes

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [pytest.mark.libreoffice, pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")]
NS_LIB = "{http://openoffice.org/2000/library}"
NS_SCRIPT = "{http://openoffice.org/2000/script}"
_LO_PREFIX = ("Rem Attribute VBA_ModuleType=", "Option VBASupport 1", "Option ClassModule")


def _convert(src: Path, out_dir: Path, profile: Path, infilter: str | None) -> Path:
    cmd = [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore"]
    if infilter:
        cmd.append(f"--infilter={infilter}")
    cmd += ["--convert-to", "ods", "--outdir", str(out_dir), str(src)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    out = out_dir / (src.stem + ".ods")
    assert out.exists(), proc.stdout + proc.stderr
    return out


def _code_lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").split("\n")
    return [ln for ln in lines if not ln.startswith(("Attribute ", *_LO_PREFIX))]


def _strip(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


@pytest.mark.parametrize("suffix, infilter", [(".xlsm", None), (".xlam", "Calc MS Excel 2007 VBA XML")])
def test_libreoffice_lists_every_module_with_its_code(tmp_path, suffix, infilter):
    addin = suffix == ".xlam"
    src = tmp_path / f"jxzp{suffix}"
    src.write_bytes(build.build_addin(addin=addin))
    ods = _convert(src, tmp_path / "out", tmp_path / "lo_profile", infilter)
    modules = build.vba_modules()
    with zipfile.ZipFile(ods) as zf:
        lib = ET.fromstring(zf.read(f"Basic/{build.PROJECT_NAME}/script-lb.xml"))
        listed = [e.get(NS_LIB + "name") for e in lib.iter(NS_LIB + "element")]
        assert sorted(listed) == sorted(m.name for m in modules)
        for m in modules:
            module = ET.fromstring(zf.read(f"Basic/{build.PROJECT_NAME}/{m.name}.xml"))
            assert module.get(NS_SCRIPT + "name") == m.name
            lo = _strip(_code_lines(module.text or ""))
            ours = _strip(_code_lines(module_source_bytes(m, codepage=build.CODEPAGE).decode("cp1252")))
            assert lo == ours, m.name
        kind = {ET.fromstring(zf.read(f"Basic/{build.PROJECT_NAME}/{m.name}.xml")).get(NS_SCRIPT + "moduleType")
                for m in modules if m.kind == "document"}
        assert kind == {"document"}
        content = zf.read("content.xml").decode("utf-8")
    assert 'table:name="jxzp.conf"' in content
    cells = re.findall(r"<text:p>([^<]*)</text:p>", content)
    assert cells == ["UDF Modules", "addin.udfs", "Use UDF Server", "True", "ADD_WORKBOOK_TO_PYTHONPATH", "False"]

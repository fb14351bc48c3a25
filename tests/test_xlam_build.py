"""jxzp build-addin: the .xlam checked by independent readers (oletools, olefile, ElementTree).

Excel itself is not available here; what Excel needs from the file is checked piece by
piece: every VBA module decodes byte-exactly through olevba, the compound file parses
cleanly with olefile, the package has the parts and relationships Excel looks for, the
ribbon's callbacks exist with the IRibbonControl signature and their RunPython strings
name real Python functions, and the UDF wrappers cover every UDF in xlwings' format.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import io
import os
import re
import struct
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import olefile
import pytest

with warnings.catch_warnings():  # oletools triggers pyparsing deprecation warnings on import
    warnings.simplefilter("ignore")
    from oletools import olevba

import addin.udfs
from addin.cli import main
from addin.xlam import build, package
from addin.xlam.ovba import _RESERVED, module_source_bytes
from addin.xlam.ovba_compression import decompress
from addin.xlam.udf_wrappers import decorated_udfs, udf_functions, wrapper_source

REPO = Path(__file__).resolve().parent.parent
CUI = "{http://schemas.microsoft.com/office/2009/07/customui}"
TEMPLATE_UDFS = {"EXEC_RATE", "BALANCE_RATE", "COVERAGE_RATE", "STAFF_RATIO", "GROWTH_RATE", "CONTROL_RATE",
                 "RATIO", "SPEND_PROGRESS", "FUNDS_RATE", "SUGGEST_SCORE"}


@pytest.fixture(scope="module")
def xlam() -> bytes:
    return build.build_addin()


@pytest.fixture(scope="module")
def parts(xlam) -> dict[str, bytes]:
    return dict(package.parts_of(xlam))


@pytest.fixture(scope="module")
def modules():
    return build.vba_modules()


def _olevba_modules(data: bytes, filename: str) -> dict[str, tuple[str, str]]:
    parser = olevba.VBA_Parser(filename, data=data, relaxed=False)
    try:
        assert parser.detect_vba_macros()
        return {p.split("/")[-1]: (f, code) for _, p, f, code in parser.extract_macros()}
    finally:
        parser.close()


# ------------------------------------------------------------------ VBA project
def test_every_module_roundtrips_byte_exactly_through_olevba(xlam, modules):
    found = _olevba_modules(xlam, "jxzp.xlam")  # olevba opens the zip and finds the project itself
    assert list(found) == [m.name for m in modules]
    assert [m.name for m in modules] == ["ThisWorkbook", "Sheet1", "xlwings", "JxzpRibbon", "xlwings_udfs",
                                         "JxzpHelp", "Dictionary"]
    ext = {"std": ".bas", "class": ".cls", "document": ".cls"}
    for m in modules:
        filename, code = found[m.name]
        assert filename == m.name + ext[m.kind]
        assert code.encode("cp1252") == module_source_bytes(m, codepage=build.CODEPAGE), m.name


@pytest.mark.parametrize("member", [None, package.VBA_PART])
def test_olevba_command_line_decodes_the_add_in_without_complaints(xlam, tmp_path, member):
    path = tmp_path / ("jxzp.xlam" if member is None else "vbaProject.bin")
    path.write_bytes(xlam if member is None else package.read_part(xlam, member))
    proc = subprocess.run([sys.executable, "-m", "oletools.olevba", "--decode", str(path)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stderr
    log = proc.stdout + proc.stderr
    if member is None:  # olevba reads zip members in memory, where it cannot run its stomping check
        log = log.replace("WARNING  For now, VBA stomping cannot be detected for files in memory", "")
    assert not re.search(r"^(ERROR|WARNING|CRITICAL)\s", log, flags=re.MULTILINE)
    assert "VBA Stomping" not in log  # source and (absent) p-code cannot disagree
    assert re.findall(r"^VBA MACRO (\S+)", proc.stdout, flags=re.MULTILINE) == [
        "ThisWorkbook.cls", "Sheet1.cls", "xlwings.bas", "JxzpRibbon.bas", "xlwings_udfs.bas", "JxzpHelp.bas",
        "Dictionary.cls"]


def test_container_reads_cleanly_with_olefile(parts, modules):
    ole = olefile.OleFileIO(parts[package.VBA_PART], raise_defects=olefile.DEFECT_POTENTIAL)
    assert ole.parsing_issues == []
    streams = sorted("/".join(p) for p in ole.listdir())
    assert streams == sorted(["PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir",
                              *(f"VBA/{m.name}" for m in modules)])
    # MS-OVBA 2.3.4.1: Version 0xFFFF, no performance cache -> Excel compiles from source
    assert ole.openstream("VBA/_VBA_PROJECT").read() == b"\xcc\x61\xff\xff\x00\x01\x00"
    project = ole.openstream("PROJECT").read().decode("cp1252")
    assert 'Name="jxzp"' in project
    assert "Document=ThisWorkbook/&H00000000" in project and "Document=Sheet1/&H00000000" in project
    assert "Class=Dictionary" in project and "Module=JxzpRibbon" in project
    # dir stream: project name record and the Office reference that IRibbonControl needs
    dir_stream = decompress(ole.openstream("VBA/dir").read())
    assert struct.pack("<HI", 0x0004, 4) + b"jxzp" in dir_stream
    assert b"MSO.DLL#Microsoft Office" in dir_stream
    # module streams hold only compressed source (MODULEOFFSET 0): no p-code anywhere
    for m in modules:
        raw = ole.openstream(f"VBA/{m.name}").read()
        assert decompress(raw) == module_source_bytes(m, codepage=build.CODEPAGE)
    ole.close()


def test_xlwings_module_is_the_installed_one_with_our_project_name(modules):
    import xlwings

    original = (Path(xlwings.__file__).parent / "xlwings_custom_addin.bas").read_text(encoding="utf-8")
    ours = next(m for m in modules if m.name == "xlwings").source
    assert 'Attribute VB_Name = "xlwings"' in ours.splitlines()[0]
    diff = [(a, b) for a, b in zip(original.splitlines(), ours.splitlines()) if a != b]
    assert diff == [('Public Const PROJECT_NAME As String = "myaddin"',
                     'Public Const PROJECT_NAME As String = "jxzp"')]
    assert f'"xlwings64-{build.XLWINGS_VERSION}.dll"' in ours
    assert xlwings.__version__ == build.XLWINGS_VERSION


def test_pinned_xlwings_version_matches_setup_py():
    assert f'"xlwings=={build.XLWINGS_VERSION}"' in (REPO / "setup.py").read_text(encoding="utf-8")


def test_all_vba_sources_are_ascii(modules):
    for m in modules:
        assert m.source.isascii(), m.name  # any code page reads them the same


def test_every_macro_file_is_built_in():
    files = {p.name for p in (REPO / "macros").iterdir() if p.suffix in (".bas", ".cls")}
    assert files == {m.file for m in build.MACRO_MODULES}


# ------------------------------------------------------------------ ribbon XML vs callbacks
def _ribbon_root() -> ET.Element:
    return ET.fromstring((REPO / "macros" / build.RIBBON_FILE).read_bytes())


def _callbacks() -> dict[str, str]:
    """Sub name -> body of each procedure in JxzpRibbon.bas."""
    text = (REPO / "macros" / "JxzpRibbon.bas").read_text(encoding="utf-8")
    return dict(re.findall(r"^Public Sub (\w+)\(control As IRibbonControl\)\n(.*?)^End Sub", text, re.M | re.S))


def test_ribbon_xml_is_customui14_with_the_seven_chinese_buttons():
    root = _ribbon_root()
    assert root.tag == CUI + "customUI"
    tabs = root.findall(f"{CUI}ribbon/{CUI}tabs/{CUI}tab")
    assert [t.get("label") for t in tabs] == ["绩效自评"]
    buttons = tabs[0].findall(f".//{CUI}button")
    assert [b.get("label") for b in buttons] == ["新建自评表", "下一年度", "校验", "清除标记", "生成报告", "准备发送", "帮助"]
    for b in buttons:
        assert b.get("size") == "large" and b.get("imageMso") and b.get("screentip") and b.get("supertip")
        assert b.get("id").startswith("Jxzp")
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))


def test_every_onaction_has_a_sub_with_the_iribboncontrol_signature():
    actions = [e.get("onAction") for e in _ribbon_root().iter() if e.get("onAction")]
    subs = _callbacks()
    assert len(actions) == 7
    for action in actions:
        module, _, sub = action.partition(".")
        assert module == "JxzpRibbon" and sub.startswith("Jxzp"), action
        assert sub in subs, action
    assert set(subs) == {a.partition(".")[2] for a in actions}  # no unused callbacks either


def test_every_runpython_string_imports_and_names_an_existing_function():
    subs = _callbacks()
    for name, body in subs.items():
        commands = re.findall(r'^\s*RunPython "([^"]*)"\s*$', body, re.M)
        assert len(commands) == 1, name
        tree = ast.parse(commands[0])  # plain Python statements
        imp, call = tree.body
        assert isinstance(imp, ast.Import) and isinstance(call, ast.Expr)
        (alias,) = imp.names
        fn = call.value.func
        assert fn.value.id == alias.asname and not call.value.args
        target = getattr(importlib.import_module(alias.name), fn.attr)
        assert callable(target) and not inspect.signature(target).parameters, commands[0]
        other = [ln.strip() for ln in body.strip().splitlines() if "RunPython" not in ln]
        assert other == ["If ActiveWorkbook Is Nothing Then Workbooks.Add"], name


def test_package_carries_the_ribbon_part_unchanged(parts):
    assert parts[package.CUSTOM_UI_PART] == (REPO / "macros" / build.RIBBON_FILE).read_bytes()


# ------------------------------------------------------------------ package structure
def test_package_parts_relationships_and_content_types(xlam, parts):
    ns_ct = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    ns_rel = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    for name, data in parts.items():
        if name.endswith((".xml", ".rels")):
            ET.fromstring(data)  # well-formed
    ct = ET.fromstring(parts["[Content_Types].xml"])
    overrides = {o.get("PartName"): o.get("ContentType") for o in ct.iter(ns_ct + "Override")}
    assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    assert overrides["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
    for part in parts:
        if not part.endswith(".rels") and part != "[Content_Types].xml":
            assert "/" + part in overrides or part.endswith(".xml"), part
    root_rels = {r.get("Type"): r.get("Target") for r in ET.fromstring(parts["_rels/.rels"]).iter(ns_rel + "Relationship")}
    assert root_rels["http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"] == "customUI/customUI14.xml"
    wb_rels = {r.get("Type"): r.get("Target")
               for r in ET.fromstring(parts["xl/_rels/workbook.xml.rels"]).iter(ns_rel + "Relationship")}
    assert wb_rels["http://schemas.microsoft.com/office/2006/relationships/vbaProject"] == "vbaProject.bin"
    for target in [*root_rels.values(), *("xl/" + t for t in wb_rels.values())]:
        assert target in parts, target
    wb = parts["xl/workbook.xml"].decode()
    assert 'codeName="ThisWorkbook"' in wb and 'name="jxzp.conf"' in wb
    assert 'codeName="Sheet1"' in parts[package.CONFIG_SHEET_PART].decode()
    with zipfile.ZipFile(io.BytesIO(xlam)) as zf:
        assert zf.testzip() is None
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_config_sheet_is_what_xlwings_reads(parts):
    config = dict(package.read_config(parts[package.CONFIG_SHEET_PART]))
    assert config == {"UDF Modules": "addin.udfs", "Use UDF Server": "True", "ADD_WORKBOOK_TO_PYTHONPATH": "False"}
    assert importlib.import_module(config["UDF Modules"]) is addin.udfs
    # xlwings reads keys from A1 down to the first blank cell and upper-cases them
    assert len({k.upper() for k in config}) == len(config)


def test_installer_fills_in_the_interpreter_and_nothing_else(xlam):
    exe = r"C:\Users\会计\AppData\Local\Programs\Python\Python311\pythonw.exe"
    patched = build.set_interpreter(xlam, exe)
    info = build.addin_info(patched)
    assert info["config"]["Interpreter_Win"] == exe
    assert info["xlwings"] == build.XLWINGS_VERSION and info["jxzp"]
    before, after = package.parts_of(xlam), package.parts_of(patched)
    assert [k for k in before if before[k] != after[k]] == [package.CONFIG_SHEET_PART]
    assert build.set_interpreter(patched, exe) == patched  # idempotent
    assert build.build_addin(interpreter=exe) == patched  # same as building with it
    with pytest.raises(Exception, match="不允许的字符"):
        build.set_interpreter(xlam, 'C:\\a"b\\python.exe')


def test_a_foreign_file_is_not_taken_for_our_add_in():
    import xlwings

    other = (Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam").read_bytes()
    with pytest.raises(Exception, match="不是 jxzp"):
        build.addin_info(other)


# ------------------------------------------------------------------ UDF wrappers
def test_udf_wrappers_cover_every_udf_used_by_the_template():
    text = wrapper_source()
    declared = re.findall(r"^Function (\w+)\(", text, re.M)
    assert set(declared) == set(udf_functions()) == TEMPLATE_UDFS == set(addin.udfs.__all__) - {"call"}
    assert declared == sorted(declared)  # xlwings writes them in dir() order
    from addin.core.framework import load_framework
    from addin.xlsx.template import build_template

    wb, _ = build_template(load_framework())
    called = {fn for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"
              for fn in re.findall(r"\b([A-Z][A-Z0-9_.]*)\(", str(c.value))}
    from addin.core.native import NATIVE_FUNCTIONS

    excel_builtins = {"SUM", "IF", "MIN", "MAX", "OR", "AND", "COUNTIFS", "ROUND", "IFERROR"} | NATIVE_FUNCTIONS
    assert called - excel_builtins == TEMPLATE_UDFS  # every non-Excel function the template calls has a wrapper


def test_udf_wrappers_are_in_xlwings_addin_format():
    text = wrapper_source()
    assert text.startswith('Attribute VB_Name = "xlwings_udfs"\n'
                           "'Autogenerated code by xlwings - changes will be lost with next import!\n"
                           "#Const App = \"Microsoft Excel\" 'Adjust when using outside of Excel\n")
    exec_rate = text[text.index("Function EXEC_RATE("):text.index("End Function", text.index("Function EXEC_RATE("))]
    assert exec_rate == (
        "Function EXEC_RATE(actual, budget)\n"
        '    #If App = "Microsoft Excel" Then\n'
        "        If TypeOf Application.Caller Is Range Then On Error GoTo failed\n"
        '        EXEC_RATE = XLPy.CallUDF("addin.udfs", "EXEC_RATE", Array(actual, budget), ActiveWorkbook, '
        "Application.Caller)\n"
        "        Exit Function\n"
        "    #Else\n"
        '        EXEC_RATE = XLPy.CallUDF("addin.udfs", "EXEC_RATE", Array(actual, budget))\n'
        "        Exit Function\n"
        "    #End If\n"
        "failed:\n"
        "    EXEC_RATE = Err.Description\n")
    assert "ThisWorkbook" not in text  # the .xlam flavour
    assert "Function SUGGEST_SCORE(framework, indicator, max_score, ParamArray values())" in text
    assert "Function SPEND_PROGRESS(spent, budget, Optional reported)" in text
    assert "Function FUNDS_RATE(h1, full, Optional h1_weight, Optional full_weight)" in text


def test_udf_metadata_is_what_excel_gets_and_the_real_functions_are_untouched():
    for name, f in decorated_udfs().items():
        xlf = f.__xlfunc__
        original = getattr(addin.udfs, name)
        assert not hasattr(original, "__xlfunc__")  # on Linux xw.func stays a no-op
        assert xlf["category"] == addin.udfs.CATEGORY and xlf["ret"]["doc"] == original.__jxzp_udf__["doc"]
        meta_args = dict(original.__jxzp_udf__["args"])
        assert [a["name"] for a in xlf["args"]] == list(inspect.signature(original).parameters)
        for a in xlf["args"]:
            assert a["options"].get("err_to_str") is True, (name, a["name"])
            assert a["doc"] == meta_args[a["name"]]
            assert a["name"].lower() not in _RESERVED  # a VBA keyword would not compile
    assert "xlwings.udfs" not in sys.modules or sys.platform.startswith("win")
    assert "pythoncom" not in sys.modules or sys.platform.startswith("win")


# ------------------------------------------------------------------ determinism and the CLI
def test_two_builds_are_byte_identical(xlam):
    assert build.build_addin() == xlam
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    code = "import sys, hashlib; from addin.xlam.build import build_addin; print(hashlib.sha256(build_addin()).hexdigest())"
    digests = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env,
                              timeout=120, check=True).stdout.strip() for env["PYTHONHASHSEED"] in ("1", "2")}
    import hashlib

    assert digests == {hashlib.sha256(xlam).hexdigest()}


def test_cli_build_addin_default_path_and_overwrite(tmp_path, monkeypatch, capsys, xlam):
    monkeypatch.chdir(tmp_path)
    assert main(["build-addin"]) == 0
    out = tmp_path / "dist" / "jxzp.xlam"
    assert out.read_bytes() == xlam
    assert "已生成 Excel 加载项" in capsys.readouterr().out
    assert main(["build-addin"]) == 2  # exists, no --overwrite
    assert "已存在" in capsys.readouterr().err
    assert main(["build-addin", "--overwrite"]) == 0
    assert main(["build-addin", "-o", "x.xlsx"]) == 2
    assert main(["build-addin", "-o", "jxzp.xlsm"]) == 0
    macro_wb = (tmp_path / "jxzp.xlsm").read_bytes()
    ct = package.read_part(macro_wb, "[Content_Types].xml").decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in ct
    assert package.read_part(macro_wb, package.VBA_PART) == package.read_part(xlam, package.VBA_PART)


def test_wrong_xlwings_version_is_refused(monkeypatch):
    import xlwings

    monkeypatch.setattr(xlwings, "__version__", "0.30.0")
    with pytest.raises(Exception, match="0.30.0"):
        build.build_addin()


# ------------------------------------------------------------------ audit details (issue 12)
def _decode_u(expr: str) -> str:
    hexed = re.fullmatch(r'U\("([0-9A-F]*)"\)', expr).group(1)
    return "".join(chr(int(hexed[i:i + 4], 16)) for i in range(0, len(hexed), 4))


def test_function_wizard_help_is_registered_for_every_udf(xlam):
    """What xlwings' Import Functions registers (Application.MacroOptions), done by the add-in on open."""
    found = _olevba_modules(xlam, "jxzp.xlam")
    text = found["JxzpHelp"][1]
    assert "JxzpHelp.JxzpRegisterHelp" in found["ThisWorkbook"][1] and "Workbook_Open" in found["ThisWorkbook"][1]
    assert text.isascii() and max(len(ln) for ln in text.splitlines()) <= 1023  # any code page; VBA's line limit
    calls = re.findall(r"Application\.MacroOptions Macro:=\"'\" & ThisWorkbook\.Name & \"'!(\w+)\", "
                       r"Description:=(U\(\"\w*\"\)), Category:=(U\(\"\w*\"\)), _\s*ArgumentDescriptions:=Array\((.*)\)\r?$",
                       text, flags=re.M)
    assert {c[0] for c in calls} == TEMPLATE_UDFS
    for name, desc, cat, args in calls:
        meta = getattr(addin.udfs, name).__jxzp_udf__
        assert _decode_u(desc) == meta["doc"] and _decode_u(cat) == "绩效自评"
        helps = [_decode_u(a.strip()) for a in re.findall(r'U\("\w*"\)', args)]
        assert helps == [h for _, h in meta["args"]] and all(len(h) <= 255 for h in helps)
    assert text.count("#If VBA7 Then") == len(calls)  # ArgumentDescriptions needs Excel 2010+


def test_add_in_package_carries_a_theme(parts):
    theme = ET.fromstring(parts["xl/theme/theme1.xml"])
    assert theme.tag == "{http://schemas.openxmlformats.org/drawingml/2006/main}theme"
    ct = parts["[Content_Types].xml"].decode()
    assert '<Override PartName="/xl/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>' in ct
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    assert 'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme" Target="theme/theme1.xml"' in rels

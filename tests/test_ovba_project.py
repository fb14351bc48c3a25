"""Tests for the vbaProject.bin builder (addin.xlam.ovba), checked against oletools and xlwings' files."""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import olefile
import pytest

with warnings.catch_warnings():  # oletools triggers pyparsing deprecation warnings on import
    warnings.simplefilter("ignore")
    from oletools import olevba

from addin.xlam.ovba import VbaModule, build_vba_project, module_source_bytes
from addin.xlam.ovba_compression import decompress

try:
    import xlwings

    XLWINGS_DIR: Path | None = Path(xlwings.__file__).parent
except ImportError:  # pragma: no cover
    XLWINGS_DIR = None

needs_xlwings = pytest.mark.skipif(
    XLWINGS_DIR is None or not (XLWINGS_DIR / "xlwings_custom_addin.bas").exists(),
    reason="xlwings with its add-in sources is not installed",
)

# --------------------------------------------------------------------------- inputs

RIBBON_SOURCE = (
    "Option Explicit\n"
    "\n"
    "Public Sub OnRefresh(control As IRibbonControl)\n"
    '    Application.Run "jxzp_refresh", control.Id   \' € sign and ü are cp1252\n'
    "End Sub\n"
)

# As Excel exports a class: VERSION/BEGIN/END block, then attributes, LF line endings here.
CLASS_SOURCE = (
    "VERSION 1.0 CLASS\n"
    "BEGIN\n"
    "  MultiUse = -1  'True\n"
    "END\n"
    'Attribute VB_Name = "Counter"\n'
    "Attribute VB_GlobalNameSpace = False\n"
    "Attribute VB_Creatable = False\n"
    "Attribute VB_PredeclaredId = True\n"
    "Attribute VB_Exposed = False\n"
    "Private m As Long\n"
    "Public Function Next_() As Long\n"
    "Attribute Next_.VB_Description = \"Increment\"\n"
    "    m = m + 1: Next_ = m\n"
    "End Function"  # no trailing newline
)

THISWORKBOOK_SOURCE = (
    "Private Sub Workbook_Open()\r\n"
    "    Application.StatusBar = False\r\n"
    "End Sub\r\n"
)

# What Excel stores for these modules: attribute header in Excel's order, CRLF everywhere.
EXPECTED_RIBBON = (
    'Attribute VB_Name = "Ribbon"\r\n'
    "Option Explicit\r\n"
    "\r\n"
    "Public Sub OnRefresh(control As IRibbonControl)\r\n"
    '    Application.Run "jxzp_refresh", control.Id   \' € sign and ü are cp1252\r\n'
    "End Sub\r\n"
)
EXPECTED_CLASS = (
    'Attribute VB_Name = "Counter"\r\n'
    'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"\r\n'
    "Attribute VB_GlobalNameSpace = False\r\n"
    "Attribute VB_Creatable = False\r\n"
    "Attribute VB_PredeclaredId = True\r\n"
    "Attribute VB_Exposed = False\r\n"
    "Attribute VB_TemplateDerived = False\r\n"
    "Attribute VB_Customizable = False\r\n"
    "Private m As Long\r\n"
    "Public Function Next_() As Long\r\n"
    'Attribute Next_.VB_Description = "Increment"\r\n'
    "    m = m + 1: Next_ = m\r\n"
    "End Function\r\n"
)
EXPECTED_THISWORKBOOK = (
    'Attribute VB_Name = "ThisWorkbook"\r\n'
    'Attribute VB_Base = "0{00020819-0000-0000-C000-000000000046}"\r\n'
    "Attribute VB_GlobalNameSpace = False\r\n"
    "Attribute VB_Creatable = False\r\n"
    "Attribute VB_PredeclaredId = True\r\n"
    "Attribute VB_Exposed = True\r\n"
    "Attribute VB_TemplateDerived = False\r\n"
    "Attribute VB_Customizable = True\r\n"
    + THISWORKBOOK_SOURCE
)


def xlwings_bas() -> bytes:
    assert XLWINGS_DIR is not None
    return (XLWINGS_DIR / "xlwings_custom_addin.bas").read_bytes()


def project_modules() -> list[VbaModule]:
    return [
        VbaModule("ThisWorkbook", "document", THISWORKBOOK_SOURCE),
        VbaModule("Ribbon", "std", RIBBON_SOURCE),
        VbaModule("Counter", "class", CLASS_SOURCE),
        # Module name comes from the file's own "Attribute VB_Name" line.
        VbaModule("xlwings", "std", xlwings_bas().decode("cp1252")),
    ]


EXPECTED_CODE = {
    "ThisWorkbook": EXPECTED_THISWORKBOOK,
    "Ribbon": EXPECTED_RIBBON,
    "Counter": EXPECTED_CLASS,
}


@pytest.fixture(scope="module")
def project_bin() -> bytes:
    if XLWINGS_DIR is None:
        pytest.skip("xlwings not installed")
    return build_vba_project("jxzp", project_modules())


def parse_dir(data: bytes) -> list[tuple[int, bytes]]:
    """Split a decompressed dir stream into (id, payload) records."""
    records, pos = [], 0
    while pos < len(data):
        record_id, size = struct.unpack_from("<HI", data, pos)
        if record_id == 0x0009:  # PROJECTVERSION: Reserved=4 but 6 bytes follow
            size = 6
        records.append((record_id, data[pos + 6 : pos + 6 + size]))
        pos += 6 + size
    assert pos == len(data)
    return records


def ovba_decrypt(hex_text: str) -> tuple[int, int, bytes]:
    """MS-OVBA 2.4.3.3 Decryption; returns (version, project key, data)."""
    enc = bytes.fromhex(hex_text)
    seed, version_enc, key_enc = enc[0], enc[1], enc[2]
    version, key = seed ^ version_enc, seed ^ key_enc
    unencrypted_1, encrypted_1, encrypted_2 = key, key_enc, version_enc
    pos = 3

    def take(n: int) -> bytes:
        nonlocal pos, unencrypted_1, encrypted_1, encrypted_2
        out = bytearray()
        for byte in enc[pos : pos + n]:
            plain = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
            out.append(plain)
            encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, byte, plain
        pos += n
        return bytes(out)

    take((seed & 6) // 2)  # ignored bytes
    (length,) = struct.unpack("<I", take(4))
    data = take(length)
    assert pos == len(enc), "trailing bytes after encrypted data"
    return version, key, data


def olevba_modules(data: bytes, filename: str = "vbaProject.bin") -> dict[str, tuple[str, str]]:
    """module name -> (olevba file name, code) via oletools' VBA_Parser."""
    parser = olevba.VBA_Parser(filename, data=data, relaxed=False)
    try:
        assert parser.detect_vba_macros()
        result = {}
        for _, stream_path, vba_filename, code in parser.extract_macros():
            result[stream_path.split("/")[-1]] = (vba_filename, code)
        return result
    finally:
        parser.close()


# --------------------------------------------------------------------------- oletools round trip


@needs_xlwings
def test_every_module_roundtrips_exactly_through_olevba(project_bin: bytes) -> None:
    modules = olevba_modules(project_bin)
    assert set(modules) == {"ThisWorkbook", "Ribbon", "Counter", "xlwings"}
    assert modules["ThisWorkbook"][0] == "ThisWorkbook.cls"
    assert modules["Counter"][0] == "Counter.cls"
    assert modules["Ribbon"][0] == "Ribbon.bas"
    assert modules["xlwings"][0] == "xlwings.bas"
    for name, expected in EXPECTED_CODE.items():
        assert modules[name][1] == expected, name
    # xlwings' exported .bas (CRLF, starts with its VB_Name line) is stored byte for byte.
    assert modules["xlwings"][1].encode("cp1252") == xlwings_bas()


@needs_xlwings
def test_code_without_attribute_lines_equals_input(project_bin: bytes) -> None:
    modules = olevba_modules(project_bin)

    def body(text: str) -> str:
        return "\n".join(text.replace("\r\n", "\n").split("\n")).rstrip("\n")

    assert body(olevba.filter_vba(modules["Ribbon"][1])) == body(RIBBON_SOURCE)
    assert body(olevba.filter_vba(modules["ThisWorkbook"][1])) == body(THISWORKBOOK_SOURCE)
    class_body = CLASS_SOURCE.split("Attribute VB_Exposed = False\n", 1)[1]
    assert body(olevba.filter_vba(modules["Counter"][1])) == body(class_body)
    xlwings_body = xlwings_bas().decode("cp1252").split("\r\n", 1)[1]
    assert body(olevba.filter_vba(modules["xlwings"][1])) == body(xlwings_body)


@needs_xlwings
def test_olevba_command_line_decodes_all_modules(project_bin: bytes, tmp_path: Path) -> None:
    path = tmp_path / "vbaProject.bin"
    path.write_bytes(project_bin)
    proc = subprocess.run(
        [sys.executable, "-m", "oletools.olevba", "--decode", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.returncode == 0, proc.stderr
    # olevba reports parse problems as log lines starting with the level name.
    assert not re.search(r"^(ERROR|WARNING|CRITICAL)\s", proc.stdout + proc.stderr, flags=re.MULTILINE)
    listed = re.findall(r"^VBA MACRO (\S+)", proc.stdout, flags=re.MULTILINE)
    assert listed == ["ThisWorkbook.cls", "Ribbon.bas", "Counter.cls", "xlwings.bas"]
    assert "Application.Run \"jxzp_refresh\"" in proc.stdout


@needs_xlwings
def test_olevba_finds_the_project_inside_an_xlam_zip(project_bin: bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
        )
        zf.writestr("xl/vbaProject.bin", project_bin)
    modules = olevba_modules(buffer.getvalue(), filename="jxzp.xlam")
    assert modules["Ribbon"][1] == EXPECTED_RIBBON


# --------------------------------------------------------------------------- container structure


@needs_xlwings
def test_container_layout(project_bin: bytes) -> None:
    ole = olefile.OleFileIO(project_bin, raise_defects=olefile.DEFECT_POTENTIAL)
    assert ole.parsing_issues == []
    streams = sorted("/".join(p) for p in ole.listdir(streams=True, storages=False))
    assert streams == sorted(
        ["PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir"]
        + [f"VBA/{m}" for m in ("ThisWorkbook", "Ribbon", "Counter", "xlwings")]
    )
    assert ole.get_type("VBA") == olefile.STGTY_STORAGE
    # MS-OVBA 2.3.4.1: Version 0xFFFF and no performance cache.
    assert ole.openstream("VBA/_VBA_PROJECT").read() == b"\xcc\x61\xff\xff\x00\x01\x00"
    # Module streams hold nothing but the compressed source (MODULEOFFSET 0).
    assert decompress(ole.openstream("VBA/xlwings").read()) == xlwings_bas()
    assert decompress(ole.openstream("VBA/Ribbon").read()) == EXPECTED_RIBBON.encode("cp1252")


@needs_xlwings
def test_dir_stream_records(project_bin: bytes) -> None:
    ole = olefile.OleFileIO(project_bin)
    records = parse_dir(decompress(ole.openstream("VBA/dir").read()))
    ids = [r for r, _ in records]
    payload = dict(records[:15])  # project information block has unique ids

    assert ids[:15] == [0x01, 0x4A, 0x02, 0x14, 0x03, 0x04, 0x05, 0x40, 0x06, 0x3D, 0x07, 0x08, 0x09, 0x0C, 0x3C]
    assert struct.unpack("<I", payload[0x01])[0] == 3  # Win64, as xlwings.xlam
    assert struct.unpack("<I", payload[0x02])[0] == 0x409
    assert struct.unpack("<I", payload[0x14])[0] == 0x409
    assert struct.unpack("<H", payload[0x03])[0] == 1252
    assert payload[0x04] == b"jxzp"

    refs = records[15:23]
    assert [r for r, _ in refs] == [0x16, 0x3E, 0x0D, 0x16, 0x3E, 0x0D] + [0x0F, 0x13]
    assert refs[0][1] == b"stdole" and refs[1][1] == "stdole".encode("utf-16-le")
    assert refs[3][1] == b"Office" and refs[4][1] == "Office".encode("utf-16-le")
    for _, registered in (refs[2], refs[5]):
        (libid_len,) = struct.unpack_from("<I", registered)
        assert len(registered) == 4 + libid_len + 6 and registered.endswith(b"\x00" * 6)
    assert b"{00020430-0000-0000-C000-000000000046}" in refs[2][1]  # OLE Automation
    assert b"{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}" in refs[5][1]  # Office (IRibbonControl)
    assert struct.unpack("<H", refs[6][1])[0] == 4  # module count

    module_records = records[23:-1]
    assert records[-1] == (0x10, b"")
    per_module = [module_records[i : i + 11] for i in range(0, len(module_records), 11)]
    assert len(per_module) == 4
    for (name, kind), recs in zip(
        [("ThisWorkbook", 0x22), ("Ribbon", 0x21), ("Counter", 0x22), ("xlwings", 0x21)], per_module
    ):
        assert [r for r, _ in recs] == [0x19, 0x47, 0x1A, 0x32, 0x1C, 0x48, 0x31, 0x1E, 0x2C, kind, 0x2B]
        assert recs[0][1] == recs[2][1] == name.encode()
        assert recs[1][1] == recs[3][1] == name.encode("utf-16-le")
        assert recs[6][1] == b"\x00\x00\x00\x00"  # MODULEOFFSET 0


@needs_xlwings
def test_references_mirror_xlwings_addin(project_bin: bytes) -> None:
    shipped = XLWINGS_DIR / "addin" / "xlwings.xlam"
    if not shipped.exists():
        pytest.skip("xlwings.xlam not shipped")
    with zipfile.ZipFile(shipped) as zf:
        ref_ole = olefile.OleFileIO(zf.read("xl/vbaProject.bin"))
    ours = parse_dir(decompress(olefile.OleFileIO(project_bin).openstream("VBA/dir").read()))
    theirs = parse_dir(decompress(ref_ole.openstream("VBA/dir").read()))

    def references(records):
        start = next(i for i, (r, _) in enumerate(records) if r == 0x16)
        end = next(i for i, (r, _) in enumerate(records) if r == 0x0F)
        return records[start:end]

    assert references(ours) == references(theirs)
    # Same project information layout (values like the name and version differ), plus the
    # PROJECTCOMPATVERSION record Excel itself writes (xlwings' files are built without Excel)
    assert [r for r, _ in ours[:15] if r != 0x4A] == [r for r, _ in theirs[:14]]


@needs_xlwings
def test_project_stream(project_bin: bytes) -> None:
    text = olefile.OleFileIO(project_bin).openstream("PROJECT").read().decode("cp1252")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")
    project_id = re.fullmatch(r'ID="(\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\})"', lines[0]).group(1)
    assert lines[1:5] == [
        "Document=ThisWorkbook/&H00000000",
        "Module=Ribbon",
        "Class=Counter",
        "Module=xlwings",
    ]
    assert lines[5:8] == ['Name="jxzp"', 'HelpContextID="0"', 'VersionCompatible32="393222000"']
    fields = dict(line.split("=", 1) for line in lines[8:11])
    expected_key = sum(project_id.encode()) & 0xFF
    # Unprotected, no password, visible (MS-OVBA 2.3.1.15-17).
    assert ovba_decrypt(fields["CMG"].strip('"')) == (2, expected_key, b"\x00\x00\x00\x00")
    assert ovba_decrypt(fields["DPB"].strip('"')) == (2, expected_key, b"\x00")
    assert ovba_decrypt(fields["GC"].strip('"')) == (2, expected_key, b"\xff")
    assert lines[11:] == [
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
        "ThisWorkbook=0, 0, 0, 0, C",
        "Ribbon=0, 0, 0, 0, C",
        "Counter=0, 0, 0, 0, C",
        "xlwings=0, 0, 0, 0, C",
        "",
        "",
    ]


@needs_xlwings
def test_project_stream_layout_matches_shipped_ribbon_addin(project_bin: bytes) -> None:
    shipped = XLWINGS_DIR / "quickstart_addin_ribbon.xlam"
    if not shipped.exists():
        pytest.skip("quickstart_addin_ribbon.xlam not shipped")
    with zipfile.ZipFile(shipped) as zf:
        theirs = olefile.OleFileIO(zf.read("xl/vbaProject.bin")).openstream("PROJECT").read().decode("cp1252")
    ours = olefile.OleFileIO(project_bin).openstream("PROJECT").read().decode("cp1252")

    def shape(text: str) -> list[str]:
        # Keys in order with module and window lines collapsed; values vary between projects.
        out, in_workspace = [], False
        for line in text.split("\r\n"):
            key = line.split("=", 1)[0] if "=" in line and not line.startswith("&H") else line
            if key in ("Document", "Module", "Class"):
                key = "<module>"
            elif in_workspace and line:
                key = "<window>"
            in_workspace = in_workspace or line == "[Workspace]"
            if not out or out[-1] != key:
                out.append(key)
        return out

    assert shape(ours) == shape(theirs)
    # Both decrypt to the same unprotected state.
    for field in ("CMG", "DPB", "GC"):
        value_ours = re.search(field + r'="([0-9A-F]+)"', ours).group(1)
        value_theirs = re.search(field + r'="([0-9A-F]+)"', theirs).group(1)
        assert ovba_decrypt(value_ours)[2] == ovba_decrypt(value_theirs)[2]


@needs_xlwings
def test_projectwm_stream(project_bin: bytes) -> None:
    data = olefile.OleFileIO(project_bin).openstream("PROJECTwm").read()
    expected = b"".join(
        n.encode() + b"\x00" + n.encode("utf-16-le") + b"\x00\x00"
        for n in ("ThisWorkbook", "Ribbon", "Counter", "xlwings")
    )
    assert data == expected + b"\x00\x00"


# --------------------------------------------------------------------------- determinism


@needs_xlwings
def test_two_builds_are_byte_identical(project_bin: bytes) -> None:
    assert build_vba_project("jxzp", project_modules()) == project_bin
    other = build_vba_project("jxzp2", project_modules())
    assert other != project_bin
    id_a = olefile.OleFileIO(project_bin).openstream("PROJECT").read().split(b"\r\n")[0]
    id_b = olefile.OleFileIO(other).openstream("PROJECT").read().split(b"\r\n")[0]
    assert id_a != id_b  # the default project ID is derived from the name


def test_explicit_project_id_is_used() -> None:
    pid = "{12345678-9ABC-DEF0-1234-56789ABCDEF0}"
    data = build_vba_project("P", [VbaModule("M", "std", "")], project_id=pid)
    assert olefile.OleFileIO(data).openstream("PROJECT").read().startswith(f'ID="{pid}"'.encode())


# --------------------------------------------------------------------------- source normalisation


def test_line_endings_are_normalised_to_crlf() -> None:
    variants = ["Sub A()\nEnd Sub\n", "Sub A()\r\nEnd Sub\r\n", "Sub A()\rEnd Sub\r", "Sub A()\nEnd Sub"]
    stored = {module_source_bytes(VbaModule("M", "std", v)) for v in variants}
    assert stored == {b'Attribute VB_Name = "M"\r\nSub A()\r\nEnd Sub\r\n'}


def test_std_module_header_with_or_without_vb_name() -> None:
    exported = 'Attribute VB_Name = "Tools"\r\nSub X()\r\nEnd Sub\r\n'
    with_header = module_source_bytes(VbaModule("Tools", "std", exported))
    without = module_source_bytes(VbaModule("Tools", "std", "Sub X()\r\nEnd Sub\r\n"))
    assert with_header == without == b'Attribute VB_Name = "Tools"\r\nSub X()\r\nEnd Sub\r\n'


def test_empty_std_module() -> None:
    assert module_source_bytes(VbaModule("Empty1", "std", "")) == b'Attribute VB_Name = "Empty1"\r\n'


def test_exported_thisworkbook_cls_is_accepted() -> None:
    exported = (
        "VERSION 1.0 CLASS\r\nBEGIN\r\n  MultiUse = -1  'True\r\nEND\r\n"
        + "".join(line + "\r\n" for line in EXPECTED_THISWORKBOOK.split("\r\n")[:8])
        + THISWORKBOOK_SOURCE
    )
    assert module_source_bytes(VbaModule("ThisWorkbook", "document", exported)) == EXPECTED_THISWORKBOOK.encode()


def test_document_module_may_override_vb_base() -> None:
    sheet = module_source_bytes(
        VbaModule("Sheet1", "document", 'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"\n')
    )
    assert sheet.split(b"\r\n")[1] == b'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"'


def test_class_extra_attributes_follow_the_standard_block() -> None:
    source = 'Attribute VB_Description = "Hi"\nAttribute VB_Exposed = True\nPublic X As Long\n'
    lines = module_source_bytes(VbaModule("C1", "class", source)).split(b"\r\n")
    assert lines[5] == b"Attribute VB_Exposed = True"
    assert lines[8] == b'Attribute VB_Description = "Hi"'
    assert lines[9] == b"Public X As Long"


@needs_xlwings
@pytest.mark.parametrize(
    "name, kind",
    [
        ("Dictionary", "class"),
        ("IWebAuthenticator", "class"),
        ("WebRequest", "class"),
        ("WebResponse", "class"),
        ("WebHelpers", "std"),
        ("License", "std"),
        ("Config", "std"),
    ],
)
def test_matches_what_excel_stored_for_xlwings_addin(name: str, kind: str) -> None:
    # xlwings ships both the exported sources and the Excel-saved xlwings.xlam.
    suffix = "cls" if kind == "class" else "bas"
    exported = XLWINGS_DIR / "addin" / f"{name}.{suffix}"
    shipped = XLWINGS_DIR / "addin" / "xlwings.xlam"
    if not exported.exists() or not shipped.exists():
        pytest.skip("xlwings add-in sources not shipped")
    with zipfile.ZipFile(shipped) as zf:
        data = zf.read("xl/vbaProject.bin")
    stored = olevba_modules(data)[name][1].encode("cp1252")
    ours = module_source_bytes(VbaModule(name, kind, exported.read_text(encoding="cp1252")))
    assert ours == stored


def test_codepage_936_roundtrip() -> None:
    source = "' 计算增值税\r\nFunction Vat(x As Double) As Double\r\n    Vat = x * 0.13\r\nEnd Function\r\n"
    data = build_vba_project("Proj", [VbaModule("Tax", "std", source)], codepage=936)
    modules = olevba_modules(data)
    assert modules["Tax"][1] == 'Attribute VB_Name = "Tax"\r\n' + source
    dir_records = parse_dir(decompress(olefile.OleFileIO(data).openstream("VBA/dir").read()))
    assert dict(dir_records[:6])[0x03] == struct.pack("<H", 936)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "modules, message",
    [
        ([VbaModule("1abc", "std", "")], "not a valid VBA identifier"),
        ([VbaModule("my module", "std", "")], "not a valid VBA identifier"),
        ([VbaModule("Modül", "std", "")], "not a valid VBA identifier"),
        ([VbaModule("", "std", "")], "not a valid VBA identifier"),
        ([VbaModule("A" * 32, "std", "")], "longer than 31"),
        ([VbaModule("Sub", "std", "")], "reserved"),
        ([VbaModule("Office", "std", "")], "clashes"),
        ([VbaModule("JXZP", "std", "")], "clashes with the project name"),
        ([VbaModule("Tools", "std", ""), VbaModule("tools", "class", "")], "duplicate module name"),
        ([VbaModule("Tools", "std", 'Attribute VB_Name = "Other"\n')], 'expected "Tools"'),
        ([VbaModule("Tools", "std", 'Attribute VB_Exposed = True\n')], "only apply to class"),
        (
            [VbaModule("Tools", "std", "x = 1\nx = 2\n' 增值税\n")],
            r"line 3: character '增' \(U\+589E\).*code page 1252",
        ),
        ([VbaModule("Tools", "std", "a\x00b")], "NUL"),
        ([VbaModule("C", "class", "VERSION 1.0 CLASS\nBEGIN\n  MultiUse = -1\n")], "no END"),
        ([VbaModule("C", "class", "Attribute VB_Exposed = True\nAttribute VB_Exposed = False\n")], "given twice"),
    ],
)
def test_bad_modules_are_rejected(modules: list[VbaModule], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_vba_project("jxzp", modules)


def test_bad_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        VbaModule("Form1", "form", "")


@pytest.mark.parametrize("name", ["", "my project", "9lives", "VBA", "Excel", "Dim", "P" * 129])
def test_bad_project_names_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="project name"):
        build_vba_project(name, [VbaModule("M", "std", "")])


@pytest.mark.parametrize("codepage", [0, 99999, 65001])
def test_bad_codepage_is_rejected(codepage: int) -> None:
    with pytest.raises(ValueError, match="code page"):
        build_vba_project("P", [VbaModule("M", "std", "")], codepage=codepage)


def test_bad_project_id_is_rejected() -> None:
    with pytest.raises(ValueError, match="project_id"):
        build_vba_project("P", [VbaModule("M", "std", "")], project_id="not-a-guid")


def test_bom_is_dropped_and_bytes_source_rejected() -> None:
    assert module_source_bytes(VbaModule("M", "std", "\ufeffSub A()\nEnd Sub\n")) == (
        b'Attribute VB_Name = "M"\r\nSub A()\r\nEnd Sub\r\n'
    )
    with pytest.raises(TypeError, match="source must be str"):
        VbaModule("M", "std", b"Sub A()")  # type: ignore[arg-type]


def test_dir_stream_carries_projectcompatversion_after_syskind() -> None:
    """MS-OVBA 2.3.4.2.1.2: Id 0x004A, Size 4, between PROJECTSYSKIND and PROJECTLCID, as Excel writes it."""
    data = build_vba_project("Proj", [VbaModule("M", "std", "Sub A()\r\nEnd Sub\r\n")])
    records = parse_dir(decompress(olefile.OleFileIO(data).openstream("VBA/dir").read()))
    assert [r for r, _ in records[:4]] == [0x0001, 0x004A, 0x0002, 0x0014]
    assert records[1][1] == struct.pack("<I", 5)
    assert "Sub A()" in olevba_modules(data)["M"][1]  # an independent reader still walks the stream

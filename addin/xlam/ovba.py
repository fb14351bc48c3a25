"""Build a VBA project (``vbaProject.bin``) from VBA source text, per MS-OVBA.

The project carries source code only: ``_VBA_PROJECT`` has Version 0xFFFF and
no performance cache (MS-OVBA 2.3.4.1), every module stream is just the
compressed source (MODULEOFFSET 0), so Office compiles the code on first load.
Records, references and the PROJECT stream mirror what xlwings ships in its
own ``xlwings.xlam`` (which is built the same way and works in Excel), with
the project unprotected and visible.

Output is byte-for-byte deterministic: no timestamps, no random GUIDs, and a
fixed seed for the obfuscated CMG/DPB/GC values.
"""

from __future__ import annotations

import codecs
import re
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from .cfb import build_compound_file
from .ovba_compression import compress

__all__ = ["MODULE_KINDS", "VbaModule", "build_vba_project", "module_source_bytes"]

MODULE_KINDS = ("std", "class", "document")

# PROJECTSYSKIND: 0x01 = Win32, 0x03 = Win64.  xlwings.xlam ships Win64, its
# quickstart add-ins Win32; without compiled code either loads on both.
_SYS_KIND_WIN64 = 0x00000003
_LCID_EN_US = 0x0409
# PROJECTCOMPATVERSION (MS-OVBA 2.3.4.2.1.2, Id 0x004A, optional): Excel 2010+ writes it after
# PROJECTSYSKIND; xlwings' quickstart.xlsm, last saved by Excel, carries CompatVersion 5.
_COMPAT_VERSION = 0x00000005
# PROJECTVERSION is free-form (Excel stores a counter); any fixed value will do.
_PROJECT_VERSION = (1, 0)
_COOKIE = 0xFFFF  # MS-OVBA: PROJECTCOOKIE/MODULECOOKIE "MUST be 0xFFFF on write"

# (name, LibidReference) exactly as in xlwings' shipped xlwings.xlam.
_REFERENCES = (
    (
        "stdole",
        r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation",
    ),
    (
        "Office",
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files\Microsoft Shared"
        r"\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library",
    ),
)
# Libraries a module or project name may not shadow: the references above plus
# the two Excel always loads implicitly.
_LIBRARY_NAMES = frozenset(name.lower() for name in ("VBA", "Excel", *(n for n, _ in _REFERENCES)))

_CLASS_BASE = '"0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"'  # VBA class module
_WORKBOOK_BASE = '"0{00020819-0000-0000-C000-000000000046}"'  # Excel Workbook document

# Attributes Excel stores at the top of class/document modules, in its order.
_CLASS_ATTRIBUTES = {
    "class": {
        "VB_Base": _CLASS_BASE,
        "VB_GlobalNameSpace": "False",
        "VB_Creatable": "False",
        "VB_PredeclaredId": "False",
        "VB_Exposed": "False",
        "VB_TemplateDerived": "False",
        "VB_Customizable": "False",
    },
    "document": {
        "VB_Base": _WORKBOOK_BASE,
        "VB_GlobalNameSpace": "False",
        "VB_Creatable": "False",
        "VB_PredeclaredId": "True",
        "VB_Exposed": "True",
        "VB_TemplateDerived": "False",
        "VB_Customizable": "True",
    },
}
_CLASS_ONLY = frozenset(name.lower() for name in _CLASS_ATTRIBUTES["class"])

# Reserved identifiers (MS-VBAL 3.3.5.2, leaning to the safe side) that cannot name a module or project.
_RESERVED = frozenset(
    word.lower()
    for word in """
    Abs AddressOf And Any Array As Attribute Boolean ByRef Byte ByVal Call Case CBool CByte CCur CDate Circle
    CDbl CDec CInt CLng CLngLng CLngPtr Close Const CSng CStr Currency CVar CVErr Date Debug Decimal
    Declare DefBool DefByte DefCur DefDate DefDbl DefDec DefInt DefLng DefLngLng DefLngPtr DefObj
    DefSng DefStr DefVar Dim Do DoEvents Double Each Else ElseIf Empty End EndIf Enum Eqv Erase
    Error Event Exit False Fix For Friend Function Get Global GoSub GoTo If Imp Implements In
    Input InputB Int Integer Is LBound Len LenB Let Like Lock Long LongLong LongPtr Loop LSet Me
    Mod New Next Not Nothing Null Object On Open Option Optional Or ParamArray Preserve Print
    Private Property PSet PtrSafe Public Put RaiseEvent ReDim Rem Resume Return RSet Seek Select Set
    Scale Sgn Shared Single Spc Static Stop String Sub Tab Then To True Type TypeOf UBound Unlock Until
    Variant Wend While With WithEvents Write Xor
    """.split()
)

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_MAX_MODULE_NAME = 31  # VBE limit; also the CFB stream name limit
_MAX_PROJECT_NAME = 128  # PROJECTNAME.SizeOfProjectName
_ATTRIBUTE_LINE = re.compile(r"Attribute\s+(VB_\w+)\s*=\s*(.*?)\s*\Z", re.IGNORECASE)
_PROJECT_ID_NAMESPACE = uuid.UUID("8f0d8b1e-4a0e-5c47-9a8e-6b7a3c0f2d11")

# MS-OVBA 2.4.3 obfuscation is meant to use a random seed; a fixed one keeps builds reproducible.
_ENCRYPTION_SEED = 0x5D


@dataclass(frozen=True)
class VbaModule:
    """One VBA module: ``kind`` is "std" (.bas), "class" (.cls) or "document" (e.g. ThisWorkbook)."""

    name: str
    kind: str
    source: str

    def __post_init__(self) -> None:
        if not isinstance(self.source, str):
            raise TypeError(f"module {self.name!r}: source must be str, not {type(self.source).__name__}")
        if self.kind not in MODULE_KINDS:
            raise ValueError(f"module {self.name!r}: kind must be one of {MODULE_KINDS}, not {self.kind!r}")


# --------------------------------------------------------------------------- validation


def _check_identifier(name: str, what: str, max_len: int) -> None:
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ValueError(
            f"{what} {name!r} is not a valid VBA identifier "
            "(ASCII letter first, then letters, digits or underscores)"
        )
    if len(name) > max_len:
        raise ValueError(f"{what} {name!r} is longer than {max_len} characters")
    if name.lower() in _RESERVED:
        raise ValueError(f"{what} {name!r} is a reserved VBA keyword")
    if name.lower() in _LIBRARY_NAMES:
        raise ValueError(f"{what} {name!r} clashes with the referenced library {name!r}")


def _codec_for(codepage: int) -> str:
    if not isinstance(codepage, int) or isinstance(codepage, bool):
        raise ValueError(f"codepage must be an int, not {codepage!r}")
    try:
        name = codecs.lookup(f"cp{codepage}").name
    except LookupError:
        raise ValueError(f"unsupported code page {codepage}") from None
    # VBA stores MBCS text; Unicode "code pages" (UTF-8, UTF-16) are not usable.
    if name.startswith("utf"):
        raise ValueError(f"unsupported code page {codepage} ({name}); use an ANSI code page such as 1252 or 936")
    return name


def _encode(text: str, codec: str, codepage: int, where: str) -> bytes:
    try:
        return text.encode(codec)
    except UnicodeEncodeError as exc:
        line = len(re.split(r"\r\n|\r|\n", text[: exc.start]))
        char = text[exc.start]
        raise ValueError(
            f"{where}, line {line}: character {char!r} (U+{ord(char):04X}) "
            f"cannot be represented in code page {codepage}"
        ) from None


# --------------------------------------------------------------------------- module source


def _split_lines(source: str) -> list[str]:
    # VBA stores CRLF; accept CRLF, LF or lone CR from the input.
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a trailing newline does not start another line
    return lines


def _strip_class_header(lines: list[str], module: VbaModule) -> list[str]:
    """Drop the ``VERSION 1.0 CLASS`` / ``BEGIN`` ... ``END`` block of an exported .cls file."""
    if not lines or not lines[0].strip().upper().startswith("VERSION "):
        return lines
    i = 1
    if i < len(lines) and lines[i].strip().upper() == "BEGIN":
        depth = 0
        while i < len(lines):
            word = lines[i].strip().upper()
            if word == "BEGIN" or word.startswith("BEGIN "):
                depth += 1
            elif word == "END":
                depth -= 1
                if depth == 0:
                    return lines[i + 1 :]
            i += 1
        raise ValueError(f"module {module.name!r}: BEGIN block of the class header has no END")
    return lines[1:]


def _module_lines(module: VbaModule, source: str) -> list[str]:
    """Return the module's lines as stored: Excel's attribute header, then the code."""
    lines = _strip_class_header(_split_lines(source), module)

    attributes: dict[str, tuple[str, str]] = {}  # lower-case name -> (name, value)
    body_start = 0
    for line in lines:
        match = _ATTRIBUTE_LINE.match(line)
        if not match:
            break
        name, value = match.groups()
        if name.lower() in attributes:
            raise ValueError(f"module {module.name!r}: attribute {name} is given twice")
        attributes[name.lower()] = (name, value)
        body_start += 1
    body = lines[body_start:]

    given_name = attributes.pop("vb_name", None)
    if given_name is not None and given_name[1] != f'"{module.name}"':
        raise ValueError(
            f"module {module.name!r}: source declares Attribute VB_Name = {given_name[1]}, "
            f'expected "{module.name}"'
        )

    header = [f'Attribute VB_Name = "{module.name}"']
    if module.kind == "std":
        misplaced = [n for n, _ in attributes.values() if n.lower() in _CLASS_ONLY]
        if misplaced:
            raise ValueError(f"module {module.name!r}: {', '.join(misplaced)} only apply to class/document modules")
    else:
        for name, default in _CLASS_ATTRIBUTES[module.kind].items():
            value = attributes.pop(name.lower(), (name, default))[1]
            header.append(f"Attribute {name} = {value}")
    header.extend(f"Attribute {name} = {value}" for name, value in attributes.values())
    return header + body


def module_source_bytes(module: VbaModule, *, codepage: int = 1252) -> bytes:
    """The exact decompressed bytes stored for ``module`` (attribute header + code, CRLF)."""
    codec = _codec_for(codepage)
    _check_identifier(module.name, "module name", _MAX_MODULE_NAME)
    where = f"module {module.name!r}"
    source = module.source.removeprefix("\ufeff")  # editors may leave a BOM
    if "\x00" in source:
        raise ValueError(f"{where} contains a NUL character")
    _encode(source, codec, codepage, where)  # reports line numbers of the input
    text = "".join(line + "\r\n" for line in _module_lines(module, source))
    return _encode(text, codec, codepage, where)


# --------------------------------------------------------------------------- dir stream


def _record(record_id: int, payload: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(payload)) + payload


def _text_record(record_id: int, unicode_id: int, text: str, codec: str) -> bytes:
    """A record pair holding ``text`` in the code page and again in UTF-16."""
    return _record(record_id, text.encode(codec)) + _record(unicode_id, text.encode("utf-16-le"))


def _dir_stream(project_name: str, modules: Sequence[VbaModule], codepage: int, codec: str) -> bytes:
    out = bytearray()
    # PROJECTINFORMATION (2.3.4.2.1)
    out += _record(0x0001, struct.pack("<I", _SYS_KIND_WIN64))
    out += _record(0x004A, struct.pack("<I", _COMPAT_VERSION))
    out += _record(0x0002, struct.pack("<I", _LCID_EN_US))
    out += _record(0x0014, struct.pack("<I", _LCID_EN_US))
    out += _record(0x0003, struct.pack("<H", codepage))
    out += _record(0x0004, project_name.encode(codec))
    out += _text_record(0x0005, 0x0040, "", codec)  # docstring
    out += _text_record(0x0006, 0x003D, "", codec)  # help file (both copies)
    out += _record(0x0007, struct.pack("<I", 0))  # help context
    out += _record(0x0008, struct.pack("<I", 0))  # lib flags
    # PROJECTVERSION's Reserved field is 4 but is followed by 6 bytes of payload.
    out += struct.pack("<HIIH", 0x0009, 4, *_PROJECT_VERSION)
    out += _text_record(0x000C, 0x003C, "", codec)  # conditional compilation constants

    # PROJECTREFERENCES (2.3.4.2.2): REFERENCENAME + REFERENCEREGISTERED each.
    for name, libid in _REFERENCES:
        out += _text_record(0x0016, 0x003E, name, codec)
        libid_bytes = libid.encode(codec)
        out += _record(0x000D, struct.pack("<I", len(libid_bytes)) + libid_bytes + b"\x00" * 6)

    # PROJECTMODULES (2.3.4.2.3)
    out += _record(0x000F, struct.pack("<H", len(modules)))
    out += _record(0x0013, struct.pack("<H", _COOKIE))
    for module in modules:
        out += _text_record(0x0019, 0x0047, module.name, codec)  # MODULENAME (+ unicode)
        out += _text_record(0x001A, 0x0032, module.name, codec)  # MODULESTREAMNAME
        out += _text_record(0x001C, 0x0048, "", codec)  # MODULEDOCSTRING
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source starts the stream
        out += _record(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
        out += _record(0x002C, struct.pack("<H", _COOKIE))
        out += _record(0x0021 if module.kind == "std" else 0x0022, b"")  # MODULETYPE
        out += _record(0x002B, b"")  # module terminator
    out += _record(0x0010, b"")  # dir terminator
    return bytes(out)


# --------------------------------------------------------------------------- PROJECT streams


def _encrypt(data: bytes, project_id: str) -> bytes:
    """MS-OVBA 2.4.3.2 Data Encryption, with a fixed seed and zero ignored bytes."""
    seed = _ENCRYPTION_SEED
    version = 2
    project_key = sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ project_key])
    unencrypted_1, encrypted_1, encrypted_2 = project_key, out[2], out[1]

    def put(byte: int) -> None:
        nonlocal unencrypted_1, encrypted_1, encrypted_2
        enc = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        out.append(enc)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, enc, byte

    for _ in range((seed & 6) // 2):
        put(0)  # IgnoredEnc
    for byte in struct.pack("<I", len(data)) + data:
        put(byte)
    return bytes(out)


def _project_stream(project_name: str, project_id: str, modules: Sequence[VbaModule], codec: str) -> bytes:
    lines = [f'ID="{project_id}"']
    for module in modules:
        if module.kind == "document":
            lines.append(f"Document={module.name}/&H00000000")
        elif module.kind == "class":
            lines.append(f"Class={module.name}")
        else:
            lines.append(f"Module={module.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        # Protection state 0, no password, visible (MS-OVBA 2.3.1.15-17).
        f'CMG="{_encrypt(bytes(4), project_id).hex().upper()}"',
        f'DPB="{_encrypt(bytes(1), project_id).hex().upper()}"',
        f'GC="{_encrypt(bytes([0xFF]), project_id).hex().upper()}"',
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
        *(f"{module.name}=0, 0, 0, 0, C" for module in modules),
        "",  # Excel ends the stream with an empty line
    ]
    return "".join(line + "\r\n" for line in lines).encode(codec)


def _project_wm_stream(modules: Sequence[VbaModule], codec: str) -> bytes:
    # NAMEMAP records (2.3.3): MBCS name, NUL, UTF-16 name, NUL; then a terminator.
    out = bytearray()
    for module in modules:
        out += module.name.encode(codec) + b"\x00" + module.name.encode("utf-16-le") + b"\x00\x00"
    return bytes(out + b"\x00\x00")


# --------------------------------------------------------------------------- entry point


def build_vba_project(
    project_name: str,
    modules: Sequence[VbaModule],
    *,
    codepage: int = 1252,
    project_id: str | None = None,
) -> bytes:
    """Return the bytes of a ``vbaProject.bin`` holding ``modules``.

    ``codepage`` is the project's MBCS code page (1252 western, 936 simplified
    Chinese, ...); all source must be representable in it.  ``project_id``
    defaults to a GUID derived from ``project_name``.  Raises ``ValueError``
    for invalid names, duplicate modules or unencodable text.
    """
    codec = _codec_for(codepage)
    _check_identifier(project_name, "project name", _MAX_PROJECT_NAME)

    seen: dict[str, str] = {}
    for module in modules:
        if not isinstance(module, VbaModule):
            raise TypeError(f"expected VbaModule, got {type(module).__name__}")
        _check_identifier(module.name, "module name", _MAX_MODULE_NAME)
        key = module.name.lower()  # VBA names are case-insensitive
        if key == project_name.lower():
            raise ValueError(f"module name {module.name!r} clashes with the project name {project_name!r}")
        if key in seen:
            raise ValueError(f"duplicate module name {module.name!r} (already used by {seen[key]!r})")
        seen[key] = module.name

    if project_id is None:
        project_id = "{" + str(uuid.uuid5(_PROJECT_ID_NAMESPACE, project_name)).upper() + "}"
    elif not re.fullmatch(r"\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}", project_id):
        raise ValueError(f"project_id must look like {{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}}, got {project_id!r}")

    streams = {
        "PROJECT": _project_stream(project_name, project_id, modules, codec),
        "PROJECTwm": _project_wm_stream(modules, codec),
        # Reserved1 0x61CC, Version 0xFFFF, Reserved2 0, Reserved3 1, no cache (MS-OVBA 3.1.1).
        "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x01\x00",
        "VBA/dir": compress(_dir_stream(project_name, modules, codepage, codec)),
    }
    for module in modules:
        streams["VBA/" + module.name] = compress(module_source_bytes(module, codepage=codepage))
    return build_compound_file(streams)

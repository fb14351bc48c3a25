"""Build the Excel add-in jxzp.xlam from text sources, on any OS (``jxzp build-addin``).

Inputs, all text: macros/ (ribbon XML, our VBA modules), xlwings' own custom-add-in VBA
module and its Dictionary class taken from the installed, pinned xlwings (PROJECT_NAME set
to "jxzp"), and the UDF wrapper module generated from addin/udfs.py. The VBA project is
source only (MS-OVBA: _VBA_PROJECT version 0xFFFF, no p-code), so Excel compiles it on
first load. The same inputs always give the same bytes.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..core.errors import InputError
from . import package
from .ovba import VbaModule, build_vba_project
from .udf_wrappers import MODULE_NAME as UDF_VBA_MODULE
from .udf_wrappers import HELP_MODULE_NAME, UDF_PYTHON_MODULE, help_module_source, udf_functions, wrapper_source

PROJECT_NAME = "jxzp"  # VBA project name = xlwings PROJECT_NAME: config sheet jxzp.conf, %USERPROFILE%\.jxzp
CONFIG_SHEET = f"{PROJECT_NAME}.conf"
XLWINGS_VERSION = "0.37.8"  # must equal the pin in setup.py: the VBA module names xlwings64-<version>.dll
CODEPAGE = 1252  # every VBA source is ASCII; 1252 is what xlwings ships
CUSTOM_UI_NS = "http://schemas.microsoft.com/office/2009/07/customui"
DEFAULT_OUTPUT = Path("dist") / "jxzp.xlam"
ADDIN_FILENAME = "jxzp.xlam"
KEYWORD_PREFIX = "jxzp-addin"


@dataclass(frozen=True)
class MacroSource:
    name: str  # VBA module name
    kind: str  # "std" | "class" | "document"
    file: str  # file in macros/


# Our VBA, in project order. ThisWorkbook and Sheet1 are the document modules of the
# workbook and its config sheet (codeNames in xl/workbook.xml and the sheet).
MACRO_MODULES = (
    MacroSource("ThisWorkbook", "document", "ThisWorkbook.cls"),
    MacroSource(package.CONFIG_SHEET_CODENAME, "document", "Sheet1.cls"),
    MacroSource("JxzpRibbon", "std", "JxzpRibbon.bas"),
)
RIBBON_FILE = "customUI14.xml"
_PROJECT_NAME_LINE = re.compile(r'^(Public Const PROJECT_NAME As String = )"[^"\r\n]*"', re.MULTILINE)
_VERSION_LINE = re.compile(r'^Public Const XLWINGS_VERSION As String = "([^"]+)"', re.MULTILINE)


def macros_dir() -> Path:
    """macros/ next to the package when installed from a wheel, else at the checkout root."""
    here = Path(__file__).resolve().parent.parent  # the addin package
    for candidate in (here / "macros", here.parent / "macros"):
        if (candidate / RIBBON_FILE).is_file():
            return candidate
    raise InputError("找不到加载项的源文件（macros/customUI14.xml）。jxzp 安装不完整，请重新安装 jxzp")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(f"无法读取加载项源文件 {path}：{e.strerror or e}") from None


def xlwings_dir() -> Path:
    try:
        import xlwings  # noqa: PLC0415
    except ImportError:
        raise InputError(f"没有安装 xlwings。请运行：pip install xlwings=={XLWINGS_VERSION}") from None
    if xlwings.__version__ != XLWINGS_VERSION:
        raise InputError(f"已安装的 xlwings 是 {xlwings.__version__} 版，jxzp 加载项需要 {XLWINGS_VERSION} 版"
                         f"（VBA 模块与 xlwings 的 DLL 按版本配对）。请运行：pip install xlwings=={XLWINGS_VERSION}")
    return Path(xlwings.__file__).resolve().parent


def xlwings_module_source(project_name: str = PROJECT_NAME) -> str:
    """xlwings' custom-add-in module with PROJECT_NAME set (VB_Name "xlwings")."""
    path = xlwings_dir() / "xlwings_custom_addin.bas"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    found = _VERSION_LINE.search(text)
    if not found or found.group(1) != XLWINGS_VERSION:
        raise InputError(f"{path} 不是 xlwings {XLWINGS_VERSION} 的加载项模块，xlwings 安装可能已损坏，请重新安装")
    text, n = _PROJECT_NAME_LINE.subn(rf'\1"{project_name}"', text)
    if n != 1:
        raise InputError(f"{path} 中找不到 PROJECT_NAME 常量，无法生成加载项")
    return text


def xlwings_dictionary_source() -> str:
    """VBA-Dictionary as shipped in xlwings: the macOS code path of the module needs it."""
    path = xlwings_dir() / "addin" / "Dictionary.cls"
    if not path.is_file():
        raise InputError(f"找不到 {path}，xlwings 安装可能已损坏，请重新安装")
    return path.read_text(encoding="utf-8")


def ribbon_xml() -> bytes:
    """The ribbon part, checked to be well-formed customUI14 before it goes into the file."""
    path = macros_dir() / RIBBON_FILE
    data = path.read_bytes()
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise InputError(f"{path} 不是有效的 XML：{e}") from None
    if root.tag != f"{{{CUSTOM_UI_NS}}}customUI":
        raise InputError(f"{path} 的根元素应为 customUI（命名空间 {CUSTOM_UI_NS}）")
    return data


def vba_modules() -> list[VbaModule]:
    src = macros_dir()
    ours = [VbaModule(m.name, m.kind, _read_text(src / m.file)) for m in MACRO_MODULES]
    return [
        *ours[:2],  # document modules first, as Excel orders them
        VbaModule("xlwings", "std", xlwings_module_source()),
        *ours[2:],
        VbaModule(UDF_VBA_MODULE, "std", wrapper_source()),
        VbaModule(HELP_MODULE_NAME, "std", help_module_source()),
        VbaModule("Dictionary", "class", xlwings_dictionary_source()),
    ]


def config_settings(interpreter: str | None = None) -> list[tuple[str, str | bool]]:
    """Rows of the jxzp.conf sheet that xlwings' VBA reads (keys are case-insensitive).

    Values are text, as in xlwings' config files: VBA turns "True" into a Boolean itself.
    Without an interpreter the key is left out, so %USERPROFILE%\\.jxzp\\jxzp.conf or the
    default "pythonw" applies.
    """
    rows: list[tuple[str, str | bool]] = [
        ("UDF Modules", UDF_PYTHON_MODULE),
        ("Use UDF Server", "True"),  # one warm Python process; no cmd.exe per click (ASR rule, #821)
        # keep the user's folder off sys.path: a stray addin/ or openpyxl.py there must not shadow ours
        ("ADD_WORKBOOK_TO_PYTHONPATH", "False"),
    ]
    if interpreter:
        if any(ch in interpreter for ch in "\r\n\t\""):
            raise InputError(f"Python 路径含有不允许的字符：{interpreter!r}")
        rows.append(("Interpreter_Win", interpreter))
    return rows


def build_addin(*, interpreter: str | None = None, addin: bool = True) -> bytes:
    """Bytes of jxzp.xlam (or, with ``addin=False``, an .xlsm with the same content)."""
    modules = vba_modules()
    vba = build_vba_project(PROJECT_NAME, modules, codepage=CODEPAGE)
    return package.build_package(
        vba_project=vba,
        custom_ui=ribbon_xml(),
        config=config_settings(interpreter),
        sheet_name=CONFIG_SHEET,
        title="jxzp 绩效自评加载项",
        keywords=f"{KEYWORD_PREFIX};jxzp {__version__};xlwings {XLWINGS_VERSION}",
        description="部门整体支出绩效自评助手 Excel 加载项（由 jxzp build-addin 生成）",
        addin=addin,
    )


def addin_info(data: bytes) -> dict[str, str]:
    """What a built add-in says about itself: jxzp and xlwings versions, config settings.

    Raises InputError when ``data`` is not a jxzp add-in.
    """
    try:
        core = package.read_part(data, "docProps/core.xml")
        sheet = package.read_part(data, package.CONFIG_SHEET_PART)
    except Exception:
        raise InputError("这不是 jxzp build-addin 生成的加载项文件") from None
    m = re.search(rb"<cp:keywords>([^<]*)</cp:keywords>", core)
    words = m.group(1).decode("utf-8").split(";") if m else []
    if not words or words[0] != KEYWORD_PREFIX:
        raise InputError("这不是 jxzp build-addin 生成的加载项文件")
    info = {k: v for k, _, v in (w.partition(" ") for w in words[1:])}
    info["config"] = dict(package.read_config(sheet))  # type: ignore[assignment]
    return info


def set_interpreter(data: bytes, interpreter: str) -> bytes:
    """The add-in with its config sheet's Interpreter_Win replaced; all else byte-identical."""
    addin_info(data)  # refuse anything that is not ours
    rows = [r for r in package.read_config(package.read_part(data, package.CONFIG_SHEET_PART))
            if r[0].upper() != "INTERPRETER_WIN"]
    rows += [r for r in config_settings(interpreter) if r[0] == "Interpreter_Win"]
    return package.replace_part(data, package.CONFIG_SHEET_PART, package.config_sheet_xml(rows).encode())


def udf_names() -> list[str]:
    return list(udf_functions())

"""``jxzp install-addin`` / ``jxzp uninstall-addin``: put jxzp.xlam where Excel loads it (Windows).

Install writes the add-in, with this Python's interpreter in its jxzp.conf sheet, into the
user's XLSTART folder (%APPDATA%\\Microsoft\\Excel\\XLSTART): Excel opens every add-in
there at start-up, and the folder is one of Excel's default trusted locations, so the
unsigned VBA runs without a macro prompt. This is also where ``xlwings addin install``
puts xlwings' own add-in. No registry entry, no administrator rights. The file is written
by us, so it carries no Mark-of-the-Web.

Before writing, it checks that the installed xlwings is the version whose VBA module is in
the add-in and that its DLL sits where that VBA module loads it from.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..core.errors import InputError, OutputError
from .build import ADDIN_FILENAME, XLWINGS_VERSION, addin_info, build_addin, set_interpreter

EXIT_OK, EXIT_UNSUPPORTED = 0, 2

NOT_WINDOWS = (
    "jxzp install-addin / uninstall-addin 只能在 Windows 上运行：Excel 加载项通过 xlwings 的 Windows 组件调用 Python。",
    "在这台电脑上可以：",
    "  1. 用 jxzp build-addin 生成 dist/jxzp.xlam，复制到装有 Excel 的 Windows 电脑，"
    "在那台电脑上安装 Python、jxzp 后运行 jxzp install-addin --addin jxzp.xlam；",
    "  2. 不用 Excel（例如 WPS、LibreOffice）时，直接使用命令行：jxzp new / jxzp validate / jxzp report。",
    "macOS 版 Excel 的手动安装方法见 README“在 Excel 中安装”一节（未经验证）。",
)


def is_windows() -> bool:
    return sys.platform.startswith("win")


def xlstart_dir() -> Path:
    """The user's Excel start-up folder (Excel's default; a custom one is not looked up)."""
    appdata = os.environ.get("APPDATA")
    if not appdata:
        raise InputError("找不到 %APPDATA% 文件夹，无法确定 Excel 的启动文件夹（XLSTART）")
    return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"


def interpreter() -> Path:
    """pythonw.exe of this environment (no console window), else this python.exe."""
    exe = Path(sys.executable)
    windowless = exe.with_name("pythonw.exe")
    return windowless if windowless.is_file() else exe


def non_ascii_warning(python: Path) -> str | None:
    """A warning when the interpreter's path is not plain ASCII (e.g. C:\\Users\\张三\\...).

    xlwings starts its UDF server through cmd.exe and COM with that path; with characters
    outside the system code page the start fails and every jxzp function stays on its
    native fallback. An ASCII folder avoids it.
    """
    text = str(python)
    if text.isascii():
        return None
    odd = "".join(dict.fromkeys(ch for ch in text if not ch.isascii()))
    return (f"警告：Python 的路径含有非英文字符（{odd}）：{text}\n"
            "xlwings 用这个路径启动 Python 时可能失败（例如 Windows 用户名是中文），加载项的函数将无法启动，"
            "表格只能用普通公式计算。建议把 Python 安装到只含英文字母和数字的文件夹（如 C:\\Python311 或 "
            "C:\\jxzp\\venv），在那里重新 pip install jxzp，再运行 jxzp install-addin。")


def find_xlwings_dll(python: Path) -> Path:
    """The xlwings DLL where the add-in's VBA looks: next to python, or one folder up (venv)."""
    import xlwings  # noqa: PLC0415

    if xlwings.__version__ != XLWINGS_VERSION:
        raise InputError(f"这个 Python 环境中的 xlwings 是 {xlwings.__version__} 版，加载项需要 {XLWINGS_VERSION} 版。"
                         f"请运行：{python.with_name('python.exe')} -m pip install xlwings=={XLWINGS_VERSION}")
    names = [f"xlwings64-{XLWINGS_VERSION}.dll", f"xlwings32-{XLWINGS_VERSION}.dll"]
    folders = [python.parent, python.parent.parent]
    for folder in folders:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    raise InputError(f"找不到 {names[0]}（应在 {folders[0]} 或 {folders[1]}）。加载项靠它连接 Python。"
                     f"请在这个环境中重新安装 xlwings：pip install --force-reinstall xlwings=={XLWINGS_VERSION}")


def _addin_bytes(given: str | None, python: Path) -> bytes:
    if not given:
        return build_addin(interpreter=str(python))
    path = Path(given)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"无法读取加载项文件 {path}：{e.strerror or e}") from None
    info = addin_info(data)
    if info.get("xlwings") != XLWINGS_VERSION:
        raise InputError(f"{path.name} 是按 xlwings {info.get('xlwings', '未知')} 版生成的，这个环境的 xlwings 是 "
                         f"{XLWINGS_VERSION} 版。请在这个环境中运行 jxzp build-addin 重新生成，或不加 --addin 直接安装")
    return set_interpreter(data, str(python))


def install(addin: str | None, say) -> Path:
    python = interpreter()
    dll = find_xlwings_dll(python)
    data = _addin_bytes(addin, python)
    folder = xlstart_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"无法创建 Excel 启动文件夹 {folder}：{e.strerror or e}") from None
    target = folder / ADDIN_FILENAME
    from ..fs import atomic_write  # noqa: PLC0415

    try:
        atomic_write(target, lambda tmp: tmp.write_bytes(data), overwrite=True)
    except OutputError as e:
        raise OutputError(f"{e.message}\n如果 Excel 正在运行，请先退出 Excel（包括后台的 Excel 进程）再安装") from None
    say(f"已安装 Excel 加载项：{target}")
    say(f"Python：{python}")
    warning = non_ascii_warning(python)
    if warning:
        say(warning)
    say(f"xlwings {XLWINGS_VERSION}：{dll}")
    say("请重新启动 Excel，功能区会出现“绩效自评”选项卡。")
    say("XLSTART 是 Excel 默认的受信任位置；如果选项卡没有出现，请看 README“在 Excel 中安装”中的信任中心说明。")
    return target


def remove(say) -> int:
    target = xlstart_dir() / ADDIN_FILENAME
    if not target.exists():
        say(f"没有找到已安装的加载项（{target}），无需卸载。")
        return EXIT_OK
    try:
        target.unlink()
    except PermissionError:
        raise OutputError(f"无法删除 {target}：Excel 正在使用它。请先退出 Excel 再卸载") from None
    except OSError as e:
        raise OutputError(f"无法删除 {target}：{e.strerror or e}") from None
    say(f"已卸载 Excel 加载项：{target}")
    say("重新启动 Excel 后“绩效自评”选项卡消失。已有的自评表改用公式中的普通函数计算，数字不变；重新安装后恢复用加载项计算。")
    return EXIT_OK

"""build-addin / install-addin / uninstall-addin as use cases."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.errors import InputError
from .outcome import EXIT_INPUT, Outcome
from .settings import Settings


@dataclass(frozen=True)
class BuildAddin:
    output: Path | None = None  # default dist/jxzp.xlam
    overwrite: bool = False


def build_addin(args: BuildAddin, settings: Settings | None = None) -> Outcome:
    from ..xlam.build import DEFAULT_OUTPUT, XLWINGS_VERSION, build_addin as build, udf_names  # noqa: PLC0415
    from ..xlsx.files import atomic_write, check_output_path  # noqa: PLC0415

    out = Path(args.output or DEFAULT_OUTPUT)
    if out.suffix.lower() not in (".xlam", ".xlsm"):
        raise InputError(f"输出文件应以 .xlam 结尾（加载项），或 .xlsm（同样内容的启用宏工作簿，供检查用）：{out}")
    if out == DEFAULT_OUTPUT and not out.parent.exists():
        out.parent.mkdir(parents=True)
    out = check_output_path(out, overwrite=args.overwrite)
    data = build(addin=out.suffix.lower() == ".xlam")
    atomic_write(out, lambda tmp: tmp.write_bytes(data), overwrite=args.overwrite)
    o = Outcome()
    o.wrote(out)
    o.say(f"已生成 Excel 加载项：{out}（{len(data) // 1024} KB；{len(udf_names())} 个工作表函数；xlwings {XLWINGS_VERSION}）")
    o.say("在 Windows 上运行 jxzp install-addin 安装；安装说明见 README“在 Excel 中安装”一节。")
    return o


@dataclass(frozen=True)
class InstallAddin:
    addin: Path | None = None  # an already built .xlam (default: build one now)
    uninstall: bool = False


def install_addin(args: InstallAddin, settings: Settings | None = None) -> Outcome:
    from ..xlam.install import NOT_WINDOWS, install, is_windows, remove  # noqa: PLC0415

    o = Outcome()
    if not is_windows():
        for line in NOT_WINDOWS:
            o.say(line)
        o.exit_code = EXIT_INPUT
        return o
    if args.uninstall:
        remove(o.say)
    else:
        o.wrote(install(str(args.addin) if args.addin else None, o.say))
    return o

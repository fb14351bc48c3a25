"""jxzp command line: the same jobs as the Excel ribbon, for WPS/LibreOffice users, reviewers and CI.

The CLI only parses arguments and prints: each subcommand turns its arguments into a typed
request for a use case in addin.app and prints the Outcome. Adding a subcommand:

    @command("clear", "清除校验标记（另存副本）")
    def _clear(p: Parser) -> Runner:
        p.add_argument("workbook", help="自评表 .xlsx")
        return lambda a, settings: app.clear(app.Clear(Path(a.workbook), ...), settings)

Exit codes: 0 fine; 1 the workbook's content has errors (错误 findings); 2 unusable input
or arguments; 3 internal error. Messages are Chinese; tracebacks only with --debug.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import __version__, app
from .app import EXIT_INPUT, EXIT_OK, Outcome, Settings

Runner = Callable[[argparse.Namespace, Settings], Outcome]


# ---------------------------------------------------------------- a parser that speaks Chinese
class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


# argparse's English error texts (formatted before error() sees them) -> Chinese
_ERRORS = (
    (re.compile(r"the following arguments are required: (.*)"), r"缺少必需的参数：\1"),
    (re.compile(r"unrecognized arguments: (.*)"), r"无法识别的参数：\1"),
    (re.compile(r"argument (\S+): invalid choice: (.*) \(choose from (.*)\)"), r"参数 \1：无效的选项 \2（可选：\3）"),
    (re.compile(r"argument (\S+): invalid (\w+) value: (.*)"), r"参数 \1：无效的值 \3"),
    (re.compile(r"argument (\S+): expected one argument"), r"参数 \1：需要一个值"),
    (re.compile(r"argument (\S+): ignored explicit argument (.*)"), r"参数 \1：不接受值 \2"),
    (re.compile(r"argument (\S+): not allowed with argument (.*)"), r"参数 \1：不能与 \2 同时使用"),
    (re.compile(r"argument (\S+): (.*)"), r"参数 \1：\2"),
    (re.compile(r"ambiguous option: (\S+) could match (.*)"), r"选项 \1 不明确，可能是：\2"),
)


def _chinese(message: str) -> str:
    for rx, repl in _ERRORS:
        m = rx.fullmatch(message)
        if m:
            return m.expand(repl)
    return message


class Parser(argparse.ArgumentParser):
    """ArgumentParser with Chinese help and errors (exit 2) — no patching of argparse itself."""

    def __init__(self, *args, **kw):
        kw.setdefault("formatter_class", _Formatter)
        kw["add_help"] = False
        super().__init__(*args, **kw)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示帮助并退出")

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}：参数有误：{_chinese(message)}\n")


def year(text: str) -> int:
    """--year: a four-digit year; '22' is refused, not read as the year 22."""
    t = text.strip()
    if not re.fullmatch(r"\d{4}", t) or not 2000 <= int(t) <= 2100:
        raise argparse.ArgumentTypeError(f"评价年度应为四位年份（如 2022），而不是 {text!r}")
    return int(t)


def port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"端口应为 0–65535 的整数（收到 {text!r}）")
    return int(text)


# ---------------------------------------------------------------- subcommand registry
@dataclass(frozen=True)
class Command:
    name: str
    help: str
    setup: Callable[[Parser], Runner]  # adds the arguments, returns what runs the command


COMMANDS: dict[str, Command] = {}


def command(name: str, help: str):
    """Register a subcommand: the decorated function adds its arguments and returns its runner."""

    def deco(setup: Callable[[Parser], Runner]) -> Callable[[Parser], Runner]:
        COMMANDS[name] = Command(name, help, setup)
        return setup

    return deco


def _path(v: str | None) -> Path | None:
    return Path(v) if v else None


@command("new", "生成空白自评表模板")
def _new(p: Parser) -> Runner:
    p.add_argument("-o", "--output", help="输出文件（默认：部门整体支出绩效自评表.xlsx）")
    p.add_argument("--framework", help="指标体系 id 或 .toml 文件（默认 gd_county_2022）")
    p.add_argument("--year", type=year, help="评价年度（四位年份，如 2022）")
    p.add_argument("--department", help="部门名称")
    p.add_argument("--from", dest="previous", metavar="上年自评表.xlsx",
                   help="由上年自评表生成下一年度的工作簿：带入部门信息、人员编制、上年数、项目清单和绩效指标（目标值保留，完成值和得分清空）")
    p.add_argument("--overwrite", action="store_true", help="输出文件已存在时覆盖")
    return lambda a, s: app.new_workbook(app.NewWorkbook(
        output=_path(a.output), framework=a.framework, year=a.year, department=a.department,
        overwrite=a.overwrite, previous=_path(a.previous)), s)


@command("sample", "生成样例工作簿（默认乐昌市政务服务数据管理局 2022 年度）")
def _sample(p: Parser) -> Runner:
    p.add_argument("-o", "--output", help="输出文件")
    p.add_argument("--framework", help="指标体系 id（如 national_dept_target、national_project_target：虚构示例）")
    p.add_argument("--overwrite", action="store_true", help="输出文件已存在时覆盖")
    return lambda a, s: app.make_sample(app.MakeSample(_path(a.output), a.overwrite, a.framework), s)


@command("demo", "在一个文件夹中生成样例工作簿、校验结果和自评报告")
def _demo(p: Parser) -> Runner:
    p.add_argument("-o", "--output", default="jxzp-demo", help="输出文件夹（默认 jxzp-demo）")
    p.add_argument("--overwrite", action="store_true", help="文件夹已有非 demo 生成的文件时仍然写入")
    return lambda a, s: app.demo(app.Demo(Path(a.output), a.overwrite), s)


@command("validate", "校验工作簿，列出不一致的数字")
def _validate(p: Parser) -> Runner:
    p.add_argument("workbook", help="自评表 .xlsx")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--annotate", metavar="OUT.xlsx", help="另存一份带标注和“校验结果”的副本")
    p.add_argument("--overwrite", action="store_true", help="标注副本已存在时覆盖")
    return lambda a, s: app.validate(app.Validate(Path(a.workbook), a.json, _path(a.annotate), a.overwrite), s)


@command("clear", "清除校验标记（恢复单元格原来的底色和批注），另存为新文件")
def _clear(p: Parser) -> Runner:
    p.add_argument("workbook", help="带标注的工作簿 .xlsx/.xlsm（不会被修改）")
    p.add_argument("-o", "--output", help="输出文件（如 还原.xlsx）；不给出时须加 --overwrite 才改写原文件")
    p.add_argument("--overwrite", action="store_true", help="输出文件已存在时覆盖；不给 -o 时改写原文件")
    return lambda a, s: app.clear(app.Clear(Path(a.workbook), _path(a.output), a.overwrite), s)


@command("report", "生成自评报告（Word）")
def _report(p: Parser) -> Runner:
    p.add_argument("workbook", help="自评表 .xlsx")
    p.add_argument("-o", "--output", help="输出 .docx（默认：部门名称+年度，放在工作簿旁）")
    p.add_argument("--force", action="store_true", help="校验有“错误”时仍然生成")
    p.add_argument("--overwrite", action="store_true", help="输出文件已存在时覆盖（否则另取名）")
    return lambda a, s: app.report(app.Report(Path(a.workbook), _path(a.output), a.force, a.overwrite), s)


@command("export", "导出工作簿中的全部数值")
def _export(p: Parser) -> Runner:
    p.add_argument("workbook", help="自评表 .xlsx")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（供 jxzp fill 使用）")
    p.add_argument("-o", "--output", help="JSON 写入文件而不是屏幕")
    p.add_argument("--overwrite", action="store_true", help="输出文件已存在时覆盖")
    return lambda a, s: app.export(app.Export(Path(a.workbook), a.json, _path(a.output), a.overwrite), s)


@command("fill", "按名称把 JSON 中的数值写入工作簿副本")
def _fill(p: Parser) -> Runner:
    p.add_argument("workbook", help="自评表 .xlsx（不会被修改）")
    p.add_argument("--from", dest="data", required=True, help="jxzp export --json 格式的数据文件")
    p.add_argument("-o", "--output", required=True, help="输出 .xlsx")
    p.add_argument("--overwrite", action="store_true", help="输出文件已存在时覆盖")
    return lambda a, s: app.fill(app.Fill(Path(a.workbook), Path(a.data), Path(a.output), a.overwrite), s)


@command("send-ready", "准备发送：去掉 Excel 加载项写入的链接，生成可发给未装加载项者的副本")
def _send_ready(p: Parser) -> Runner:
    p.add_argument("workbook", help="自评表 .xlsx")
    p.add_argument("-o", "--output", help="输出文件（默认：原名（发送版）.xlsx）")
    p.add_argument("--overwrite", action="store_true", help="覆盖已存在的输出文件")
    return lambda a, s: app.send_ready(app.SendReady(Path(a.workbook), _path(a.output), a.overwrite), s)


@command("names", "列出工作簿的名称（接口约定）")
def _names(p: Parser) -> Runner:
    p.add_argument("--framework", help="指标体系 id 或 .toml 文件")
    p.add_argument("--markdown", action="store_true", help="输出 Markdown 表格")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    return lambda a, s: app.names(app.Names(a.framework, "json" if a.json else "markdown" if a.markdown else "text"), s)


@command("frameworks", "列出可用的指标体系，或检查指标体系文件")
def _frameworks(p: Parser) -> Runner:
    p.add_argument("--check", metavar="FILE.toml", help="检查一个指标体系文件")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（id、名称、族、用途…）")
    return lambda a, s: app.frameworks(app.Frameworks(_path(a.check), a.json), s)


@command("serve", "启动本机网页版（无需 Excel，WPS 用户可用），并打开浏览器")
def _serve(p: Parser) -> Runner:
    p.add_argument("--port", type=port, help="端口（默认 8765，被占用时自动换下一个）")
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，仅本机可访问）")
    p.add_argument("--no-browser", action="store_true", help="不自动打开浏览器")
    p.add_argument("--shortcut", action="store_true", help="在桌面创建启动网页版的快捷方式后退出")
    p.add_argument("--overwrite", action="store_true", help="（--shortcut）快捷方式已存在时覆盖")

    def run(a, s: Settings) -> Outcome:
        from .web.server import create_shortcut, serve  # noqa: PLC0415 - Flask/waitress only for the page

        if a.shortcut:
            out = create_shortcut(overwrite=a.overwrite)
            return Outcome(messages=[f"已在桌面创建快捷方式：{out}（双击即启动网页版）"], paths=[Path(out)])
        return Outcome(exit_code=serve(host=a.host, port=a.port, open_browser=not a.no_browser, say=_out))

    return run


@command("review", "批量复核：一个文件夹中的全部自评表 → 复核汇总工作簿")
def _review(p: Parser) -> Runner:
    from .review.command import add_arguments  # noqa: PLC0415

    add_arguments(p)

    def run(a, s: Settings) -> Outcome:
        from .review.command import run_review  # noqa: PLC0415
        from .review.usecase import Review  # noqa: PLC0415

        args = Review(Path(a.folder), Path(a.output) if a.output else None, jobs=a.jobs,
                      fmt="json" if a.json else "csv" if a.csv else None, timeout=a.timeout,
                      memory_mb=a.memory_mb, overwrite=a.overwrite)
        return Outcome(exit_code=run_review(args, say=_out, err=_err))

    return run


@command("build-addin", "由 macros/ 中的文本构建 Excel 加载项 jxzp.xlam")
def _build_addin(p: Parser) -> Runner:
    p.add_argument("-o", "--output", default=str(Path("dist") / "jxzp.xlam"), help="输出 .xlam（默认 dist/jxzp.xlam）")
    p.add_argument("--overwrite", action="store_true", help="输出文件已存在时覆盖")
    return lambda a, s: app.build_addin(app.BuildAddin(_path(a.output), a.overwrite), s)


@command("install-addin", "（Windows）安装 Excel 加载项")
def _install_addin(p: Parser) -> Runner:
    p.add_argument("--addin", help="已构建的 .xlam（默认现场构建）")
    return lambda a, s: app.install_addin(app.InstallAddin(_path(a.addin)), s)


@command("uninstall-addin", "（Windows）卸载 Excel 加载项")
def _uninstall_addin(p: Parser) -> Runner:
    return lambda a, s: app.install_addin(app.InstallAddin(uninstall=True), s)


def build_parser() -> Parser:
    p = Parser(prog="jxzp", description="部门整体支出绩效自评助手：生成自评表、校验、生成自评报告。")
    p.add_argument("--version", action="version", version=f"jxzp {__version__}", help="显示版本号并退出")
    p.add_argument("--debug", action="store_true", help="出错时显示完整的 Python 错误信息")
    sub = p.add_subparsers(dest="command", metavar="命令", parser_class=Parser)
    for c in COMMANDS.values():
        s = sub.add_parser(c.name, help=c.help, description=c.help)
        s.set_defaults(run=c.setup(s))
    return p


# ---------------------------------------------------------------- printing
# C0/C1 control characters typed into a workbook must not drive the user's terminal
_VISIBLE = {c: f"\\x{c:02x}" for c in list(range(0x20)) + list(range(0x7F, 0xA0)) if c not in (0x0A, 0x09)}


def _out(text: str = "") -> None:
    print(str(text).translate(_VISIBLE), flush=True)


def _err(text: str) -> None:
    print(str(text).translate(_VISIBLE), file=sys.stderr)


def _quiet_closed_pipe() -> None:
    """`jxzp names | head`: the reader went away; stop quietly (no traceback at interpreter exit)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # pragma: no cover - no real stdout
        pass


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):  # pragma: no cover - non-standard streams
            pass
    try:
        return _main(argv)
    except BrokenPipeError:
        _quiet_closed_pipe()
        return EXIT_OK


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_INPUT
    settings = Settings.from_environment(debug=args.debug).apply()
    outcome = app.run(args.run, args, settings)
    for line in outcome.messages:
        _out(line)
    for line in outcome.notes:
        _err(line)
    return outcome.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

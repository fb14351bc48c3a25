"""jxzp command line: the same jobs as the Excel ribbon, for WPS/LibreOffice users, reviewers and CI.

Exit codes: 0 fine; 1 the workbook's content has errors (错误 findings); 2 unusable input
or arguments. Messages are Chinese; tracebacks only with --debug.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import __version__
from .core.errors import JxzpError

EXIT_OK, EXIT_CONTENT, EXIT_INPUT = 0, 1, 2

_ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示帮助并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "invalid %(type)s value: %(value)r": "无效的 %(type)s 值：%(value)r",
    "expected one argument": "需要一个值",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
}


def _zh(text: str) -> str:
    return _ARGPARSE_ZH.get(text, text)


argparse._ = _zh  # argparse's own messages in Chinese (it looks `_` up at call time)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 2 with a Chinese message
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}：参数有误：{message}\n")


# C0/C1 control characters typed into a workbook must not drive the user's terminal
_VISIBLE = {c: f"\\x{c:02x}" for c in list(range(0x20)) + list(range(0x7F, 0xA0)) if c not in (0x0A, 0x09)}


def _out(text: str = "") -> None:
    print(str(text).translate(_VISIBLE))


def _err(text: str) -> None:
    print(str(text).translate(_VISIBLE), file=sys.stderr)


# ---------------------------------------------------------------- commands
def cmd_new(a) -> int:
    from .service import new_from_previous, new_template  # noqa: PLC0415

    if a.previous:
        if a.framework or a.year or a.department:
            _err("jxzp new --from：指标体系、年度和部门取自上年自评表，不能同时指定 --framework/--year/--department")
            return EXIT_INPUT
        out = Path(a.output or (Path(a.previous).stem + "_下一年度.xlsx"))
        p, s = new_from_previous(Path(a.previous), out, overwrite=a.overwrite)
        rows = "，".join(f"{ {'projects': '项目清单', 'indicators': '绩效指标'}.get(k, k)} {n} 行" for k, n in s["rows"].items())
        _out(f"已生成 {s['year'] or ''} 年度自评表：{p}（指标体系 {s['framework']}；带入 {s['cells']} 项信息，{rows}；"
             "实际完成值、得分和说明已清空）")
        return EXIT_OK
    out = Path(a.output or "部门整体支出绩效自评表.xlsx")
    p = new_template(out, framework=a.framework, year=a.year, department=a.department, overwrite=a.overwrite)
    _out(f"已生成自评表模板：{p}")
    return EXIT_OK


def cmd_sample(a) -> int:
    from .service import make_sample  # noqa: PLC0415

    if a.framework and a.framework != "gd_county_2022":
        from .core.framework import load_framework  # noqa: PLC0415

        fw = load_framework(a.framework)
        out = Path(a.output or f"示例_{fw.form_title}_{fw.id}.xlsx")
        p = make_sample(out, overwrite=a.overwrite, framework=fw.id)
        _out(f"已生成样例工作簿（{fw.name}；虚构示例，数字为编造，不是任何真实单位的数据）：{p}")
        return EXIT_OK
    out = Path(a.output or "乐昌市政务服务数据管理局_2022_自评表.xlsx")
    p = make_sample(out, overwrite=a.overwrite)
    _out(f"已生成样例工作簿（乐昌市政务服务数据管理局 2022 年度）：{p}")
    return EXIT_OK


def cmd_export(a) -> int:
    from .service import export  # noqa: PLC0415

    data = export(Path(a.workbook))
    if a.json:
        text = json.dumps(data, ensure_ascii=False, indent=1)
        if a.output:
            from .xlsx.files import atomic_write, check_output_path  # noqa: PLC0415

            out = check_output_path(a.output, overwrite=a.overwrite, inputs=(Path(a.workbook),))
            atomic_write(out, lambda t: t.write_text(text, encoding="utf-8"), overwrite=a.overwrite)
            _out(f"已导出：{out}")
        else:
            _out(text)
        return EXIT_OK
    for c in data["cells"]:
        where = f"{c['sheet']}!{c['cell']}" if c["sheet"] else "（缺失）"
        _out(f"{c['name']:<36}{where:<16}{c['label']}：{c['value']}")
    for name, t in data["tables"].items():
        _out(f"表 {name}：{len(t['rows'])} 行")
    _out(f"总分：{data['totals']['total']}（{data['totals']['grade']}）")
    return EXIT_OK


def cmd_fill(a) -> int:
    from .service import fill  # noqa: PLC0415

    rep = fill(Path(a.workbook), Path(a.data), Path(a.output), overwrite=a.overwrite)
    for w in rep.warnings:
        _err(f"提示：{w}")
    for w in rep.ignored:
        _err(f"未写入：{w}")
    _out(f"已写入 {rep.written} 个值：{a.output}")
    return EXIT_OK


def cmd_send_ready(a) -> int:
    from .service import send_ready  # noqa: PLC0415

    out, rep = send_ready(Path(a.workbook), Path(a.output) if a.output else None, overwrite=a.overwrite)
    for link in rep.removed_links:
        _out(f"已去掉指向加载项的链接：{link}")
    for link in rep.kept_links:
        _err(f"提示：保留了到其他工作簿的链接 {link}（不是 jxzp 加载项，对方打开时可能提示更新链接）")
    if not rep.removed_links and not rep.rewritten:
        _out("工作簿中没有指向加载项的链接，已原样复制。")
    _out(f"已生成发送版：{out}（改写 {rep.rewritten} 个公式）")
    return EXIT_OK


def cmd_names(a) -> int:
    from .core.framework import load_framework  # noqa: PLC0415
    from .service import names_table  # noqa: PLC0415

    fw = load_framework(a.framework) if a.framework else load_framework()
    rows = names_table(fw)
    if a.json:
        _out(json.dumps(rows, ensure_ascii=False, indent=1))
    elif a.markdown:
        _out("| 名称 | 含义 | 类别 | 位置 |\n|---|---|---|---|")
        for r in rows:
            _out(f"| `{r['name']}` | {r['label']} | {r['kind']} | `{r['refers_to']}` |")
    else:
        for r in rows:
            _out(f"{r['name']:<36}{r['kind']}  {r['refers_to']:<28}{r['label']}")
    return EXIT_OK


def cmd_frameworks(a) -> int:
    from .core.framework import available_frameworks, load_framework, load_framework_file  # noqa: PLC0415

    if a.check:
        fw = load_framework_file(a.check)
        rows = f"，绩效指标表 {len(fw.target.groups)} 个一级指标（三级指标由单位填写）" if fw.target else ""
        _out(f"指标体系文件正确：{fw.name}（{fw.id}），{len(fw.indicators)} 个三级指标{rows}，合计 {fw.total_max:g} 分")
        return EXIT_OK
    rows = []
    for ident in available_frameworks():
        fw = load_framework(ident)
        rows.append({"id": fw.id, "name": fw.name, "family": fw.family, "purpose": fw.purpose,
                     "form": fw.form_title, "region": fw.region, "years": list(fw.years), "version": fw.version,
                     "source": fw.source})
    if getattr(a, "json", False):
        _out(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    for r in rows:
        _out(f"{r['id']}\t{r['name']}\t{r['family']}\t适用年度：{'、'.join(map(str, r['years']))}")
        if r["purpose"]:
            _out(f"\t{r['purpose']}")
    return EXIT_OK


def cmd_demo(a) -> int:
    from .demo import run_demo  # noqa: PLC0415

    return run_demo(Path(a.output), overwrite=a.overwrite, say=_out)


def cmd_validate(a) -> int:
    from .validate_cmd import run_validate  # noqa: PLC0415

    return run_validate(a, say=_out)


def cmd_report(a) -> int:
    from .report_cmd import run_report  # noqa: PLC0415

    return run_report(a, say=_out)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"端口应为 0–65535 的整数（收到 {text!r}）")
    return int(text)


def cmd_serve(a) -> int:
    from .web.server import create_shortcut, serve  # noqa: PLC0415 - Flask/waitress only for the page

    if a.shortcut:
        out = create_shortcut(overwrite=a.overwrite)
        _out(f"已在桌面创建快捷方式：{out}（双击即启动网页版）")
        return EXIT_OK
    return serve(host=a.host, port=a.port, open_browser=not a.no_browser, say=_out)


def cmd_review(a) -> int:
    from .review.command import run_review  # noqa: PLC0415

    return run_review(a, say=_out, err=_err)


def cmd_build_addin(a) -> int:
    from .xlam.build import cli_build  # noqa: PLC0415

    return cli_build(a, say=_out)


def cmd_install_addin(a) -> int:
    from .xlam.install import cli_install  # noqa: PLC0415

    return cli_install(a, say=_out, uninstall=False)


def cmd_uninstall_addin(a) -> int:
    from .xlam.install import cli_install  # noqa: PLC0415

    return cli_install(a, say=_out, uninstall=True)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="jxzp", description="部门整体支出绩效自评助手：生成自评表、校验、生成自评报告。")
    p.add_argument("--version", action="version", version=f"jxzp {__version__}")
    p.add_argument("--debug", action="store_true", help="出错时显示完整的 Python 错误信息")
    sub = p.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)

    s = sub.add_parser("new", help="生成空白自评表模板")
    s.add_argument("-o", "--output", help="输出文件（默认：部门整体支出绩效自评表.xlsx）")
    s.add_argument("--framework", help="指标体系 id 或 .toml 文件（默认 gd_county_2022）")
    s.add_argument("--year", type=int, help="评价年度")
    s.add_argument("--department", help="部门名称")
    s.add_argument("--from", dest="previous", metavar="上年自评表.xlsx",
                   help="由上年自评表生成下一年度的工作簿：带入部门信息、人员编制、上年数、项目清单和绩效指标（目标值保留，完成值和得分清空）")
    s.add_argument("--overwrite", action="store_true", help="输出文件已存在时覆盖")
    s.set_defaults(func=cmd_new)

    s = sub.add_parser("sample", help="生成样例工作簿（默认乐昌市政务服务数据管理局 2022 年度）")
    s.add_argument("-o", "--output", help="输出文件")
    s.add_argument("--framework", help="指标体系 id（如 national_dept_target、national_project_target：虚构示例）")
    s.add_argument("--overwrite", action="store_true", help="输出文件已存在时覆盖")
    s.set_defaults(func=cmd_sample)

    s = sub.add_parser("demo", help="在一个文件夹中生成样例工作簿、校验结果和自评报告")
    s.add_argument("-o", "--output", default="jxzp-demo", help="输出文件夹（默认 jxzp-demo）")
    s.add_argument("--overwrite", action="store_true", help="文件夹已有非 demo 生成的文件时仍然写入")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("validate", help="校验工作簿，列出不一致的数字")
    s.add_argument("workbook", help="自评表 .xlsx")
    s.add_argument("--json", action="store_true", help="以 JSON 输出")
    s.add_argument("--annotate", metavar="OUT.xlsx", help="另存一份带标注和“校验结果”的副本")
    s.add_argument("--overwrite", action="store_true", help="标注副本已存在时覆盖")
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("report", help="生成自评报告（Word）")
    s.add_argument("workbook", help="自评表 .xlsx")
    s.add_argument("-o", "--output", help="输出 .docx（默认：部门名称+年度，放在工作簿旁）")
    s.add_argument("--force", action="store_true", help="校验有“错误”时仍然生成")
    s.add_argument("--overwrite", action="store_true", help="输出文件已存在时覆盖（否则另取名）")
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("export", help="导出工作簿中的全部数值")
    s.add_argument("workbook", help="自评表 .xlsx")
    s.add_argument("--json", action="store_true", help="以 JSON 输出（供 jxzp fill 使用）")
    s.add_argument("-o", "--output", help="JSON 写入文件而不是屏幕")
    s.add_argument("--overwrite", action="store_true", help="输出文件已存在时覆盖")
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("fill", help="按名称把 JSON 中的数值写入工作簿副本")
    s.add_argument("workbook", help="自评表 .xlsx（不会被修改）")
    s.add_argument("--from", dest="data", required=True, help="jxzp export --json 格式的数据文件")
    s.add_argument("-o", "--output", required=True, help="输出 .xlsx")
    s.add_argument("--overwrite", action="store_true", help="输出文件已存在时覆盖")
    s.set_defaults(func=cmd_fill)

    s = sub.add_parser("send-ready", help="准备发送：去掉 Excel 加载项写入的链接，生成可发给未装加载项者的副本")
    s.add_argument("workbook", help="自评表 .xlsx")
    s.add_argument("-o", "--output", help="输出文件（默认：原名（发送版）.xlsx）")
    s.add_argument("--overwrite", action="store_true", help="覆盖已存在的输出文件")
    s.set_defaults(func=cmd_send_ready)

    s = sub.add_parser("names", help="列出工作簿的名称（接口约定）")
    s.add_argument("--framework", help="指标体系 id 或 .toml 文件")
    s.add_argument("--markdown", action="store_true", help="输出 Markdown 表格")
    s.add_argument("--json", action="store_true", help="输出 JSON")
    s.set_defaults(func=cmd_names)

    s = sub.add_parser("frameworks", help="列出可用的指标体系，或检查指标体系文件")
    s.add_argument("--check", metavar="FILE.toml", help="检查一个指标体系文件")
    s.add_argument("--json", action="store_true", help="以 JSON 输出（id、名称、族、用途…）")
    s.set_defaults(func=cmd_frameworks)

    s = sub.add_parser("serve", help="启动本机网页版（无需 Excel，WPS 用户可用），并打开浏览器")
    s.add_argument("--port", type=_port, help="端口（默认 8765，被占用时自动换下一个）")
    s.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，仅本机可访问）")
    s.add_argument("--no-browser", action="store_true", help="不自动打开浏览器")
    s.add_argument("--shortcut", action="store_true", help="在桌面创建启动网页版的快捷方式后退出")
    s.add_argument("--overwrite", action="store_true", help="（--shortcut）快捷方式已存在时覆盖")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("review", help="批量复核：一个文件夹中的全部自评表 → 复核汇总工作簿")
    from .review.command import add_arguments as review_arguments  # noqa: PLC0415

    review_arguments(s)
    s.set_defaults(func=cmd_review)

    s = sub.add_parser("build-addin", help="由 macros/ 中的文本构建 Excel 加载项 jxzp.xlam")
    s.add_argument("-o", "--output", default=str(Path("dist") / "jxzp.xlam"), help="输出 .xlam（默认 dist/jxzp.xlam）")
    s.add_argument("--overwrite", action="store_true", help="输出文件已存在时覆盖")
    s.set_defaults(func=cmd_build_addin)

    s = sub.add_parser("install-addin", help="（Windows）安装 Excel 加载项")
    s.add_argument("--addin", help="已构建的 .xlam（默认现场构建）")
    s.set_defaults(func=cmd_install_addin)

    s = sub.add_parser("uninstall-addin", help="（Windows）卸载 Excel 加载项")
    s.set_defaults(func=cmd_uninstall_addin)
    return p


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):  # pragma: no cover - non-standard streams
            pass
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.debug:
        os.environ["JXZP_DEBUG"] = "1"  # lets the core keep tracebacks in its diagnostics
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INPUT
    try:
        return args.func(args)
    except JxzpError as e:
        if args.debug:
            raise
        _err(f"错误：{e.message}")
        return e.exit_code
    except KeyboardInterrupt:
        _err("已取消")
        return 130
    except Exception as e:  # a bug: say so plainly, keep the traceback behind --debug
        if args.debug:
            raise
        _err(f"程序内部错误（{type(e).__name__}：{e}）。请加 --debug 重新运行并把输出发给维护者")
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

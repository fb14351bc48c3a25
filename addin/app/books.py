"""Use cases on workbook files: open, new, sample, fill, export, names."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.contract import contract_for
from ..core.errors import FrameworkError, InputError
from ..core.evaluate import Evaluation, evaluate
from ..core.framework import Framework, load_framework
from ..core.model import TEMPLATE_VERSION, BookData
from .outcome import Outcome
from .settings import Settings

SAMPLE_DATA = Path(__file__).parent.parent / "samples" / "lechang_2022.json"
DEFAULT_NEW_NAME = "部门整体支出绩效自评表.xlsx"
DEFAULT_SAMPLE_NAME = "乐昌市政务服务数据管理局_2022_自评表.xlsx"


# ---------------------------------------------------------------- opening a workbook
def framework_for(book: BookData) -> Framework:
    """The framework a workbook was made from (its jx_framework name), or a clear InputError."""
    name = Path(book.source).name
    if book.framework_id is None:
        if not book.names:
            raise InputError(f"{name} 不是 jxzp 自评表（没有 jxzp 的名称定义）。请用 jxzp new 生成模板，"
                             "或把数据复制到模板中")
        raise InputError(f"{name} 缺少名称 jx_framework（记录所用指标体系），模板可能被改动。"
                         "请在“公式→名称管理器”中恢复，或用 jxzp new 生成新模板后把数据复制过去")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", book.framework_id):
        raise InputError(f"{name} 的名称 jx_framework 为“{book.framework_id[:60]}”，不是指标体系 id。"
                         "请在“公式→名称管理器”中改回（如 gd_county_2022）")
    if book.template_version != TEMPLATE_VERSION:
        newer = (book.template_version or "").isdigit() and int(book.template_version) > int(TEMPLATE_VERSION)
        fix = ("该工作簿由更新版本的 jxzp 生成，请升级 jxzp（pip install -U jxzp）后再试" if newer else
               "请用 jxzp new 生成新模板，再用 jxzp export / jxzp fill 迁移数据")
        raise InputError(f"{name} 的模板版本为 {book.template_version or '未知'}，本程序使用第 {TEMPLATE_VERSION} 版。{fix}")
    try:
        return load_framework(book.framework_id)
    except FrameworkError as e:
        raise InputError(f"{name} 使用的指标体系无法加载：{e.message}") from None


def open_book(path: str | Path) -> tuple[Framework, BookData]:
    from ..xlsx.reader import read_book  # noqa: PLC0415 - openpyxl only when a file is read

    book = read_book(path)
    return framework_for(book), book


def load_and_evaluate(path: str | Path) -> Evaluation:
    fw, book = open_book(path)
    return evaluate(fw, book)


def framework(ident: str | None) -> Framework:
    return load_framework(ident) if ident else load_framework()


# ---------------------------------------------------------------- new
@dataclass(frozen=True)
class NewWorkbook:
    output: Path | None = None  # default: 部门整体支出绩效自评表.xlsx, or "<上年>_下一年度.xlsx" with previous
    framework: str | None = None
    year: int | None = None
    department: str | None = None
    overwrite: bool = False
    previous: Path | None = None  # last year's workbook: next year's is made from it (jxzp new --from)


def create_template(out: Path, *, framework: str | None = None, year: int | None = None,
                    department: str | None = None, overwrite: bool = False) -> Path:
    from ..xlsx.files import check_output_path  # noqa: PLC0415
    from ..xlsx.finish import save_workbook  # noqa: PLC0415
    from ..xlsx.template import build_template  # noqa: PLC0415

    fw = load_framework(framework) if framework else load_framework()
    out = check_output_path(out, overwrite=overwrite)
    wb, _ = build_template(fw, year=year, department=department)
    return save_workbook(wb, out, fw, overwrite=overwrite)


def new_from_previous(previous: Path, out: Path, *, overwrite: bool = False) -> tuple[Path, dict]:
    """Next year's workbook from this year's: carried fields, 上年 figures, project list, indicator rows.

    Returns the path written and a summary (framework, year, what was carried).
    """
    import tempfile  # noqa: PLC0415

    from ..core.rollover import next_year_data  # noqa: PLC0415
    from ..xlsx.files import check_output_path  # noqa: PLC0415
    from ..xlsx.writer import fill_workbook  # noqa: PLC0415

    fw, book = open_book(previous)
    ev = evaluate(fw, book)
    data = next_year_data(fw, ev)
    out = check_output_path(out, overwrite=overwrite, inputs=(Path(previous),))
    with tempfile.TemporaryDirectory(prefix="jxzp-") as tmp:
        blank = create_template(Path(tmp) / "template.xlsx", framework=fw.id)
        filled = Path(tmp) / "next.xlsx"
        rep = fill_workbook(fw, blank, filled, data)
        if rep.ignored:  # the template was made from the same framework: nothing may be left over
            raise InputError("上年自评表的数据无法全部带入：" + "；".join(rep.ignored[:5]))
        out = _finish_own(fw, filled, out, overwrite=overwrite)
    year = next((c["value"] for c in data["cells"] if c["name"] == ev.contract.role("year")), None)
    summary = {"framework": fw.id, "year": year, "cells": len(data["cells"]),
               "rows": {t: len(v["rows"]) for t, v in data["tables"].items()}}
    return out, summary


def new_workbook(args: NewWorkbook, settings: Settings | None = None) -> Outcome:
    o = Outcome()
    if args.previous:
        if args.framework or args.year or args.department:
            raise InputError("jxzp new --from：指标体系、年度和部门取自上年自评表，不能同时指定 --framework/--year/--department")
        out = Path(args.output or (Path(args.previous).stem + "_下一年度.xlsx"))
        p, s = new_from_previous(Path(args.previous), out, overwrite=args.overwrite)
        o.wrote(p)
        rows = "，".join(f"{ {'projects': '项目清单', 'indicators': '绩效指标'}.get(k, k)} {n} 行" for k, n in s["rows"].items())
        o.say(f"已生成 {s['year'] or ''} 年度自评表：{p}（指标体系 {s['framework']}；带入 {s['cells']} 项信息，{rows}；"
              "实际完成值、得分和说明已清空）")
        return o
    p = o.wrote(create_template(Path(args.output or DEFAULT_NEW_NAME), framework=args.framework, year=args.year,
                                department=args.department, overwrite=args.overwrite))
    o.say(f"已生成自评表模板：{p}")
    return o


# ---------------------------------------------------------------- sample
@dataclass(frozen=True)
class MakeSample:
    output: Path | None = None  # default: the sample's own name
    overwrite: bool = False
    framework: str | None = None  # another framework's made-up sample (default: 乐昌 2022)


def sample_data() -> dict:
    return json.loads(SAMPLE_DATA.read_text(encoding="utf-8"))


def sample_path(framework: str | None) -> Path:
    """The bundled sample data of a framework (乐昌 2022 for the default one)."""
    if not framework or framework == "gd_county_2022":
        return SAMPLE_DATA
    p = SAMPLE_DATA.with_name(f"{framework}.json")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", framework) or not p.is_file():
        have = sorted(["gd_county_2022"] + [x.stem for x in SAMPLE_DATA.parent.glob("*.json") if x != SAMPLE_DATA])
        raise InputError(f"指标体系“{framework}”没有内置样例。有样例的：{', '.join(have)}")
    return p


def write_sample(out: Path, *, overwrite: bool = False, framework: str | None = None) -> Path:
    """A fresh template filled from the bundled sample data (乐昌 2022, or a made-up example of another framework)."""
    import tempfile  # noqa: PLC0415

    from ..xlsx.files import check_output_path  # noqa: PLC0415
    from ..xlsx.writer import fill_workbook  # noqa: PLC0415

    data = json.loads(sample_path(framework).read_text(encoding="utf-8"))
    out = check_output_path(out, overwrite=overwrite)
    with tempfile.TemporaryDirectory(prefix="jxzp-") as tmp:
        blank = create_template(Path(tmp) / "template.xlsx", framework=data["framework"])
        fw = load_framework(data["framework"])
        filled = Path(tmp) / "sample.xlsx"
        rep = fill_workbook(fw, blank, filled, data)
        if rep.ignored:  # the bundled data must match the bundled framework exactly
            raise RuntimeError("样例数据与模板不符：" + "；".join(rep.ignored))
        return _finish_own(fw, filled, out, overwrite=overwrite)


def _finish_own(fw, filled: Path, out: Path, *, overwrite: bool) -> Path:
    """A workbook jxzp built itself, filled: row heights and print areas follow its texts (openpyxl may
    rebuild a file jxzp made; a user's workbook is only ever patched)."""
    from ..xlsx.files import load_workbook_safely  # noqa: PLC0415
    from ..xlsx.finish import save_workbook  # noqa: PLC0415
    from ..xlsx.writer import restore_chart  # noqa: PLC0415

    wb = load_workbook_safely(filled, read_only=False)
    restore_chart(wb)
    return save_workbook(wb, out, fw, overwrite=overwrite)


def make_sample(args: MakeSample, settings: Settings | None = None) -> Outcome:
    o = Outcome()
    if args.framework and args.framework != "gd_county_2022":
        fw = load_framework(args.framework)
        out = Path(args.output or f"示例_{fw.form_title}_{fw.id}.xlsx")
        p = o.wrote(write_sample(out, overwrite=args.overwrite, framework=fw.id))
        o.say(f"已生成样例工作簿（{fw.name}；虚构示例，数字为编造，不是任何真实单位的数据）：{p}")
        return o
    p = o.wrote(write_sample(Path(args.output or DEFAULT_SAMPLE_NAME), overwrite=args.overwrite))
    o.say(f"已生成样例工作簿（乐昌市政务服务数据管理局 2022 年度）：{p}")
    return o


# ---------------------------------------------------------------- export
@dataclass(frozen=True)
class Export:
    workbook: Path
    as_json: bool = False
    output: Path | None = None  # JSON to this file instead of the screen
    overwrite: bool = False


@dataclass
class ExportOutcome(Outcome):
    data: dict | None = None


def export_data(path: Path) -> dict[str, Any]:
    from ..core.interchange import export_data as _export  # noqa: PLC0415

    fw, book = open_book(path)
    return _export(fw, book, evaluate(fw, book))


def export(args: Export, settings: Settings | None = None) -> ExportOutcome:
    data = export_data(args.workbook)
    o = ExportOutcome(data=data)
    if args.as_json:
        text = json.dumps(data, ensure_ascii=False, indent=1)
        if args.output:
            from ..xlsx.files import atomic_write, check_output_path  # noqa: PLC0415

            out = check_output_path(args.output, overwrite=args.overwrite, inputs=(Path(args.workbook),))
            atomic_write(out, lambda t: t.write_text(text, encoding="utf-8"), overwrite=args.overwrite)
            o.wrote(out)
            o.say(f"已导出：{out}")
        else:
            o.say(text)
        return o
    for c in data["cells"]:
        where = f"{c['sheet']}!{c['cell']}" if c["sheet"] else "（缺失）"
        o.say(f"{c['name']:<36}{where:<16}{c['label']}：{c['value']}")
    for name, t in data["tables"].items():
        o.say(f"表 {name}：{len(t['rows'])} 行")
    o.say(f"总分：{data['totals']['total']}（{data['totals']['grade']}）")
    return o


# ---------------------------------------------------------------- fill
@dataclass(frozen=True)
class Fill:
    workbook: Path
    data: Path
    output: Path
    overwrite: bool = False


def read_json_file(path: Path) -> dict:
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"无法读取数据文件 {path}：{e.strerror or e}") from None
    if len(raw) > 20 * 1024 * 1024:
        raise InputError(f"数据文件 {path} 超过 20 MB，不像是 jxzp 数据")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"数据文件 {path} 不是 UTF-8 编码的 JSON") from None
    except json.JSONDecodeError as e:
        raise InputError(f"数据文件 {path} 不是有效的 JSON：第 {e.lineno} 行第 {e.colno} 列，{e.msg}") from None
    if not isinstance(data, dict):
        raise InputError(f"数据文件 {path} 的顶层应为对象（{{...}}）")
    return data


def fill_file(path: Path, data_path: Path, out: Path, *, overwrite: bool = False):
    """The writer's FillReport of writing data_path's values into a copy of path at out."""
    from ..xlsx.writer import fill_workbook  # noqa: PLC0415

    fw, book = open_book(path)
    data = read_json_file(data_path)
    if data.get("framework") not in (None, fw.id):
        raise InputError(f"数据文件的指标体系为 {data.get('framework')}，工作簿为 {fw.id}，两者不符")
    return fill_workbook(fw, Path(path), Path(out), data, overwrite=overwrite)


def fill(args: Fill, settings: Settings | None = None) -> Outcome:
    rep = fill_file(args.workbook, args.data, args.output, overwrite=args.overwrite)
    o = Outcome()
    for w in rep.warnings:
        o.note(f"提示：{w}")
    for w in rep.ignored:
        o.note(f"未写入：{w}")
    o.wrote(Path(args.output))
    o.say(f"已写入 {rep.written} 个值：{args.output}")
    return o


# ---------------------------------------------------------------- send-ready
SEND_SUFFIX = "（发送版）"


@dataclass(frozen=True)
class SendReady:
    workbook: Path
    output: Path | None = None  # default: "<原名>（发送版）.xlsx" beside it
    overwrite: bool = False


def send_ready_file(path: Path, out: Path | None = None, *, overwrite: bool = False):
    """准备发送: a copy without the links Excel with the add-in wrote ([1]!EXEC_RATE → EXEC_RATE).

    Returns (output path, SendReport). The copy opens on a PC without the add-in without a
    link prompt and keeps computing (native fallbacks); the original is never changed.
    """
    from ..xlsx.files import atomic_write, check_output_path, check_workbook_file, unique_path  # noqa: PLC0415
    from ..xlsx.send import ready_to_send  # noqa: PLC0415

    src = check_workbook_file(path)
    open_book(src)  # a jxzp workbook, readable: refuse anything else before writing
    if out is None:
        out = unique_path(src.with_name(f"{src.stem}{SEND_SUFFIX}.xlsx"))
    out = check_output_path(out, overwrite=overwrite, inputs=(src,), suffixes=(".xlsx",))
    report = {}

    def write(tmp: Path) -> None:
        report["r"] = ready_to_send(src, tmp)

    return atomic_write(out, write, overwrite=overwrite), report["r"]


def send_ready(args: SendReady, settings: Settings | None = None) -> Outcome:
    out, rep = send_ready_file(Path(args.workbook), args.output, overwrite=args.overwrite)
    o = Outcome()
    o.wrote(out)
    for link in rep.removed_links:
        o.say(f"已去掉指向加载项的链接：{link}")
    for link in rep.kept_links:
        o.note(f"提示：保留了到其他工作簿的链接 {link}（不是 jxzp 加载项，对方打开时可能提示更新链接）")
    if not rep.removed_links and not rep.rewritten:
        o.say("工作簿中没有指向加载项的链接，已原样复制。")
    o.say(f"已生成发送版：{out}（改写 {rep.rewritten} 个公式）")
    return o


# ---------------------------------------------------------------- names
@dataclass(frozen=True)
class Names:
    framework: str | None = None
    format: str = "text"  # "text" / "markdown" / "json"


@dataclass
class NamesOutcome(Outcome):
    rows: list[dict] | None = None


def names_table(fw: Framework) -> list[dict[str, Any]]:
    """The workbook contract as `jxzp names` lists it: every defined name, where it lives and what it holds."""
    from ..xlsx.template import build_template  # noqa: PLC0415

    _, layout = build_template(fw)
    contract = contract_for(fw)
    rows = []
    for name, target in layout.names.items():
        spec = contract.get(name)
        rows.append({"name": name, "label": spec.label if spec else "", "kind": spec.kind_label if spec else "计算",
                     "refers_to": target, "type": str(spec.kind) if spec else "", "role": spec.role if spec else None,
                     "table": spec.table if spec else None})
    return rows


def names(args: Names, settings: Settings | None = None) -> NamesOutcome:
    rows = names_table(framework(args.framework))
    o = NamesOutcome(rows=rows)
    if args.format == "json":
        o.say(json.dumps(rows, ensure_ascii=False, indent=1))
    elif args.format == "markdown":
        o.say("| 名称 | 含义 | 类别 | 位置 |\n|---|---|---|---|")
        for r in rows:
            o.say(f"| `{r['name']}` | {r['label']} | {r['kind']} | `{r['refers_to']}` |")
    else:
        for r in rows:
            o.say(f"{r['name']:<36}{r['kind']}  {r['refers_to']:<28}{r['label']}")
    return o

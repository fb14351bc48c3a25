"""The jobs behind the command line and the ribbon, on files.

Each function takes paths and returns plain results; printing and exit codes belong to
cli.py, message boxes to ribbon.py.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .core.errors import FrameworkError, InputError
from .core.evaluate import Evaluation, evaluate
from .core.framework import Framework, load_framework
from .core.model import TEMPLATE_VERSION, BookData

SAMPLE_DATA = Path(__file__).with_name("samples") / "lechang_2022.json"


def framework_for(book: BookData) -> Framework:
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
    from .xlsx.reader import read_book  # noqa: PLC0415 - lxml only when a file is read

    book = read_book(path)
    return framework_for(book), book


def load_and_evaluate(path: str | Path) -> Evaluation:
    fw, book = open_book(path)
    return evaluate(fw, book)


def new_template(out: Path, *, framework: str | None = None, year: int | None = None,
                 department: str | None = None, overwrite: bool = False) -> Path:
    from .xlsx.files import check_output_path  # noqa: PLC0415
    from .xlsx.finish import save_workbook  # noqa: PLC0415
    from .xlsx.template import build_template  # noqa: PLC0415

    fw = load_framework(framework) if framework else load_framework()
    out = check_output_path(out, overwrite=overwrite)
    wb, _ = build_template(fw, year=year, department=department)
    return save_workbook(wb, out, fw, overwrite=overwrite)


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


def make_sample(out: Path, *, overwrite: bool = False, framework: str | None = None) -> Path:
    """A fresh template filled from the bundled sample data (乐昌 2022, or a made-up example of another framework)."""
    import tempfile  # noqa: PLC0415

    from .xlsx.files import check_output_path  # noqa: PLC0415
    from .xlsx.writer import fill_workbook  # noqa: PLC0415

    data = json.loads(sample_path(framework).read_text(encoding="utf-8"))
    out = check_output_path(out, overwrite=overwrite)
    with tempfile.TemporaryDirectory(prefix="jxzp-") as tmp:
        blank = new_template(Path(tmp) / "template.xlsx", framework=data["framework"])
        rep = fill_workbook(load_framework(data["framework"]), blank, out, data, overwrite=overwrite)
    if rep.ignored:  # the bundled data must match the bundled framework exactly
        raise RuntimeError("样例数据与模板不符：" + "；".join(rep.ignored))
    return out


def export(path: Path) -> dict[str, Any]:
    from .core.interchange import export_data  # noqa: PLC0415

    fw, book = open_book(path)
    return export_data(fw, book, evaluate(fw, book))


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


def fill(path: Path, data_path: Path, out: Path, *, overwrite: bool = False):
    from .xlsx.writer import fill_workbook  # noqa: PLC0415

    fw, book = open_book(path)
    data = read_json_file(data_path)
    if data.get("framework") not in (None, fw.id):
        raise InputError(f"数据文件的指标体系为 {data.get('framework')}，工作簿为 {fw.id}，两者不符")
    return fill_workbook(fw, Path(path), Path(out), data, overwrite=overwrite)


SEND_SUFFIX = "（发送版）"


def send_ready(path: Path, out: Path | None = None, *, overwrite: bool = False):
    """准备发送: a copy without the links Excel with the add-in wrote ([1]!EXEC_RATE → EXEC_RATE).

    Returns (output path, SendReport). The copy opens on a PC without the add-in without a
    link prompt and keeps computing (native fallbacks); the original is never changed.
    """
    from .xlsx.files import atomic_write, check_output_path, check_workbook_file, unique_path  # noqa: PLC0415
    from .xlsx.send import ready_to_send  # noqa: PLC0415

    src = check_workbook_file(path)
    open_book(src)  # a jxzp workbook, readable: refuse anything else before writing
    if out is None:
        out = unique_path(src.with_name(f"{src.stem}{SEND_SUFFIX}.xlsx"))
    out = check_output_path(out, overwrite=overwrite, inputs=(src,), suffixes=(".xlsx",))
    report = {}

    def write(tmp: Path) -> None:
        report["r"] = ready_to_send(src, tmp)

    return atomic_write(out, write, overwrite=overwrite), report["r"]


def names_table(fw: Framework) -> list[dict[str, str]]:
    """The workbook contract as `jxzp names` lists it: every defined name, where it lives and what it holds."""
    from .core.contract import contract_for  # noqa: PLC0415
    from .xlsx.template import build_template  # noqa: PLC0415

    _, layout = build_template(fw)
    contract = contract_for(fw)
    rows = []
    for name, target in layout.names.items():
        spec = contract.get(name)
        rows.append({"name": name, "label": spec.label if spec else "", "kind": spec.kind_label if spec else "计算",
                     "refers_to": target, "type": str(spec.kind) if spec else "", "role": spec.role if spec else None,
                     "table": spec.table if spec else None})
    return rows


def new_from_previous(previous: Path, out: Path, *, overwrite: bool = False) -> tuple[Path, dict]:
    """Next year's workbook from this year's: carried fields, 上年 figures, project list, indicator rows.

    Returns the path written and a summary (framework, year, what was carried).
    """
    import tempfile  # noqa: PLC0415

    from .core.rollover import next_year_data  # noqa: PLC0415
    from .xlsx.files import check_output_path  # noqa: PLC0415
    from .xlsx.writer import fill_workbook  # noqa: PLC0415

    fw, book = open_book(previous)
    ev = evaluate(fw, book)
    data = next_year_data(fw, ev)
    out = check_output_path(out, overwrite=overwrite, inputs=(Path(previous),))
    with tempfile.TemporaryDirectory(prefix="jxzp-") as tmp:
        blank = new_template(Path(tmp) / "template.xlsx", framework=fw.id)
        rep = fill_workbook(fw, blank, out, data, overwrite=overwrite)
    if rep.ignored:  # the template was made from the same framework: nothing may be left over
        raise InputError("上年自评表的数据无法全部带入：" + "；".join(rep.ignored[:5]))
    year = next((c["value"] for c in data["cells"] if c["name"] == ev.contract.role("year")), None)
    summary = {"framework": fw.id, "year": year, "cells": len(data["cells"]),
               "rows": {t: len(v["rows"]) for t, v in data["tables"].items()}}
    return out, summary

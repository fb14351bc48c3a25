"""`demo`: the sample workbook, its validation result and its report, in one folder."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import OutputError
from .books import DEFAULT_SAMPLE_NAME, write_sample
from .check import check_file, format_text
from .outcome import Outcome
from .settings import Settings

MARKER = ".jxzp-demo"  # marks a folder demo created, so a rerun may replace its own files
WORKBOOK = DEFAULT_SAMPLE_NAME
ANNOTATED = "乐昌市政务服务数据管理局_2022_自评表_校验标注.xlsx"
RESULT_JSON = "校验结果.json"


@dataclass(frozen=True)
class Demo:
    folder: Path = Path("jxzp-demo")
    overwrite: bool = False


def _prepare_folder(folder: Path, overwrite: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} 已存在且不是文件夹")
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).exists() and not overwrite:
        raise OutputError(f"文件夹 {folder} 已有其他文件。jxzp demo 不会写入不是它创建的文件夹；"
                          "请换一个文件夹（-o），或加 --overwrite")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).write_text("created by jxzp demo\n", encoding="utf-8")
    except OSError as e:
        raise OutputError(f"无法创建文件夹 {folder}：{e.strerror or e}") from None


def demo(args: Demo, settings: Settings | None = None) -> Outcome:
    from ..xlsx.annotate import annotate_copy  # noqa: PLC0415

    folder = Path(args.folder)
    o = Outcome()
    _prepare_folder(folder, args.overwrite)
    wb_path = o.wrote(write_sample(folder / WORKBOOK, overwrite=True))
    o.say(f"1. 样例工作簿：{wb_path}")
    checked = check_file(wb_path, settings)
    result, ev = checked.result, checked.ev
    ann = o.wrote(annotate_copy(checked.fw, wb_path, folder / ANNOTATED, result, overwrite=True))
    (folder / RESULT_JSON).write_text(json.dumps(checked.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    o.wrote(folder / RESULT_JSON)
    o.say(f"2. 校验：{result.summary_line()}")
    o.say(f"   带标注的副本：{ann}")
    o.say(f"   校验结果（JSON）：{folder / RESULT_JSON}")
    o.say("")
    o.say(format_text(result))
    o.say("")
    try:
        import docgen  # noqa: PLC0415
    except ImportError:  # pragma: no cover - docgen ships with jxzp
        o.say("3. 未安装报告模块 docgen，跳过生成报告")
        return o
    out = folder / docgen.default_report_name(ev)
    if result.has_errors:
        o.say(f"3. 样例有 {result.count('错误')} 条“错误”（样例报告本身的数字矛盾，正是校验要发现的），"
              "按 --force 仍生成报告以供查看：")
    o.say(f"   自评报告：{o.wrote(docgen.build_report(ev, out, overwrite=True))}")
    o.say(f"\n总分 {ev.total:g}，等级“{ev.grade}”。全部文件在：{folder.resolve()}")
    return o

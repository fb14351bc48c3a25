"""The use cases the page calls, behind one small interface.

Routes never touch the core, openpyxl or docgen themselves: each job is one function here,
taking paths the server chose (never a client's) and returning plain data or a written file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

EXIT_OK, EXIT_CONTENT = 0, 1


@dataclass
class Checked:
    """A validated workbook: what `jxzp validate --json` prints, its exit code, and what the page shows."""

    data: dict[str, Any]
    exit_code: int
    sheets: list[str]
    indicator_names: dict[str, str]
    name_labels: dict[str, str]  # defined name -> what the cell holds, for findings without an indicator


def validate(path: Path, *, shown_name: str) -> Checked:
    from ..core.contract import contract_for  # noqa: PLC0415
    from ..validate_cmd import validate_file  # noqa: PLC0415

    fw, book, ev, result = validate_file(path)
    data = result.to_dict()
    data["totals"] = {"total": ev.total, "grade": ev.grade}
    data["source"] = shown_name  # the user's file name, not the server's temporary path
    return Checked(data, EXIT_CONTENT if result.has_errors else EXIT_OK, list(book.sheets),
                   {i.id: i.name for i in fw.indicators}, {e.name: e.label for e in contract_for(fw).cells()})


def annotate(path: Path, out: Path) -> Path:
    from ..validate_cmd import validate_file  # noqa: PLC0415
    from ..xlsx.annotate import annotate_copy  # noqa: PLC0415

    fw, _book, _ev, result = validate_file(path)
    return annotate_copy(fw, path, out, result, overwrite=True)


def clear(path: Path, out: Path) -> Path:
    """A copy without jxzp's marks (fills and notes put back as they were)."""
    from ..service import open_book  # noqa: PLC0415
    from ..xlsx.annotate import clear_marks  # noqa: PLC0415
    from ..xlsx.files import load_workbook_safely  # noqa: PLC0415
    from ..xlsx.finish import save_workbook  # noqa: PLC0415

    fw, _book = open_book(path)
    wb = load_workbook_safely(path, read_only=False)
    clear_marks(wb)
    return save_workbook(wb, out, fw, overwrite=True)


@dataclass
class Report:
    written: bool
    path: Path | None
    errors: int
    summary_line: str
    warnings: list[str]


def report(path: Path, out: Path, *, force: bool) -> Report:
    from ..core.findings import ERROR  # noqa: PLC0415
    from ..report_cmd import make_report  # noqa: PLC0415

    o = make_report(path, output=out, force=force, overwrite=True)
    return Report(o.written, o.path, o.validation.count(ERROR), o.validation.summary_line(), list(o.warnings))


def frameworks() -> list[dict[str, Any]]:
    from ..core.framework import available_frameworks, load_framework  # noqa: PLC0415

    out = []
    for ident in available_frameworks():
        fw = load_framework(ident)
        out.append({"id": fw.id, "name": fw.name, "years": list(fw.years)})
    return out


def new_workbook(out: Path, *, framework: str | None, year: int | None, department: str | None,
                 previous: Path | None = None) -> Path:
    from ..core.errors import InputError  # noqa: PLC0415
    from ..service import new_template  # noqa: PLC0415

    if previous is not None:
        raise InputError("本版本尚不能从上年度自评表带入数据（jxzp new --from 尚未提供），请不选上年度工作簿再试")
    return new_template(out, framework=framework, year=year, department=department, overwrite=True)


ProgressFn = Callable[[int, int, str], None]


def review(files: list[tuple[Path, str]], out: Path, *, progress: ProgressFn,
           cancelled: Callable[[], bool]) -> dict[str, Any]:
    """Batch review of (path, shown name) pairs into a summary workbook at out.

    progress(done, total, current name) after each file; stops early when cancelled() (partial).
    """
    from ..core.errors import JxzpError  # noqa: PLC0415

    rows, problems, unreadable = [], [], []
    done = 0
    for path, shown in files:
        if cancelled():
            break
        progress(done, len(files), shown)
        try:
            c = validate(path, shown_name=shown)
        except JxzpError as e:
            unreadable.append((shown, e.message))
        else:
            s = c.data["summary"]
            rows.append((shown, c.data["totals"]["total"], c.data["totals"]["grade"], s["错误"], s["警告"], s["提示"]))
            for f in c.data["findings"]:
                problems.append((shown, f["sheet"], f["cell"], f["rule"], f["severity"],
                                 c.indicator_names.get(f["indicator"] or "", ""), f["message"]))
        done += 1
    progress(done, len(files), "")
    _write_review(out, rows, problems, unreadable, partial=done < len(files))
    return {"files": len(files), "done": done, "partial": done < len(files), "read": len(rows),
            "unreadable": len(unreadable), "with_errors": sum(1 for r in rows if r[3])}


def _write_review(out: Path, rows, problems, unreadable, *, partial: bool) -> None:
    from openpyxl import Workbook  # noqa: PLC0415

    from ..xlsx.files import atomic_write  # noqa: PLC0415

    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(["文件", "总分", "等级", "错误", "警告", "提示"] + (["（复核被中止，仅含已完成的文件）"] if partial else []))
    for r in rows:
        ws.append(list(r))
    ws2 = wb.create_sheet("问题清单")
    ws2.append(["文件", "工作表", "单元格", "规则", "严重程度", "指标", "说明"])
    for r in problems:
        ws2.append(list(r))
    ws3 = wb.create_sheet("无法读取")
    ws3.append(["文件", "原因"])
    for r in unreadable:
        ws3.append(list(r))
    for s in wb.worksheets:
        s.freeze_panes = "A2"
        for row in s.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # a name or message beginning with "=" stays text
    atomic_write(out, wb.save, overwrite=True)

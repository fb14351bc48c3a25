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
    from ..app import check_file  # noqa: PLC0415

    checked = check_file(path)
    fw, book, result = checked.fw, checked.book, checked.result
    data = checked.to_dict()
    data["source"] = shown_name  # the user's file name, not the server's temporary path
    return Checked(data, EXIT_CONTENT if result.has_errors else EXIT_OK, list(book.sheets),
                   {i.id: i.name for i in fw.indicators}, {e.name: e.label for e in contract_for(fw).cells()})


def annotate(path: Path, out: Path) -> Path:
    from ..app import check_file  # noqa: PLC0415
    from ..xlsx.annotate import annotate_copy  # noqa: PLC0415

    checked = check_file(path)
    return annotate_copy(checked.fw, path, out, checked.result, overwrite=True)


def clear(path: Path, out: Path) -> Path:
    """A copy without jxzp's marks (fills and notes put back as they were)."""
    from ..app import open_book  # noqa: PLC0415
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
    from .. import app  # noqa: PLC0415

    o = app.report(app.Report(path, out, force=force, overwrite=True))
    return Report(o.written, o.path, o.validation.count(ERROR), o.validation.summary_line(), list(o.warnings))


def frameworks() -> list[dict[str, Any]]:
    from ..core.framework import available_frameworks, load_framework  # noqa: PLC0415

    out = []
    for ident in available_frameworks():
        fw = load_framework(ident)
        out.append({"id": fw.id, "name": fw.name, "years": list(fw.years)})
    return out


def new_workbook(out: Path, *, framework: str | None, year: int | None, department: str | None) -> Path:
    from ..app import create_template as new_template  # noqa: PLC0415

    return new_template(out, framework=framework, year=year, department=department, overwrite=True)


def next_year_workbook(previous: Path, out: Path) -> tuple[Path, dict[str, Any]]:
    """`jxzp new --from`: framework, year and department come from last year's workbook."""
    from ..app import new_from_previous  # noqa: PLC0415

    return new_from_previous(previous, out, overwrite=True)


ProgressFn = Callable[[int, int, str], None]


def review(folder: Path, out: Path, *, progress: ProgressFn, cancelled: Callable[[], bool]) -> dict[str, Any]:
    """`jxzp review` of an upload folder into a summary workbook at out (no links: the uploads do not travel).

    progress(done, total, file just finished) as files come back; a cancel keeps what was done (partial).
    """
    import importlib.util  # noqa: PLC0415

    from ..core.errors import InputError  # noqa: PLC0415
    from ..review import review_to_workbook  # noqa: PLC0415

    if importlib.util.find_spec("pandas") is None:  # as the use case: no run that cannot be summarised
        raise InputError("批量复核需要 pandas，请先安装：pip install \"jxzp[review]\"（或 pip install pandas）")
    return review_to_workbook(folder, out, progress=progress, cancelled=cancelled, overwrite=True, links=False,
                              shown_folder="网页上传的文件")

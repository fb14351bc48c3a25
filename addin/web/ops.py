"""The use cases the page calls, behind one small interface.

Routes never touch the core, openpyxl or docgen themselves: each job is one function here,
taking paths the server chose (never a client's) and returning plain data or a written file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

@dataclass
class Checked:
    """A validated workbook: what `jxzp validate --json` prints, its exit code, and what the page shows."""

    data: dict[str, Any]
    exit_code: int
    sheets: list[str]
    indicator_names: dict[str, str]
    name_labels: dict[str, str]  # defined name -> what the cell holds, for findings without an indicator


def validate(path: Path, *, shown_name: str) -> Checked:
    from .. import app  # noqa: PLC0415
    from ..core.contract import contract_for  # noqa: PLC0415

    o = app.validate(app.Validate(path, as_json=True))
    checked = o.checked
    data = checked.to_dict()
    data["source"] = shown_name  # the user's file name, not the server's temporary path
    fw = checked.fw
    return Checked(data, o.exit_code, list(checked.book.sheets), {i.id: i.name for i in fw.indicators},
                   {e.name: e.label for e in contract_for(fw).cells()})


def annotate(path: Path, out: Path) -> Path:
    from .. import app  # noqa: PLC0415

    return app.validate(app.Validate(path, annotate=out, overwrite=True)).annotated


def clear(path: Path, out: Path) -> Path:
    """A copy without jxzp's marks (fills and notes put back as they were)."""
    from .. import app  # noqa: PLC0415

    return app.clear(app.Clear(path, out, overwrite=True)).paths[-1]


@dataclass
class Report:
    written: bool
    path: Path | None
    errors: int
    summary_line: str
    warnings: list[str]


def report(path: Path, out: Path, *, force: bool) -> Report:
    from .. import app  # noqa: PLC0415
    from ..core.findings import ERROR  # noqa: PLC0415

    o = app.report(app.Report(path, out, force=force, overwrite=True))
    return Report(o.written, o.path, o.validation.count(ERROR), o.validation.summary_line(), list(o.warnings))


def frameworks() -> list[dict[str, Any]]:
    from .. import app  # noqa: PLC0415

    return [{"id": fw.id, "name": fw.name, "years": list(fw.years)}
            for fw in app.frameworks(app.Frameworks()).frameworks]


def new_workbook(out: Path, *, framework: str | None, year: int | None, department: str | None) -> Path:
    from .. import app  # noqa: PLC0415

    o = app.new_workbook(app.NewWorkbook(out, framework=framework, year=year, department=department, overwrite=True))
    return o.paths[-1]


def next_year_workbook(previous: Path, out: Path) -> Path:
    """`jxzp new --from`: framework, year and department come from last year's workbook."""
    from .. import app  # noqa: PLC0415

    return app.new_workbook(app.NewWorkbook(out, previous=previous, overwrite=True)).paths[-1]


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

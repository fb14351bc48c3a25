"""Writing the report to a file: default name, no silent overwrite, atomic write."""
from __future__ import annotations

from pathlib import Path

from addin.core.errors import OutputError
from addin.fs import atomic_write, check_output_path, unique_path

import datetime as _dt

import docx

from .report import REPORT_KIND, Rendered, department, render_fixed
from .styles import DEFAULT_FONTS, FontSet
from .target_report import TargetBuilder, report_kind
from .target_report import report_title as target_title
from .text import sanitize_filename, year_text


def render(ev, *, fonts: FontSet = DEFAULT_FONTS, today: _dt.date | None = None, chart: bool = True) -> Rendered:
    """The report in memory, with the warnings met on the way (placeholders, missing chapters)."""
    if getattr(ev.fw, "target", None) is not None:  # the target-table family: its own outline and table
        return TargetBuilder(ev, fonts, today, chart).build()
    return render_fixed(ev, fonts=fonts, today=today, chart=chart)


def render_document(ev, **kw) -> docx.document.Document:
    return render(ev, **kw).document


def default_report_name(ev) -> str:
    """'{部门}{年度}年度部门整体支出绩效自评报告.docx', safe as a Windows file name."""
    if getattr(ev.fw, "target", None) is not None:
        return sanitize_filename(target_title(ev), fallback=report_kind(ev.fw)) + ".docx"
    year = year_text(ev.role("year"))
    stem = f"{department(ev)}{year + '年度' if year else ''}{REPORT_KIND}"
    return sanitize_filename(stem, fallback=REPORT_KIND) + ".docx"


def resolve_output(out_path: str | Path, *, overwrite: bool) -> Path:
    """The path to write: .docx added when there is no suffix; name(2).docx... when taken."""
    out = Path(out_path)
    if out.suffix == "":
        out = out.with_name(out.name + ".docx")
    elif out.suffix.lower() != ".docx":
        raise OutputError(f"报告须保存为 Word 文档（.docx），而不是 {out.suffix}：{out}")
    if out.exists() and out.is_dir():
        raise OutputError(f"输出路径 {out} 是文件夹，请给出文件名")
    if not overwrite:
        out = unique_path(out)
    return out


def write_report(ev, out_path: str | Path, *, overwrite: bool = False, **render_kw) -> tuple[Path, Rendered]:
    """Render and write; returns (path written, rendered report with its warnings)."""
    # the name is only normalised here; without overwrite, atomic_write claims name(2), name(3)... itself
    out = resolve_output(out_path, overwrite=True)
    inputs = (Path(ev.book.source),) if ev.book.source else ()
    out = check_output_path(out, overwrite=True, inputs=inputs)
    rendered = render(ev, **render_kw)
    # the name is claimed atomically: concurrent runs get name(2), name(3)... never the same file
    out = atomic_write(out, lambda tmp: rendered.document.save(str(tmp)), overwrite=overwrite, unique=not overwrite)
    return out, rendered


def build_report(ev, out_path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the report for ev to out_path (or name(2).docx... unless overwrite); returns the path."""
    return write_report(ev, out_path, overwrite=overwrite)[0]

"""The 自评报告 (Word, GB/T 9704 layout) built from an Evaluation of the 自评表.

    build_report(ev, out_path, overwrite=False) -> Path   write atomically, never overwrite silently
    render_document(ev) -> docx.Document                  the report in memory
    default_report_name(ev) -> str                        "{部门}{年度}年度部门整体支出绩效自评报告.docx"

The chart is a native Word chart (docgen.chart): no plotting library.
"""
from __future__ import annotations

from .build import build_report, default_report_name, render, render_document, resolve_output, write_report
from .report import Rendered, report_title
from .styles import DEFAULT_FONTS, FontSet

__all__ = ["build_report", "render_document", "default_report_name", "render", "Rendered", "report_title",
           "write_report", "resolve_output", "FontSet", "DEFAULT_FONTS"]

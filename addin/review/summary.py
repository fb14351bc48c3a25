"""The summary of a batch review: a formatted workbook (汇总, 问题清单, 统计, 无法读取), JSON, CSV.

pandas does the aggregation, ranking and statistics — this is the one place in jxzp that
imports it (never the ribbon's, UDFs' or validate's path). The workbook is a new file
written by xlsxout.StreamWorkbook: rows stream out, so 10^5 files need no more memory
than 10^2. Links are relative to the summary, so the folder and the summary can move together.
"""
from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, TextIO

from .check import HAS_ERRORS, OK, OLD_TEMPLATE, UNREADABLE
from .run import ReviewRun
from .xlsxout import Cell, Link, StreamWorkbook

SHEET_SUMMARY, SHEET_FINDINGS, SHEET_STATS, SHEET_UNREADABLE = "汇总", "问题清单", "统计", "无法读取"
MAX_LINKS = 65_000  # Excel keeps at most 65,530 hyperlinks per sheet
MAX_ROWS = 1_048_000  # rows per sheet
TOP = 20
NO_DEPT = "（未填部门）"
_BLUE = "0563C1"
_SEVERITY_FILL = {"错误": "FFC7CE", "警告": "FFEB9C", "提示": "DDEBF7"}
_STATUS_FILL = {HAS_ERRORS: "FFC7CE", UNREADABLE: "D9D9D9", OLD_TEMPLATE: "FFEB9C"}


# ---------------------------------------------------------------- tables (pandas)
def base_columns(run: ReviewRun) -> list[str]:
    return ["序号", "文件", "部门", "年度", "指标体系", "总分", "等级", "错误", "警告", "提示"]


def grade_order(run: ReviewRun) -> list[str]:
    from ..core.framework import load_framework  # noqa: PLC0415

    out: list[str] = []
    for ident in dict.fromkeys(r.framework for r in run.rows if r.framework):
        try:
            out += [g.name for g in sorted(load_framework(ident).grades, key=lambda g: -g.min) if g.name not in out]
        except Exception:  # an unknown framework: its grades follow in count order
            pass
    return out


def rate_labels(run: ReviewRun) -> list[str]:
    labels: dict[str, None] = {}
    for r in run.rows:
        for k in r.rates:
            labels.setdefault(k, None)
    return list(labels)


def summary_frame(run: ReviewRun):
    """One row per file, in path order (the 汇总 sheet, --csv)."""
    import pandas as pd  # noqa: PLC0415

    rates = rate_labels(run)
    records = []
    for i, r in enumerate(run.rows, 1):
        rec = {"序号": i, "文件": run.shown(r), "部门": r.department, "年度": r.year,
               "指标体系": r.framework_name or r.framework, "总分": r.total, "等级": r.grade,
               "错误": r.errors, "警告": r.warnings, "提示": r.infos}
        if r.status not in (OK, HAS_ERRORS):  # not read: no counts rather than zeros
            rec.update({"错误": None, "警告": None, "提示": None})
        for k in rates:
            rec[k] = r.rates.get(k)
        rec["自评分−建议分"] = r.inflation
        rec["状态"] = r.status
        rec["说明"] = r.reason
        records.append(rec)
    cols = base_columns(run) + rates + ["自评分−建议分", "状态", "说明"]
    return pd.DataFrame.from_records(records, columns=cols)


def code_counts(run: ReviewRun):
    """Finding codes by frequency: 代码, 严重程度, 次数, 涉及文件数."""
    import pandas as pd  # noqa: PLC0415

    parts = []
    for chunk in run.finding_codes():
        df = pd.DataFrame(chunk, columns=["idx", "code", "severity"])
        parts.append(df.groupby(["code", "severity"]).agg(次数=("idx", "size"), 文件=("idx", lambda s: set(s))))
    if not parts:
        return pd.DataFrame(columns=["代码", "严重程度", "次数", "涉及文件数"])
    both = pd.concat(parts).groupby(level=[0, 1]).agg(次数=("次数", "sum"), 文件=("文件", lambda s: set().union(*s)))
    both["涉及文件数"] = both["文件"].map(len)
    out = both.drop(columns="文件").reset_index().rename(columns={"code": "代码", "severity": "严重程度"})
    return out.sort_values(["次数", "涉及文件数", "代码"], ascending=[False, False, True]).reset_index(drop=True)


def statistics(run: ReviewRun) -> dict[str, Any]:
    """Everything on the 统计 sheet, as DataFrames and figures."""
    import pandas as pd  # noqa: PLC0415

    df = summary_frame(run)
    read = df[df["状态"].isin([OK, HAS_ERRORS])]
    totals = pd.to_numeric(read["总分"], errors="coerce").dropna()
    bins = [-math.inf, 60, 70, 80, 90, 95, 100, math.inf]
    labels = ["60 分以下", "60–70", "70–80", "80–90", "90–95", "95–100", "100 分以上"]
    dist = (pd.cut(totals, bins=bins, labels=labels, right=False).value_counts(sort=False)
            .rename_axis("总分区间").reset_index(name="文件数"))
    grades = read["等级"].replace("", "（无）").value_counts()
    order = {g: i for i, g in enumerate(grade_order(run))}  # 优 良 中 差 as the frameworks rank them
    grades = grades.sort_index(key=lambda ix: ix.map(lambda g: order.get(g, len(order))), kind="stable")
    grades = grades.rename_axis("等级").reset_index(name="文件数")
    dept = read.assign(部门=read["部门"].replace("", NO_DEPT))
    by_dept = dept.groupby("部门").agg(文件数=("文件", "size"), 错误=("错误", "sum"), 警告=("警告", "sum"),
                                       平均总分=("总分", "mean"),
                                       自评高于建议分=("自评分−建议分", lambda s: s.dropna().sum()))
    rank_err = (by_dept.sort_values(["错误", "警告", "文件数"], ascending=False).head(TOP).reset_index())
    infl = by_dept[by_dept["自评高于建议分"] > 0]
    rank_infl = infl.sort_values(["自评高于建议分", "错误"], ascending=False).head(TOP).reset_index()
    status = df["状态"].value_counts().reindex([OK, HAS_ERRORS, OLD_TEMPLATE, UNREADABLE], fill_value=0)
    describe = {"平均": totals.mean(), "中位数": totals.median(), "最低": totals.min(), "最高": totals.max()} \
        if len(totals) else {}
    return {"status": status, "dist": dist, "grades": grades, "codes": code_counts(run).head(TOP),
            "rank_errors": rank_err, "rank_inflation": rank_infl, "describe": describe}


# ---------------------------------------------------------------- paths and links
def rel_path(path: str, folder: Path) -> str:
    try:
        return Path(path).relative_to(folder).as_posix()
    except ValueError:
        return Path(path).as_posix()


def link_target(path: str, out_dir: Path) -> str:
    """The file as Excel resolves a hyperlink: relative to the summary's folder when it can be."""
    try:
        return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(out_dir))).as_posix()
    except ValueError:  # another drive on Windows
        return Path(os.path.abspath(path)).as_posix()


def _quote_sheet(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


# ---------------------------------------------------------------- the workbook
def write_workbook(run: ReviewRun, out: Path, *, overwrite: bool = False, links: bool = True,
                   shown_folder: str | None = None) -> Path:
    """Write the summary workbook atomically; out must not exist unless overwrite.
    links=False: no hyperlinks (files that will not sit beside the summary, e.g. uploads);
    shown_folder: what the title calls the folder (the page's uploads have no folder worth showing)."""
    from ..xlsx.files import atomic_write, check_output_path  # noqa: PLC0415

    out = check_output_path(out, overwrite=overwrite, suffixes=(".xlsx",))
    stats = statistics(run)
    return atomic_write(out, lambda tmp: _write(run, stats, tmp, out.parent, links, shown_folder),
                        overwrite=overwrite)


def _write(run: ReviewRun, stats: dict, tmp: Path, out_dir: Path, with_links: bool = True,
           shown_folder: str | None = None) -> None:
    with StreamWorkbook(tmp) as wb:
        _write_sheets(wb, run, stats, out_dir, with_links, shown_folder)


def _write_sheets(wb: StreamWorkbook, run: ReviewRun, stats: dict, out_dir: Path, with_links: bool,
                  shown_folder: str | None) -> None:
    head_style = wb.style(bold=True, fill="DDEBF7")
    link_style = wb.style(color=_BLUE, underline=True)
    title_style = wb.style(bold=True, size=13)
    red = wb.style(bold=True, size=13, color="C00000")
    wrap = wb.style(wrap=True, valign="top")
    percent, decimal = wb.style(fmt="0.00%"), wb.style(fmt="0.0#")
    fills = {k: wb.style(fill=v) for k, v in {**_SEVERITY_FILL, **_STATUS_FILL}.items()}

    def header(names):
        return [Cell(n, head_style) for n in names]

    links = {"n": 0}
    targets: dict[str, str] = {}

    def linked(value, path: str, location: str | None = None):
        """value with a link to the file (and the place in it), while links are allowed."""
        if not with_links or links["n"] >= MAX_LINKS:
            return value
        links["n"] += 1
        target = targets.get(path)
        if target is None:
            target = targets[path] = link_target(path, out_dir)
        return Cell(value, link_style, Link(target, location))

    def styled(value, style: int | None):
        return value if not style else Cell(value, style)

    title = (f"复核汇总：{shown_folder or run.folder}（共 {run.total} 个工作簿，已复核 {run.done} 个，"
             f"用时 {run.elapsed:.1f} 秒）")
    partial = f"注意：复核被中断，以下只含已完成的 {run.done} / {run.total} 个文件（部分结果）" if run.partial else None

    # 汇总
    df = summary_frame(run)
    rates = rate_labels(run)
    cols = list(df.columns)
    ws = wb.add_sheet(SHEET_SUMMARY, widths=[6, 36, 26, 8, 30, 8, 6, 6, 6, 6] + [12] * len(rates) + [12, 8, 60],
                      freeze="C3" if not partial else "C4")
    ws.append([Cell(title, title_style)])
    if partial:
        ws.append([Cell(partial, red)])
    ws.append(header(cols))
    formats = {**{k: percent for k in rates}, "总分": decimal, "自评分−建议分": decimal}
    for r, rec in zip(run.rows, df.itertuples(index=False)):
        row = []
        for name, v in zip(cols, rec):
            v = None if _isnan(v) else v
            if name == "文件":
                row.append(linked(v, r.path))
            elif name in formats:
                row.append(Cell(v, formats[name]))
            elif name == "状态":
                row.append(styled(v, fills.get(v)))
            elif name == "说明":
                row.append(Cell(v, wrap) if v else None)
            else:
                row.append(v)
        ws.append(row)

    # 问题清单
    fcols = ["文件", "部门", "工作表", "单元格", "代码", "严重程度", "指标", "说明"]
    ws = wb.add_sheet(SHEET_FINDINGS, widths=[34, 22, 12, 8, 24, 8, 22, 90], freeze="A2")
    ws.append(header(fcols))
    n = 0
    truncated = False
    last, shown = -1, ("", "")
    for i, (sheet, coord, code, sev, ind, ind_name, msg) in run.findings():
        if n >= MAX_ROWS:
            truncated = True
            break
        r = run.rows[i]
        if i != last:
            last, shown = i, (run.shown(r), r.department)
        where = f"{_quote_sheet(sheet)}!{coord}" if sheet and coord else (f"{_quote_sheet(sheet)}!A1" if sheet else None)
        # one link per row: to the cell when there is one, else to the file
        ws.append([linked(shown[0], r.path, where) if not coord else shown[0], shown[1],
                   sheet or None, linked(coord, r.path, where) if coord else None,
                   code, styled(sev, fills.get(sev)), ind_name or ind or None, msg])
        n += 1
    if n:
        ws.add_table(SHEET_FINDINGS, fcols)
    if truncated:
        ws.append([Cell(f"问题超过 {MAX_ROWS} 条，其余未列出；请分批复核", red)])

    # 统计
    ws = wb.add_sheet(SHEET_STATS, widths=[26, 14, 12, 12, 12, 14, 60])

    def block(title_text: str, frame, fmts: dict[str, int] | None = None):
        ws.append([Cell(title_text, title_style)])
        if frame is None or len(frame) == 0:
            ws.append(["（无）"])
        else:
            ws.append(header(list(frame.columns)))
            for rec in frame.itertuples(index=False):
                ws.append([styled(None if _isnan(v) else _py(v), (fmts or {}).get(c))
                           for c, v in zip(frame.columns, rec)])
        ws.append([])

    ws.append([Cell(title, title_style)])
    if partial:
        ws.append([Cell(partial, red)])
    ws.append([])
    ws.append([Cell("概况", title_style)])
    overview = [("工作簿（找到）", run.total), ("已复核", run.done)] + \
        [(f"状态：{k}", int(v)) for k, v in stats["status"].items()] + \
        [("并行进程", run.jobs), ("用时（秒）", round(run.elapsed, 2)), ("速度（个/秒）", round(run.rate, 1))]
    if run.skipped:
        overview.append(("跳过的 Excel 临时锁定文件（~$）", len(run.skipped)))
    for k, v in stats["describe"].items():
        overview.append((f"总分{k}", round(float(v), 2)))
    for k, v in overview:
        ws.append([k, v])
    ws.append([])
    block("总分分布", stats["dist"])
    block("等级分布", stats["grades"])
    block(f"最常见的问题（前 {TOP} 种）", stats["codes"])
    ranked = {"平均总分": decimal, "自评高于建议分": decimal}
    block(f"部门排名：错误最多（前 {TOP}）", stats["rank_errors"], ranked)
    block(f"部门排名：自评分高于建议分最多（前 {TOP}）", stats["rank_inflation"], ranked)

    # 无法读取
    ws = wb.add_sheet(SHEET_UNREADABLE, widths=[40, 10, 100], freeze="A2")
    ws.append(header(["文件", "状态", "原因"]))
    for r in run.rows:
        if r.status in (UNREADABLE, OLD_TEMPLATE):
            ws.append([linked(run.shown(r), r.path), r.status, Cell(r.reason, wrap)])
    for name in run.skipped:
        ws.append([name, "已跳过", "Excel/WPS 打开工作簿时生成的临时锁定文件，不是工作簿"])


def _isnan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _py(v: Any) -> Any:
    """numpy scalars to Python."""
    item = getattr(v, "item", None)
    return item() if callable(item) and not isinstance(v, (str, bytes)) else v


# ---------------------------------------------------------------- JSON and CSV
def file_dicts(run: ReviewRun) -> Iterator[dict]:
    """Per file: the 汇总 figures and its findings (as `validate --json` names them)."""
    findings = run.findings()
    pending = next(findings, None)
    for i, r in enumerate(run.rows):
        fs = []
        while pending is not None and pending[0] == i:
            sheet, coord, code, sev, ind, ind_name, msg = pending[1]
            fs.append({"code": code, "severity": sev, "sheet": sheet or None, "cell": coord or None,
                       "indicator": ind or None, "indicator_name": ind_name or None, "message": msg})
            pending = next(findings, None)
        yield {"file": run.shown(r), "status": r.status, "reason": r.reason or None,
               "department": r.department, "year": r.year, "framework": r.framework or None,
               "total": r.total, "grade": r.grade or None,
               "counts": {"错误": r.errors, "警告": r.warnings, "提示": r.infos},
               "rates": r.rates, "self_minus_suggested": r.inflation, "findings": fs}


def write_json(run: ReviewRun, fh: TextIO) -> None:
    """Streamed: one file's object at a time."""
    head = {"folder": str(run.folder), "partial": run.partial, "total": run.total, "done": run.done,
            "elapsed": round(run.elapsed, 3), "files_per_second": round(run.rate, 1)}
    fh.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "files": [\n')
    for k, d in enumerate(file_dicts(run)):
        fh.write((",\n" if k else "") + json.dumps(d, ensure_ascii=False, default=str))
    fh.write("\n]}\n")


def write_csv(run: ReviewRun, fh: TextIO) -> None:
    df = summary_frame(run)
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    fh.write(buf.getvalue())


def rows_text(run: ReviewRun) -> Iterable[str]:
    """A few lines for the terminal after the run."""
    counts = {s: sum(1 for r in run.rows if r.status == s) for s in (OK, HAS_ERRORS, OLD_TEMPLATE, UNREADABLE)}
    head = "复核被中断（部分结果）" if run.partial else "复核完成"
    yield (f"{head}：{run.done}/{run.total} 个工作簿，用时 {run.elapsed:.1f} 秒（{run.rate:.0f} 个/秒，{run.jobs} 个进程）")
    yield "  " + "，".join(f"{k} {v} 个" for k, v in counts.items())
    if run.skipped:
        yield f"  跳过 {len(run.skipped)} 个 Excel 临时锁定文件（~$ 开头）"


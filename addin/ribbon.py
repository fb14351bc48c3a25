"""What the 绩效自评 ribbon buttons run (VBA: macros/JxzpRibbon.bas → RunPython).

Each entry point takes the active workbook through xlwings, does one job with the same
core as the command line (addin.adapters.xlwings_book reads the book in bulk), reports
progress in Excel's status bar and ends with a Chinese message box. Failures never show a
traceback: a user error shows its message, anything else a short notice while the full
traceback goes to the log file in the user's profile (%USERPROFILE%\\.jxzp\\jxzp-excel.log).
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .core.errors import JxzpError, OutputError

__all__ = ["new_workbook", "next_year", "validate", "clear_marks", "generate_report", "about", "log_file"]

APP_TITLE = "jxzp 绩效自评"
NEW_WORKBOOK_NAME = "部门整体支出绩效自评表.xlsx"
LOG_NAME = "jxzp-excel.log"
_log = logging.getLogger("jxzp.ribbon")


# ------------------------------------------------------------------ plumbing
def settings():
    """The ribbon's Settings, read at this edge (JXZP_HOME overrides %USERPROFILE%\\.jxzp)."""
    from .app.settings import Settings  # noqa: PLC0415

    return Settings.from_environment().apply()


def home_dir() -> Path:
    """%USERPROFILE%\\.jxzp: where xlwings also looks for jxzp.conf, and the log goes."""
    return settings().home


def log_file() -> Path:
    return home_dir() / LOG_NAME


def _logger() -> logging.Logger:
    path = log_file()
    current = getattr(_log, "_jxzp_path", None)
    if current != path:
        for h in list(_log.handlers):
            _log.removeHandler(h)
            h.close()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=2, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        _log.addHandler(handler)
        _log.setLevel(logging.INFO)
        _log.propagate = False
        _log._jxzp_path = path  # type: ignore[attr-defined]
    return _log


def _caller_book():
    """The workbook that was active when the button was clicked (set by xlwings' RunPython)."""
    import xlwings as xw  # noqa: PLC0415

    return xw.Book.caller()


class _Job:
    def __init__(self, title: str, book):
        self.title = title
        self.book = book
        self.app = book.app

    def status(self, text: str) -> None:
        try:
            self.app.status_bar = f"{APP_TITLE} · {self.title}：{text}"
        except Exception:  # the status bar is a courtesy
            pass

    def say(self, text: str) -> None:
        self.app.alert(text, title=f"{APP_TITLE} · {self.title}", buttons="ok", mode="info")

    def warn(self, text: str) -> None:
        self.app.alert(text, title=f"{APP_TITLE} · {self.title}", buttons="ok", mode="critical")

    def ask(self, text: str) -> bool:
        return self.app.alert(text, title=f"{APP_TITLE} · {self.title}", buttons="yes_no", mode="critical") == "yes"


def _run(title: str, work: Callable[[_Job], None]) -> None:
    try:
        book = _caller_book()
    except Exception:
        path = _log_failure(title)
        # no workbook, so no message box of ours: xlwings shows this text instead of a traceback
        raise RuntimeError(f"jxzp 无法连接到当前工作簿，{title}未完成。详细信息见日志：{path}") from None
    job = _Job(title, book)
    updating = _get(job.app, "screen_updating", True)
    try:
        work(job)
    except JxzpError as e:
        _logger().info("%s: %s", title, e.message)
        _safe_alert(job, e.message)
    except Exception:
        path = _log_failure(title)
        _safe_alert(job, f"{title}时程序出错，操作未完成，工作簿中的数值没有被修改。\n\n"
                         f"详细信息已记入日志文件：\n{path}\n\n请把这个文件发给维护人员。")
    finally:
        try:
            job.app.screen_updating = updating
            job.app.status_bar = False  # give the status bar back to Excel
        except Exception:
            pass


def _get(obj: Any, attr: str, default: Any) -> Any:
    try:
        return getattr(obj, attr)
    except Exception:
        return default


def _log_failure(title: str) -> Path:
    path = log_file()
    try:
        _logger().exception("%s failed (jxzp %s, Python %s)", title, __version__, sys.version.split()[0])
    except Exception:  # an unwritable profile must not hide the original failure's message
        pass
    return path


def _safe_alert(job: _Job, text: str) -> None:
    try:
        job.warn(text)
    except Exception:
        _log_failure("message box")


# ------------------------------------------------------------------ helpers
def documents_dir() -> Path:
    """The user's Documents folder (redirected ones included on Windows), else the home folder."""
    if sys.platform.startswith("win"):
        try:
            import ctypes  # noqa: PLC0415
            from ctypes import wintypes  # noqa: PLC0415

            class _GUID(ctypes.Structure):
                _fields_ = [("d1", wintypes.DWORD), ("d2", wintypes.WORD), ("d3", wintypes.WORD),
                            ("d4", ctypes.c_ubyte * 8)]

            folder_id = _GUID(0xFDD39AD0, 0x238F, 0x46AF, (ctypes.c_ubyte * 8)(0xAD, 0xB4, 0x6C, 0x85, 0x48, 0x03,
                                                                                0x69, 0xC7))  # FOLDERID_Documents
            buf = ctypes.c_wchar_p()
            if ctypes.windll.shell32.SHGetKnownFolderPath(ctypes.byref(folder_id), 0, None, ctypes.byref(buf)) == 0:
                path = Path(buf.value)
                ctypes.windll.ole32.CoTaskMemFree(buf)
                if path.is_dir():
                    return path
        except Exception:
            pass
    docs = Path.home() / "Documents"
    return docs if docs.is_dir() else Path.home()


def open_file(path: Path) -> None:
    """Open a document with its usual program (Word for .docx)."""
    if sys.platform.startswith("win"):
        os.startfile(str(path))  # type: ignore[attr-defined]  # noqa: S606
    elif sys.platform == "darwin":
        subprocess.Popen(["open", str(path)])  # noqa: S603, S607
    else:
        subprocess.Popen(["xdg-open", str(path)])  # noqa: S603, S607


def _saved_path(book) -> Path:
    full = Path(book.fullname)
    if not full.is_absolute() or not full.exists():
        raise OutputError("这个工作簿还没有保存过。请先保存（文件→另存为 .xlsx），报告会生成在工作簿所在的文件夹")
    return full


def _indicator_names(fw) -> dict[str, str]:
    return {ind.id: ind.name for ind in fw.indicators}


def _check(job: _Job, book):
    """Read the live book in bulk, then the same 校验 use case as the CLI: an app.Checked."""
    from .adapters import xlwings_book as xb  # noqa: PLC0415
    from .app import check_book  # noqa: PLC0415

    job.status("正在读取工作簿……")
    data = xb.read_book(book)
    job.status("正在校验……")
    return check_book(data, settings())


def _counts(result) -> str:
    from .app import counts  # noqa: PLC0415

    return counts(result)


# ------------------------------------------------------------------ the buttons
def new_workbook() -> None:
    """新建自评表: a fresh template in Documents under a free name, opened in Excel."""
    _run("新建自评表", _new_workbook)


def _new_workbook(job: _Job) -> None:
    from . import app  # noqa: PLC0415
    from .xlsx.files import unique_path  # noqa: PLC0415

    target = unique_path(documents_dir() / NEW_WORKBOOK_NAME)
    job.status("正在生成自评表……")
    path = app.new_workbook(app.NewWorkbook(output=target), settings()).paths[0]
    job.status("正在打开……")
    job.app.books.open(str(path))
    job.say(f"已生成新的自评表：\n{path}\n\n请先填写“基本信息”工作表，再依次填写各指标工作表。")


def next_year() -> None:
    """下一年度: next year's workbook from the active (saved) one, in its folder under a free name, opened."""
    _run("下一年度", _next_year)


def _next_year(job: _Job) -> None:
    from .app import new_from_previous  # noqa: PLC0415
    from .xlsx.files import unique_path  # noqa: PLC0415

    src = _saved_path(job.book)
    job.status("正在读取本年度自评表……")
    target = unique_path(src.with_name(f"{src.stem}_下一年度.xlsx"))
    path, summary = new_from_previous(src, target)
    job.status("正在打开……")
    job.app.books.open(str(path))
    job.say(f"已生成 {summary['year'] or '下一'} 年度自评表：\n{path}\n\n已按本工作簿已保存的内容带入部门信息、人员编制、上年数、项目清单和绩效指标；"
            "请填写本年度的预算执行数、实际完成值和得分。本工作簿未作修改。")


def validate() -> None:
    """校验: mark the cells with findings and list them all in 校验结果."""
    _run("校验", _validate)


def _validate(job: _Job) -> None:
    from .adapters import xlwings_book as xb  # noqa: PLC0415

    book = job.book
    job.app.screen_updating = False
    job.status("正在清除上次的标记……")
    xb.clear_marks(book)  # so the originals recorded below are the user's own
    checked = _check(job, book)
    result = checked.result
    job.status("正在标注单元格……")
    outcome = xb.apply_marks(book, result)
    job.status("正在写入“校验结果”……")
    notes = outcome.notes()  # sheets locked with a password: listed, not marked
    xb.write_results(book, result, _indicator_names(checked.fw), notes)
    job.app.screen_updating = True
    if not result.findings:
        job.say("校验通过：未发现问题。")
        return
    told = "".join(f"\n\n注意：{n}" for n in notes)
    job.say(f"校验完成：{_counts(result)}。\n\n已在 {outcome.marked} 个单元格上标注底色和批注，"
            "全部问题列在“校验结果”工作表中（点击单元格地址可跳转）。\n"
            "改正后可再次点击“校验”；点击“清除标记”可恢复单元格原来的底色和批注。" + told)


def clear_marks() -> None:
    """清除标记: put back the fills and notes 校验 replaced."""
    _run("清除标记", _clear_marks)


def _clear_marks(job: _Job) -> None:
    from .adapters import xlwings_book as xb  # noqa: PLC0415

    job.app.screen_updating = False
    job.status("正在恢复单元格原来的底色和批注……")
    outcome = xb.clear_marks_outcome(job.book)
    job.app.screen_updating = True
    told = "".join(f"\n\n注意：{n}" for n in outcome.notes())
    if outcome.restored:
        job.say(f"已清除 {outcome.restored} 个单元格的校验标记，恢复了原来的底色和批注。" + told)
    else:
        job.say("没有需要清除的校验标记。" + told)


def generate_report() -> None:
    """生成报告: validate, ask when there are errors, write the Word report next to the book, open it."""
    _run("生成报告", _generate_report)


def _generate_report(job: _Job) -> None:
    from .app import write_checked  # noqa: PLC0415
    from .core.findings import ERROR  # noqa: PLC0415

    folder = _saved_path(job.book).parent
    checked = _check(job, job.book)
    result = checked.result
    if result.has_errors and not job.ask(
            f"校验发现 {result.count(ERROR)} 条错误（{_counts(result)}），报告中的数字可能不准确。\n\n"
            "仍然生成报告吗？\n（选“否”，然后点击“校验”查看并改正问题。）"):
        return
    import docgen  # noqa: PLC0415 - python-docx only when a report is made

    job.status("正在生成 Word 报告……")
    written = write_checked(checked, folder / Path(str(docgen.default_report_name(checked.ev))).name,
                            overwrite=False)
    out, rendered_warnings = written.path, written.warnings
    job.status("正在打开报告……")
    try:
        open_file(Path(out))
        opened = ""
    except Exception:
        opened = "\n\n（未能自动打开，请在文件夹中双击打开。）"
    notes = "".join(f"\n· {w}" for w in rendered_warnings[:8])
    job.say(f"已生成自评报告：\n{out}{opened}" + (f"\n\n请注意：{notes}" if notes else ""))


def prepare_send() -> None:
    """准备发送: a copy without the add-in's links, for colleagues without the add-in (WPS, Excel)."""
    _run("准备发送", _prepare_send)


def _prepare_send(job: _Job) -> None:
    import tempfile  # noqa: PLC0415

    from .app import send_ready_file as send_ready  # noqa: PLC0415

    full = Path(job.book.fullname)
    if not full.is_absolute() or not full.exists():
        raise OutputError("这个工作簿还没有保存过。请先保存（文件→另存为 .xlsx），发送版会生成在同一文件夹")
    src = full
    job.status("正在保存副本……")
    with tempfile.TemporaryDirectory(prefix="jxzp_send_") as tmp:
        copy = Path(tmp) / src.name  # the book as it is now, unsaved edits included; the original stays
        job.book.api.SaveCopyAs(str(copy))
        job.status("正在去掉指向加载项的链接……")
        from .xlsx.files import unique_path  # noqa: PLC0415

        out, rep = send_ready(copy, unique_path(src.with_name(f"{src.stem}（发送版）.xlsx")))
    kept = "".join(f"\n· {k}" for k in rep.kept_links)
    job.say(f"已生成发送版：\n{out}\n\n其中的比率公式不再指向本机加载项的路径：对方用 WPS、LibreOffice 或未装加载项的 "
            "Excel 打开时不会提示更新链接，改数后照常重新计算。"
            + (f"\n\n另有到其他工作簿的链接未改动：{kept}" if kept else ""))


def about() -> None:
    """帮助: steps, versions, where the log is."""
    _run("帮助", _about)


def _about(job: _Job) -> None:
    try:
        import xlwings  # noqa: PLC0415

        xlw = xlwings.__version__
    except Exception:
        xlw = "未知"
    job.say(
        f"jxzp 部门整体支出绩效自评助手 {__version__}\n\n"
        "使用步骤：\n"
        "1. 新建自评表：在“文档”文件夹生成空白自评表并打开；\n"
        "2. 填写黄色底色的单元格（绿色为自动计算）；\n"
        "3. 校验：标出有问题的单元格，全部问题见“校验结果”工作表；\n"
        "4. 清除标记：恢复单元格原来的底色和批注；\n"
        "5. 生成报告：在工作簿旁生成 Word 自评报告。\n\n"
        "WPS 或没有 Excel 时，可在命令行使用 jxzp（jxzp --help）。\n\n"
        f"Python：{sys.executable}\nxlwings：{xlw}\n日志文件：{log_file()}")

"""The Flask application: one page, a JSON API over addin.web.ops, uploads in a private folder."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, jsonify, render_template, request, send_file
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .. import __version__
from ..core.errors import InputError, JxzpError, OutputError
from . import ops
from .jobs import Jobs
from .uploads import MAX_BATCH_FILES, WORKBOOK_SUFFIXES, TooLarge, UploadStore, display_name

SINGLE_LIMIT = 60 * 1024 * 1024  # one workbook (files.py refuses over 50 MB with its own message)
BATCH_LIMIT = 400 * 1024 * 1024
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def create_app(*, store: UploadStore | None = None, allowed_hosts: set[str] | None = LOOPBACK_HOSTS) -> Flask:
    """allowed_hosts: Host header names accepted (None: any, for --host); guards against DNS rebinding."""
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=SINGLE_LIMIT, JSON_AS_ASCII=False, TEMPLATES_AUTO_RELOAD=False)
    app.json.ensure_ascii = False
    app.extensions["jxzp_store"] = store or UploadStore()
    app.extensions["jxzp_jobs"] = Jobs()
    _guards(app, allowed_hosts)
    _errors(app)
    _routes(app)
    return app


def _store() -> UploadStore:
    from flask import current_app  # noqa: PLC0415

    return current_app.extensions["jxzp_store"]


def _jobs() -> Jobs:
    from flask import current_app  # noqa: PLC0415

    return current_app.extensions["jxzp_jobs"]


# ---------------------------------------------------------------- request guards
def _guards(app: Flask, allowed_hosts: set[str] | None) -> None:
    @app.before_request
    def check_origin():
        host = (request.host or "").rsplit(":", 1)[0].strip("[]").lower()
        if allowed_hosts is not None and host not in allowed_hosts:
            return _fail("此页面只接受本机访问（地址应为 127.0.0.1）", 403)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            # another web site open in the same browser must not make this server do work
            origin = request.headers.get("Origin")
            if origin and origin != "null" and urlsplit(origin).netloc.lower() != (request.host or "").lower():
                return _fail("拒绝来自其他网站的请求", 403)
        return None

    @app.after_request
    def headers(resp: Response):
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        if request.path.startswith("/api/"):
            resp.headers["Cache-Control"] = "no-store"
        return resp


def _fail(message: str, status: int) -> Response:
    resp = jsonify({"error": message})
    resp.status_code = status
    return resp


def _scrub(message: str) -> str:
    """Messages never show the server's temporary folder."""
    root = str(_store().root)
    message = message.replace(root + "/", "").replace(root + "\\", "").replace(root, "")
    return re.sub(r"[A-Za-z0-9_-]{24}/(out-[0-9a-f]{12}/)?", "", message)


def _errors(app: Flask) -> None:
    @app.errorhandler(JxzpError)
    def jxzp_error(e: JxzpError):
        status = 413 if isinstance(e, TooLarge) else 500 if isinstance(e, OutputError) else 400
        return _fail(_scrub(e.message), status)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_e):
        limit = request.max_content_length or SINGLE_LIMIT
        return _fail(f"上传的文件过大（超过 {limit // 1048576} MB），不像是自评表；请检查是否选错了文件", 413)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        texts = {404: "找不到该页面或文件（服务重启后，之前上传的文件需要重新上传）", 405: "不支持该请求方式",
                 400: "请求有误"}
        if request.path.startswith("/api/") or e.code != 404:
            return _fail(texts.get(e.code or 0, f"请求有误（{e.code}）"), e.code or 400)
        return e

    @app.errorhandler(Exception)
    def bug(e: Exception):
        app.logger.exception("internal error")
        return _fail(f"程序内部错误（{type(e).__name__}）。请把此信息和所用文件发给维护者", 500)


# ---------------------------------------------------------------- helpers
def _one_upload():
    f = request.files.get("file")
    if f is None or not f.filename:
        raise InputError("请选择一个自评表 .xlsx 文件（表单字段 file）")
    return _store().save(f.stream, f.filename)


def _flag(name: str) -> bool:
    return (request.values.get(name) or "").lower() in ("1", "true", "yes", "on")


def _send(path: Path, download_name: str, mimetype: str) -> Response:
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=download_name, max_age=0)


def _stem(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else name


def _page_view(up, checked: ops.Checked) -> dict[str, Any]:
    """What the page shows: findings grouped by sheet in workbook order, with the affected rows."""
    from .preview import previews  # noqa: PLC0415

    order = {s: i for i, s in enumerate(checked.sheets)}
    groups: dict[str, list[dict]] = {}
    for f in checked.data["findings"]:
        label = (checked.indicator_names.get(f.get("indicator") or "")
                 or checked.name_labels.get(f.get("name") or "", ""))
        g = dict(f, indicator_name=label)
        groups.setdefault(f.get("sheet") or "（工作簿）", []).append(g)
    rank = {"错误": 0, "警告": 1, "提示": 2}

    def row(f: dict) -> int:
        digits = "".join(ch for ch in (f.get("cell") or "") if ch.isdigit())
        return int(digits) if digits else 0

    try:
        shown = previews(up.path, checked.data["findings"])
    except Exception:  # a preview is a courtesy: the findings stand without it
        shown = {}
    sheets = sorted(groups, key=lambda s: order.get(s, -1))
    return {
        "id": up.token, "name": up.name, "exit_code": checked.exit_code, "validation": checked.data,
        "groups": [{"sheet": s, "findings": sorted(groups[s], key=lambda f: (row(f), rank[f["severity"]])),
                    "preview": shown.get(s)} for s in sheets],
    }


def _upload_or_404(token: str):
    up = _store().get(token)
    if up is None:
        abort(404)
    return up


# ---------------------------------------------------------------- routes
def _routes(app: Flask) -> None:
    @app.get("/")
    def index():
        return render_template("index.html", version=__version__, frameworks=ops.frameworks(),
                               max_mb=SINGLE_LIMIT // 1048576 - 10, suffixes=",".join(WORKBOOK_SUFFIXES))

    @app.get("/api/frameworks")
    def api_frameworks():
        return jsonify(ops.frameworks())

    # --- the CLI's jobs, one request each (what `jxzp validate --json` etc. give)
    @app.post("/api/validate")
    def api_validate():
        up = _one_upload()
        checked = ops.validate(up.path, shown_name=up.name)
        resp = Response(json.dumps(checked.data, ensure_ascii=False, indent=1), mimetype="application/json")
        resp.headers["X-Jxzp-Exit-Code"] = str(checked.exit_code)
        return resp

    @app.post("/api/annotate")
    def api_annotate():
        up = _one_upload()
        name = f"{_stem(up.name)}_校验标注.xlsx"
        return _send(ops.annotate(up.path, _store().out_path(up.token, name)), name, XLSX)

    @app.post("/api/clear")
    def api_clear():
        up = _one_upload()
        name = f"{_stem(up.name)}_已清除标记.xlsx"
        return _send(ops.clear(up.path, _store().out_path(up.token, name)), name, XLSX)

    @app.post("/api/report")
    def api_report():
        up = _one_upload()
        return _report(up, force=_flag("force"))

    @app.post("/api/new")
    def api_new():
        framework = (request.form.get("framework") or "").strip() or None
        department = (request.form.get("department") or "").strip() or None
        year_text = (request.form.get("year") or "").strip()
        if year_text and not re.fullmatch(r"(19|20)\d\d", year_text):
            raise InputError(f"评价年度“{year_text[:20]}”应为四位数字年份（如 2023）")
        if department and len(department) > 60:
            raise InputError("部门名称过长（超过 60 个字），请检查")
        prev = request.files.get("previous")
        token, folder = _store().new_folder()
        if prev is not None and prev.filename:
            if department or year_text:
                raise InputError("选择了上年度自评表时，指标体系、年度和部门取自上年自评表，请清空“部门名称”和“评价年度”")
            up = _store().save(prev.stream, prev.filename)
            name = display_name(f"{_stem(up.name)}_下一年度.xlsx")
            out = ops.next_year_workbook(up.path, folder / name)
        else:
            name = display_name(f"{department or '部门'}_{year_text or ''}_部门整体支出绩效自评表.xlsx".replace("__", "_"))
            out = ops.new_workbook(folder / name, framework=framework, year=int(year_text) if year_text else None,
                                   department=department)
        return _send(out, name, XLSX)

    # --- the page: one upload, then its downloads
    @app.post("/api/workbooks")
    def api_workbook():
        up = _one_upload()
        checked = ops.validate(up.path, shown_name=up.name)
        return jsonify(_page_view(up, checked))

    @app.get("/api/workbooks/<token>/validation.json")
    def wb_json(token: str):
        up = _upload_or_404(token)
        checked = ops.validate(up.path, shown_name=up.name)
        resp = Response(json.dumps(checked.data, ensure_ascii=False, indent=1), mimetype="application/json")
        resp.headers["Content-Disposition"] = _disposition(f"{_stem(up.name)}_校验结果.json")
        return resp

    @app.get("/api/workbooks/<token>/annotated")
    def wb_annotated(token: str):
        up = _upload_or_404(token)
        name = f"{_stem(up.name)}_校验标注.xlsx"
        return _send(ops.annotate(up.path, _store().out_path(token, name)), name, XLSX)

    @app.get("/api/workbooks/<token>/cleared")
    def wb_cleared(token: str):
        up = _upload_or_404(token)
        name = f"{_stem(up.name)}_已清除标记.xlsx"
        return _send(ops.clear(up.path, _store().out_path(token, name)), name, XLSX)

    @app.get("/api/workbooks/<token>/report")
    def wb_report(token: str):
        return _report(_upload_or_404(token), force=_flag("force"))

    # --- batch review
    @app.post("/api/review")
    def api_review():
        request.max_content_length = BATCH_LIMIT
        files = [f for f in request.files.getlist("files") if f.filename]
        if not files:
            raise InputError("请选择要复核的自评表（可多选，或选择整个文件夹）")
        if len(files) > MAX_BATCH_FILES:
            raise InputError(f"一次最多复核 {MAX_BATCH_FILES} 个文件（本次 {len(files)} 个），请分批进行")
        store = _store()
        token, top = store.new_folder()
        folder = top / "files"  # the reviewed folder holds the uploads only (the summary goes beside it)
        folder.mkdir(mode=0o700)
        saved: list[tuple[Path, str]] = []
        skipped: list[dict[str, str]] = []
        taken: set[str] = set()
        for f in files:
            name = display_name(f.filename)
            if not name.lower().endswith(WORKBOOK_SUFFIXES) or name.startswith("~$"):
                skipped.append({"name": name, "reason": "不是 .xlsx 工作簿，已跳过"})
                continue
            name = _unique_name(name, taken)  # two folders' 自评表.xlsx both reviewed, as 自评表(2).xlsx
            path = folder / name
            f.save(path)  # checked by the review itself: one broken file never stops the batch
            saved.append((path, name))
        if not saved:
            raise InputError("所选文件中没有 .xlsx 工作簿")
        out = store.out_path(token, "复核汇总.xlsx")

        def run(job):
            def progress(done: int, total: int, current: str) -> None:
                job.done, job.current = done, current

            return ops.review(folder, out, progress=progress, cancelled=job.cancel.is_set)

        job = _jobs().start(len(saved), out, run)
        return jsonify({"job": job.id, "files": len(saved), "skipped": skipped}), 202

    @app.get("/api/review/<job_id>")
    def review_status(job_id: str):
        job = _jobs().get(job_id)
        if job is None:
            abort(404)
        return jsonify(job.status())

    @app.post("/api/review/<job_id>/cancel")
    def review_cancel(job_id: str):
        job = _jobs().get(job_id)
        if job is None:
            abort(404)
        job.cancel.set()
        return jsonify(job.status())

    @app.get("/api/review/<job_id>/summary")
    def review_summary(job_id: str):
        job = _jobs().get(job_id)
        if job is None or not job.out.is_file():
            abort(404)
        return _send(job.out, "复核汇总.xlsx", XLSX)


def _report(up, *, force: bool) -> Response:
    store = _store()
    out = store.out_path(up.token, "自评报告.docx")
    rep = ops.report(up.path, out, force=force)
    if not rep.written:
        resp = jsonify({"error": f"校验发现 {rep.errors} 条“错误”，未生成报告。{rep.summary_line}"
                                 "请先改正；如确需按现有数据生成，请选择“仍然生成”。",
                        "errors": rep.errors, "force_parameter": "force=1"})
        resp.status_code = 409
        return resp
    name = f"{_stem(up.name)}_自评报告.docx"
    resp = _send(rep.path, name, DOCX)
    if rep.warnings:
        resp.headers["X-Jxzp-Warnings"] = json.dumps(rep.warnings, ensure_ascii=True)
    resp.headers["X-Jxzp-Forced"] = "1" if force and rep.errors else "0"
    return resp


def _unique_name(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    cand, i = name, 1
    while cand.lower() in taken or cand.lower() == "复核汇总.xlsx":
        i += 1
        cand = f"{stem}({i}).{ext}" if dot else f"{name}({i})"
    taken.add(cand.lower())
    return cand


def _disposition(name: str) -> str:
    from urllib.parse import quote  # noqa: PLC0415

    return f"attachment; filename=\"report.json\"; filename*=UTF-8''{quote(name)}"

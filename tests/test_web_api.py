"""The JSON API of `jxzp serve` through Flask's test client: same answers as the CLI, safe uploads."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

flask = pytest.importorskip("flask")

from addin.web.app import create_app  # noqa: E402
from addin.web.uploads import UploadStore, display_name  # noqa: E402


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    from addin.app import write_sample as make_sample

    return make_sample(tmp_path_factory.mktemp("sample") / "乐昌_2022.xlsx")


@pytest.fixture()
def app(tmp_path):
    store = UploadStore(root=tmp_path)
    a = create_app(store=store)
    a.config["TESTING"] = True
    yield a
    store.close()


@pytest.fixture()
def client(app):
    return app.test_client()


def _post(client, url, path_or_bytes, name="自评表.xlsx", field="file", **form):
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    return client.post(url, data={field: (io.BytesIO(data), name), **form}, content_type="multipart/form-data")


def _cli_json(path: Path) -> tuple[dict, int]:
    proc = subprocess.run([sys.executable, "-m", "addin.cli", "validate", "--json", str(path)],
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    return json.loads(proc.stdout), proc.returncode


def test_validate_answers_what_the_cli_prints(client, sample):
    r = _post(client, "/api/validate", sample, name="乐昌_2022.xlsx")
    assert r.status_code == 200 and r.mimetype == "application/json"
    cli, code = _cli_json(sample)
    got = r.get_json()
    assert got["source"] == "乐昌_2022.xlsx"  # the user's name, never the server's temporary path
    cli["source"] = got["source"]
    assert got == cli
    assert r.headers["X-Jxzp-Exit-Code"] == str(code) == "1"
    flagged = [f for f in got["findings"] if f["sheet"] == "基本信息" and f["cell"] == "B55" and f["severity"] == "错误"]
    assert flagged and flagged[0]["actual"] == pytest.approx(1.1892)


def test_page_view_groups_by_sheet_in_workbook_order_with_previews(client, sample):
    r = _post(client, "/api/workbooks", sample)
    d = r.get_json()
    assert r.status_code == 200 and len(d["id"]) >= 16
    sheets = [g["sheet"] for g in d["groups"]]
    from openpyxl import load_workbook

    order = load_workbook(sample, read_only=True).sheetnames
    assert sheets == sorted(sheets, key=order.index)
    basic = d["groups"][0]
    assert basic["sheet"] == "基本信息"
    assert basic["preview"]["rows"]["55"][1] == "118.92%"
    assert basic["preview"]["header"][:2] == ["项目", "数值"]
    budget = next(g for g in d["groups"] if g["sheet"] == "预算执行")
    assert any(f["indicator_name"] == "结转结余率" for f in budget["findings"])
    rows = [int(f["cell"][1:]) for f in budget["findings"]]
    assert rows == sorted(rows)


def test_report_is_gated_by_errors_then_forced(client, sample):
    token = _post(client, "/api/workbooks", sample).get_json()["id"]
    r = client.get(f"/api/workbooks/{token}/report")
    assert r.status_code == 409
    body = r.get_json()
    assert body["errors"] == 2 and "仍然生成" in body["error"]
    r = client.get(f"/api/workbooks/{token}/report?force=1")
    assert r.status_code == 200 and r.headers["X-Jxzp-Forced"] == "1"
    import docx

    doc = docx.Document(io.BytesIO(r.data))
    assert any("乐昌市政务服务数据管理局" in p.text for p in doc.paragraphs)
    # the one-shot endpoint, as `jxzp report --force`
    r = _post(client, "/api/report", sample)
    assert r.status_code == 409
    r = _post(client, "/api/report", sample, force="1")
    assert r.status_code == 200 and r.data[:2] == b"PK"


def test_annotated_and_cleared_copies(client, sample):
    from openpyxl import load_workbook

    token = _post(client, "/api/workbooks", sample).get_json()["id"]
    r = client.get(f"/api/workbooks/{token}/annotated")
    assert r.status_code == 200
    assert "attachment" in r.headers["Content-Disposition"] and "filename*=UTF-8''" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    assert wb["基本信息"]["B55"].fill.fgColor.rgb.endswith("FFC7CE")
    annotated = r.data
    # clearing the annotated copy gives back the cells as they were
    r = _post(client, "/api/clear", annotated, name="标注.xlsx")
    assert r.status_code == 200
    cleared = load_workbook(io.BytesIO(r.data))
    original = load_workbook(sample)
    c, o = cleared["基本信息"]["B55"], original["基本信息"]["B55"]
    assert c.fill.fgColor.rgb == o.fill.fgColor.rgb and c.comment is None
    assert c.value == o.value
    r = client.get(f"/api/workbooks/{token}/validation.json")
    assert r.status_code == 200 and json.loads(r.data)["summary"]["错误"] == 2


@pytest.mark.parametrize("name,data,expect", [
    ("表.xlsx", b"hello,world\n1,2\n", "不是 .xlsx 工作簿"),
    ("表.xlsx", b"", "空文件"),
    ("表.xlsx", b"PK\x03\x04garbage", "已损坏"),
    ("报告.docx", b"PK\x03\x04", "不是 Excel 工作簿"),
    ("表.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "不是 Excel 工作簿"),
])
def test_bad_uploads_answer_400_in_chinese(client, name, data, expect):
    r = _post(client, "/api/validate", data, name=name)
    assert r.status_code == 400
    assert expect in r.get_json()["error"]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in members.items():
            z.writestr(n, b)
    return buf.getvalue()


def test_zip_bomb_and_entities_refused(client, tmp_path):
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                 "xl/worksheets/sheet1.xml": b"<a>" + b"0" * (40 * 1024 * 1024) + b"</a>"})
    assert len(bomb) < 1024 * 1024
    r = _post(client, "/api/validate", bomb)
    assert r.status_code == 400 and "压缩炸弹" in r.get_json()["error"]
    evil = _zip({"[Content_Types].xml": b"<Types/>",
                 "xl/workbook.xml": b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><workbook>&e;</workbook>'})
    r = _post(client, "/api/validate", evil)
    assert r.status_code == 400 and "实体" in r.get_json()["error"]
    # nothing of the refused uploads stays on disk
    assert not [p for p in tmp_path.rglob("*.xlsx")]


def test_too_large_is_413_in_chinese(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 200_000
    r = _post(client, "/api/validate", b"PK" + b"\0" * 300_000)
    assert r.status_code == 413 and "过大" in r.get_json()["error"]


def test_client_paths_never_used_on_disk(app, client, sample, tmp_path):
    outside = tmp_path.parent / "evil.xlsx"
    for name in ("../../evil.xlsx", "..\\..\\evil.xlsx", "/etc/evil.xlsx", "C:\\Windows\\evil.xlsx"):
        r = _post(client, "/api/workbooks", sample, name=name)
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["name"] == "evil.xlsx"
    assert not outside.exists()
    root = app.extensions["jxzp_store"].root
    saved = [p for p in root.rglob("evil.xlsx")]
    assert len(saved) == 4 and all(root in p.parents for p in saved)
    assert display_name("a/../<b>:c?.xlsx") == "_b__c_.xlsx"
    assert display_name("") == "工作簿.xlsx"
    assert display_name("\x1b[31m报表.xlsx") == "[31m报表.xlsx"
    assert len(display_name("长" * 400 + ".xlsx").encode()) <= 150


def test_messages_do_not_reveal_the_temporary_folder(app, client):
    r = _post(client, "/api/validate", b"not a workbook at all", name="x.xlsx")
    assert str(app.extensions["jxzp_store"].root) not in r.get_json()["error"]


def test_other_sites_and_hosts_are_refused(client, sample):
    r = client.post("/api/validate", data={"file": (io.BytesIO(sample.read_bytes()), "a.xlsx")},
                    headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "其他网站" in r.get_json()["error"]
    r = client.get("/", headers={"Host": "evil.example:8765"})
    assert r.status_code == 403
    r = client.get("/")
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    html = r.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html  # no CDN: every asset from this server
    for asset in ("/static/app.css", "/static/app.js"):
        assert client.get(asset).status_code == 200


def test_unknown_upload_is_404_in_chinese(client):
    r = client.get("/api/workbooks/" + "A" * 24 + "/annotated")
    assert r.status_code == 404 and "重新上传" in r.get_json()["error"]
    r = client.get("/api/workbooks/../../etc/passwd/annotated")
    assert r.status_code == 404


def test_new_workbook(client):
    from addin.app import export_data as export

    r = client.post("/api/new", data={"framework": "gd_county_2022", "department": "测试局", "year": "2023"})
    assert r.status_code == 200
    p = Path(client.application.extensions["jxzp_store"].root) / "check.xlsx"
    p.write_bytes(r.data)
    values = {c["name"]: c["value"] for c in export(p)["cells"]}
    assert "测试局" in values.values() and ("2023" in values.values() or 2023 in values.values())
    r = client.post("/api/new", data={"year": "二〇二三"})
    assert r.status_code == 400 and "四位数字" in r.get_json()["error"]
    r = client.post("/api/new", data={"framework": "no_such"})
    assert r.status_code == 400 and "no_such" in r.get_json()["error"]
    assert client.get("/api/frameworks").get_json()[0]["id"]


def test_next_year_workbook_from_last_years(client, sample, tmp_path):
    from addin.app.books import export_data as export

    r = client.post("/api/new", data={"previous": (io.BytesIO(sample.read_bytes()), "乐昌_2022.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 200, r.get_json()
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    out = tmp_path / "next.xlsx"
    out.write_bytes(r.data)
    values = {c["name"]: c["value"] for c in export(out)["cells"]}
    assert "乐昌市政务服务数据管理局" in values.values()
    assert any(str(v) == "2023" for v in values.values())
    # as the CLI: last year's workbook decides framework, year and department
    r = client.post("/api/new", data={"previous": (io.BytesIO(sample.read_bytes()), "a.xlsx"), "year": "2024"},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and "上年自评表" in r.get_json()["error"]
    r = client.post("/api/new", data={"previous": (io.BytesIO(b"junk"), "a.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 400 and "a.xlsx" in r.get_json()["error"]


def _wait_job(client, job: str, timeout: float = 120) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        st = client.get(f"/api/review/{job}").get_json()
        if st["state"] != "running":
            return st
        time.sleep(0.1)
    raise AssertionError("review did not finish")


def test_review_progress_summary_and_broken_files(client, sample):
    from openpyxl import load_workbook

    good = sample.read_bytes()
    files = [(io.BytesIO(good), f"dept{i}.xlsx") for i in range(2)] + [(io.BytesIO(good), "a/dept0.xlsx")]
    files += [(io.BytesIO(b"broken"), "坏.xlsx"), (io.BytesIO(b"x"), "readme.txt")]
    r = client.post("/api/review", data={"files": files}, content_type="multipart/form-data")
    assert r.status_code == 202
    body = r.get_json()
    assert body["files"] == 4 and body["skipped"][0]["name"] == "readme.txt"
    st = _wait_job(client, body["job"])
    assert st["state"] == "finished" and st["done"] == st["total"] == 4
    assert st["result"]["unreadable"] == 1 and st["result"]["with_errors"] == 3
    r = client.get(f"/api/review/{body['job']}/summary")
    wb = load_workbook(io.BytesIO(r.data))
    ws = wb["汇总"]
    title = ws["A1"].value
    assert "网页上传的文件" in title and "/tmp" not in title and "jxzp-web" not in title
    head = [c.value for c in ws[2]]
    rows = [dict(zip(head, r)) for r in ws.iter_rows(min_row=3, values_only=True) if r[1]]
    assert sorted(r["文件"] for r in rows if r["状态"] != "无法读取") == ["dept0(2).xlsx", "dept0.xlsx", "dept1.xlsx"]
    cli, _ = _cli_json(sample)
    assert all(r["错误"] == cli["summary"]["错误"] for r in rows if r["状态"] == "有错误")  # as validate --json says
    assert [x[0] for x in wb["无法读取"].iter_rows(min_row=2, values_only=True)] == ["坏.xlsx"]


def test_review_cancel_writes_partial_summary(client, sample, monkeypatch):
    from addin.web import ops

    real = ops.review

    def held(folder, out, *, progress, cancelled):
        def slow_progress(done, total, current):  # holds the run after each file until the page cancels
            progress(done, total, current)
            end = time.monotonic() + 20
            while not cancelled() and time.monotonic() < end:
                time.sleep(0.02)

        return real(folder, out, progress=slow_progress, cancelled=cancelled)

    monkeypatch.setattr(ops, "review", held)
    files = [(io.BytesIO(sample.read_bytes()), f"d{i}.xlsx") for i in range(12)]
    job = client.post("/api/review", data={"files": files}, content_type="multipart/form-data").get_json()["job"]
    end = time.monotonic() + 60
    while client.get(f"/api/review/{job}").get_json()["done"] < 1:
        assert time.monotonic() < end
        time.sleep(0.05)
    assert client.post(f"/api/review/{job}/cancel").status_code == 200
    st = _wait_job(client, job)
    assert st["state"] == "cancelled" and st["result"]["partial"] and st["result"]["done"] < 12
    assert client.get(f"/api/review/{job}/summary").status_code == 200
    assert client.get("/api/review/nope").status_code == 404


def test_no_upload_and_wrong_method(client):
    r = client.post("/api/validate", data={}, content_type="multipart/form-data")
    assert r.status_code == 400 and "请选择" in r.get_json()["error"]
    assert client.get("/api/validate").status_code == 405


# ---------------------------------------------------------------- server and shortcut
def test_serve_loopback_prints_address_and_removes_uploads_on_stop(tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONPATH=os.getcwd())
    proc = subprocess.Popen([sys.executable, "-m", "addin.cli", "serve", "--no-browser", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env)
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line and "警告" not in line
        url = line[line.index("http://"):].strip()
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert "绩效自评助手" in resp.read().decode("utf-8")
        assert [p for p in tmp_path.iterdir() if p.name.startswith("jxzp-web-")]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "已停止" in out
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("jxzp-web-")]


def test_other_interface_prints_a_warning(monkeypatch):
    from addin.web import server

    class Fake:
        effective_port = 9999

        def run(self):
            raise KeyboardInterrupt

        def close(self):
            pass

    closed = []

    class Store:
        def close(self):
            closed.append(1)

    class App:
        extensions = {"jxzp_jobs": type("J", (), {"cancel_all": lambda self: None})()}

    seen = {}

    def fake_make(host, port):
        seen["host"] = host
        return Fake(), App(), Store()

    monkeypatch.setattr(server, "make_server", fake_make)
    said: list[str] = []
    assert server.serve(host="0.0.0.0", port=None, open_browser=False, say=said.append) == 0
    assert said[0].startswith("警告") and "0.0.0.0" in said[0]
    assert seen["host"] == "0.0.0.0" and closed
    said.clear()
    server.serve(host="127.0.0.1", open_browser=False, say=said.append)
    assert not any("警告" in s for s in said)


def test_windows_shortcut_is_a_bat_in_the_console_code_page(tmp_path):
    from addin.core.errors import OutputError
    from addin.web.server import create_shortcut

    py = r"C:\Users\张三\AppData\Local\Programs\Python\Python311\python.exe"
    out = create_shortcut(tmp_path, python=py, platform="win32")
    assert out.name == "绩效自评助手（网页版）.bat"
    text = out.read_bytes().decode("gbk")
    assert f'"{py}" -m addin serve\r\n' in text and text.startswith("@echo off\r\n")
    with pytest.raises(OutputError):
        create_shortcut(tmp_path, python=py, platform="win32")  # never overwrites without being told
    assert create_shortcut(tmp_path, python=py, platform="win32", overwrite=True) == out
    with pytest.raises(OutputError, match="jxzp serve"):
        create_shortcut(tmp_path, python="C:\\Users\\\U0001F600\\python.exe", platform="win32")
    lin = create_shortcut(tmp_path, python="/usr/bin/python3", platform="linux")
    assert lin.suffix == ".desktop" and 'Exec="/usr/bin/python3" -m addin serve' in lin.read_text(encoding="utf-8")
    assert os.access(lin, os.X_OK)


def test_cli_shortcut_goes_to_the_desktop(tmp_path):
    (tmp_path / "Desktop").mkdir()
    env = dict(os.environ, HOME=str(tmp_path), PYTHONPATH=os.getcwd())
    proc = subprocess.run([sys.executable, "-m", "addin.cli", "serve", "--shortcut"], capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "已在桌面创建快捷方式" in proc.stdout
    assert (tmp_path / "Desktop" / "绩效自评助手（网页版）.desktop").is_file()


def test_flask_stays_off_the_addin_start_up_paths():
    code = ("import sys, addin.cli, addin.udfs, addin.ribbon, addin.app; "
            "bad = [m for m in ('flask', 'waitress', 'werkzeug', 'addin.web.app') if m in sys.modules]; "
            "assert not bad, bad; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert proc.stdout.strip() == "ok", proc.stderr


@pytest.mark.parametrize("framework", ["national_dept_target", "national_project_target"])
def test_target_table_family_through_the_page(client, tmp_path, framework):
    from addin.app import write_sample as make_sample

    book = make_sample(tmp_path / f"{framework}.xlsx", framework=framework)
    r = _post(client, "/api/validate", book, name="t.xlsx")
    cli, code = _cli_json(book)
    cli["source"] = "t.xlsx"
    assert r.status_code == 200 and r.get_json() == cli and r.headers["X-Jxzp-Exit-Code"] == str(code)
    d = _post(client, "/api/workbooks", book).get_json()
    from openpyxl import load_workbook

    order = load_workbook(book, read_only=True).sheetnames
    sheets = [g["sheet"] for g in d["groups"]]
    assert sheets == sorted(sheets, key=lambda s: order.index(s) if s in order else -1)
    assert sum(len(g["findings"]) for g in d["groups"]) == len(cli["findings"])

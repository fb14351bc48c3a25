"""jxzp serve in a real browser: Debian's Chromium headless, driven by selenium over loopback only.

The server runs in this process on 127.0.0.1 with an OS-chosen port; Chromium gets no proxy, no
background services and a host resolver that knows only 127.0.0.1, so the only traffic is ours.
Screenshots go to tmp (and to JXZP_SCREENSHOTS, if set, for looking at them).
"""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
import zipfile
from pathlib import Path

import pytest

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") and ("/usr/lib/chromium/chromium" if Path("/usr/lib/chromium/chromium").exists()
                                         else shutil.which("chromium"))
CHROMEDRIVER = shutil.which("chromedriver")
REQUIRE = os.environ.get("JXZP_REQUIRE_BROWSER") == "1"

if not (CHROMIUM and CHROMEDRIVER):
    if REQUIRE:
        raise RuntimeError("chromium / chromedriver not installed (apt-get install chromium chromium-driver)")
    pytest.skip("chromium / chromedriver not installed", allow_module_level=True)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server():
    from addin.web.server import make_server

    srv, app, store = make_server("127.0.0.1", 0, threads=2)
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.effective_port}/", store
    srv.close()
    store.close()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads, tmp_path_factory):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--user-data-dir={profile}", "--window-size=1280,1000", "--lang=zh-CN",
                "--no-proxy-server", "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
                "--disable-client-side-phishing-detection", "--metrics-recording-only",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
        "safebrowsing.enabled": False, "intl.accept_languages": "zh-CN,zh",
    })
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    drv.set_page_load_timeout(30)
    yield drv
    drv.quit()


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    from addin.app import write_sample as make_sample

    return make_sample(tmp_path_factory.mktemp("sample") / "乐昌市政务服务数据管理局_2022_自评表.xlsx")


def _shot(drv, name: str, tmp: Path) -> Path:
    drv.execute_script("document.body.style.zoom='1'")
    height = drv.execute_script("return document.documentElement.scrollHeight")
    drv.set_window_size(1280, min(max(1000, height + 40), 4000))
    out = tmp / name
    drv.save_screenshot(str(out))
    extra = os.environ.get("JXZP_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(out, Path(extra) / name)
    drv.set_window_size(1280, 1000)
    assert out.stat().st_size > 10_000  # a rendered page, not a blank image
    return out


def _wait_download(folder: Path, suffix: str, before: set[str], timeout: float = 30) -> Path:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        new = [p for p in folder.iterdir() if p.name not in before and p.suffix == suffix]
        if new and not any(p.suffix == ".crdownload" for p in folder.iterdir()):
            return new[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} downloaded into {folder}: {sorted(p.name for p in folder.iterdir())}")


def _upload(drv, input_id: str, path: Path) -> None:
    drv.find_element(By.ID, input_id).send_keys(str(path))


def test_sample_flagged_report_and_annotated_copy(server, browser, sample, downloads, tmp_path):
    url, _store = server
    browser.get(url)
    assert "绩效自评助手" in browser.title
    _upload(browser, "single-file", sample)
    WebDriverWait(browser, 60).until(EC.visibility_of_element_located((By.ID, "result")))

    # summary figures come from the same evaluation as `jxzp validate --json`
    assert browser.find_element(By.ID, "r-err").text == "2 条"
    assert browser.find_element(By.ID, "r-grade").text == "优"
    groups = [g.get_attribute("data-sheet") for g in browser.find_elements(By.CSS_SELECTOR, ".group")]
    assert groups == ["基本信息", "预算执行", "资金使用效益"]  # workbook order
    basic = browser.find_element(By.CSS_SELECTOR, '.group[data-sheet="基本信息"]')
    rows = basic.find_elements(By.CSS_SELECTOR, "tr.finding")
    flagged = [r for r in rows if r.get_attribute("data-severity") == "错误"]
    assert flagged and "118.92%" in flagged[0].text and flagged[0].get_attribute("data-cell") == "B55"
    assert "基本信息!B55" in flagged[0].text
    sev = flagged[0].find_element(By.CSS_SELECTOR, "td.sev")
    assert sev.value_of_css_property("background-color") == "rgba(255, 199, 206, 1)"  # FFC7CE, as in Excel
    hit = basic.find_element(By.CSS_SELECTOR, "table.preview td.hit-错误")
    assert hit.text == "118.92%" and hit.get_attribute("title") == "B55"
    _shot(browser, "web-validate.png", tmp_path)

    # printable: the findings without the upload box and buttons (Chromium's own print to PDF)
    import base64
    import subprocess

    pdf = tmp_path / "print.pdf"
    pdf.write_bytes(base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})["data"]))
    printed = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                             timeout=60).stdout
    assert "118.92%" in printed and "基本信息!B55" in printed
    assert "点击选择文件" not in printed and "打印本页" not in printed

    # the report is gated by 错误: first a refusal with the explicit choice, then 仍然生成
    before = {p.name for p in downloads.iterdir()}
    browser.find_element(By.ID, "dl-report").click()
    gate = WebDriverWait(browser, 60).until(EC.visibility_of_element_located((By.ID, "gate")))
    assert "错误" in gate.text and "仍然生成" in gate.text
    _shot(browser, "web-report-gate.png", tmp_path)
    browser.find_element(By.ID, "gate-force").click()
    docx = _wait_download(downloads, ".docx", before, timeout=120)
    import docx as python_docx

    text = "\n".join(p.text for p in python_docx.Document(str(docx)).paragraphs)
    assert "乐昌市政务服务数据管理局" in text and "绩效自评报告" in text

    before = {p.name for p in downloads.iterdir()}
    browser.find_element(By.ID, "dl-annotated").click()
    annotated = _wait_download(downloads, ".xlsx", before, timeout=60)
    import openpyxl

    wb = openpyxl.load_workbook(annotated)
    cell = wb["基本信息"]["B55"]
    assert cell.fill.fgColor.rgb.endswith("FFC7CE") and "118.92%" in cell.comment.text
    assert "校验结果" in wb.sheetnames
    with zipfile.ZipFile(annotated) as z:
        assert z.testzip() is None


def test_broken_file_gets_chinese_message(server, browser, tmp_path):
    url, _store = server
    browser.get(url)
    broken = tmp_path / "损坏的自评表.xlsx"
    broken.write_bytes(b"PK\x03\x04" + os.urandom(300))
    _upload(browser, "single-file", broken)
    msg = WebDriverWait(browser, 30).until(EC.visibility_of_element_located((By.ID, "single-msg")))
    assert "损坏的自评表.xlsx" in msg.text and "已损坏" in msg.text
    assert browser.find_element(By.ID, "result").is_displayed() is False
    _shot(browser, "web-broken.png", tmp_path)

    not_book = tmp_path / "说明.txt"
    not_book.write_text("这不是工作簿", encoding="utf-8")
    _upload(browser, "single-file", not_book)
    WebDriverWait(browser, 30).until(EC.text_to_be_present_in_element((By.ID, "single-msg"), "说明.txt"))
    assert "不是 Excel 工作簿" in browser.find_element(By.ID, "single-msg").text


def test_batch_review_progress_and_summary(server, browser, sample, downloads, tmp_path, monkeypatch):
    from addin.web import ops

    real = ops.review

    def paced(folder, out, *, progress, cancelled):  # slow enough for the page to show the bar moving
        def slow(done, total, current):
            progress(done, total, current)
            time.sleep(0.6)

        return real(folder, out, progress=slow, cancelled=cancelled)

    monkeypatch.setattr(ops, "review", paced)
    url, _store = server
    browser.get(url)
    browser.find_element(By.ID, "tab-batch").click()
    files = []
    for i in range(3):
        p = tmp_path / f"部门{i}.xlsx"
        shutil.copy(sample, p)
        files.append(p)
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"not a workbook")
    files.append(bad)
    browser.find_element(By.ID, "batch-files").send_keys("\n".join(str(p) for p in files))
    bar = browser.find_element(By.ID, "bar")
    WebDriverWait(browser, 60, poll_frequency=0.05).until(
        lambda d: 0 < int(bar.get_attribute("aria-valuenow") or 0) < 4)
    status = browser.find_element(By.ID, "batch-status").text
    assert status.startswith("已复核 ") and "/ 4 个文件" in status
    width = browser.find_element(By.ID, "bar-fill").value_of_css_property("width")
    assert float(width.rstrip("px")) > 0
    _shot(browser, "web-batch-progress.png", tmp_path)
    done = WebDriverWait(browser, 120).until(EC.visibility_of_element_located((By.ID, "batch-done")))
    assert "4" in done.text
    before = {p.name for p in downloads.iterdir()}
    _shot(browser, "web-batch.png", tmp_path)
    browser.find_element(By.ID, "dl-summary").click()
    summary = _wait_download(downloads, ".xlsx", before, timeout=60)
    import openpyxl

    wb = openpyxl.load_workbook(summary)
    assert wb.sheetnames[0] == "汇总"
    shown = {r[1] for r in wb["汇总"].iter_rows(min_row=3, values_only=True)}
    assert {"部门0.xlsx", "部门1.xlsx", "部门2.xlsx"} <= shown
    unreadable = [r for r in wb["无法读取"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert any(r[0] == "坏文件.xlsx" for r in unreadable)


def test_next_year_from_last_years_workbook(server, browser, sample, downloads, tmp_path):
    url, _store = server
    browser.get(url)
    browser.find_element(By.ID, "tab-new").click()
    _upload(browser, "new-previous", sample)
    assert browser.find_element(By.ID, "new-department").get_attribute("disabled")
    assert browser.find_element(By.ID, "new-from-note").is_displayed()
    before = {p.name for p in downloads.iterdir()}
    browser.find_element(By.ID, "new-submit").click()
    out = _wait_download(downloads, ".xlsx", before, timeout=60)
    assert out.name.endswith("_下一年度.xlsx")
    from addin.app.books import export_data as export

    values = {c["name"]: c["value"] for c in export(out)["cells"]}
    assert "乐昌市政务服务数据管理局" in values.values() and any(str(v) == "2023" for v in values.values())


def test_new_workbook_download(server, browser, downloads, tmp_path):
    url, _store = server
    browser.get(url)
    browser.find_element(By.ID, "tab-new").click()
    browser.find_element(By.ID, "new-department").send_keys("测试县财政局")
    browser.find_element(By.ID, "new-year").send_keys("2023")
    before = {p.name for p in downloads.iterdir()}
    browser.find_element(By.ID, "new-submit").click()
    out = _wait_download(downloads, ".xlsx", before, timeout=60)
    assert "测试县财政局" in out.name
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "new-msg"), "已下载"))
    _shot(browser, "web-new.png", tmp_path)
    from addin.app import export_data as export

    data = export(out)
    values = {c["name"]: c["value"] for c in data["cells"]}
    assert "测试县财政局" in json.dumps(values, ensure_ascii=False)

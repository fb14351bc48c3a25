// jxzp 网页版: uploads, findings, downloads. Text from workbooks only ever goes in via textContent.
"use strict";

const SEVERITIES = ["错误", "警告", "提示"];
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function show(node, text, kind) {
  node.hidden = !text;
  node.textContent = text || "";
  if (kind) node.className = "msg msg-" + kind;
}

async function errorText(resp) {
  try {
    const data = await resp.json();
    if (data && data.error) return data.error;
  } catch (e) { /* not JSON */ }
  return "服务返回错误（" + resp.status + "），请重试";
}

function downloadName(resp, fallback) {
  const cd = resp.headers.get("Content-Disposition") || "";
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(cd);
  return plain ? plain[1] : fallback;
}

async function saveResponse(resp, fallback) {
  const blob = await resp.blob();
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: downloadName(resp, fallback) });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return a.download;
}

// ------------------------------------------------------------ tabs
function initTabs() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t === tab);
      for (const p of document.querySelectorAll(".panel")) p.hidden = p.id !== "panel-" + tab.dataset.tab;
    });
  }
}

function initDrop(form, onFiles) {
  form.addEventListener("dragover", (ev) => { ev.preventDefault(); form.classList.add("over"); });
  form.addEventListener("dragleave", () => form.classList.remove("over"));
  form.addEventListener("drop", async (ev) => {
    ev.preventDefault();
    form.classList.remove("over");
    onFiles(await droppedFiles(ev.dataTransfer));
  });
  form.addEventListener("submit", (ev) => ev.preventDefault());
  // the whole box opens the picker, not only its link
  form.addEventListener("click", (ev) => {
    if (ev.target === form || ev.target.classList.contains("drop-note")) form.querySelector("input[type=file]").click();
  });
}

// Folders dropped: walk them (Chromium, Edge, Firefox expose entries).
async function droppedFiles(dt) {
  const items = Array.from(dt.items || []);
  const entries = items.map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null)).filter(Boolean);
  if (!entries.length) return Array.from(dt.files || []);
  const out = [];
  async function walk(entry) {
    if (entry.isFile) {
      out.push(await new Promise((res, rej) => entry.file(res, rej)));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const e of batch) await walk(e);
      }
    }
  }
  for (const e of entries) await walk(e);
  return out;
}

// ------------------------------------------------------------ one workbook
let current = null;  // {id, name, ...} of the workbook shown

async function checkOne(file) {
  if (!file) return;
  show($("single-msg"), "");
  $("result").hidden = true;
  $("single-busy").hidden = false;
  const fd = new FormData();
  fd.append("file", file, file.name);
  try {
    const resp = await fetch("/api/workbooks", { method: "POST", body: fd });
    if (!resp.ok) { show($("single-msg"), await errorText(resp), "error"); return; }
    render(await resp.json());
  } catch (e) {
    show($("single-msg"), "无法连接本机服务，请确认启动窗口仍在运行", "error");
  } finally {
    $("single-busy").hidden = true;
    $("single-file").value = "";
  }
}

function fmtTotal(t) {
  if (t === null || t === undefined) return "—";
  return typeof t === "number" ? (Math.round(t * 100) / 100).toString() + " 分" : String(t);
}

function render(data) {
  current = data;
  const v = data.validation;
  const s = v.summary;
  $("r-name").textContent = data.name;
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  $("r-when").textContent = "校验时间：" + now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate()) +
    " " + pad(now.getHours()) + ":" + pad(now.getMinutes()) + "（jxzp 网页版）";
  $("r-total").textContent = fmtTotal(v.totals && v.totals.total);
  $("r-grade").textContent = (v.totals && v.totals.grade) || "—";
  $("r-err").textContent = s["错误"] + " 条";
  $("r-warn").textContent = s["警告"] + " 条";
  $("r-info").textContent = s["提示"] + " 条";
  $("r-line").textContent = s["错误"] ? "有错误，请修改后再生成报告" : (s.total ? "无错误，请留意警告和提示" : "校验通过");
  $("gate").hidden = true;
  show($("report-msg"), "");
  const box = $("findings");
  box.replaceChildren();
  if (!v.findings.length) box.append(el("div", { class: "ok-all", text: "校验通过：未发现问题。" }));
  for (const g of data.groups) box.append(renderGroup(g));
  $("result").hidden = false;
}

function renderGroup(g) {
  const counts = SEVERITIES.map((sv) => [sv, g.findings.filter((f) => f.severity === sv).length])
    .filter(([, n]) => n).map(([sv, n]) => sv + " " + n).join("，");
  const wrap = el("div", { class: "group", "data-sheet": g.sheet });
  wrap.append(el("h3", { text: "【" + g.sheet + "】 " + counts }));
  const table = el("table", { class: "findings" });
  table.append(el("thead", {}, el("tr", {}, ...["单元格", "严重程度", "指标", "问题与处理建议"].map((t) => el("th", { text: t })))));
  const body = el("tbody");
  for (const f of g.findings) {
    const tr = el("tr", { class: "finding", "data-severity": f.severity, "data-cell": f.cell || "", "data-rule": f.rule });
    tr.append(el("td", { class: "cell", text: f.cell ? g.sheet + "!" + f.cell : "—" }));
    tr.append(el("td", { class: "sev sev-" + f.severity, text: f.severity }));
    tr.append(el("td", { class: "ind", text: f.indicator_name || f.indicator || "—" }));
    tr.append(el("td", { class: "message", text: f.message }));
    body.append(tr);
  }
  table.append(body);
  wrap.append(table);
  if (g.preview) wrap.append(renderPreview(g));
  return wrap;
}

function renderPreview(g) {
  const p = g.preview;
  const hits = {};
  for (const f of g.findings) {
    if (!f.cell) continue;
    const prev = hits[f.cell];
    if (!prev || SEVERITIES.indexOf(f.severity) < SEVERITIES.indexOf(prev)) hits[f.cell] = f.severity;
  }
  const frag = el("div", { class: "preview-box" });
  frag.append(el("div", { class: "preview-title", text: "相关行预览（工作表“" + g.sheet + "”中的内容，标色为问题所在单元格）" }));
  const t = el("table", { class: "preview" });
  t.append(el("thead", {}, el("tr", {}, el("th", { text: "" }), ...p.columns.map((c) => el("th", { text: c })))));
  const body = el("tbody");
  if (p.header) {
    body.append(el("tr", { class: "hdr" }, el("td", { class: "rowhead", text: String(p.header_row) }),
      ...p.header.map((v) => el("td", { text: v }))));
  }
  for (const [row, values] of Object.entries(p.rows)) {
    const tr = el("tr", {}, el("td", { class: "rowhead", text: row }));
    values.forEach((v, i) => {
      const addr = p.columns[i] + row;
      tr.append(el("td", hits[addr] ? { class: "hit-" + hits[addr], title: addr, text: v } : { text: v }));
    });
    body.append(tr);
  }
  t.append(body);
  frag.append(t);
  return frag;
}

async function download(url, fallback, msgNode) {
  show(msgNode, "正在生成，请稍候……", "ok");
  try {
    const resp = await fetch(url);
    if (!resp.ok) {
      const status = resp.status;
      const text = await errorText(resp);
      return { status, text };
    }
    const name = await saveResponse(resp, fallback);
    const warnings = resp.headers.get("X-Jxzp-Warnings");
    let note = "已下载：" + name;
    if (warnings) note += "\n" + JSON.parse(warnings).map((w) => "提示：" + w).join("\n");
    show(msgNode, note, "ok");
    return { status: 200 };
  } catch (e) {
    show(msgNode, "无法连接本机服务，请确认启动窗口仍在运行", "error");
    return { status: 0 };
  }
}

async function fileDownload(kind, fallback) {
  if (!current) return;
  const r = await download("/api/workbooks/" + current.id + "/" + kind, fallback, $("report-msg"));
  if (r.status && r.status !== 200) show($("report-msg"), r.text, "error");
}

async function report(force) {
  if (!current) return;
  $("gate").hidden = true;
  const url = "/api/workbooks/" + current.id + "/report" + (force ? "?force=1" : "");
  const r = await download(url, "自评报告.docx", $("report-msg"));
  if (r.status === 409) {
    show($("report-msg"), "");
    $("gate-text").textContent = r.text;
    $("gate").hidden = false;
  } else if (r.status && r.status !== 200) {
    show($("report-msg"), r.text, "error");
  }
}

function initSingle() {
  const input = $("single-file");
  input.addEventListener("change", () => checkOne(input.files[0]));
  initDrop($("single-form"), (files) => checkOne(files[0]));
  $("dl-annotated").addEventListener("click", (e) => { e.preventDefault(); fileDownload("annotated", "校验标注.xlsx"); });
  $("dl-cleared").addEventListener("click", (e) => { e.preventDefault(); fileDownload("cleared", "已清除标记.xlsx"); });
  $("dl-json").addEventListener("click", (e) => { e.preventDefault(); fileDownload("validation.json", "校验结果.json"); });
  $("dl-report").addEventListener("click", () => report(false));
  $("gate-force").addEventListener("click", () => report(true));
  $("gate-cancel").addEventListener("click", () => { $("gate").hidden = true; });
  $("print").addEventListener("click", () => window.print());
}

// ------------------------------------------------------------ batch review
let job = null;

async function startBatch(files) {
  const books = files.filter((f) => /\.xls[xm]$/i.test(f.name) && !f.name.startsWith("~$"));
  show($("batch-msg"), "");
  $("batch-done").hidden = true;
  if (!books.length) { show($("batch-msg"), "所选内容中没有 .xlsx 工作簿", "error"); return; }
  const fd = new FormData();
  for (const f of books) fd.append("files", f, f.name);
  $("batch-progress").hidden = false;
  $("batch-status").textContent = "正在上传 " + books.length + " 个文件……";
  setBar(0, books.length);
  try {
    const resp = await fetch("/api/review", { method: "POST", body: fd });
    if (!resp.ok) { $("batch-progress").hidden = true; show($("batch-msg"), await errorText(resp), "error"); return; }
    job = (await resp.json()).job;
    poll();
  } catch (e) {
    $("batch-progress").hidden = true;
    show($("batch-msg"), "无法连接本机服务，请确认启动窗口仍在运行", "error");
  }
}

function setBar(done, total) {
  const pct = total ? Math.round((done / total) * 100) : 0;
  $("bar-fill").style.width = pct + "%";
  $("bar").setAttribute("aria-valuenow", String(done));
  $("bar").setAttribute("aria-valuemax", String(total));
}

async function poll() {
  if (!job) return;
  const resp = await fetch("/api/review/" + job);
  if (!resp.ok) { show($("batch-msg"), await errorText(resp), "error"); return; }
  const st = await resp.json();
  setBar(st.done, st.total);
  let line = "已复核 " + st.done + " / " + st.total + " 个文件";
  if (st.rate) line += "，每秒 " + st.rate + " 个";
  if (st.eta_seconds !== null && st.state === "running") line += "，约剩 " + Math.ceil(st.eta_seconds) + " 秒";
  if (st.current && st.state === "running") line += "（刚完成：" + st.current + "）";
  $("batch-status").textContent = line;
  if (st.state === "running") { setTimeout(poll, 400); return; }
  $("batch-progress").hidden = true;
  if (st.state === "failed") { show($("batch-msg"), st.error, "error"); return; }
  const r = st.result;
  const t = $("batch-summary");
  t.replaceChildren();
  const rows = [["文件", r.files], ["已复核", r.done + (r.partial ? "（已停止，汇总只含已完成的文件）" : "")],
    ["有错误", r.with_errors], ["无法读取或旧模板", r.unreadable]];
  if (r.files_per_second) rows.push(["速度", "每秒 " + r.files_per_second + " 个"]);
  for (const [k, v] of rows) t.append(el("tr", {}, el("th", { text: k }), el("td", { text: String(v) })));
  $("batch-done").hidden = !st.download;
}

function initBatch() {
  $("batch-files").addEventListener("change", (e) => { startBatch(Array.from(e.target.files)); e.target.value = ""; });
  $("batch-folder").addEventListener("change", (e) => { startBatch(Array.from(e.target.files)); e.target.value = ""; });
  initDrop($("batch-form"), startBatch);
  $("batch-cancel").addEventListener("click", () => { if (job) fetch("/api/review/" + job + "/cancel", { method: "POST" }); });
  $("dl-summary").addEventListener("click", async (e) => {
    e.preventDefault();
    const r = await download("/api/review/" + job + "/summary", "复核汇总.xlsx", $("batch-msg"));
    if (r.status && r.status !== 200) show($("batch-msg"), r.text, "error");
  });
}

// ------------------------------------------------------------ new workbook
function initNew() {
  const prev = $("new-previous");
  prev.addEventListener("change", () => {
    const f = prev.files[0];
    $("new-previous-name").textContent = f ? f.name : "未选择";
    $("new-previous-clear").hidden = !f;
    // as `jxzp new --from`: framework, year and department come from last year's workbook
    for (const id of ["new-framework", "new-department", "new-year"]) {
      $(id).disabled = !!f;
      if (f && id !== "new-framework") $(id).value = "";
    }
    $("new-from-note").hidden = !f;
  });
  $("new-previous-clear").addEventListener("click", () => {
    prev.value = "";
    prev.dispatchEvent(new Event("change"));
  });
  $("new-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const msg = $("new-msg");
    show(msg, "正在生成，请稍候……", "ok");
    try {
      const resp = await fetch("/api/new", { method: "POST", body: new FormData($("new-form")) });
      if (!resp.ok) { show(msg, await errorText(resp), "error"); return; }
      show(msg, "已下载：" + (await saveResponse(resp, "自评表.xlsx")), "ok");
    } catch (e) {
      show(msg, "无法连接本机服务，请确认启动窗口仍在运行", "error");
    }
  });
}

document.addEventListener("DOMContentLoaded", () => { initTabs(); initSingle(); initBatch(); initNew(); });

"""Signal over noise: the last step of 校验, after every rule has run.

- What is simply not filled yet becomes one finding per sheet (“基本信息 还有 22 个必填项未填：…”);
  a placeholder that only waits for one of those inputs is not a separate 错误.
- Several “no suggested score yet” hints on one sheet, and the missing report chapters, are one each.
- A finding whose message asks for a reason is lowered when the note or the report gives one
  (the framework's `[[explanations]]`: codes, names, words, lower_to).
- A more specific finding replaces a general one at the same cell.
"""
from __future__ import annotations

import re
from dataclasses import replace

from ..contract import contract_for
from ..findings import ERROR, INFO, WARNING, Finding, Severity
from ..placeholders import PLACEHOLDER_RE, Placeholders
from .codes import declare

TIDY_CODES = declare({
    "R01.unfilled": ("错误", "{sheet_name} 还有 {count} 个必填项未填：{labels}{more}{placeholders}"),
    "R02.scores-unfilled": ("错误", "{sheet_name} 还有 {count} 项自评得分未填：{labels}{more}（未填的按 0 分计入合计）"),
    "R06.no-suggestions": ("提示", "{sheet_name} 有 {count} 项指标暂无建议得分（所需数据未填或无法计算）：{labels}"),
    "R11.chapters-empty": ("提示", "报告文字中没有以下章节的内容，报告中这些章将为空：{labels}"),
})
_BLANK_INPUT = {"R01.blank", "R01.progress-unknown"}
_SHOW = 12


def _code(f: Finding) -> str:
    return f.code


def _is_blank_input(f: Finding) -> bool:
    return f.code in _BLANK_INPUT


def _is_blank_score(f: Finding) -> bool:
    return f.code == "R02.blank"


def _label_of(f: Finding, ctx_label) -> str:
    if f.params.get("indicator_name"):
        return f.params["indicator_name"]
    m = re.search(r"“([^”]+)”", f.message)
    label = m.group(1) if m else (ctx_label(f.name) if f.name else "")
    return label.replace("·自评得分", "")


def tidy(findings: list[Finding], fw, book, ev, label) -> list[Finding]:
    findings = _explain(findings, fw, book, ev)
    blank_names = {f.name for f in findings if _is_blank_input(f) and f.name}
    out: list[Finding] = []
    waiting = 0
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if _is_blank_input(f):
            groups.setdefault(("in", f.sheet or ""), []).append(f)
        elif _is_blank_score(f):
            groups.setdefault(("score", f.sheet or ""), []).append(f)
        elif f.code == "R06.no-suggestion":
            groups.setdefault(("nosug", f.sheet or ""), []).append(f)
        elif f.code == "R11.chapter-empty":
            groups.setdefault(("chap", ""), []).append(f)
        elif f.code == "R08.placeholder" and "数值为空或无法计算" in f.message and \
                _waits_for_blank(f.params.get("placeholder") or f.message, fw, ev, book, blank_names):
            waiting += 1
        else:
            out.append(f)
    for (kind, sheet), fs in groups.items():
        if len(fs) == 1:
            f = fs[0]
            if kind == "in" and waiting:
                f = replace(f, message=f"{f.message}（报告文字中有 {waiting} 处占位符要等此项填写后才能替换）")
                waiting = 0
            out.append(f)
            continue
        labels = [_label_of(f, label) for f in fs]
        shown = "、".join(labels[:_SHOW])
        more = f"等 {len(labels)} 项" if len(labels) > _SHOW else ""
        first = fs[0]
        where = dict(sheet=first.sheet, cell=first.cell, name=first.name, rule=first.rule)
        if kind == "in":
            ph = f"。报告文字中有 {waiting} 处占位符要等这些项填写后才能替换" if waiting else ""
            waiting = 0
            out.append(_make("R01.unfilled", where, sheet_name=sheet, count=len(fs), labels=shown, more=more,
                             placeholders=ph, names=[f.name for f in fs]))
        elif kind == "score":
            out.append(_make("R02.scores-unfilled", where, sheet_name=sheet, count=len(fs), labels=shown, more=more,
                             names=[f.name for f in fs]))
        elif kind == "nosug":
            out.append(_make("R06.no-suggestions", where, sheet_name=sheet, count=len(fs), labels="、".join(labels),
                             names=[f.name for f in fs]))
        else:
            chapters = [f.params.get("chapter") or f.message for f in fs]
            out.append(_make("R11.chapters-empty", where, labels="、".join(chapters), names=[first.name]))
    return _supersede(out)


def _make(code: str, where: dict, **params) -> Finding:
    return Finding.of(code, **where, **params)


def _waits_for_blank(message: str, fw, ev, book, blank_names: set[str]) -> bool:
    m = PLACEHOLDER_RE.search(message)
    if not m:
        return False
    key = m.group(1).strip()
    if key in ("上年度", "评价年度"):
        return contract_for(fw).role("year") in blank_names
    if key in ("总分", "等级"):
        return bool(blank_names)
    name = Placeholders(fw).name_of(key)
    if name is None:
        return False
    if name in blank_names:
        return True
    metric = fw.metric(name)
    if metric is not None:
        return _metric_waits(fw, metric, blank_names)
    return False


def _metric_waits(fw, metric, blank_names: set[str], depth: int = 0) -> bool:
    for a in metric.args:
        if a in blank_names:
            return True
        sub = fw.metric(a)
        if sub is not None and depth < 4 and _metric_waits(fw, sub, blank_names, depth + 1):
            return True
    return False


def _explain(findings: list[Finding], fw, book, ev) -> list[Finding]:
    rules = getattr(fw, "explanations", None) or []
    if not rules:
        return findings
    paragraphs = [c.value for c in book.column(contract_for(fw).table("report_text").column("text") or "")
                  if isinstance(c.value, str)]
    out = []
    for f in findings:
        for e in rules:
            codes = e.get("codes", [])
            if not any(_code(f) == c or f.rule == c for c in codes):
                continue
            if e.get("names") and f.name not in e["names"]:
                continue
            lower = e.get("lower_to", INFO)
            if f.severity.rank >= Severity.of(lower).rank or "（评分说明已提到" in f.message:
                continue  # already lowered once by the metric's own explained_by
            near = e.get("near") or []
            report = "\n".join(p for p in paragraphs if not near or any(w in p for w in near))
            where, word = _reason(e, fw, ev, report)
            if word:
                f = replace(f, severity=Severity.of(lower), message=f"{f.message}（{where}已写明“{word}”，降为{lower}）",
                            params=dict(f.params, explained_by=word))
                break
        out.append(f)
    return out


def _reason(e: dict, fw, ev, report: str) -> tuple[str, str | None]:
    ind = e.get("indicator")
    places = []
    if ind and ind in ev.indicators:  # the finding asks for the reason in this note: look there only
        places.append((f"“{fw.indicator(ind).name}”的评分说明", ev.indicators[ind].note or ""))
    else:
        places.append(("报告文字", report))
    for where, text in places:
        for w in e.get("words", []):
            if w and w in text:
                return where, w
    return "", None


def _supersede(findings: list[Finding]) -> list[Finding]:
    """R12.target-missed-full-marks says more than R06's “suggested differs” at the same cell."""
    strong = {(f.sheet, f.cell) for f in findings if _code(f) == "R12.target-missed-full-marks"}
    return [f for f in findings if not (f.rule.startswith("R06.") and (f.sheet, f.cell) in strong
                                        and f.severity == INFO)]

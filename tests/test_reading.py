"""The sentence reader against real published sentences (tests/data/real_sentences.json).

Each sentence carries the reading a reviewer gives its figures: quantity, value as written,
unit, this year / previous year / bound, and role (value, change, growth, share). A sentence
counts as read correctly when the reader gives exactly those readings: nothing missing and
nothing extra (a figure it attributes wrongly would become a false finding).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from addin.core.framework import FrameworkError, load_framework, parse_framework
from addin.core.reading import PatternError, PatternSet

CORPUS = json.loads((Path(__file__).parent / "data" / "real_sentences.json").read_text(encoding="utf-8"))


def _key(r) -> tuple:
    if isinstance(r, dict):
        return (r["quantity"], round(float(r["value"]), 6), r["unit"], r["when"], r["role"])
    return (r.quantity, round(r.value, 6), r.unit, r.when, r.role)


@pytest.fixture(scope="module")
def reader():
    return load_framework().text_reader


def _rate(reader, sentences) -> tuple[int, int, list]:
    bad = []
    for s in sentences:
        got = {_key(r) for r in reader.read(s["text"], s["year"])}
        exp = {_key(r) for r in s["readings"]}
        if got != exp:
            bad.append((s["id"], sorted(exp - got), sorted(got - exp)))
    return len(sentences) - len(bad), len(sentences), bad


def test_corpus_is_real_and_broad():
    sents = CORPUS["sentences"]
    assert len(sents) >= 95
    used = {s["source"] for s in sents}
    assert len(used) >= 25 and used <= set(CORPUS["sources"])
    assert all(CORPUS["sources"][k]["url"] for k in used)
    assert sum(1 for s in sents if s["readings"]) >= 70  # number-bearing with figures to read
    assert sum(len(s["readings"]) for s in sents) >= 150
    kinds = {r["when"] for s in sents for r in s["readings"]} | {r["role"] for s in sents for r in s["readings"]}
    assert {"this", "prev", "bound", "value", "change", "growth", "share"} <= kinds


def test_reads_at_least_90_percent_of_the_corpus(reader):
    ok, n, bad = _rate(reader, CORPUS["sentences"])
    assert ok / n >= 0.90, f"{ok}/{n} read correctly; wrong: {bad[:5]}"


def test_number_bearing_sentences_read_at_least_90_percent(reader):
    sents = [s for s in CORPUS["sentences"] if s["readings"]]
    ok, n, bad = _rate(reader, sents)
    assert ok / n >= 0.90, f"{ok}/{n}; wrong: {bad[:5]}"


def test_sentences_without_known_figures_give_no_reading(reader):
    # a figure the reader attributes wrongly would be a false 错误: these must stay silent
    for s in CORPUS["sentences"]:
        if not s["readings"]:
            assert reader.read(s["text"], s["year"]) == [], s["id"]


def test_last_year_figure_is_read_as_last_year(reader):
    rs = reader.read("2022 年年初预算为 3,491,995 元，2021 年年初预算 3,010,664.91 元，与上年度相比，年初预算增长 15.99%。", 2022)
    assert [(r.value, r.when, r.role) for r in rs] == [(3491995, "this", "value"), (3010664.91, "prev", "value"),
                                                       (15.99, "this", "growth")]
    # without the evaluation year, only the words say it
    rs = reader.read("上年支出决算为 3,651,367.49 元", None)
    assert rs[0].when == "prev" and rs[0].quantity == "final_exp"


def test_targets_are_never_actuals(reader):
    for text in ("预算执行率不低于95%", "预算执行率≥95%", "目标：预算执行率达到95%", "预算执行率95%以上"):
        rs = reader.read(text, 2022)
        assert [r.when for r in rs] == ["bound"], text


def test_units_are_kept_and_scaled(reader):
    r, = reader.read("年初预算为349.2万元", 2022)
    assert (r.unit, r.scaled()) == ("万元", pytest.approx(3492000))
    r, = reader.read("全市一般公共预算收入700.4亿元", 2022)
    assert r.unit == "亿元" and r.scaled() == pytest.approx(700.4e8)
    r, = reader.read("资金支出率为69.6%", 2022)
    assert r.scaled() == pytest.approx(0.696)
    # a figure whose unit does not fit the quantity is not read (“占支出总预算 10.73%”)
    assert reader.read("年初预算为95%", 2022) == []


def test_pattern_set_is_data_in_the_framework_file():
    import tomllib

    from addin.core.framework import FRAMEWORK_DIR

    data = tomllib.loads((FRAMEWORK_DIR / "gd_county_2022.toml").read_text(encoding="utf-8"))
    assert "text_reader" in data and data["text_reader"]["quantities"]
    # a framework may bring its own cue for the same quantity
    data["text_reader"]["quantities"].append(
        {"id": "sanitation", "label": "保洁面积", "kind": "count", "cues": ["保洁面积"]})
    ps = PatternSet.from_data(data["text_reader"])
    assert ps.read("保洁面积 12 个", 2022)[0].quantity == "sanitation"


def test_bad_pattern_set_is_a_clear_error():
    with pytest.raises(PatternError, match="kind"):
        PatternSet.from_data({"quantities": [{"id": "x", "kind": "weird", "cues": ["x"]}]})
    with pytest.raises(PatternError, match="正则"):
        PatternSet.from_data({"quantities": [{"id": "x", "kind": "count", "cues": ["(unclosed"]}]})
    with pytest.raises(PatternError, match="不是工作簿中的名称"):
        PatternSet.from_data({"quantities": [{"id": "x", "kind": "count", "cues": ["x"], "this": "f_nope"}]}, {"f_a"})


def test_framework_loader_reports_a_bad_reader_section():
    import tomllib

    from addin.core.framework import FRAMEWORK_DIR

    data = tomllib.loads((FRAMEWORK_DIR / "gd_county_2022.toml").read_text(encoding="utf-8"))
    data["text_reader"]["quantities"][0]["this"] = "f_missing"
    with pytest.raises(FrameworkError, match="text_reader"):
        parse_framework(data, None)


def test_readings_are_remembered_per_workbook_and_callers_get_their_own_list():
    from addin.core.framework import load_framework

    reader = load_framework("gd_county_2022").text_reader
    reader.forget()
    text = "2022年年初预算349.2万元，比上年增加48.1万元。"
    first = reader.read(text, 2022)
    assert first and reader._memo
    first.append("x")  # a caller's list is its own
    again = reader.read(text, 2022)
    assert "x" not in again and again == first[:-1]
    reader.forget()
    assert not reader._memo and reader.read(text, 2022) == again


def _read_every_sentence(reader, text: str, year) -> list:
    """The reader's sentence loop without its shortcuts: every sentence read in full, in order,
    every cue and subject pattern tried on it."""
    import copy

    from addin.core.reading import _SENTENCE, _normalise

    reader = copy.copy(reader)
    reader._cue_rx = [(q, rx, "") for q, rx, _lit in reader._cue_rx]
    reader._cue_always, reader._cue_by_char, reader._cue_chars = list(range(len(reader._cue_rx))), {}, frozenset()
    reader._subj_rx = [(s, rx, "") for s, rx, _lit in reader._subj_rx]
    text, out, carried = _normalise(text), [], None
    for m in _SENTENCE.finditer(text):
        readings, carried = reader._read_sentence(m.group(0), m.start(), year, carried)
        out.extend(readings)
    return out


def test_shortcuts_read_as_every_sentence_read_in_full(reader):
    """Sentences without figures are passed over (read only when a comparison after them needs
    what they name), cues are tried only where their literal occurs: same readings as reading all."""
    import random

    rnd = random.Random(7)
    real = [s["text"] for s in CORPUS["sentences"]]
    # sentences naming a quantity without a figure, and comparisons that speak of the one before
    made = ["本年支出决算数据已按要求公开。", "较上年增加5.2万元。", "比上年减少3人。", "同比增长12.5%。",
            "“三公”经费预算执行情况良好；", "与上年相比下降了2.1个百分点。", "部门整体支出管理规范。",
            "其中项目支出较多，", "在职人员控制率符合要求。", "较上年有所增加。", "实有人数稳定。"]
    for _ in range(600):
        text = "".join(rnd.choice(made if rnd.random() < 0.6 else real) for _ in range(rnd.randint(2, 7)))
        year = rnd.choice([2022, 2023, None])
        reader.forget()
        assert reader.read(text, year) == _read_every_sentence(reader, text, year), text


def test_first_character_lookahead_changes_no_match(reader):
    """first_chars(p) before p: the same matches, groups and spans, for every pattern the reader uses."""
    import random
    import re

    from addin.core.reading import first_chars

    scan = reader._scan.pattern
    assert scan.startswith("(?=[")  # the scan is prefixed in this framework
    plain = scan[scan.index(")(?:") + 4:-1]
    patterns = [plain] + [rx.pattern for _q, rx, _lit in reader._cue_rx] + [rx.pattern for _s, rx, _lit in reader._subj_rx] \
        + [r"a?b", r"(?:x|y)*z", r"\d+(?:\.\d+)?%", r"(?<!控制)编制", r"[^a]b", r"(?i)ab", r"^\s*较"]
    real = [s["text"] for s in CORPUS["sentences"]]
    rnd = random.Random(3)
    texts = real + ["".join(rnd.choice("与较比上年增加减少12.5%万元预算支出编制控制 ab xyz")
                            for _ in range(rnd.randint(0, 40))) for _ in range(300)]
    for p in patterns:
        first = first_chars(p)
        fast = re.compile(f"(?={first})(?:{p})") if first else re.compile(p)
        slow = re.compile(p)
        for t in texts:
            assert [(m.span(), m.groups()) for m in fast.finditer(t)] == \
                [(m.span(), m.groups()) for m in slow.finditer(t)], (p, t)
    assert first_chars(r"a*") == "" and first_chars(r"[^a]b") == "" and first_chars(r"(?i)ab") == ""
    assert first_chars(r"(?<!控制)编制") == "[编]"

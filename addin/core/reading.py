"""Reading the figures written in a report's sentences, driven by a pattern set that is data.

The pattern set lives in the framework file (`[text_reader]`): quantities with their cue
phrases, subjects that re-aim generic cues (“三公”经费 + 预算数 → 三公经费预算), and the
markers of previous-year figures, bounds (≥, 不低于, 目标 …), comparisons and changes.
`read(text, year)` returns one Reading per figure it can attribute; a figure it cannot
attribute is left out (silence is better than a wrong comparison).

Design, in short: the text is scanned into events (cue, subject, number, marker) and a small
state machine walks them sentence by sentence. A cue names the quantity of the next number
(one value per cue); “较/比/同比 … 增加 N” gives a change of the current quantity, with the
number between the comparison word and the change word being last year's value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

AMOUNT_UNITS = {"元": 1.0, "万元": 1e4, "亿元": 1e8}
KIND_UNITS = {
    "amount": set(AMOUNT_UNITS),
    "rate": {"%"},
    "count": {"人", "名", "个", "项", "户", "家"},
    "score": {"分"},
}
WHEN = ("this", "prev", "bound", "other")
ROLES = ("value", "change", "growth", "share")

_NUMBER = r"(?P<num>-?(?:\d{1,3}(?:[,，]\d{3})+|\d+)(?:\.\d+)?)\s*(?P<unit>亿元|万元|元|%|％|个百分点|分|人|名|个|项|户|家)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})\s*年(?!\s*[0-9]{1,2}\s*月)"
_SEP = "。；;！？!?\n"
_DIGIT = re.compile(r"\d")  # as _NUMBER's: a sentence without one holds no figure
_SENTENCE = re.compile(f"[^{_SEP}]+[{_SEP}]?")


class PatternError(ValueError):
    """A `[text_reader]` section that cannot be used (message names the entry)."""


@dataclass(frozen=True)
class Quantity:
    id: str
    label: str
    kind: str  # amount / rate / count / score
    cues: tuple[str, ...]
    generic: bool = False  # only meaningful under a subject (预算数, 决算数 …)
    this: tuple[str, ...] = ()  # workbook names holding this year's figure (any may match)
    prev: tuple[str, ...] = ()  # … last year's
    growth: tuple[str, ...] = ()  # … the growth rate against last year
    default: str | None = None  # for a generic cue opening a clause with no subject


@dataclass(frozen=True)
class Subject:
    id: str
    pattern: str
    remap: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Reading:
    quantity: str
    value: float  # as written (in `unit`); changes and growth are signed
    unit: str  # "" when the text gives none
    when: str  # this / prev / bound / other
    role: str  # value / change / growth / share
    start: int
    end: int
    written: str  # the number as written, for precision
    cue_start: int = -1  # where the phrase that names the figure begins (for quoting it)

    def quote(self, text: str) -> str:
        """The words of the text that state this figure (“年初预算为 349.2 万元”)."""
        start = self.cue_start if 0 <= self.cue_start < self.start else self.start
        return text[start:self.end].strip("，,；; ")

    @property
    def decimals(self) -> int:
        w = self.written.replace(",", "").replace("，", "")
        return len(w.split(".")[1]) if "." in w else 0

    def scaled(self) -> float:
        """The value in the workbook's units: 元 for amounts, a fraction for %."""
        if self.unit in AMOUNT_UNITS:
            return self.value * AMOUNT_UNITS[self.unit]
        if self.unit == "%":
            return self.value / 100.0
        return self.value


@dataclass
class PatternSet:
    quantities: dict[str, Quantity]
    subjects: list[Subject]
    prev_markers: str
    this_markers: str
    bound_before: str
    bound_after: str
    compare_open: str  # 较/比/同比 … until the change word
    compare_closed: str  # 与上年相比 (self-contained)
    up_words: str
    down_words: str
    share_words: str
    connectors: str
    max_gap: int = 4
    _scan: re.Pattern | None = None
    # the same text is read by several rules (and the report): remember recent readings
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    # ---------------------------------------------------------------- loading
    @classmethod
    def from_data(cls, data: dict, known_names: set[str] | None = None) -> "PatternSet":
        """Build from the `[text_reader]` table of a framework file; raise PatternError on bad entries."""
        if not isinstance(data, dict):
            raise PatternError("[text_reader] 应为表")
        m = data.get("markers", {})
        qs: dict[str, Quantity] = {}
        for i, q in enumerate(data.get("quantities", [])):
            where = f"text_reader.quantities[{i}]"
            qid = q.get("id")
            if not qid or not isinstance(qid, str):
                raise PatternError(f"{where} 缺少 id")
            kind = q.get("kind")
            if kind not in KIND_UNITS:
                raise PatternError(f"{where}（{qid}）的 kind 须为 {'/'.join(KIND_UNITS)}")
            cues = q.get("cues", [])
            if not cues or not all(isinstance(c, str) and c for c in cues):
                raise PatternError(f"{where}（{qid}）需要 cues（句式列表）")
            for c in cues:
                _compile(c, f"{where}（{qid}）的句式“{c}”")
            names = {}
            for key in ("this", "prev", "growth"):
                v = q.get(key, [])
                names[key] = tuple([v] if isinstance(v, str) else v)
                for n in names[key]:
                    if known_names is not None and n not in known_names:
                        raise PatternError(f"{where}（{qid}）的 {key} “{n}” 不是工作簿中的名称")
            if qid in qs:
                raise PatternError(f"{where} 的 id “{qid}” 重复")
            qs[qid] = Quantity(qid, q.get("label", qid), kind, tuple(cues), bool(q.get("generic", False)),
                               names["this"], names["prev"], names["growth"], q.get("default"))
        subs = []
        for i, s in enumerate(data.get("subjects", [])):
            where = f"text_reader.subjects[{i}]"
            _compile(s.get("pattern", ""), where)
            remap = dict(s.get("remap", {}))
            for a, b in remap.items():
                if a not in qs or (b and b not in qs):
                    raise PatternError(f"{where} 的 remap “{a} → {b}” 引用了未声明的数量")
            subs.append(Subject(s.get("id", f"subject{i}"), s["pattern"], remap))

        def alt(key: str, default: Iterable[str]) -> str:
            words = m.get(key, list(default))
            for w in words:
                _compile(w, f"text_reader.markers.{key}“{w}”")
            return "|".join(f"(?:{w})" for w in words) if words else "(?!)"

        ps = cls(qs, subs,
                 prev_markers=alt("prev", ["上年度?", "去年", "上一年度?"]),
                 this_markers=alt("this", ["本年度?", "今年", "当年"]),
                 bound_before=alt("bound_before", ["≥", "≤", "不低于", "不少于", "不超过", "目标"]),
                 bound_after=alt("bound_after", ["以上", "以下", "以内"]),
                 compare_open=alt("compare_open", ["较", "比", "同比"]),
                 compare_closed=alt("compare_closed", ["与[^，,。；]{0,12}?相比"]),
                 up_words=alt("up", ["增加", "增长", "增"]),
                 down_words=alt("down", ["减少", "下降", "降低", "减"]),
                 share_words=alt("share", ["占"]),
                 connectors=m.get("connectors", "为是共计合达到约的:：|\\s"),
                 max_gap=int(m.get("max_gap", 4)))
        ps._build()
        return ps

    def _build(self) -> None:
        parts = []
        # named groups: one per event type; quantity cues and subjects are found separately
        parts.append(f"(?P<cmpc>{self.compare_closed})")
        parts.append(_YEAR)
        parts.append(f"(?P<bound>{self.bound_before})")
        parts.append(f"(?P<share>{self.share_words})")
        parts.append(f"(?P<down>{self.down_words})(?:了|幅(?:为|度为)?)?")
        parts.append(f"(?P<up>{self.up_words})(?:了|幅(?:为|度为)?)?")
        parts.append(f"(?P<cmpo>{self.compare_open})")
        parts.append(f"(?P<prev>{self.prev_markers})")
        parts.append(f"(?P<this>{self.this_markers})")
        parts.append(_NUMBER)
        scan = "|".join(parts)
        # a look at the first character first: most positions of a sentence start no event at all
        first = first_chars(scan)
        self._scan = re.compile(f"(?={first})(?:{scan})" if first else scan)
        # each pattern with a literal every match contains: a sentence without it is not scanned
        self._cue_rx = [(q, re.compile(c), required_literal(c)) for q in self.quantities.values() for c in q.cues]
        self._subj_rx = [(s, re.compile(s.pattern), required_literal(s.pattern)) for s in self.subjects]
        # … and by that literal's first character, so a sentence looks only at the cues it may hold
        self._cue_always = [i for i, (_q, _rx, lit) in enumerate(self._cue_rx) if not lit]
        self._cue_by_char: dict[str, list[int]] = {}
        for i, (_q, _rx, lit) in enumerate(self._cue_rx):
            if lit:
                self._cue_by_char.setdefault(lit[0], []).append(i)
        self._cue_chars = frozenset(self._cue_by_char)
        self._conn = re.compile(f"[{self.connectors}]")
        self._bound_after_rx = re.compile(f"\\s*(?:{self.bound_after})")  # “… 以上”
        # a sentence opening with a comparison (“较上年增加 …”) speaks of the previous sentence's quantity
        self._lead_cmp = re.compile(f"(?:{_YEAR}\\s*)?(?:{self.compare_open}|{self.compare_closed}|{self.up_words}|{self.down_words})")

    # ---------------------------------------------------------------- reading
    def read(self, text: str, year: int | None = None) -> list[Reading]:
        key = (text, year)
        hit = self._memo.get(key)
        if hit is not None:
            return list(hit)  # Readings are frozen; the list is the caller's own
        out = self._read(text, year)
        if len(self._memo) >= 4096:
            self._memo.clear()
        self._memo[key] = tuple(out)
        return out

    def forget(self) -> None:
        """Drop remembered readings (a new workbook: its texts, not the last one's, are what repeats)."""
        self._memo.clear()

    def _read(self, text: str, year: int | None) -> list[Reading]:
        text = _normalise(text)
        out: list[Reading] = []
        if not _DIGIT.search(text):
            return out  # no figure written at all (most paragraphs of a report's narrative)
        last_q: Quantity | _Carry | None = None
        for m in _SENTENCE.finditer(text):
            sent, off = m.group(0), m.start()
            if not _DIGIT.search(sent):
                # no figure to read here; what it carries to the next sentence is worked out only if asked
                last_q = _Carry(sent, last_q)
                continue
            readings, last_q = self._read_sentence(sent, off, year, last_q)
            out.extend(readings)
        return out

    def _carried(self, carried: "Quantity | _Carry | None") -> Quantity | None:
        """The quantity a sentence hands on: for a sentence passed over, read it now."""
        passed = []
        while isinstance(carried, _Carry):  # a loop, not recursion: a text may pass over many
            passed.append(carried.sent)
            carried = carried.before
        for sent in reversed(passed):
            carried = self._read_sentence(sent, 0, None, carried)[1]
        return carried

    def _cue_events(self, sent: str) -> list[tuple[int, int, str, object]]:
        """The cues and subjects of a sentence."""
        ev: list[tuple[int, int, str, object]] = []
        cues = []
        maybe = self._cue_always + [i for ch in self._cue_chars.intersection(sent) for i in self._cue_by_char[ch]]
        maybe.sort()  # declaration order: of two equal cues the first declared is kept
        for i in maybe:
            q, rx, lit = self._cue_rx[i]
            if lit and lit not in sent:
                continue
            for m in rx.finditer(sent):
                if m.end() > m.start():
                    cues.append((m.start(), m.end(), q))
        # a cue inside a longer cue of another quantity is not a cue (行政编制 ⊃ 编制)
        cues.sort(key=lambda c: (c[0], -(c[1] - c[0])))
        kept = []
        for c in cues:
            if any(k[0] <= c[0] and c[1] <= k[1] and (k[1] - k[0]) > (c[1] - c[0]) for k in cues):
                continue
            if any(k[0] == c[0] and k[1] == c[1] for k in kept):
                continue
            kept.append(c)
        ev += [(s, e, "cue", q) for s, e, q in kept]
        for subj, rx, lit in self._subj_rx:
            if lit and lit not in sent:
                continue
            ev += [(m.start(), m.end(), "subject", subj) for m in rx.finditer(sent) if m.end() > m.start()]
        return ev

    def _events(self, sent: str, ev: list[tuple[int, int, str, object]]) -> list[tuple[int, int, str, object]]:
        """All events of a sentence in order: its cue events `ev` and the markers and numbers."""
        taken = [(s, e) for s, e, k, _q in ev if k == "cue"]
        for m in self._scan.finditer(sent):
            kind = m.lastgroup if m.lastgroup not in ("num", "unit") else "num"
            if m.group("num") is not None:
                kind = "num"
            elif m.group("year") is not None:
                kind = "year"
            if kind != "num" and any(s <= m.start() < e for s, e in taken):
                continue  # a marker word inside a cue (“增长率”, “比率”) is part of the cue
            if kind == "num" and any(s < m.end() and m.start() < e for s, e in taken):
                continue
            ev.append((m.start(), m.end(), kind, m))
        ev.sort(key=lambda x: (x[0], 0 if x[2] in ("cue", "subject") else 1))
        return ev

    def _read_sentence(self, sent: str, off: int, year: int | None, carried: Quantity | None):
        out: list[Reading] = []
        ev = self._cue_events(sent)
        if not _DIGIT.search(sent) and not any(k == "cue" for _s, _e, k, _o in ev):
            # no figure and no quantity named: nothing read, and only a leading comparison carries on
            lead = carried is not None and self._lead_cmp.match(_lead_stripped(sent))
            return out, (self._carried(carried) if lead else None)
        ev = self._events(sent, ev)
        q: Quantity | None = None  # quantity the next value belongs to (fresh cue)
        q_start = q_end = 0
        cur: Quantity | None = None  # quantity of this sentence, for shares and comparison bases
        cur_amount: Quantity | None = None  # … its last amount or count, for changes and growth
        last_read: str | None = None  # quantity of the figure just read (a share follows it)
        subject: Subject | None = None
        pending_prev = pending_bound = False
        pending_other = False
        bound_at = 0
        change: int = 0  # +1 up, -1 down
        share = False
        comparing = False
        last_end = 0
        read_value_of: set[str] = set()
        q_seen: dict[str, int] = {}  # where a quantity's value was read (a later one after 其中 is a part)
        starts_with_cmp = self._lead_cmp.match(_lead_stripped(sent)) is not None
        if starts_with_cmp and carried is not None:
            cur = cur_amount = self._carried(carried)
        for s, e, kind, obj in ev:
            gap = sent[last_end:s]
            if kind == "subject":
                subject = obj
                last_end = max(last_end, e)
                continue
            if kind == "cue":
                if comparing or share:
                    last_end = max(last_end, e)
                    continue  # the base of a comparison or a share (“较上年决算数”, “占支出总预算”)
                qq = self._resolve(obj, subject)
                if qq is None and obj.generic and obj.default and subject is None \
                        and re.fullmatch(r"[\s\d年度,，:：、.]*", sent[_clause_start(sent, s):s]):
                    qq = self.quantities.get(obj.default)
                if qq is not None:
                    q = cur = qq
                    q_start = s
                    if qq.kind != "rate":
                        cur_amount = qq
                    q_end = e
                last_end = max(last_end, e)
                continue
            m: re.Match = obj
            if kind == "cmpc":
                last_end = e
                continue
            if kind == "cmpo":
                comparing = True
            elif kind == "year":
                y = int(m.group("year"))
                if year is not None and not comparing:
                    pending_prev = y == year - 1
                    pending_other = y not in (year, year - 1)
            elif kind == "prev":
                if not comparing:
                    pending_prev = True
            elif kind == "this":
                pending_prev = pending_other = False
            elif kind == "bound":
                pending_bound = True
                bound_at = e
            elif kind == "share":
                share = True
            elif kind in ("up", "down"):
                change = 1 if kind == "up" else -1
                comparing = False
            elif kind == "num":
                if pending_bound and re.search("[，,]", sent[bound_at:s]):
                    pending_bound = False  # a bound word governs its own clause only
                if q is not None and not change and not share and not comparing and q.id in read_value_of \
                        and "其中" in sent[q_seen.get(q.id, 0):s]:
                    q = None  # “总支出 125.08 万元，其中本年支出 116.12 万元”: a part, not the total again
                r = self._number(m, sent, off, s, e, q, cur_amount if change else cur,
                                 q_start, q_end if q is not None else None, last_end,
                                 pending_prev, pending_bound, pending_other, change, share, comparing,
                                 {last_read} if last_read else set())
                last_read = r.quantity if r is not None and r.role == "value" else None
                if r is not None:
                    out.append(r)
                    if r.role == "value":
                        read_value_of.add(r.quantity)
                        q_seen[r.quantity] = e
                        if r.when != "prev" or not comparing:
                            q = None  # one value per cue
                    if comparing and r.when == "prev":
                        pass
                # a number ends the markers it used, whether read or not
                pending_prev = pending_bound = pending_other = False
                share = False
                if change:
                    change = 0
                    comparing = False
                last_end = e
                continue
            last_end = max(last_end, e)
            del gap
        return out, (cur_amount if cur_amount is not None else cur)

    def _resolve(self, q: Quantity, subject: Subject | None) -> Quantity | None:
        if subject is not None and q.id in subject.remap:
            target = subject.remap[q.id]
            return self.quantities.get(target) if target else None
        if subject is not None and q.generic:
            return None
        return None if q.generic else q

    def _number(self, m, sent, off, s, e, q, cur, q_start, q_end, last_end, prev, bound, other, change, share, comparing,
                read_value_of) -> Reading | None:
        written = m.group("num")
        unit = (m.group("unit") or "").replace("％", "%")
        if unit == "个百分点":
            return None
        value = float(written.replace(",", "").replace("，", ""))
        after = sent[e:e + 3]
        if self._bound_after_rx.match(after):
            bound = True
        if change:
            target = _non_rate(cur)
            if target is None:
                return None
            if unit == "%":
                role = "growth"
            elif unit in AMOUNT_UNITS or (unit == "" and target.kind == "amount"):
                role = "change"
                if target.kind != "amount":
                    return None
            elif unit in KIND_UNITS.get(target.kind, set()):
                role = "change"
            else:
                return None
            return Reading(target.id, change * abs(value), unit, "bound" if bound else "this", role,
                           off + m.start("num"), off + e, written, off + _clause_start(sent, s))
        if share:
            if cur is None or cur.id not in read_value_of or unit != "%":
                return None
            return Reading(cur.id, value, unit, "this", "share", off + m.start("num"), off + e, written,
                           off + _clause_start(sent, s))
        if comparing:
            # the base of a comparison: last year's value of the sentence's quantity
            if cur is None or cur.kind != "amount" or not (unit in AMOUNT_UNITS or unit == ""):
                return None
            return Reading(cur.id, value, unit, "prev", "value", off + m.start("num"), off + e, written,
                           off + _clause_start(sent, s))
        if q is None or q_end is None:
            return None
        gap = sent[q_end:s]
        gap = re.sub(r"\d[\d.,，]*\s*(?:个|项|名|人)?", "", gap)  # figures of another kind in between (8个项目)
        if len(self._conn.sub("", gap)) > self.max_gap:
            return None
        if not _unit_fits(q.kind, unit, value, direct=len(self._conn.sub("", gap)) == 0):
            return None
        when = "bound" if bound else ("prev" if prev else ("other" if other else "this"))
        return Reading(q.id, value, unit, when, "value", off + m.start("num"), off + e, written, off + q_start)


@dataclass(frozen=True)
class _Carry:
    """A sentence without figures, not yet read: what it hands on is needed only before a comparison."""

    sent: str
    before: "Quantity | _Carry | None"


def _lead_stripped(sent: str) -> str:
    """A sentence without its list number (“3.”, “（二）”)."""
    return sent.lstrip(" 0123456789.、（）()一二三四五六七八九十")


def _clause_start(sent: str, pos: int) -> int:
    cut = max(sent.rfind(c, 0, pos) for c in "，,；;：:")
    return cut + 1 if cut >= 0 else 0


def _non_rate(q: Quantity | None) -> Quantity | None:
    return q if q is not None and q.kind != "rate" else None


def _unit_fits(kind: str, unit: str, value: float, *, direct: bool) -> bool:
    if unit:
        return unit in KIND_UNITS[kind]
    if kind in ("count", "score"):
        return direct  # table cells: “编制数 | 34”, “自评总分(分)97.6”
    if kind == "amount":
        return value == 0  # “存量资金为0”
    return False


def _parse_tree(pattern: str):
    """(re's parse tree of a case-sensitive pattern, re's constants); (None, None) when unsure.

    A case-insensitive pattern gets None: its literals may appear in another case."""
    try:
        from re import _constants as sre_c, _parser as sre_p  # noqa: PLC0415

        tree = sre_p.parse(pattern)
    except Exception:  # another Python's private parser, or a pattern we could not parse
        return None, None
    return (None, None) if tree.state.flags & re.IGNORECASE else (tree, sre_c)


def required_literal(pattern: str) -> str:
    """The longest run of plain characters every match of `pattern` contains ("" when none is sure).

    Only the top level counts (an optional or repeated part may be absent); a case-insensitive
    pattern gets "" (its literal may appear in another case).
    """
    tree, sre_c = _parse_tree(pattern)
    if tree is None:
        return ""
    best = run = ""
    for op, arg in tree:
        if op is sre_c.LITERAL:
            run += chr(arg)
            best = max(best, run, key=len)
        else:
            run = ""
    return best


def first_chars(pattern: str) -> str:
    """A character class holding every character a match of `pattern` can begin with ("" when unsure).

    `(?=class)` before the pattern then changes no match, only how fast positions that start
    none are passed over (re tries each alternative at every position otherwise).
    """
    tree, sre_c = _parse_tree(pattern)
    if tree is None:
        return ""
    cats = {sre_c.CATEGORY_DIGIT: r"\d", sre_c.CATEGORY_NOT_DIGIT: r"\D", sre_c.CATEGORY_SPACE: r"\s",
            sre_c.CATEGORY_NOT_SPACE: r"\S", sre_c.CATEGORY_WORD: r"\w", sre_c.CATEGORY_NOT_WORD: r"\W"}
    found: list[str] = []

    def seq(items) -> bool | None:
        """Add the first characters of a sequence; whether it can match nothing (None: unsure)."""
        for op, av in items:
            empty = item(op, av)
            if empty is None or not empty:
                return empty
        return True

    def item(op, av) -> bool | None:
        if op is sre_c.LITERAL:
            found.append(re.escape(chr(av)))
            return False
        if op is sre_c.IN:
            for o, a in av:
                if o is sre_c.LITERAL:
                    found.append(re.escape(chr(a)))
                elif o is sre_c.RANGE:
                    found.append(f"{re.escape(chr(a[0]))}-{re.escape(chr(a[1]))}")
                elif o is sre_c.CATEGORY and a in cats:
                    found.append(cats[a])
                else:  # a negated set, or a category we do not spell
                    return None
            return False
        if op is sre_c.SUBPATTERN:
            return None if av[1] & re.IGNORECASE else seq(av[3])
        if op is sre_c.BRANCH:
            empties = [seq(p) for p in av[1]]
            return None if None in empties else any(empties)
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            empty = seq(av[2])
            return None if empty is None else (empty or av[0] == 0)
        if op in (sre_c.ASSERT, sre_c.ASSERT_NOT, sre_c.AT):
            return True  # takes no character: the first one comes after it
        return None

    if seq(tree) is not False:
        return ""  # may match nothing (anywhere), or a part we cannot follow
    return "[" + "".join(dict.fromkeys(found)) + "]"


def _compile(p: str, where: str) -> re.Pattern:
    try:
        return re.compile(p)
    except re.error as e:
        raise PatternError(f"{where} 的正则表达式有误：{e}") from None


_PAREN = re.compile(r"[（(][^（()）]{0,80}[)）]")
_SIGN_WORD = re.compile(r"[（(](减少?|增加?|下降|降低|增长)[)）]")


def _normalise(text: str) -> str:
    """Parenthesised asides are not read (含…, 系统无法导出…); offsets are kept."""
    text = _SIGN_WORD.sub(lambda m: m.group(1).ljust(len(m.group(0))), text)
    return _PAREN.sub(lambda m: " " * len(m.group(0)), text)

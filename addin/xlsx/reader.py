"""Read a workbook file into BookData: defined names resolved, one pass per sheet.

Each needed sheet is streamed once (xlsx.stream, not openpyxl: only the rows and columns
that hold named cells); formulas are kept as formulas (never cached values), so the core
recomputes everything from the inputs.

Names are checked against the template's layout: a named cell whose row label (三级指标,
项目, 表头...) belongs to another row — rows were inserted or deleted by a program that did
not move the names — is marked as a problem instead of being read from the wrong cell.
"""
from __future__ import annotations

import gc
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..core.errors import InputError
from ..core.contract import SHEETS, contract_for, is_ours
from ..core.model import META_FRAMEWORK, META_VERSION, BookData, Cell, NameRef
from .files import check_workbook_file, unreadable
from .stream import (MalformedPart, Workbook, column_index, destinations, get_column_letter, range_bounds,
                     split_coordinate)

_FRAMEWORK_ID = re.compile(r"^[a-z][a-z0-9_]{0,40}$")  # as addin.core.framework: an id, never a path
# Excel writes characters XML cannot hold as _xHHHH_ (ECMA-376 ST_Xstring); openpyxl leaves them escaped
_XSTRING_ESCAPE = re.compile(r"(?<!_)_x([0-9A-Fa-f]{4})_")
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # kept out of messages (terminal escapes)
_FLOAT_MAX_INT = 2 ** 53  # beyond this an integer is not a value Excel can hold exactly
_REQUIRED_MARK = re.compile(r"\s*\(必填\)$")


def _parse_ref(ref: str) -> tuple[int, int, int, int] | None:
    try:
        min_col, min_row, max_col, max_row = range_bounds(ref)
    except (ValueError, TypeError):
        return None
    if None in (min_col, min_row, max_col, max_row):
        return None
    return min_col, min_row, max_col, max_row


def defined_constant(attr_text: str) -> str | None:
    m = re.fullmatch(r'\s*="?([^"]*)"?\s*|\s*"([^"]*)"\s*', attr_text or "")
    if not m:
        return None
    return m.group(1) if m.group(1) is not None else m.group(2)


def unescape_xstring(text: str) -> str:
    """'a_x000B_b' -> 'a\\x0bb', as Excel shows it."""
    if "_x" not in text:
        return text
    return _XSTRING_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _plain_value(v: Any) -> Any:
    if isinstance(v, str):
        return unescape_xstring(v)
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > _FLOAT_MAX_INT:
        # a 400-digit <v> would overflow every float conversion downstream
        try:
            return float(v)
        except OverflowError:
            return float("inf") if v > 0 else float("-inf")
    return v


@contextmanager
def _gc_paused():
    """No collections while thousands of small objects are made (none of them form cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_book(path: str | Path) -> BookData:
    parts: dict[str, bytes] = {}
    members: set[str] = set()
    # the one screening (not-xlsx, zip bombs, CRC, DOCTYPE/ENTITY in any part); its reads are kept
    p = check_workbook_file(path, keep=parts, members=members)
    with _gc_paused():
        try:
            wb = Workbook(p, parts, members)
        except Exception as e:  # a package that opens as a zip but not as a workbook
            raise unreadable(p, e) from e
        try:
            return _read(wb, str(path))
        except InputError:
            raise
        except MalformedPart as e:
            raise InputError(f"{p.name} 无法作为工作簿读取：{e}。请在 Excel/WPS 中打开（可尝试“打开并修复”）"
                             "后另存为 .xlsx 再试") from e
        except Exception as e:  # a sheet is parsed only now: a broken sheet fails here
            err = unreadable(path, e, generic=False)
            if err is None:
                raise
            raise err from e
        finally:
            wb.close()


# ---------------------------------------------------------------- where the template puts labels
def _norm_label(v: Any) -> str:
    if v is None:
        return ""
    return _norm_text(v if isinstance(v, str) else str(v))


@lru_cache(maxsize=4096)
def _norm_text(s: str) -> str:  # a template's labels repeat in every department's workbook
    s = unicodedata.normalize("NFKC", s).strip()
    return _REQUIRED_MARK.sub("", s)


def book_contract(framework_id: str | None):
    """The workbook contract of the framework the book names; None when it cannot be loaded (reported later)."""
    if not framework_id:
        return None
    try:
        from ..core.framework import load_framework  # noqa: PLC0415

        return contract_for(load_framework(framework_id))
    except Exception:
        return None


def _read(wb, source: str) -> BookData:
    sheets = list(wb.sheetnames)
    framework_id = template_version = None
    try:
        defined = list(wb.defined_names.items())
    except Exception as e:  # pragma: no cover - defensive: malformed workbook.xml
        raise InputError(f"无法读取工作簿的名称定义：{e}") from None
    for name, dn in defined:
        if name == META_FRAMEWORK:
            framework_id = defined_constant(dn.attr_text)
        elif name == META_VERSION:
            template_version = defined_constant(dn.attr_text)
    if framework_id is not None and not _FRAMEWORK_ID.match(framework_id):
        # a workbook names its framework by id; a path here would make jxzp read (or fetch) another file
        shown = _INVISIBLE.sub("", framework_id[:60])
        raise InputError(f"{Path(source).name} 的名称 jx_framework 为“{shown}”，不是指标体系标识（如 gd_county_2022）。"
                         "工作簿不能指定指标体系文件的路径；请在“公式→名称管理器”中改回模板中的标识，"
                         "或用 jxzp new 生成新模板后把数据复制过去")
    contract = book_contract(framework_id)
    plan = _layout(tuple((name, dn.attr_text or "") for name, dn in defined), tuple(sheets), framework_id, contract)
    names: dict[str, NameRef] = {}
    missing_sheet_refs: list[tuple[NameRef, str]] = []
    wanted: dict[str, dict[tuple[int, int], Cell]] = {}
    sheet_cells: dict[str, list[Cell]] = {}
    for sheet, (keys, coords) in plan.cells.items():
        made = sheet_cells[sheet] = [Cell(sheet, coord) for coord in coords]
        wanted[sheet] = dict(zip(keys, made))
    for name, problem, sheet, picks in plan.names:
        ref = names[name] = NameRef(name)
        if problem is not None:
            ref.problem = problem
        elif picks is None:
            missing_sheet_refs.append((ref, sheet))
        else:
            made = sheet_cells[sheet]
            ref.cells = [made[i] for i in picks]
    checks = [(names[c[0]], *c[1:]) for c in plan.checks]
    label_cols = plan.label_cols
    label_at: dict[str, dict[tuple[int, int], Any]] = {}  # sheet -> (row, col) -> label value read
    _explain_missing_sheets(missing_sheet_refs, sheets, framework_id)

    overflow_cols: dict[str, tuple[str, int, int]] = {}
    for nm in (contract.overflow_keys() if contract else ()):
        ref = names.get(nm)
        if ref and ref.cells and not ref.problem:
            last = ref.cells[-1]
            col_letter, row = split_coordinate(last.coord)
            overflow_cols[nm] = (last.sheet, column_index(col_letter), row)

    overflow: dict[str, list[Cell]] = {}
    for sheet, cells in wanted.items():
        ws = wb[sheet]
        if ws is None:  # a chart sheet: nothing to read
            continue
        extra = [(nm, col, row) for nm, (sh, col, row) in overflow_cols.items() if sh == sheet]
        lcols = label_cols.get(sheet, set())
        min_row, max_row, min_col, max_col = plan.bounds[sheet]
        if lcols:  # labels may have moved below the named rows (rows inserted above them)
            min_row = max(1, min_row - 1)
            max_row = min(max(max_row, ws.max_row or max_row), max_row + 1000)
        if extra:
            max_row = max(max_row, ws.max_row or max_row)
        labels = label_at.setdefault(sheet, {})
        # one streaming pass over the rows and columns that hold named cells (and their labels)
        for r, c, value, formula in ws.iter_cells(min_row, max_row, min_col, max_col):
            if formula is not None:
                shown = _plain_value(formula)
            else:
                if value is not None and value.__class__ is not float:  # a float needs nothing
                    value = _plain_value(value)
                shown = value
            rc = (r, c)
            if shown is not None and c in lcols:
                labels[rc] = shown
            target = cells.get(rc)
            if target is not None:
                target.value, target.formula = value, formula
                continue
            for nm, col, last_row in extra:
                if c == col and r > last_row and shown not in (None, ""):
                    overflow.setdefault(nm, []).append(Cell(sheet, f"{get_column_letter(col)}{r}", value, formula))
    expected_on: dict[str, set[str]] = {}
    for check in checks:
        if check[6] is not None:
            expected_on.setdefault(check[1], set()).add(_norm_label(check[7]))
    for check in checks:
        _check_label(check, label_at.get(check[1], {}), expected_on.get(check[1], set()))
    return BookData(source=source, sheets=sheets, names=names, framework_id=framework_id,
                    template_version=template_version, overflow=overflow)


@dataclass(frozen=True)
class _Layout:
    """Where a workbook's names point, worked out once per distinct set of defined names.

    Every department's workbook made from one template has the same names, so a batch review
    resolves them once; the cells themselves are new for every file.
    """

    cells: dict  # sheet -> ((row, col) keys, coordinates): each named cell once
    names: tuple  # (name, problem, sheet, indexes into that sheet's cells | None when the sheet is missing)
    checks: tuple  # (name, sheet, c1, r1, c2, r2, label column | None, label) for _check_label
    label_cols: dict  # sheet -> set of label columns
    bounds: dict  # sheet -> (min row, max row, min col, max col) of its named cells and label columns


_LAYOUTS: dict[tuple, _Layout] = {}


def _layout(defined: tuple[tuple[str, str], ...], sheets: tuple[str, ...], framework_id, contract) -> _Layout:
    key = (defined, sheets, framework_id)
    hit = _LAYOUTS.get(key)
    if hit is None:
        if len(_LAYOUTS) >= 8:
            _LAYOUTS.clear()
        hit = _LAYOUTS[key] = _make_layout(defined, sheets, contract)
    return hit


def _make_layout(defined, sheets, contract) -> _Layout:
    expect = contract.expectations() if contract else {}
    index: dict[str, dict[tuple[int, int], int]] = {}  # sheet -> (row, col) -> position in coords
    coords: dict[str, list[str]] = {}
    names, checks, label_cols = [], [], {}
    for name, text in defined:
        if name in (META_FRAMEWORK, META_VERSION) or not is_ours(name):
            continue
        if "#REF!" in text:
            names.append((name, "#REF!", None, None))
            continue
        try:
            dests = destinations(text)
        except Exception:
            names.append((name, f"无法解析：{text}", None, None))
            continue
        if len(dests) != 1:
            names.append((name, f"指向多个区域或不是单元格：{text}", None, None))
            continue
        sheet, coord = dests[0]
        if sheet not in sheets:
            names.append((name, None, sheet, None))
            continue
        bounds = _parse_ref(coord)
        if bounds is None:
            names.append((name, f"不是单元格区域：{text}", None, None))
            continue
        c1, r1, c2, r2 = bounds
        if (c2 - c1 + 1) * (r2 - r1 + 1) > 100_000:
            names.append((name, f"区域过大：{text}", None, None))
            continue
        at = index.setdefault(sheet, {})
        listed = coords.setdefault(sheet, [])
        letters = [get_column_letter(c) for c in range(c1, c2 + 1)]
        picks = []
        for r in range(r1, r2 + 1):
            for c, letter in zip(range(c1, c2 + 1), letters):
                i = at.get((r, c))
                if i is None:
                    i = at[(r, c)] = len(listed)
                    listed.append(f"{letter}{r}")
                picks.append(i)
        names.append((name, None, sheet, tuple(picks)))
        if name in expect:
            lcol, label = expect[name]
            if lcol is None and r1 > 1:  # a table column: header just above
                checks.append((name, sheet, c1, r1, c2, r2, None, label))
                label_cols.setdefault(sheet, set()).add(c1)
            elif lcol is not None and (r1, c1) == (r2, c2):
                checks.append((name, sheet, c1, r1, c2, r2, lcol, label))
                label_cols.setdefault(sheet, set()).add(lcol)
    cells = {sheet: (tuple(at), tuple(coords[sheet])) for sheet, at in index.items()}
    bounds = {}
    for sheet, at in index.items():
        rows = [r for r, _c in at]
        cols = [c for _r, c in at] + list(label_cols.get(sheet, ()))
        bounds[sheet] = (min(rows), max(rows), min(cols), max(cols))
    return _Layout(cells, tuple(names), tuple(checks), label_cols, bounds)


def _explain_missing_sheets(refs: list[tuple[NameRef, str]], sheets: list[str], framework_id: str | None) -> None:
    """A name pointing at a sheet that is gone; when an unknown sheet exists, it was probably renamed."""
    if not refs:
        return
    contract = book_contract(framework_id)
    known = contract.known_sheets() if contract else set(SHEETS.fixed()) | {SHEETS.marks}
    unknown = [s for s in sheets if s not in known]
    for ref, sheet in refs:
        hint = ""
        if unknown:
            shown = "”“".join(unknown[:3])
            hint = f"（工作簿中有模板之外的工作表“{shown}”，是否把“{sheet}”改了名？请改回“{sheet}”）"
        ref.problem = f"指向不存在的工作表“{sheet}”{hint}"


def _check_label(check, labels: dict[tuple[int, int], Any], items: set[str]) -> None:
    """Mark a name whose row (or table header) shows another item: it was left behind when rows moved."""
    ref, sheet, c1, r1, c2, r2, lcol, expected = check
    want = _norm_label(expected)
    if lcol is None:  # table column: header directly above the first row
        actual = _norm_label(labels.get((r1 - 1, c1)))
        if actual == want:
            return
        found = sorted(r for (r, c), v in labels.items() if c == c1 and r != r1 - 1 and _norm_label(v) == want)
        if not found:
            return  # header text edited by the user: trust the name
        shift = found[0] + 1 - r1
        col = get_column_letter(c1)
        ref.problem = (f"指向 {sheet}!{col}{r1}:{col}{r2}，但表头“{expected}”在第 {found[0]} 行（插入或删除行后名称没有随之移动）。"
                       f"请在“公式→名称管理器”中把它改为 ='{sheet}'!${col}${r1 + shift}:${col}${r2 + shift}")
        return
    actual_raw = labels.get((r1, lcol))
    actual = _norm_label(actual_raw)
    if actual == want:
        return
    rows = {}
    for (r, c), v in labels.items():
        if c == lcol:
            rows.setdefault(_norm_label(v), []).append(r)
    elsewhere = [r for r in rows.get(want, []) if r != r1]
    other_item = bool(actual) and actual in items  # the row of another item
    if not elsewhere and not other_item:
        return  # label edited by the user, or the row moved out of sight: trust the name
    col = get_column_letter(c1)
    shown = f"“{_INVISIBLE.sub('', str(actual_raw)).strip()[:30]}”" if actual else "空行"
    fix = (f"请在“公式→名称管理器”中把它改为 ='{sheet}'!${col}${elsewhere[0]}" if elsewhere
           else f"请在“公式→名称管理器”中把它改为“{expected}”所在行的 {col} 列")
    ref.problem = (f"指向 {sheet}!{col}{r1}，但该行是{shown}而不是“{expected}”"
                   f"（插入或删除行后名称没有随之移动，读出的会是别的数）。{fix}")


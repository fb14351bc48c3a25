"""The shape of the code: no import cycles, no private names borrowed across packages, a pure core.

Static (ast) checks over addin/ and docgen/: every import counts, also the lazy ones inside
functions (a cycle through a lazy import is still a cycle a reader must untangle); imports under
`if TYPE_CHECKING:` do not.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("addin", "docgen")
# cycles owned by work in progress elsewhere: (module, module) pairs that may still import each other
KNOWN_CYCLES: set[frozenset[str]] = set()  # none left


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for pkg in PACKAGES:
        for p in (ROOT / pkg).rglob("*.py"):
            parts = list(p.relative_to(ROOT).with_suffix("").parts)
            is_pkg = parts[-1] == "__init__"
            out[".".join(parts[:-1] if is_pkg else parts)] = (p, is_pkg)
    return out


def _imports(tree: ast.AST):
    """Import nodes, skipping `if TYPE_CHECKING:` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in _imports_of(child))
            continue
        yield from _imports_of(node)


def _imports_of(node: ast.AST):
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
    else:
        yield from _imports(node)


def _graph():
    mods = _modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    private: list[tuple[str, str, str]] = []
    for m, (path, is_pkg) in mods.items():
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [(a.name, None) for a in node.names]
            else:
                if node.level:
                    base = m.split(".") if is_pkg else m.split(".")[:-1]
                    base = base[:len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                targets = [(f"{target}.{a.name}" if f"{target}.{a.name}" in mods else target, a.name)
                           for a in node.names]
            for t, name in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if not t or t == m:
                    continue
                edges[m].add(t)
                if name and name.startswith("_") and not name.startswith("__") \
                        and t.rpartition(".")[0] != m.rpartition(".")[0]:
                    private.append((m, t, name))
    return mods, edges, private


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    _, edges, _ = _graph()
    cycles = [c for c in _cycles(edges) if frozenset(c) not in KNOWN_CYCLES]
    assert not cycles, f"import cycles: {cycles}"


def test_no_private_names_borrowed_across_packages():
    _, _, private = _graph()
    assert not private, f"private names imported from another package: {private}"


def test_the_core_is_pure():
    """addin/core: no spreadsheet, Word or web library, no environment, no argparse."""
    banned = re.compile(r"^\s*(from|import)\s+(openpyxl|xlwings|docx|flask|pandas|argparse)\b|os\.environ|getenv\(|Path\.home\(",
                        re.M)
    bad = [str(p.relative_to(ROOT)) for p in (ROOT / "addin" / "core").rglob("*.py")
           if banned.search(p.read_text(encoding="utf-8"))]
    assert not bad, bad


def test_argparse_stays_in_the_cli():
    bad = [str(p.relative_to(ROOT)) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
           if p.name != "cli.py" and re.search(r"^\s*(import argparse|from argparse)", p.read_text(encoding="utf-8"), re.M)]
    assert not bad, bad


def test_name_spelling_lives_in_the_contract():
    """Only addin/core/contract.py spells defined names ("f_" + id, "rpt_text", …)."""
    literal = re.compile(r"""(?<![\w.])f?["'](?:f|p|m|s|n|v|max|sug|sub|grp|rpt|t|wsum|chart)_(?!score["']|gap["'])[a-z{]""")
    bad = []
    for pkg in PACKAGES:
        for p in (ROOT / pkg).rglob("*.py"):
            if p.name == "contract.py":
                continue
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if literal.search(code) or re.search(r"""["'](total_score|adj_total|chart_groups)["']""", code):
                    bad.append(f"{p.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not bad, "\n".join(bad)

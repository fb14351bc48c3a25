"""Regenerate the README's generated tables (workbook contract, validation rules).

Run: python tools/update_readme.py   — tests/test_readme.py fails when README is stale.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def names_table() -> str:
    from addin.core.framework import load_framework
    from addin.service import names_table as rows

    lines = ["| 名称 | 含义 | 类别 | 位置 |", "|---|---|---|---|"]
    for r in rows(load_framework()):
        lines.append(f"| `{r['name']}` | {r['label']} | {r['kind']} | `{r['refers_to']}` |")
    return "\n".join(lines)


def rules_table() -> str:
    from addin.core.validation import RULES
    from addin.core.validation import rules as _  # noqa: F401 - registers the rules

    lines = ["| 规则 | 名称 | 检查什么 |", "|---|---|---|"]
    for r in RULES:
        lines.append(f"| `{r.id}` | {r.title} | {r.description} |")
    return "\n".join(lines)


SECTIONS = {"names": names_table, "rules": rules_table}


def render(text: str) -> str:
    for key, fn in SECTIONS.items():
        begin, end = f"<!-- {key}:begin -->", f"<!-- {key}:end -->"
        pat = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
        if not pat.search(text):
            raise SystemExit(f"README has no {begin} / {end} markers")
        body = fn()
        text = pat.sub(lambda m: f"{begin}\n{body}\n{end}", text)
    return text


def main() -> None:
    readme = ROOT / "README.md"
    old = readme.read_text(encoding="utf-8")
    new = render(old)
    if new != old:
        readme.write_text(new, encoding="utf-8")
        print("README.md updated")
    else:
        print("README.md is up to date")


if __name__ == "__main__":
    main()

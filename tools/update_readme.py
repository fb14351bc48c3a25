"""Regenerate the generated tables in docs/ (workbook contract, validation rules, finding codes).

Run: python tools/update_readme.py   — tests/test_readme.py fails when a table is stale.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def names_table() -> str:
    from addin.app import names_table as rows
    from addin.core.framework import load_framework

    lines = ["| 名称 | 含义 | 类别 | 位置 |", "|---|---|---|---|"]
    for r in rows(load_framework()):
        lines.append(f"| `{r['name']}` | {r['label']} | {r['kind']} | `{r['refers_to']}` |")
    return "\n".join(lines)


def rules_table() -> str:
    from addin.core.validation import RULES

    lines = ["| 规则 | 名称 | 检查什么 |", "|---|---|---|"]
    for r in RULES:
        lines.append(f"| `{r.id}` | {r.title} | {r.description} |")
    return "\n".join(lines)


def codes_table() -> str:
    from addin.core.findings import CODES
    from addin.core.validation import RULES  # noqa: F401 - registers every rule's codes

    lines = ["| 代码 | 严重程度 | 说明模板 |", "|---|---|---|"]
    for code in sorted(CODES):
        c = CODES[code]
        tpl = c.template.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{code}` | {c.severity.value} | {tpl} |")
    return "\n".join(lines)


# file -> {marker: generator}
GENERATED = {
    "docs/names.md": {"names": names_table},
    "docs/validation.md": {"rules": rules_table, "codes": codes_table},
}


def render(text: str, sections: dict) -> str:
    for key, fn in sections.items():
        begin, end = f"<!-- {key}:begin -->", f"<!-- {key}:end -->"
        pat = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
        if not pat.search(text):
            raise SystemExit(f"no {begin} / {end} markers")
        body = fn()
        text = pat.sub(lambda m: f"{begin}\n{body}\n{end}", text)
    return text


def main() -> None:
    for rel, sections in GENERATED.items():
        path = ROOT / rel
        old = path.read_text(encoding="utf-8")
        new = render(old, sections)
        if new != old:
            path.write_text(new, encoding="utf-8")
            print(f"{rel} updated")
        else:
            print(f"{rel} is up to date")


if __name__ == "__main__":
    main()

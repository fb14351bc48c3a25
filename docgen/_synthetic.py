"""Evaluations of any size for the benchmark and the scaling test (not used by the report itself).

The framework is the bundled one with its indicator tree replaced by n qualitative indicators
(3 一级, 二级 groups of 10); the book holds the sample's 基本信息 and 报告文字 and a note per
indicator, so the report grows with n the way a long 自评表 would.
"""
from __future__ import annotations

import tomllib

from addin.core.evaluate import Evaluation, evaluate
from addin.core.framework import FRAMEWORK_DIR, DEFAULT_FRAMEWORK, parse_framework
from addin.core.model import BookData, Cell, NameRef

NOTE = ("本年度我局按照财政部门要求开展相关工作，制度健全、执行到位，相关资料完整，"
        "经自查未发现问题，按评分标准得满分。")


def synthetic_framework(n: int):
    path = FRAMEWORK_DIR / f"{DEFAULT_FRAMEWORK}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    sizes = [n // 3 + (1 if i < n % 3 else 0) for i in range(3)]
    level1, level2, indicators = [], [], []
    k = 0
    for g, size in enumerate(sizes):
        level1.append({"id": f"g{g}", "name": f"一级指标{g + 1}", "max": float(size), "sheet": f"一级{g + 1}"})
        for start in range(0, size, 10):
            sub = f"g{g}s{start // 10}"
            count = min(10, size - start)
            level2.append({"id": sub, "parent": f"g{g}", "name": f"二级指标{g + 1}-{start // 10 + 1}",
                           "max": float(count)})
            for _ in range(count):
                indicators.append({"id": f"i{k}", "parent": sub, "name": f"三级指标{k + 1}", "max": 1.0,
                                   "explanation": "说明", "criteria": "标准"})
                k += 1
    data.update(level1=level1, level2=level2, indicators=indicators, reallocations=[])
    data["framework"] = dict(data["framework"], total_max=float(n), total_cap=float(n) + 10)
    data["grades"] = [{"name": "优", "min": 0.9 * n}, {"name": "良", "min": 0.8 * n}, {"name": "中", "min": 0.6 * n},
                      {"name": "差", "min": 0.0}]
    return parse_framework(data, path)


def synthetic_evaluation(n: int) -> Evaluation:
    from addin.app import sample_data  # noqa: PLC0415

    fw = synthetic_framework(n)
    sample = sample_data()
    values = {c["name"]: c.get("value") for c in sample["cells"]}
    names: dict[str, NameRef] = {}
    row = 0

    def put(name: str, value) -> None:
        nonlocal row
        row += 1
        names[name] = NameRef(name, [Cell("合成", f"A{row}", value)])

    for f in fw.fields:
        put(f.name, values.get(f.name))
    for i, ind in enumerate(fw.indicators):
        put(ind.score_name, 1.0 if i % 7 else 0.5)
        put(ind.note_name, NOTE)
    for adj in fw.adjustments:
        put(adj.score_name, values.get(adj.score_name))
        put(adj.note_name, values.get(adj.note_name))
    text = sample["tables"]["report_text"]
    for j, col in enumerate(text["columns"]):
        names[col] = NameRef(col, [Cell("报告文字", f"{chr(65 + j)}{r + 2}", v[j]) for r, v in enumerate(text["rows"])])
    book = BookData(source="", sheets=["合成", "报告文字"], names=names, framework_id=fw.id, template_version="1")
    return evaluate(fw, book)

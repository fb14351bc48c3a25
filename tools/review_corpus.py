"""A folder of departments' workbooks for batch review tests and benchmarks.

Variants are made with the fill use case from the bundled sample (other department names,
figures and self-scores, so totals, grades and findings differ), then copied under other
names until the folder holds `count` files. Department names are invented (部门01...),
never a real department's figures.

Run: python tools/review_corpus.py FOLDER [--count 200] [--variants 10]
"""
from __future__ import annotations

import argparse
import copy
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def variant_data(base: dict, k: int) -> dict:
    """The sample's data for an invented department k, with figures and scores moved."""
    rnd = random.Random(k)
    data = copy.deepcopy(base)
    for c in data["cells"]:
        name, v = c["name"], c["value"]
        if name == "f_department":
            c["value"] = f"示例县第{k:02d}部门"
        elif name.startswith("f_") and isinstance(v, (int, float)) and not isinstance(v, bool) \
                and name not in ("f_year",) and v > 1000:
            c["value"] = round(v * rnd.uniform(0.8, 1.2), 2)
        elif name.startswith("s_") and isinstance(v, (int, float)) and not isinstance(v, bool):
            c["value"] = max(0.0, round(v - rnd.choice([0, 0, 0.5, 1, 2]) + rnd.choice([0, 0, 0, 1]), 1))
    return data


def make_corpus(folder: Path, count: int = 200, variants: int = 10) -> list[Path]:
    from addin.app.books import create_template as new_template, sample_data  # noqa: PLC0415
    from addin.xlsx.writer import fill_workbook  # noqa: PLC0415
    from addin.core.framework import load_framework  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    base = sample_data()
    fw = load_framework(base["framework"])
    made: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="jxzp-corpus-") as tmp:
        blank = new_template(Path(tmp) / "blank.xlsx", framework=fw.id)
        for k in range(1, min(variants, count) + 1):
            sub = folder / f"片区{(k - 1) % 3 + 1}"
            sub.mkdir(exist_ok=True)
            out = sub / f"部门{k:02d}_自评表.xlsx"
            fill_workbook(fw, blank, out, variant_data(base, k), overwrite=True)
            made.append(out)
    i = 0
    while len(made) < count:
        src = made[i % variants]
        dst = src.parent / f"{src.stem}_副本{len(made):04d}.xlsx"
        shutil.copyfile(src, dst)
        made.append(dst)
        i += 1
    return made


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--variants", type=int, default=10)
    a = ap.parse_args()
    files = make_corpus(Path(a.folder), a.count, a.variants)
    print(json.dumps({"folder": a.folder, "files": len(files)}, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""`frameworks`: list the indicator frameworks, or check a framework file."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..core.framework import Framework, available_frameworks, load_framework, load_framework_file
from .outcome import Outcome
from .settings import Settings


@dataclass(frozen=True)
class Frameworks:
    check: Path | None = None  # a .toml file to check instead of listing
    as_json: bool = False


@dataclass
class FrameworksOutcome(Outcome):
    frameworks: list[Framework] | None = None


def frameworks(args: Frameworks, settings: Settings | None = None) -> FrameworksOutcome:
    if args.check:
        fw = load_framework_file(args.check)
        o = FrameworksOutcome(frameworks=[fw])
        rows = f"，绩效指标表 {len(fw.target.groups)} 个一级指标（三级指标由单位填写）" if fw.target else ""
        o.say(f"指标体系文件正确：{fw.name}（{fw.id}），{len(fw.indicators)} 个三级指标{rows}，合计 {fw.total_max:g} 分")
        return o
    fws = [load_framework(ident) for ident in available_frameworks()]
    o = FrameworksOutcome(frameworks=fws)
    rows = [{"id": fw.id, "name": fw.name, "family": fw.family, "purpose": fw.purpose, "form": fw.form_title,
             "region": fw.region, "years": list(fw.years), "version": fw.version, "source": fw.source} for fw in fws]
    if args.as_json:
        o.say(json.dumps(rows, ensure_ascii=False, indent=1))
        return o
    for r in rows:
        o.say(f"{r['id']}\t{r['name']}\t{r['family']}\t适用年度：{'、'.join(map(str, r['years']))}")
        if r["purpose"]:
            o.say(f"\t{r['purpose']}")
    return o

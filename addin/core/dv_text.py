"""Texts of the template's data-validation pop-ups, and Excel's limits on them.

Excel refuses to open a file whose validation texts are too long ("We found a problem with
some content", the validation is dropped): title 32 characters, error message 225, input
message 255 (MS-XLS 2.5.37 DValStrings; the same limits apply to .xlsx). The template
writes these texts; the framework loader (and `jxzp frameworks --check`) refuses labels and
help texts that would exceed them, so a framework file cannot produce a broken workbook.
"""
from __future__ import annotations

TITLE_MAX = 32
ERROR_MAX = 225
PROMPT_MAX = 255

FIELD_ERRORS = {
    "amount": "“{label}”须为不小于 0 的金额（元），请只填数字。",
    "count": "“{label}”须为不小于 0 的整数。",
    "rate": "“{label}”须为比率，如 92.31% 或 0.9231（不要填 92.31）。",
    "year": "“{label}”须为四位年份，如 2022。",
    "yesno": "“{label}”请从下拉列表选择“是”或“否”。",
}
SCORE_ERROR = "“{name}”的自评得分须在 0 到适用分值之间。"
ADJUSTMENT_ERROR = "“{name}”须在 0 到 {max:g} 之间（减分项填正数，表示减去的分数）。"


def fit(text: str, limit: int) -> str:
    """text within limit characters (a last guard; the loader refuses what would be cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def problems(fields, indicators, adjustments) -> list[tuple[str, str]]:
    """(where, message) for every label or help text whose pop-up would exceed Excel's limits."""
    out = []

    def check(where: str, what: str, text: str, limit: int) -> None:
        if len(text) > limit:
            out.append((where, f"{what}共 {len(text)} 个字符，超过 Excel 数据验证提示的上限 {limit} 个字符，请缩短"))

    for f in fields:
        where = f"fields “{f.label}”"
        if f.kind in FIELD_ERRORS:
            check(where, "名称（出错提示）", FIELD_ERRORS[f.kind].format(label=f.label), ERROR_MAX)
            if f.help:
                check(where, "help（输入提示）", f.help, PROMPT_MAX)
                check(where, "名称（输入提示标题）", f.label, TITLE_MAX)
    for ind in indicators:
        check(f"indicators “{ind.id}”", "name（出错提示）", SCORE_ERROR.format(name=ind.name), ERROR_MAX)
    for adj in adjustments:
        check(f"adjustments “{adj.id}”", "name（出错提示）", ADJUSTMENT_ERROR.format(name=adj.name, max=adj.max),
              ERROR_MAX)
    return out

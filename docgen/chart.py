"""The score-vs-maximum chart of the report (matplotlib, imported only here and only when drawn)."""
from __future__ import annotations

import math

import io
import warnings as _warnings
from dataclasses import dataclass

from addin.core.numeric import fmt_score

# first found wins; Windows names first, then what Debian/Ubuntu/Fedora ship
FONT_CANDIDATES = (
    "Microsoft YaHei", "SimHei", "DengXian", "SimSun", "PingFang SC", "Hiragino Sans GB",
    "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Droid Sans Fallback", "Noto Serif CJK SC", "AR PL UMing CN",
)
SCORE_COLOR = "#1F4E78"  # the workbook's header blue
MAX_COLOR = "#BFBFBF"


@dataclass(frozen=True)
class Bar:
    label: str
    maximum: float
    score: float


def chart_data(ev) -> list[Bar]:
    """One bar pair per 一级指标: this year's maximum (sum of 适用分值) and the score (the sheet's 合计)."""
    fw = ev.fw

    def finite(v: float) -> float:
        # an overflowing sum (#NUM! in Excel) or an absurd score (flagged by 校验) is drawn as 0:
        # matplotlib cannot lay out axes near the float limit
        return v if math.isfinite(v) and abs(v) <= 1e9 else 0.0

    return [Bar(g.name, sum(ev.indicators[i.id].eff_max for i in fw.indicators_of_level1(g.id)),
                finite(ev.groups[g.id])) for g in fw.level1]


def render_chart_png(bars: list[Bar], *, width_in: float = 6.0, height_in: float = 3.1,
                     dpi: int = 200) -> tuple[bytes, str | None]:
    """(PNG bytes, warning or None). The warning says when no Chinese font was found."""
    from matplotlib import font_manager, rc_context  # noqa: PLC0415 - heavy; only when a chart is drawn
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    available = {f.name for f in font_manager.fontManager.ttflist}
    families = [f for f in FONT_CANDIDATES if f in available]
    warning = None if families else "未找到中文字体（如黑体、微软雅黑、Noto Sans CJK），图表中的中文可能显示为方框"
    rc = {"font.family": "sans-serif", "font.sans-serif": families + ["DejaVu Sans"],
          "axes.unicode_minus": False, "font.size": 10}
    with rc_context(rc), _warnings.catch_warnings():
        _warnings.simplefilter("ignore")  # "Glyph missing" noise is covered by the warning above
        fig = Figure(figsize=(width_in, height_in), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        n = len(bars)
        xs = list(range(n))
        w = 0.36
        top = max([b.maximum for b in bars] + [b.score for b in bars] + [1.0])
        r1 = ax.bar([x - w / 2 for x in xs], [b.maximum for b in bars], w, label="分值", color=MAX_COLOR)
        r2 = ax.bar([x + w / 2 for x in xs], [b.score for b in bars], w, label="自评得分", color=SCORE_COLOR)
        for rects, values in ((r1, [b.maximum for b in bars]), (r2, [b.score for b in bars])):
            for rect, v in zip(rects, values):
                ax.annotate(fmt_score(v), (rect.get_x() + rect.get_width() / 2, rect.get_height()),
                            xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", fontsize=9)
        ax.set_xticks(xs, [b.label for b in bars])
        ax.set_ylabel("分", rotation=0, labelpad=10)
        ax.set_ylim(0, top * 1.18)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(frameon=False, loc="upper right", ncols=2)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue(), warning

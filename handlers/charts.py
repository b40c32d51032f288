"""The summary's chart: progress against the year's target, and the stage funnel, as a PNG.

matplotlib runs headless (the Agg canvas, no display, no pyplot) and is imported on first
use, so a bot that never draws a chart does not pay for it. The image has fixed pixel dimensions
(``WIDTH`` × ``HEIGHT``) so it reads the same on every phone.
"""

from __future__ import annotations

import io
from datetime import date

from admission.stages import PHASES
from forms import texts
from handlers.summary import Summary, fmt_int, fmt_percent

WIDTH, HEIGHT, DPI = 1200, 600, 100
_BLUE, _GREY, _RED, _GREEN = "#1f5fa8", "#d0d5dc", "#c0392b", "#2e8b57"


def _t(key: str, **kw: object) -> str:
    return texts.message(f"secretary.chart.{key}", **kw)


def summary_chart(summary: Summary) -> bytes:
    """PNG bytes: left, admissions this year against the target (and where the pace should
    be today); right, how many dossiers sit in each stage."""
    # The object API (no pyplot): no global figure registry, safe to run in a worker thread.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 3]})
    _progress(left, summary)
    _funnel(right, summary)
    title = _t("title", unit=summary.unit_name, today=summary.today.strftime("%d/%m/%Y"))
    fig.suptitle(title, fontsize=13, fontweight="bold")
    fig.subplots_adjust(left=0.06, right=0.97, top=0.86, bottom=0.1, wspace=0.55)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _progress(ax, summary: Summary) -> None:
    t = summary.year_target
    year = summary.today.year
    admitted = t.admitted if t else summary.admitted_this_year
    if t is None:
        ax.bar([0], [admitted], color=_BLUE, width=0.5)
        ax.set_title(_t("admitted_no_target", year=year, admitted=fmt_int(admitted)), fontsize=11)
        ax.set_xticks([])
        ax.set_ylim(0, max(admitted, 1) * 1.25)
        return
    ax.bar([0], [t.target], color=_GREY, width=0.5, label=_t("target", target=fmt_int(t.target)))
    colour = _GREEN if t.remaining == 0 else _BLUE
    ax.bar(
        [0], [admitted], color=colour, width=0.5, label=_t("admitted", admitted=fmt_int(admitted))
    )
    expected = _expected_by_today(summary.today, t.deadline, t.target)
    if expected is not None:
        ax.axhline(expected, color=_RED, linestyle="--", linewidth=1.5)
        pace = _t("pace", expected=fmt_int(round(expected)))
        ax.text(0.3, expected, pace, va="bottom", fontsize=9, color=_RED)
    plan = _t(
        "plan", year=t.year, percent=fmt_percent(admitted, t.target), deadline=f"{t.deadline:%d/%m}"
    )
    ax.set_title(plan, fontsize=11)
    ax.set_xticks([])
    ax.set_xlim(-0.6, 1.2)
    ax.set_ylim(0, max(t.target, admitted) * 1.15)
    ax.legend(loc="upper left", fontsize=9, frameon=False)


def _expected_by_today(today: date, deadline: date, target: int) -> float | None:
    """Where a steady pace from 1 January would stand today."""
    start = date(today.year, 1, 1)
    span = (deadline - start).days
    if span <= 0:
        return None
    elapsed = min(max((today - start).days, 0), span)
    return target * elapsed / span


def _funnel(ax, summary: Summary) -> None:
    labels = [texts.message(f"secretary.phases_short.{p}") for p in PHASES]
    values = [summary.phases.get(p, 0) for p in PHASES]
    positions = list(range(len(PHASES)))[::-1]
    bars = ax.barh(positions, values, color=_BLUE)
    ax.set_yticks(positions, labels, fontsize=9)
    top = max(values) if any(values) else 1
    ax.set_xlim(0, top * 1.18)
    for bar, value in zip(bars, values, strict=True):
        ax.text(bar.get_width() + top * 0.01, bar.get_y() + bar.get_height() / 2,
                fmt_int(value), va="center", fontsize=9)  # fmt: skip
    ax.set_title(_t("funnel", total=fmt_int(summary.total)), fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)

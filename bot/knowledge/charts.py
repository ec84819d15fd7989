"""PNG charts of the daily figures (matplotlib, drawn off-screen)."""

from __future__ import annotations

import io
from math import nan

from bot.knowledge.analytics import METRICS, Report

__all__ = ["LABELS", "chart_png"]

LABELS = {
    "conversations": "Conversations",
    "messages": "Messages",
    "answered": "Answered from the FAQ",
    "clarified": "Clarified (choices offered)",
    "fallbacks": "Not understood",
    "escalated": "Escalated to an operator",
    "tickets": "Tickets created",
    "deflected": "Answered automatically (conversations)",
    "deflection_rate": "Deflection rate",
    "fallback_rate": "Fallback rate",
}


def chart_png(report: Report, metric: str) -> bytes:
    """One metric per day, a bar per channel (rates: one line over all channels)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    days = list(report.days)
    labels = [d.strftime("%m-%d") for d in days]
    positions = list(range(len(days)))
    figure = Figure(figsize=(max(6.0, 0.45 * len(days) + 2), 3.6), dpi=100)
    axes = figure.add_subplot()
    if metric.endswith("_rate"):
        # a day without conversations has no rate: a gap in the line, not a zero
        base = "conversations" if metric == "deflection_rate" else "messages"
        values = [
            getattr(report.days[d], metric) * 100 if getattr(report.days[d], base) else nan
            for d in days
        ]
        axes.plot(positions, values, marker="o", color="#1f6feb")
        axes.set_ylim(0, 100)
        axes.set_ylabel("%")
    else:
        bottom = [0.0] * len(days)
        for channel in report.channels:
            values = [
                float(getattr(report.days_by_channel[(d, channel)], metric))
                if (d, channel) in report.days_by_channel
                else 0.0
                for d in days
            ]
            axes.bar(positions, values, bottom=bottom, label=channel)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        if report.channels:
            axes.legend(loc="upper left", fontsize="small")
    axes.set_xticks(positions, labels)
    axes.set_xlim(-0.6, len(days) - 0.4)
    axes.set_title(f"{LABELS[metric]}, per day (Iran time)")
    axes.tick_params(axis="x", labelrotation=45, labelsize="small")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()

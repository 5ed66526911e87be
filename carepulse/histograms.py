"""Histograms of durations as figures: each bucket drawn as wide as it is."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from carepulse import formatting
from carepulse.charts import NEUTRAL, PALETTE, TEMPLATE


def distribution(
    series: dict[str, pl.DataFrame], *, title: str, axis: str, height: int = 320
) -> go.Figure:
    """Histograms of durations (`low`, `high` in seconds, `share`) on a minutes axis, each
    bucket as wide as it is: heights are % of contacts per minute, so the wider buckets above
    ten minutes do not look like peaks. The first series as bars, the others as outlines; the
    open last bucket is named in a note, not drawn."""
    figure = go.Figure(layout={"template": TEMPLATE, "height": height, "title": title})
    notes = []
    for i, (name, frame) in enumerate(series.items()):
        closed = frame.filter(pl.col("high").is_not_null())
        low, high = (closed[c] / 60 for c in ("low", "high"))
        density = (closed["share"] * 100 / (high - low)).to_list()
        ranges = [_bucket(lo, hi) for lo, hi in zip(closed["low"], closed["high"], strict=True)]
        hover = f"{name}, %{{customdata}}: %{{y:.2f}} % per minute<extra></extra>"
        if i == 0:
            figure.add_bar(
                x=low.to_list(), width=(high - low).to_list(), offset=0, y=density, name=name,
                customdata=ranges, marker={"color": PALETTE[0], "line": {"width": 0}},
                hovertemplate=hover,
            )  # fmt: skip
        else:
            figure.add_scatter(
                x=[*low.to_list(), high[-1]], y=[*density, density[-1]], name=name,
                mode="lines", line={"shape": "hv", "color": NEUTRAL, "width": 2},
                customdata=[*ranges, ranges[-1]], hovertemplate=hover,
            )  # fmt: skip
        beyond = frame.filter(pl.col("high").is_null())["share"].sum()
        if beyond:
            top = formatting.duration(frame["low"][-1])
            notes.append(f"{name}: {beyond * 100:.1f} % over {top}")
    last = max((f.filter(pl.col("share") > 0, pl.col("high").is_not_null())["high"].max() or 0)
               for f in series.values())  # fmt: skip
    figure.update_xaxes(title_text=axis, rangemode="tozero")
    if last:
        figure.update_xaxes(range=[0, last / 60])
    figure.update_yaxes(title_text="% of contacts per minute", tickformat=".1f")
    figure.update_layout(legend={"y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    if notes:
        figure.add_annotation(text="; ".join(notes), xref="paper", yref="paper", x=1, y=0.98,
                              showarrow=False, xanchor="right", font={"size": 11})  # fmt: skip
    return figure


def _bucket(low: float, high: float | None) -> str:
    if high is None:
        return f"{formatting.duration(low)}+"
    return f"{formatting.duration(low)}–{formatting.duration(high)}"

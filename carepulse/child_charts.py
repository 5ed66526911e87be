"""One KPI across a parent's children, as the drill-down draws it: bars with the worst on top,
and a child × day grid. A click on either carries the child's `row`."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import plotly.graph_objects as go
import polars as pl

from carepulse import formatting
from carepulse.charts import FLAG, PALETTE, TEMPLATE, scale
from metrics.kpi import Kpi


def _labels(values: list[object], unset: str) -> list[str]:
    return [str(v) if v is not None else unset for v in values]


def _ranked(frame: pl.DataFrame, kpi: Kpi) -> pl.DataFrame:
    """The children the worst value first (ties in `row` order), those without a value last."""
    lower = kpi.better.value == "lower"
    return frame.sort(["value", "row"], descending=[lower, False], nulls_last=True)


def worst_first(frame: pl.DataFrame, kpi: Kpi) -> list[int]:
    """The children's `row`s in the order both charts list them, top to bottom."""
    return _ranked(frame, kpi)["row"].to_list()


def bars(frame: pl.DataFrame, kpi: Kpi, column: str, *, unset: str, height: int = 360) -> go.Figure:
    """One KPI per child as horizontal bars (the worst at the top), the target dashed; bars
    that miss target are orange, hatched and say so. `customdata` carries the frame's `row`."""
    factor, title, ticks = scale(kpi.unit, frame["value"])
    frame = frame.filter(pl.col("value").is_not_null())
    frame = _ranked(frame, kpi).reverse()  # Plotly draws the first bar at the bottom
    missed = (frame["status"] == "missed").to_list()
    texts = [formatting.value(v, kpi.unit) for v in frame["value"].to_list()]
    figure = go.Figure(
        go.Bar(
            x=(frame["value"] * factor).to_list(),
            y=_labels(frame[column].to_list(), unset),
            orientation="h",
            customdata=frame["row"].to_list(),
            marker={
                "color": [FLAG if m else PALETTE[0] for m in missed],
                "pattern": {"shape": ["/" if m else "" for m in missed]},
            },
            text=[f"{t} · missed" if m else t for t, m in zip(texts, missed, strict=True)],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=f"%{{y}}: %{{x:{ticks}}} {title}<extra></extra>",
        ),
        layout={"template": TEMPLATE, "height": height, "title": kpi.label},
    )
    target = frame["target"].drop_nulls()
    if target.len():
        # Under the bars and their values, which stay readable where the line crosses them.
        figure.add_vline(x=target[0] * factor, line={"dash": "dot", "color": "#BBBBBB"},
                         layer="below", annotation_text="target",
                         annotation_position="top")  # fmt: skip
    values = [v * factor for v in frame["value"].to_list()] or [0.0]
    room = 0.5 * (max(values) - min(min(values), 0) or 1)  # for the value labels outside
    low = min(min(values), 0) - (room if min(values) < 0 else 0)
    figure.update_xaxes(title_text=title, tickformat=ticks, range=[low, max(max(values), 0) + room])
    figure.update_yaxes(type="category", automargin=True)
    return figure


def grid(
    frame: pl.DataFrame,
    kpi: Kpi,
    column: str,
    *,
    unset: str,
    order: list[int] | None = None,
    height: int = 360,
) -> go.Figure:
    """A KPI per child (rows, top to bottom in `order` of their `row`, else in `row` order;
    any not in it last) and day (columns). Plotly reports no clicks on heatmap cells, so an
    invisible square marker on each cell carries the click (`customdata`: the child's `row`)."""
    factor, title, ticks = scale(kpi.unit, frame["value"])
    place = {row: i for i, row in enumerate(order or [])}
    rank = pl.col("row").replace_strict(place, default=None, return_dtype=pl.Int64)
    children = frame.select("row", column).unique().sort(rank, "row", nulls_last=True)
    rows, names = children["row"].to_list(), _labels(children[column].to_list(), unset)
    # every day from the first to the last, so a day without contacts stays an empty column
    days = pl.date_range(frame["day"].min(), frame["day"].max(), eager=True).to_list()
    z = [[None] * len(days) for _ in rows]
    for cell in frame.filter(pl.col("value").is_not_null()).iter_rows(named=True):
        z[rows.index(cell["row"])][days.index(cell["day"])] = cell["value"] * factor
    heat = go.Heatmap(
        z=z,
        x=days,
        y=names,
        colorscale="Cividis",
        reversescale=kpi.better.value == "lower",
        hoverinfo="skip",
        colorbar={"title": {"text": title}},
    )
    title_text = f"{kpi.label} by day"
    figure = go.Figure(heat, layout={"template": TEMPLATE, "height": height, "title": title_text})
    side = max(8, min(40, (height - 100) // max(len(names), 1)))
    figure.add_scatter(
        x=[d for _ in names for d in days],
        y=[n for n in names for _ in days],
        customdata=[r for r in rows for _ in days],
        text=[_cell(v, ticks) for r in z for v in r],
        mode="markers",
        marker={"symbol": "square", "size": side, "color": "rgba(0,0,0,0)"},
        hovertemplate=f"%{{y}}, %{{x|%a %d %b}}<br>%{{text}} {title}<extra></extra>",
        showlegend=False,
    )
    figure.update_yaxes(type="category", autorange="reversed", automargin=True)
    # The period's days only, half a day either side: the markers must not widen the axis.
    half = timedelta(hours=12)
    first, last = (datetime.combine(d, time()) for d in (days[0], days[-1]))
    figure.update_xaxes(range=[first - half, last + half])
    return figure


def _cell(value: float | None, ticks: str) -> str:
    return "no value" if value is None else format(value, ticks.replace("%", ""))

"""Plotly figures for the dashboard and the PDF, all on one registered template."""

from __future__ import annotations

from datetime import date, timedelta

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from metrics.compare import control_limits
from metrics.kpi import Kpi, Unit

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
NEUTRAL, BAND, FLAG = "#555555", "rgba(0,114,178,0.10)", "#D55E00"
TEMPLATE = "carepulse"
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

pio.templates[TEMPLATE] = go.layout.Template(
    layout=go.Layout(
        colorway=PALETTE,
        font={"family": "Source Sans Pro, Helvetica, Arial, sans-serif", "size": 13},
        plot_bgcolor="white",
        paper_bgcolor="white",
        xaxis={"gridcolor": "#eeeeee", "linecolor": "#999999", "zeroline": False},
        yaxis={"gridcolor": "#eeeeee", "linecolor": "#999999", "zeroline": False},
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.2},
        hoverlabel={"bgcolor": "white"},
    )
)


def scale(unit: Unit, values: pl.Series | None = None) -> tuple[float, str, str]:
    """Multiplier, axis title and tick format for showing a unit on an axis."""
    if unit is Unit.PERCENT:
        return 100.0, "%", ".0f"
    if unit is Unit.SECONDS:
        largest = values.max() if values is not None and values.len() else 0
        if largest and largest > 4 * 3600:
            return 1 / 3600, "hours", ".1f"
        if largest and largest > 180:
            return 1 / 60, "minutes", ".1f"
        return 1.0, "seconds", ".0f"
    if unit is Unit.POINTS:
        return 1.0, "NPS points", "+.0f"
    return 1.0, "score" if unit is Unit.SCORE else "count", ",.2f" if unit is Unit.SCORE else ",.0f"


def trend(series: pl.DataFrame, kpi: Kpi, *, x: str = "day", height: int = 320) -> go.Figure:
    """A daily KPI line with its target (dashed), control limits (band) and flagged points."""
    factor, title, ticks = scale(kpi.unit, series["value"])
    frame = series.with_columns(pl.col("value", "lower", "upper", "target") * factor)
    xs = frame[x].to_list()
    figure = go.Figure(layout={"template": TEMPLATE, "height": height, "title": kpi.label})
    band = frame.select(pl.col("upper").fill_null(strategy="forward"), "lower")
    figure.add_scatter(
        x=xs,
        y=band["upper"].to_list(),
        mode="lines",
        line={"width": 0},
        hoverinfo="skip",
        showlegend=False,
    )
    figure.add_scatter(
        x=xs,
        y=band["lower"].to_list(),
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor=BAND,
        name="Control limits",
        hoverinfo="skip",
    )
    figure.add_scatter(
        x=xs,
        y=frame["value"].to_list(),
        mode="lines+markers",
        name=kpi.label,
        line={"color": PALETTE[0]},
        hovertemplate=f"%{{x}}<br>%{{y:{ticks}}} {title}<extra></extra>",
    )
    flagged = frame.filter(pl.col("flagged"))
    if flagged.height:
        figure.add_scatter(
            x=flagged[x].to_list(),
            y=flagged["value"].to_list(),
            mode="markers",
            name="Outside control limits",
            marker={"symbol": "diamond-open", "size": 13, "color": FLAG, "line": {"width": 2}},
        )
    _target_line(figure, series["target"].drop_nulls().first(), factor)
    figure.update_yaxes(title_text=title, tickformat=ticks)
    _period_ticks(figure, frame[x], most=8)
    if kpi.unit is Unit.COUNT:  # on all that is drawn: the values, the band, the target
        _count_ticks(figure, [*frame["value"], *frame["lower"], *frame["upper"], *frame["target"]])
    return figure


def daily_trend(daily: pl.DataFrame, kpi: Kpi, *, height: int = 320) -> go.Figure | None:
    """The trend of one KPI from a by-day KPI frame, with control limits; None without values."""
    series = daily.filter(pl.col("kpi") == kpi.key).sort("day")
    if series["value"].is_null().all():
        return None
    return trend(control_limits(series, kpi), kpi, height=height)


def heatmap(frame: pl.DataFrame, kpi: Kpi, *, height: int = 320) -> go.Figure:
    """Hour of day × weekday of one KPI (rows: weekday 1–7, columns: local hour)."""
    factor, title, ticks = scale(kpi.unit, frame["value"])
    hours = sorted(frame["hour_of_day"].unique().to_list())
    grid = [[None] * len(hours) for _ in WEEKDAYS]
    for row in frame.iter_rows(named=True):
        if row["value"] is not None:
            grid[row["weekday"] - 1][hours.index(row["hour_of_day"])] = row["value"] * factor
    reverse = kpi.better.value == "lower"
    figure = go.Figure(
        go.Heatmap(
            z=grid,
            x=[f"{h:02d}:00" for h in hours],
            y=WEEKDAYS,
            colorscale="Cividis",
            reversescale=reverse,
            colorbar={"title": {"text": title}},
            hovertemplate=f"%{{y}} %{{x}}<br>%{{z:{ticks}}} {title}<extra></extra>",
        ),
        layout={"template": TEMPLATE, "height": height, "title": kpi.label},
    )
    figure.update_yaxes(autorange="reversed", title_text="weekday")
    figure.update_xaxes(title_text="hour (local)")
    return figure


def mix(frame: pl.DataFrame, column: str, *, title: str, height: int = 300) -> go.Figure:
    """Horizontal bars of a count per category, largest first, with shares."""
    frame = frame.filter(pl.col("value") > 0).sort("value")
    total = frame["value"].sum() or 1
    labels = [str(v) if v is not None else "(not set)" for v in frame[column].to_list()]
    figure = go.Figure(
        go.Bar(
            x=frame["value"].to_list(),
            y=labels,
            orientation="h",
            marker={"color": PALETTE[0]},
            text=[f"{v / total:.0%}" for v in frame["value"].to_list()],
            textposition="auto",
            hovertemplate="%{y}: %{x:,.0f}<extra></extra>",
        ),
        layout={"template": TEMPLATE, "height": height, "title": title},
    )
    figure.update_xaxes(title_text="contacts offered")
    return figure


def _target_line(figure: go.Figure, target: float | None, factor: float) -> None:
    if target is not None:
        figure.add_hline(
            y=target * factor,
            line={"dash": "dash", "color": NEUTRAL},
            annotation_text="target",
            annotation_position="top left",
        )


def estimates(
    series: pl.DataFrame, kpi: Kpi, *, x: str, start: date | None = None, height: int = 320
) -> go.Figure:
    """A KPI per period with its 95 % interval as whiskers, and its target (dashed). A week
    or month that begins before `start` (the selection's first day) is drawn from `start`: a
    chart of 14 Feb – 13 Mar does not begin on Monday 9 Feb."""
    factor, title, ticks = scale(kpi.unit, series["value"])
    frame = series.drop_nulls("value")
    if start is not None and frame[x].dtype == pl.Date:
        frame = frame.with_columns(pl.max_horizontal(x, pl.lit(start)).alias(x))
    value = frame["value"] * factor
    figure = go.Figure(layout={"template": TEMPLATE, "height": height, "title": kpi.label})
    figure.add_scatter(
        x=frame[x].to_list(),
        y=value.to_list(),
        mode="lines+markers",
        name=kpi.label,
        line={"color": PALETTE[0]},
        error_y={
            "type": "data",
            "symmetric": False,
            "array": (frame["ci_high"] * factor - value).to_list(),
            "arrayminus": (value - frame["ci_low"] * factor).to_list(),
            "color": NEUTRAL,
            "thickness": 1,
        },
        customdata=frame["denominator"].to_list(),
        hovertemplate=f"%{{x}}<br>%{{y:{ticks}}} {title}, n = %{{customdata:,.0f}}<extra></extra>",
    )
    _target_line(figure, frame["target"].drop_nulls().first(), factor)
    spread = (frame["ci_high"].max() or 0) - (frame["ci_low"].min() or 0)
    if kpi.unit is Unit.PERCENT and spread * factor < 5:  # e.g. 99.6–100 %: whole ticks repeat
        ticks = ".1f"
    figure.update_yaxes(title_text=title, tickformat=ticks)
    _period_ticks(figure, frame[x])
    return figure


def _period_ticks(figure: go.Figure, periods: pl.Series, most: int = 16) -> None:
    """Label each period where it starts (weeks start on Monday), when there are at most
    `most`; a lone day gets a day either side, not an axis of milliseconds around it."""
    figure.update_xaxes(title_text=None)
    if periods.dtype != pl.Date or periods.is_empty():
        return
    figure.update_xaxes(tickformat="%d %b")
    if periods.n_unique() <= most:
        figure.update_xaxes(tickvals=periods.unique().sort().to_list())
    if periods.n_unique() == 1:
        day = periods[0]
        figure.update_xaxes(range=[day - timedelta(days=1), day + timedelta(days=1)])


def _count_ticks(figure: go.Figure, values: list[float | None]) -> None:
    """Whole-number steps on a count axis that spans only a few (else 22, 23, 23, 24, 24)."""
    known = [v for v in values if v is not None]
    if known and max(known) - min(known) < 6:
        figure.update_yaxes(dtick=1)


def intervals(
    frame: pl.DataFrame, unit: Unit, *, title: str, reference: float | None = None
) -> go.Figure:
    """One row per `label`: its `value` as a dot with the `low`–`high` 95 % interval."""
    factor, axis, ticks = scale(unit, frame["value"])
    frame = frame.drop_nulls("value").reverse()  # plotly draws the first row at the bottom
    value = frame["value"] * factor
    height = 120 + 28 * max(frame.height, 1)
    figure = go.Figure(layout={"template": TEMPLATE, "height": height, "title": title})
    figure.add_scatter(
        x=value.to_list(),
        y=frame["label"].to_list(),
        mode="markers",
        marker={"color": PALETTE[0], "size": 9},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": (frame["high"] * factor - value).to_list(),
            "arrayminus": (value - frame["low"] * factor).to_list(),
            "color": NEUTRAL,
        },
        hovertemplate=f"%{{y}}: %{{x:{ticks}}} {axis}<extra></extra>",
        showlegend=False,
    )
    if reference is not None:
        figure.add_vline(x=reference * factor, line={"dash": "dash", "color": NEUTRAL})
    figure.update_xaxes(title_text=axis, tickformat=ticks)
    figure.update_layout(margin={"l": 200})
    return figure


def stacked(
    frame: pl.DataFrame,
    *,
    x: str,
    parts: dict[str, tuple[str, str]],
    title: str,
    axis: str,
    height: int = 320,
) -> go.Figure:
    """Stacked bars per `x`: one segment per column of `parts` (column -> (label, colour))."""
    figure = go.Figure(layout={"template": TEMPLATE, "height": height, "title": title})
    for column, (label, colour) in parts.items():
        figure.add_bar(
            x=frame[x].to_list(),
            y=frame[column].to_list(),
            name=label,
            marker={"color": colour},
            hovertemplate=f"%{{x}}<br>{label}: %{{y:,.0f}}<extra></extra>",
        )
    figure.update_layout(barmode="stack")
    figure.update_yaxes(title_text=axis, tickformat=",.0f")
    _period_ticks(figure, frame[x])
    if frame[x].dtype == pl.String:
        figure.update_xaxes(type="category")
    return figure


def lines(
    frame: pl.DataFrame, *, x: str, series: dict[str, str], title: str, axis: str
) -> go.Figure:
    """One line per column of `series` (column -> label) against `x`."""
    figure = go.Figure(layout={"template": TEMPLATE, "height": 320, "title": title})
    for column, label in series.items():
        figure.add_scatter(
            x=frame[x].to_list(),
            y=frame[column].to_list(),
            mode="lines+markers",
            name=label,
            hovertemplate=f"%{{x}}<br>{label}: %{{y:,.0f}}<extra></extra>",
        )
    figure.update_yaxes(title_text=axis, tickformat=",.0f")
    _period_ticks(figure, frame[x], most=8)
    _count_ticks(figure, [v for c in series for v in frame[c].to_list()])
    return figure

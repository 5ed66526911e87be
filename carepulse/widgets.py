"""Dashboard building blocks: KPI tiles, trend charts and estimates with intervals."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import streamlit as st

from carepulse import charts, formatting, insights, ui
from carepulse.filters import Filters
from metrics.kpi import Better, Kpi

STATUS = {
    "met": ":green[:material/check_circle: met]",
    "missed": ":red[:material/error: missed]",
    "small sample": ":gray[:material/info: small sample]",
    "no target": ":gray[no target]",
    "n/a": ":gray[n/a]",
}


def _help(row: dict, kpi: Kpi) -> str:
    parts = [kpi.definition, f"n = {formatting.count(row['denominator'])}"]
    if row.get("ci_low") is not None:
        parts.append(
            "95 % interval: " + formatting.interval(row["ci_low"], row["ci_high"], kpi.unit)
        )
    if row.get("note"):
        parts.append(row["note"].capitalize())
    return "  \n".join(parts)


def tile(container: st.delta_generator.DeltaGenerator, row: dict, kpi: Kpi) -> None:
    """One KPI: value, change vs comparison (significant or not), target status, help."""
    greyed = row["status"] in ("small sample", "n/a")
    direction = {Better.HIGHER: "normal", Better.LOWER: "inverse"}.get(kpi.better, "off")
    significant = row.get("significant") is True
    container.metric(
        kpi.title,
        formatting.value(row["value"], kpi.unit),
        delta=None if row.get("change") is None else formatting.change(row["change"], kpi.unit),
        delta_color=direction if significant and not greyed else "off",
        help=_help(row, kpi),
        border=True,
    )
    target = formatting.goal(row["target"], kpi.unit, kpi.better)
    goal = f"target {target} · " if row["target"] is not None else ""
    link = f"[definition](/definitions#{kpi.key})"
    verdict = {True: "change significant", False: "change within noise"}.get(
        row.get("significant"), ""
    )
    parts = [f"{goal}{STATUS[row['status']]}", verdict, link]
    container.caption(" · ".join(p for p in parts if p))


def tiles(
    current: pl.DataFrame,
    before: pl.DataFrame,
    catalog: dict[str, Kpi],
    keys: Sequence[str],
    per_row: int = 5,
) -> None:
    """A grid of tiles for the KPIs named, with changes against the comparison period."""
    kpis = [catalog[k] for k in keys]
    rows = insights.compared(current, before, kpis)
    by_key = {r["kpi"]: r for r in rows.iter_rows(named=True)}
    for start in range(0, len(kpis), per_row):
        columns = st.columns(per_row)
        for column, kpi in zip(columns, kpis[start : start + per_row], strict=False):
            tile(column, by_key[kpi.key], kpi)


def trends(f: Filters, catalog: dict[str, Kpi], keys: Sequence[str], *, per_row: int = 2) -> None:
    """Daily trend charts of the chosen KPIs, `per_row` to a row."""
    daily = ui.kpis(f, by=("day",), keys=keys)
    columns = st.columns(per_row)
    for i, key in enumerate(keys):
        figure = charts.daily_trend(daily, catalog[key])
        if figure is None:
            columns[i % per_row].caption(f"{catalog[key].label}: no values in this period.")
            continue
        columns[i % per_row].plotly_chart(figure, width="stretch", key=f"trend-{key}")


def estimates(
    f: Filters, series: pl.DataFrame, catalog: dict[str, Kpi], keys: Sequence[str], *, x: str,
    empty: str,
) -> None:  # fmt: skip
    """KPIs per period of `f` with 95 % intervals, two per row; the ones without values named
    once."""
    shown = [k for k in keys if not series.filter(pl.col("kpi") == k)["value"].is_null().all()]
    columns = st.columns(2)
    for i, key in enumerate(shown):
        rows = series.filter(pl.col("kpi") == key).sort(x)
        figure = charts.estimates(rows, catalog[key], x=x, start=f.period.start)
        columns[i % 2].plotly_chart(figure, width="stretch", key=f"estimate-{key}")
    missing = [catalog[k].label for k in keys if k not in shown]
    if missing:
        st.caption(f"{', '.join(missing)}: {empty}.")

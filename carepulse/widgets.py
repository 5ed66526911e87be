"""Dashboard building blocks: KPI tiles, the attention list, trends, heatmaps and mix charts."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import streamlit as st

from carepulse import charts, formatting, ui
from carepulse.filters import Filters
from metrics import compare, stats
from metrics.kpi import Better, Kpi, Unit

STATUS = {
    "met": ":green[:material/check_circle: met]",
    "missed": ":red[:material/error: missed]",
    "small sample": ":gray[:material/info: small sample]",
    "no target": ":gray[no target]",
    "n/a": ":gray[n/a]",
}


def _change(row: dict, kpi: Kpi) -> str | None:
    change = row.get("change")
    if change is None:
        return None
    if kpi.unit is Unit.PERCENT:
        text = f"{change * 100:+.1f} pp"
    elif kpi.unit is Unit.SECONDS:
        text = ("+" if change >= 0 else "-") + formatting.duration(abs(change))
    else:
        text = f"{change:+.1f}" if kpi.unit is not Unit.COUNT else f"{change:+,.0f}"
    return text


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
        delta=_change(row, kpi),
        delta_color=direction if significant and not greyed else "off",
        help=_help(row, kpi),
        border=True,
    )
    target = row["target"]
    prefix = "≥" if kpi.better is Better.HIGHER else "≤"
    goal = f"target {prefix} {formatting.value(target, kpi.unit)} · " if target is not None else ""
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
    rows = compare.compare(current, before, kpis) if before.height else current
    by_key = {r["kpi"]: r for r in rows.iter_rows(named=True)}
    for start in range(0, len(kpis), per_row):
        columns = st.columns(per_row)
        for column, kpi in zip(columns, kpis[start : start + per_row], strict=False):
            tile(column, by_key[kpi.key], kpi)


def attention(
    centre: pl.DataFrame,
    queues: pl.DataFrame,
    catalog: dict[str, Kpi],
    small_sample: int,
    *,
    scope: str = "Whole centre",
) -> pl.DataFrame:
    """KPIs and queues missing target with enough sample, the furthest from target first."""
    both = pl.concat(
        [centre.with_columns(pl.lit(scope).alias("queue")), queues], how="diagonal_relaxed"
    )
    missed = both.filter(pl.col("status") == "missed", pl.col("denominator") >= small_sample)
    gap = stats.divide(pl.col("value") - pl.col("target"), pl.col("target")).abs()
    missed = missed.with_columns(gap.alias("gap")).sort("gap", descending=True)
    return pl.DataFrame(
        [
            {
                "KPI": catalog[r["kpi"]].label,
                "Where": r["queue"],
                "Value": formatting.value(r["value"], catalog[r["kpi"]].unit),
                "Target": formatting.value(r["target"], catalog[r["kpi"]].unit),
                "Off by": f"{r['gap']:.0%}",
                "n": formatting.count(r["denominator"]),
            }
            for r in missed.iter_rows(named=True)
        ],
        schema=["KPI", "Where", "Value", "Target", "Off by", "n"],
    )


def trends(f: Filters, catalog: dict[str, Kpi], keys: Sequence[str], *, per_row: int = 2) -> None:
    """Daily trend charts of the chosen KPIs, `per_row` to a row."""
    daily = ui.kpis(f, by=("day",), keys=keys)
    columns = st.columns(per_row)
    for i, key in enumerate(keys):
        series = daily.filter(pl.col("kpi") == key).sort("day")
        if series["value"].is_null().all():
            columns[i % per_row].caption(f"{catalog[key].label}: no values in this period.")
            continue
        limited = compare.control_limits(series, catalog[key])
        columns[i % per_row].plotly_chart(
            charts.trend(limited, catalog[key]), width="stretch", key=f"trend-{key}"
        )

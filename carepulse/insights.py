"""Readings of KPI frames shared by the dashboard and the PDF: attention list, changes, movers."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from carepulse import formatting
from metrics import compare, stats
from metrics.kpi import Better, Kpi

CHANGE_COLUMNS = {
    "value_before": pl.Float64,
    "change": pl.Float64,
    "statistic": pl.Float64,
    "significant": pl.Boolean,
}


def compared(
    current: pl.DataFrame, before: pl.DataFrame, kpis: Sequence[Kpi], *, on: Sequence[str] = ()
) -> pl.DataFrame:
    """`current` with the change against `before` and its significance (null without one)."""
    if before.height:
        return compare.compare(current, before, kpis, on=on)
    return current.with_columns(pl.lit(None, dtype).alias(c) for c, dtype in CHANGE_COLUMNS.items())


def with_scope(centre: pl.DataFrame, queues: pl.DataFrame, scope: str) -> pl.DataFrame:
    """Centre rows (queue = `scope`) above the per-queue rows, in one frame."""
    return pl.concat(
        [centre.with_columns(pl.lit(scope).alias("queue")), queues], how="diagonal_relaxed"
    )


def attention(
    centre: pl.DataFrame,
    queues: pl.DataFrame,
    catalog: dict[str, Kpi],
    small_sample: int,
    *,
    scope: str = "Whole centre",
) -> pl.DataFrame:
    """KPIs and queues missing target with enough sample, the furthest from target first:
    the gap in the KPI's own unit, and as a share of the target (which ranks KPIs of
    different units against each other)."""
    both = with_scope(centre, queues, scope)
    missed = both.filter(judged(small_sample), pl.col("status") == "missed")
    gap = stats.divide(pl.col("value") - pl.col("target"), pl.col("target")).abs()
    missed = missed.with_columns(gap.alias("gap")).sort("gap", descending=True)
    return pl.DataFrame(
        [
            {
                "KPI": kpi.label,
                "Where": r["queue"],
                "Value": formatting.value(r["value"], kpi.unit),
                "Target": formatting.value(r["target"], kpi.unit),
                "Off by": formatting.change(r["value"] - r["target"], kpi.unit),
                "Off by, of target": f"{r['gap']:.0%}",
                "n": formatting.count(r["denominator"]),
            }
            for r in missed.iter_rows(named=True)
            for kpi in (catalog[r["kpi"]],)
        ],
        schema=ATTENTION,
    )


ATTENTION = ["KPI", "Where", "Value", "Target", "Off by", "Off by, of target", "n"]


def judged(small_sample: int) -> pl.Expr:
    """Whether a KPI row is judged against its target: met or missed, on at least
    `small_sample` of n (fewer are shown, but not listed as needing attention)."""
    enough = pl.col("denominator").fill_null(0) >= small_sample
    return pl.col("status").is_in(["met", "missed"]) & enough


def reading(kpi: Kpi, change: float | None) -> str:
    """Whether a change is for the better or the worse ('' where neither is better)."""
    if not change or kpi.better is Better.NEITHER:
        return ""
    return "better" if (change > 0) == (kpi.better is Better.HIGHER) else "worse"


def movers(compared_rows: pl.DataFrame, *, limit: int = 10) -> pl.DataFrame:
    """Significant changes, the strongest evidence first (largest test statistic)."""
    significant = compared_rows.filter(pl.col("significant").fill_null(False))
    # Rounded: sums in another order differ in the last bits, and equal rows (a queue that is
    # the whole selection) must keep one order, so the same data always reads the same.
    ranked = significant.with_columns(pl.col("statistic").abs().round(6).alias("strength"))
    return ranked.sort(["strength", "kpi", "queue"], descending=[True, False, False]).head(limit)


def all_met(judged: int, shown: int) -> str:
    """What to say when none of the `judged` of `shown` KPIs misses its target."""
    if judged == shown:
        return "Every headline KPI meets its target."
    return (
        f"The headline KPIs with enough data meet their target ({judged} of {shown}; the "
        "others have too little data, or none, in this period)."
    )

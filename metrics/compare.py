"""Period-over-period changes with a significance test, and control limits for daily series."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import polars as pl

from metrics import stats
from metrics.kpi import Interval, Kpi, Ratio, Stock, Total

KEEP = ("value", "numerator", "denominator", "variance")


def _interval_of(kpis: Sequence[Kpi]) -> pl.Expr:
    kinds = {k.key: k.interval.value if isinstance(k, Ratio) else "none" for k in kpis}
    return pl.col("kpi").replace_strict(kinds, default="none")


def _statistic(kpis: Sequence[Kpi]) -> tuple[pl.Expr, pl.Expr]:
    """The test statistic and its two-sided 5 % critical value, per row's interval kind."""
    n1, n2 = pl.col("denominator"), pl.col("denominator_before")
    v1, v2 = pl.col("variance"), pl.col("variance_before")
    scale = pl.col("kpi").replace_strict(
        {k.key: getattr(k, "scale", 1.0) for k in kpis}, default=1.0, return_dtype=pl.Float64
    )
    m1, m2 = pl.col("value") / scale, pl.col("value_before") / scale
    z_prop = stats.proportion_z(pl.col("numerator"), n1, pl.col("numerator_before"), n2)
    z_nps = stats.divide(m1 - m2, (stats.divide(v1, n1) + stats.divide(v2, n2)).sqrt())
    t, df = stats.welch(m1, v1, n1, m2, v2, n2)
    kind = _interval_of(kpis)
    statistic = (
        pl.when(kind == Interval.WILSON.value)
        .then(z_prop)
        .when(kind == Interval.NPS.value)
        .then(z_nps)
        .when(kind == Interval.MEAN.value)
        .then(t)
    )
    critical = pl.when(kind == Interval.MEAN.value).then(stats.t_quantile(df)).otherwise(stats.Z)
    return statistic, critical


def without_partial_totals(
    before: pl.DataFrame, kpis: Sequence[Kpi], partial: Collection[str]
) -> pl.DataFrame:
    """The comparison period's rows less the totals and stocks of the `partial` families (those
    whose stored data begins inside it): a count over part of a period is not comparable with
    a whole one. Ratios stay: they compare like with like over the days that have data."""
    counted = [k.key for k in kpis if isinstance(k, Total | Stock) and k.family in partial]
    return before.filter(~pl.col("kpi").is_in(counted)) if counted else before


def compare(
    current: pl.DataFrame, before: pl.DataFrame, kpis: Sequence[Kpi], *, on: Sequence[str] = ()
) -> pl.DataFrame:
    """`current` with the comparison period's value, the change, and whether it is significant.

    Proportions use the two-proportion z-test, NPS a z-test on the score's variance, means
    Welch's t-test, all at 5 % two-sided; other figures get no test (`significant` null).
    """
    keys = ["kpi", *on]
    earlier = before.select(*keys, *(pl.col(c).alias(f"{c}_before") for c in KEEP))
    joined = current.join(earlier, on=keys, how="left", nulls_equal=True)
    statistic, critical = _statistic(kpis)
    return joined.with_columns(
        (pl.col("value") - pl.col("value_before")).alias("change"),
        statistic.alias("statistic"),
    ).with_columns(
        pl.when(pl.col("statistic").is_not_null())
        .then(pl.col("statistic").abs() > critical)
        .alias("significant")
    )


def control_limits(series: pl.DataFrame, kpi: Kpi) -> pl.DataFrame:
    """Add centre, lower and upper limits and `flagged` to one KPI's time-ordered rows.

    Proportions and NPS get a Laney p′-chart: p-chart limits from each point's n, widened by
    the spread of the points' z-scores when the days vary more than sampling alone explains
    (large daily n otherwise flags nearly every day). Everything else gets an individuals
    chart from the average moving range.
    """
    value, n = pl.col("value"), pl.col("denominator")
    scale = getattr(kpi, "scale", 1.0)
    interval = kpi.interval if isinstance(kpi, Ratio) else Interval.NONE
    if interval in (Interval.WILSON, Interval.NPS):
        centre = stats.divide(pl.col("numerator").sum(), n.sum()) * scale
        if interval is Interval.WILSON:
            spread = (centre / scale) * (1 - centre / scale)
        else:
            spread = stats.divide((pl.col("variance") * n).sum(), n.sum())
        sigma = stats.divide(spread, n).sqrt() * scale
        z = stats.divide(value - centre, sigma)
        laney = (stats.divide(z.diff().abs().mean(), pl.lit(1.128))).clip(lower_bound=1.0)
        half = stats.SIGMA * sigma * laney.fill_null(1.0)
    else:
        centre = value.mean()
        half = stats.MOVING_RANGE * value.diff().abs().mean()
    limited = series.with_columns(
        centre.alias("centre"), (centre - half).alias("lower"), (centre + half).alias("upper")
    )
    bounds = {"percent": (0, 1), "points": (-scale, scale)}.get(kpi.unit.value)  # NPS: ±100
    if bounds:
        limited = limited.with_columns(pl.col("lower", "upper").clip(*bounds))
    outside = (value < pl.col("lower")) | (value > pl.col("upper"))
    return limited.with_columns(outside.fill_null(False).alias("flagged"))

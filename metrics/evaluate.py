"""Evaluate catalog KPIs over interval tables: sum at the requested grain, then divide."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import polars as pl

from metrics import histogram, rollup, stats, ticket_rollup
from metrics.kpi import Better, Family, Interval, Kpi, Measure, Percentile, Ratio, Stock, Total

TIME_GRAINS = (
    "interval", "half_hour", "hour", "day", "week", "month", "weekday", "hour_of_day",
)  # fmt: skip
DIMENSIONS = {
    Family.CONTACTS: rollup.DIMENSIONS,
    Family.SURVEYS: rollup.DIMENSIONS,
    Family.TICKETS: ticket_rollup.DIMENSIONS,
}
INTERVAL = timedelta(minutes=15)
CLOSED = "__closed"
OUTPUT = {
    "kpi": pl.String,
    "value": pl.Float64,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "target": pl.Float64,
    "status": pl.String,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "variance": pl.Float64,
    "provisional": pl.Boolean,
    "note": pl.String,
}
WINDOWS = {"fcr": "FCR window", "containment": "24 hours", "complaint": "48 hours"}
DEFAULT_WINDOWS = {
    "fcr": timedelta(days=7),
    "containment": timedelta(hours=24),
    "complaint": ticket_rollup.FOLLOW_UP,
}
Frames = Mapping[str, pl.LazyFrame | pl.DataFrame]


def time_grain(grain: str, timezone: str, column: str = "interval_start") -> pl.Expr:
    """A time grain of a UTC timestamp column, in the centre's zone (DST-correct)."""
    local = pl.col(column).dt.convert_time_zone(timezone)
    grains = {
        "interval": lambda: local,
        "half_hour": lambda: local.dt.truncate("30m"),
        "hour": lambda: local.dt.truncate("1h"),
        "day": lambda: local.dt.date(),
        "week": lambda: local.dt.truncate("1w").dt.date(),
        "month": lambda: local.dt.month_start().dt.date(),
        "weekday": lambda: local.dt.weekday(),
        "hour_of_day": lambda: local.dt.hour(),
    }
    return grains[grain]().alias(grain)


def _closed(measure: Measure) -> Measure:
    return Measure(tuple((c + CLOSED, s) for c, s in measure.terms))


def _window_columns(kpi: Kpi, windows: Mapping[str, timedelta], as_of: datetime) -> list[pl.Expr]:
    """Copies of a windowed KPI's measures holding only intervals whose window has closed."""
    if not isinstance(kpi, Ratio) or kpi.window is None:
        return []
    closed = pl.col("interval_start") + INTERVAL + windows[kpi.window] <= as_of
    return [pl.when(closed).then(pl.col(c)).otherwise(0).alias(c + CLOSED) for c in kpi.measures]


def _sums(
    frame: pl.LazyFrame,
    kpis: Sequence[Kpi],
    *,
    by: Sequence[str],
    timezone: str,
    windows: Mapping[str, timedelta],
    as_of: datetime,
    **_: object,
) -> pl.DataFrame:
    present = set(frame.collect_schema().names())
    measures = sorted({c for k in kpis for c in k.measures if c in present})
    extra = [
        e for k in kpis if set(k.measures) <= present for e in _window_columns(k, windows, as_of)
    ]
    grains = [time_grain(g, timezone) for g in by if g in TIME_GRAINS]
    frame = frame.with_columns(*grains, *extra)
    columns = [*measures, *(e.meta.output_name() for e in extra)]
    sums = [pl.col(c).sum() for c in dict.fromkeys(columns)]
    if not by:
        return frame.select(sums).collect()
    return frame.group_by(list(by)).agg(sums).sort(list(by)).collect()


def day_grain(grain: str) -> pl.Expr:
    """A calendar grain of the local `day` column of backlog snapshots."""
    day = pl.col("day")
    grains = {"day": day, "week": day.dt.truncate("1w"), "month": day.dt.month_start()}
    return grains[grain].alias(grain)


def _ratio_rows(kpi: Ratio, sums: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    numerator, denominator = kpi.numerator, kpi.denominator
    provisional = pl.lit(False)
    if kpi.window is not None:
        numerator, denominator = _closed(numerator), _closed(denominator)
        provisional = kpi.denominator.expr() > denominator.expr()
    num, den = numerator.expr(), denominator.expr()
    share = stats.divide(num, den)
    value = share * kpi.scale
    frame = sums.select(
        *by,
        value.alias("value"),
        num.cast(pl.Float64).alias("numerator"),
        den.cast(pl.Float64).alias("denominator"),
        _variance(kpi, numerator, share, den).alias("variance"),
        provisional.alias("provisional"),
    )
    low, high = _interval(kpi, frame)
    return frame.with_columns(low.alias("ci_low"), high.alias("ci_high"))


def _variance(kpi: Ratio, numerator: Measure, share: pl.Expr, n: pl.Expr) -> pl.Expr:
    if kpi.interval is Interval.WILSON:
        return share * (1 - share)
    if kpi.interval is Interval.NPS:
        plus = pl.sum_horizontal([pl.col(c) for c, s in numerator.terms if s > 0])
        minus = pl.sum_horizontal([pl.col(c) for c, s in numerator.terms if s < 0])
        return stats.nps_variance(plus, minus, n)
    if kpi.interval is Interval.MEAN and kpi.squares is not None:
        squares = kpi.squares if kpi.window is None else _closed(kpi.squares)
        return stats.mean_variance(numerator.expr(), squares.expr(), n)
    return pl.lit(None, pl.Float64)


def _interval(kpi: Ratio, frame: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    value, n, variance = pl.col("value"), pl.col("denominator"), pl.col("variance")
    if kpi.interval is Interval.WILSON:
        low, high = stats.wilson(pl.col("numerator"), n)
        return low * kpi.scale, high * kpi.scale
    if kpi.interval is Interval.NPS:
        low, high = stats.normal_interval(value, variance, n, scale=kpi.scale)
        return low.clip(-kpi.scale, kpi.scale), high.clip(-kpi.scale, kpi.scale)
    if kpi.interval is Interval.MEAN:
        return stats.mean_interval(value, variance, n)
    return pl.lit(None, pl.Float64), pl.lit(None, pl.Float64)


def _percentile_rows(kpi: Percentile, sums: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    counts = sums.select(kpi.measures).to_numpy()
    values = histogram.quantile(kpi.histogram, counts, kpi.quantile)
    return sums.select(
        *by,
        pl.Series("value", values).fill_nan(None),
        pl.lit(None, pl.Float64).alias("numerator"),
        pl.sum_horizontal(kpi.measures).cast(pl.Float64).alias("denominator"),
    )


def _total_rows(kpi: Total, sums: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    total = kpi.total.expr().cast(pl.Float64)
    return sums.select(
        *by, total.alias("value"), total.alias("numerator"), total.alias("denominator")
    )


def _stock_rows(kpi: Stock, backlog: pl.LazyFrame, by: Sequence[str]) -> pl.DataFrame | None:
    if any(g in TIME_GRAINS and g not in ("day", "week", "month") for g in by):
        return None
    groups = list(dict.fromkeys(by))
    frame = backlog.with_columns(day_grain(g) for g in groups if g in ("week", "month"))
    daily = frame.group_by(list(dict.fromkeys([*groups, "day"]))).agg(pl.col(kpi.column).sum())
    last = daily.sort("day")
    last = last.group_by(groups).agg(pl.col(kpi.column).last()) if groups else last.tail(1)
    value = pl.col(kpi.column).cast(pl.Float64)
    result = last.select(*groups, value.alias("value"), value.alias("denominator"))
    if not groups:  # an empty period still gets its one row, as n/a
        result = pl.concat([result, pl.LazyFrame({"value": [None], "denominator": [0.0]})])
        result = result.head(1)
    return result.with_columns(pl.lit(None, pl.Float64).alias("numerator")).collect()


def _status(kpi: Kpi, small_sample: int) -> pl.Expr:
    value, target = pl.col("value"), pl.col("target")
    met = value >= target if kpi.better is Better.HIGHER else value <= target
    small = pl.lit(kpi.survey) & (pl.col("denominator") < small_sample)
    return (
        pl.when(value.is_null())
        .then(pl.lit("n/a"))
        .when(small)
        .then(pl.lit("small sample"))
        .when(target.is_null())
        .then(pl.lit("no target"))
        .when(met)
        .then(pl.lit("met"))
        .otherwise(pl.lit("missed"))
    )


def _note(kpi: Kpi, small_sample: int) -> pl.Expr:
    window = kpi.window if isinstance(kpi, Ratio) else None
    nothing = pl.lit("nothing to count in this selection")
    # Null with contacts still inside their window: wait; null with none at all: nothing to count.
    empty = pl.when(pl.col("provisional")).then(pl.lit("window not closed yet")).otherwise(nothing)
    n = pl.col("denominator")
    return (
        pl.when(pl.col("value").is_null())
        .then(empty if window else nothing)
        .when(pl.col("status") == "small sample")
        .then(pl.format(f"fewer than {small_sample} responses ({{}})", n.cast(pl.Int64)))
        .when(pl.col("provisional"))
        .then(pl.lit(f"provisional: the latest ones wait for their {WINDOWS.get(window)} to close"))
    )


def _finish(kpi: Kpi, rows: pl.DataFrame, target: float | None, small_sample: int) -> pl.DataFrame:
    rows = rows.with_columns(
        pl.lit(kpi.key).alias("kpi"),
        pl.lit(target, pl.Float64).alias("target"),
        *(
            pl.lit(None, OUTPUT[c]).alias(c)
            for c in OUTPUT
            if c not in {*rows.columns, "kpi", "target"}
        ),
    ).with_columns(pl.col("provisional").fill_null(False))
    rows = rows.with_columns(_status(kpi, small_sample).alias("status"))
    return rows.with_columns(pl.coalesce("note", _note(kpi, small_sample)).alias("note"))


def _unavailable(
    kpi: Kpi, missing: Sequence[str], sums: pl.DataFrame, by: Sequence[str]
) -> pl.DataFrame:
    rows = sums.select(*by, pl.lit(None, pl.Float64).alias("value"))  # n/a in every group
    note = f"no data: needs {', '.join(missing)}, which no loaded source provides"
    return rows.with_columns(pl.lit(note).alias("note"))


def _family_frame(
    frames: Frames | pl.LazyFrame | pl.DataFrame, family: Family
) -> pl.LazyFrame | None:
    if isinstance(frames, pl.DataFrame | pl.LazyFrame):
        return frames.lazy()
    frame = frames.get(family.value)
    return None if frame is None else frame.lazy()


def restrict(
    frame: pl.LazyFrame | pl.DataFrame, where: Mapping[str, Sequence[object]] | None
) -> pl.LazyFrame | pl.DataFrame:
    """Rows whose every named dimension is one of the listed values (`where`); None in a list
    keeps the rows where that dimension is unset."""
    for column, allowed in (where or {}).items():
        frame = frame.filter(pl.col(column).is_in(list(allowed), nulls_equal=True))
    return frame


def evaluate(
    kpis: Sequence[Kpi],
    intervals: Frames | pl.LazyFrame | pl.DataFrame,
    *,
    by: Sequence[str] = (),
    where: Mapping[str, Sequence[object]] | None = None,
    timezone: str = "UTC",
    targets: Mapping[str, float | None] | None = None,
    windows: Mapping[str, timedelta] | None = None,
    as_of: datetime | None = None,
    small_sample: int = 30,
    backlog: pl.LazyFrame | pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per KPI and group: value, numerator, denominator (n), target, status, interval.

    `intervals` maps a family ("contacts", "surveys", "tickets") to its interval table, or is
    one table for every family. `by` names time grains (TIME_GRAINS, in `timezone`) and
    dimensions; `where` keeps rows whose dimension is one of the listed values. A KPI whose
    family lacks a `by` or `where` dimension is left out.
    """
    where, targets = where or {}, targets or {}
    windows = {**DEFAULT_WINDOWS, **(windows or {})}
    as_of = as_of or datetime.now(UTC)
    dims = [d for d in by if d not in TIME_GRAINS]
    parts = []
    for family in Family:
        chosen = [k for k in kpis if k.family is family]
        if not chosen or not set(dims) | set(where) <= set(DIMENSIONS[family]):
            continue
        rows = _family_rows(
            chosen,
            family,
            intervals,
            backlog,
            by=by,
            where=where,
            timezone=timezone,
            windows=windows,
            as_of=as_of,
        )
        parts += [_finish(k, r, targets.get(k.key), small_sample) for k, r in rows]
    if not parts:
        return pl.DataFrame(schema={"kpi": pl.String, **OUTPUT})
    order = ["kpi", *by, *[c for c in OUTPUT if c != "kpi"]]
    return pl.concat([p.select(order) for p in parts], how="diagonal_relaxed")


def _family_rows(
    kpis: Sequence[Kpi],
    family: Family,
    intervals: Frames | pl.LazyFrame | pl.DataFrame,
    backlog: pl.LazyFrame | pl.DataFrame | None,
    **options: object,
) -> list[tuple[Kpi, pl.DataFrame]]:
    by, where = options["by"], options["where"]
    frame = _family_frame(intervals, family)
    out: list[tuple[Kpi, pl.DataFrame]] = []
    flows = [k for k in kpis if not isinstance(k, Stock)]
    if frame is not None and flows:
        frame = restrict(frame, where)
        present = set(frame.collect_schema().names())
        sums = _sums(frame, flows, **options)
        for kpi in flows:
            missing = [c for c in kpi.measures if c not in present]
            rows = _unavailable(kpi, missing, sums, by) if missing else _rows(kpi, sums, by)
            out.append((kpi, rows))
    for kpi in (k for k in kpis if isinstance(k, Stock) and backlog is not None):
        rows = _stock_rows(kpi, restrict(backlog.lazy(), where), by)
        if rows is not None:
            out.append((kpi, rows))
    return out


def _rows(kpi: Kpi, sums: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    if isinstance(kpi, Ratio):
        return _ratio_rows(kpi, sums, by)
    if isinstance(kpi, Percentile):
        return _percentile_rows(kpi, sums, by)
    if isinstance(kpi, Total):
        return _total_rows(kpi, sums, by)
    raise TypeError(f"cannot evaluate {type(kpi).__name__}")

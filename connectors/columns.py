"""Turn a mapping's column sources into typed canonical columns, with a reason per bad cell."""

from __future__ import annotations

import polars as pl

from connectors.mapping import SECONDS_PER, Source
from connectors.parse import blank_to_null, convert, describe, timestamp_from_text
from metrics.schema import TIMESTAMP, Kind

ZERO = r"^[0:.\s]+$"  # 0, 0.0, 0:00:00, 00:00 — a zero that means "did not happen"
FALLBACK_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d")


def _text(source: Source) -> pl.Expr:
    """The source cell(s) as trimmed text, blank and declared sentinels as null."""
    text = _cells(source)
    return pl.when(~text.is_in(source.nulls)).then(text) if source.nulls else text


def _cells(source: Source) -> pl.Expr:
    if source.join:
        parts = [blank_to_null(pl.col(c)) for c in source.join]
        return pl.concat_str(parts, separator=source.separator)  # null when a part is
    if source.value is not None:
        value = source.value
        return pl.lit(str(value).lower() if isinstance(value, bool) else str(value))
    if source.date is not None:
        date = blank_to_null(pl.col(source.date))
        if source.time is None:
            return date
        time = blank_to_null(pl.col(source.time))
        return pl.when(date.is_not_null() & time.is_not_null()).then(
            pl.concat_str([date, time], separator=" ")
        )
    return blank_to_null(pl.col(source.column))


def _zero(source: Source) -> pl.Expr:
    """Whether the cell is a zero that the mapping reads as null."""
    if not source.zero_is_null or source.join or source.value is not None:
        return pl.lit(False)
    cell = blank_to_null(pl.col(source.time or source.column or source.date))
    return cell.str.contains(ZERO).fill_null(False)


def present(source: Source) -> pl.Expr:
    """Whether the row has a value for this source (not blank, not a declared zero)."""
    return (~_zero(source) & _text(source).is_not_null()).fill_null(False)


def timestamp(text: pl.Expr, *, format: str | None, timezone: str) -> pl.Expr:
    """Text to a UTC timestamp: with `format` (strptime), else ISO 8601 and a few near forms."""
    if format is None:
        naive = [text.str.to_datetime(f, strict=False, time_unit="us") for f in FALLBACK_FORMATS]
        local = pl.coalesce(naive).dt.replace_time_zone(
            timezone, ambiguous="earliest", non_existent="null"
        )
        return pl.coalesce(timestamp_from_text(text, timezone), local.dt.convert_time_zone("UTC"))
    if "%z" in format:
        aware = text.str.replace(r"[Zz]$", "+00:00").str.to_datetime(
            format, strict=False, time_unit="us"
        )
        return aware.dt.convert_time_zone("UTC")
    naive = text.str.to_datetime(format, strict=False, time_unit="us")
    local = naive.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    return local.dt.convert_time_zone("UTC")


def clock_seconds(text: pl.Expr) -> pl.Expr:
    """`H:MM:SS` (or `H:MM`) text as seconds."""
    parts = text.str.split(":")
    number = [parts.list.get(i, null_on_oob=True).cast(pl.Float64, strict=False) for i in range(3)]
    hours_minutes = number[0] * 3600 + number[1] * 60
    count = parts.list.len()
    return (
        pl.when(count == 3)
        .then(hours_minutes + number[2])
        .when(count == 2)
        .then(hours_minutes)
        .otherwise(None)
    )


def _typed(text: pl.Expr, source: Source, target: pl.DataType, timezone: str) -> pl.Expr:
    if target == TIMESTAMP:
        return timestamp(text, format=source.format, timezone=timezone)
    if target == pl.Float64 and source.unit == "hh:mm:ss":
        return clock_seconds(text)
    if target == pl.Float64:
        return text.cast(pl.Float64, strict=False) * SECONDS_PER[source.unit]
    return convert(text, pl.String, target, timezone)


def _as_text(value: object) -> str | None:
    """A mapped value as the text the converters read (None stays unknown)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # TOML's 5.0 for a whole-number column
    return str(value).lower() if isinstance(value, bool) else str(value)


def _label(source: Source) -> str:
    return " + ".join(source.headers) or "constant"


def column(source: Source, target: pl.DataType, *, timezone: str) -> tuple[pl.Expr, pl.Expr]:
    """The typed canonical column and the reason its cell could not be read (else null)."""
    text = pl.when(~_zero(source)).then(_text(source))
    label = _label(source)
    if source.map:
        keys = [k for k, _ in source.map]
        values = [_as_text(v) for _, v in source.map]
        mapped = text.replace_strict(keys, values, default=None, return_dtype=pl.String)
        typed = _typed(mapped, source, target, timezone)
        shown = text.str.slice(0, 60)
        unmapped = pl.format(f"{label}: '{{}}' is not one of {', '.join(keys)}", shown)
        wrong = f"{label}: '{{}}' maps to '{{}}', not {describe(target)}"
        untyped = pl.format(wrong, shown, mapped)
        bad = (
            pl.when(text.is_not_null() & ~text.is_in(keys))
            .then(unmapped)
            .when(mapped.is_not_null() & typed.is_null())
            .then(untyped)
        )
        return typed, bad
    typed = _typed(text, source, target, timezone)
    message = pl.format(f"{label}: cannot read '{{}}' as {describe(target)}", text.str.slice(0, 60))
    return typed, pl.when(text.is_not_null() & typed.is_null()).then(message)


def canonical(
    raw: pl.DataFrame, sources: dict[str, Source], kind: Kind, *, timezone: str
) -> pl.DataFrame:
    """The kind's canonical columns (absent ones null) plus `_row` and `_reason`."""
    columns, reasons = [], {}
    for name, target in kind.schema.items():
        if name not in sources:
            columns.append(pl.lit(None, target).alias(name))
            continue
        typed, reason = column(sources[name], target, timezone=timezone)
        columns.append(typed.cast(target).alias(name))
        reasons.setdefault((sources[name], target), reason)  # one reason per source cell
    found = list(reasons.values()) or [pl.lit(None, pl.String)]
    reason = pl.concat_str(found, separator="; ", ignore_nulls=True)
    return raw.select(pl.col("_row"), *columns, pl.when(reason != "").then(reason).alias("_reason"))

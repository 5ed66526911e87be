"""Turn source cells into canonical types; a cell that cannot be read becomes a reason."""

from __future__ import annotations

import difflib

import polars as pl

from metrics.errors import CarePulseError
from metrics.schema import TIMESTAMP, Kind

TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")
_BOOLEANS = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}


def describe(dtype: pl.DataType) -> str:
    if dtype == TIMESTAMP:
        return "a timestamp (ISO 8601, e.g. 2024-03-01T09:15:00Z)"
    if dtype == pl.Boolean:
        return "yes/no"
    if dtype.is_integer():
        return "a whole number"
    if dtype.is_float():
        return "a number"
    return str(dtype)


def timestamp_from_text(text: pl.Expr, timezone: str) -> pl.Expr:
    """ISO 8601 text to UTC: an offset or Z is honoured, naive times are read in `timezone`."""
    iso = text.str.replace(" ", "T", literal=True).str.replace(r"[Zz]$", "+00:00")
    aware = iso.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_unit="us")
    naive = iso.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
    local = naive.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    return pl.coalesce(aware.dt.convert_time_zone("UTC"), local.dt.convert_time_zone("UTC"))


def convert(column: pl.Expr, source: pl.DataType, target: pl.DataType, timezone: str) -> pl.Expr:
    """Cast one source column to its canonical type; unreadable cells become null."""
    if source == pl.String:
        if target == TIMESTAMP:
            return timestamp_from_text(column, timezone)
        if target == pl.Boolean:
            return column.str.to_lowercase().replace_strict(
                _BOOLEANS, default=None, return_dtype=pl.Boolean
            )
        return column.cast(target, strict=False)
    if isinstance(source, pl.Datetime) and target == TIMESTAMP:
        if source.time_zone is None:
            column = column.dt.replace_time_zone(
                timezone, ambiguous="earliest", non_existent="null"
            )
        return column.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    return column.cast(target, strict=False)


def blank_to_null(column: pl.Expr) -> pl.Expr:
    """Trimmed text, with empty cells as null (unknown), never zero."""
    trimmed = column.str.strip_chars()
    return pl.when(trimmed != "").then(trimmed)


def to_canonical(frame: pl.DataFrame, kind: Kind, *, timezone: str) -> pl.DataFrame:
    """Canonical columns (absent ones null) plus `_row` and a parsing `_reason`."""
    columns, failures = [], []
    for name, target in kind.schema.items():
        if name not in frame.columns:
            columns.append(pl.lit(None, target).alias(name))
            continue
        source = frame.schema[name]
        cell = blank_to_null(pl.col(name)) if source == pl.String else pl.col(name)
        typed = convert(cell, source, target, timezone)
        columns.append(typed.alias(name))
        shown = cell.cast(pl.String).str.slice(0, 60)
        message = pl.format(f"{name}: cannot read '{{}}' as {describe(target)}", shown)
        failures.append(pl.when(cell.is_not_null() & typed.is_null()).then(message))
    reason = pl.concat_str(failures, separator="; ", ignore_nulls=True) if failures else None
    parsed = frame.select(pl.col("_row"), *columns)
    if reason is None:
        return parsed.with_columns(pl.lit(None, pl.String).alias("_reason"))
    return parsed.with_columns(
        frame.select(pl.when(reason != "").then(reason).alias("_reason")).to_series()
    )


def listed(names: list[str], *, most: int = 40) -> str:
    """Names joined for a message, cut after `most` (a one-line file may hold thousands)."""
    shown = ", ".join(n[:60] for n in names[:most])
    more = f", … ({len(names) - most:,} more)" if len(names) > most else ""
    return (shown + more) or "no headers"


def require_headers(
    found: list[str],
    needed: list[str],
    *,
    file: str,
    hint: str = "Rename the column in the file to the canonical name (see the README).",
) -> None:
    """Raise with the headers found and the closest match when a needed header is absent."""
    missing = [n for n in needed if n not in found]
    if not missing:
        return
    parts = []
    for name in missing:
        close = difflib.get_close_matches(name, found, n=1, cutoff=0.6)
        parts.append(f"'{name}'" + (f" (closest: '{close[0]}')" if close else ""))
    raise CarePulseError(
        f"{file}: missing column {', '.join(parts)}; found: {listed(found)}",
        hint=hint,
    )

"""Files users download: CSV that a spreadsheet opens as text, never as formulas."""

from __future__ import annotations

import polars as pl

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe (OWASP)."""
    risky = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    starts = "^[" + "".join("\\" + c if c in "-+" else c for c in FORMULA_START) + "]"
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(starts))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in risky
    )


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as UTF-8 CSV (with a BOM, so Excel reads accents) and formulas neutralised."""
    return b"\xef\xbb\xbf" + neutralised(frame).write_csv().encode("utf-8")

"""Files users download: CSV that a spreadsheet opens as text, never as formulas."""

from __future__ import annotations

import re

import polars as pl

# A spreadsheet reads a cell starting with = + - @ (after any spaces), a tab or a carriage
# return as a formula (OWASP, "CSV injection"); such a cell gets a leading apostrophe.
FORMULA = r"^(\s*[=+\-@]|[\t\r])"


def safe_cell(text: str | None) -> str | None:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    if text is not None and re.match(FORMULA, text):
        return "'" + text
    return text


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column made safe; numbers, dates and booleans stay as they are."""
    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA))
        .then(pl.concat_str(pl.lit("'"), pl.col(name)))
        .otherwise(pl.col(name))
        .alias(name)
        for name in texts
    )


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as UTF-8 CSV (with a BOM, so Excel reads accents) and formulas neutralised."""
    return b"\xef\xbb\xbf" + neutralised(frame).write_csv().encode("utf-8")

"""SurveyMonkey CSV exports (two header rows), read through a mapping of the questions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import polars as pl

from connectors import generic, tables
from connectors.base import Batch
from connectors.mapping import Mapping, Source
from connectors.qualtrics import required_mapping
from metrics.errors import CarePulseError
from metrics.schema import SURVEY_RESPONSES

SIGNATURE = ["Respondent ID", "Collector ID"]
US_TIME = "%m/%d/%Y %I:%M:%S %p"  # 12/02/2019 09:36:57 AM (unverified: override in the mapping)
DEFAULTS = {
    "response_id": Source(column="Respondent ID"),
    "sent_at": Source(column="Start Date", format=US_TIME),
    "responded_at": Source(column="End Date", format=US_TIME),
}
PLAIN = ("", "Response")  # sub-labels that add nothing to the question's name


def names(first: list[str], second: list[str | None]) -> list[str]:
    """Row 1 (questions, blank over a question's later columns) + row 2 (sub-labels) as names."""
    result: list[str] = []
    question = ""
    for top, sub in zip(first, second, strict=True):
        if top and not top.startswith("_duplicated_"):
            question = " ".join(top.split())  # question texts may hold line breaks
        label = (sub or "").strip()
        name = question if label in PLAIN else f"{question} - {label}"
        while name in result:
            name += " (again)"
        result.append(name)
    return result


def _renamed(table: tables.Table, where: str) -> tables.Table:
    """The table with the two header rows combined into its column names."""
    batches = iter(table.batches)
    first = next(batches, None)
    second = None if first is None else first.filter(pl.col("_row") == 1)
    if second is None or second.is_empty():
        raise CarePulseError(
            f"{where}: the second header row (the answers' sub-labels) is missing",
            hint="Export the responses from SurveyMonkey again, expanded, with both header rows.",
        )
    labels = second.select(table.headers).row(0)
    renamed = dict(zip(table.headers, names(table.headers, list(labels)), strict=True))

    def rows() -> Iterator[pl.DataFrame]:
        for batch in (first, *batches):
            yield batch.filter(pl.col("_row") > 1).rename(renamed)

    return tables.Table(list(renamed.values()), rows(), table.notes)


class SurveyMonkey:
    """A SurveyMonkey CSV export (expanded layout), one survey response per row."""

    name = "surveymonkey"
    description = "SurveyMonkey survey CSV export (Respondent ID, Collector ID, …; with --mapping)"
    uses_mapping = True

    def detect(self, path: Path, head: bytes) -> bool:
        return tables.csv_headers(head)[:2] == SIGNATURE

    def read(
        self,
        path: Path,
        *,
        timezone: str,
        source: str | None,
        batch_rows: int,
        mapping: Mapping | None = None,
    ) -> Iterator[Batch]:
        declared = required_mapping(mapping, "SurveyMonkey")
        declared = replace(declared, columns=DEFAULTS | declared.columns)
        table = _renamed(tables.read(path, batch_rows=batch_rows), path.name)
        options = dict(kind=SURVEY_RESPONSES, timezone=timezone, source=source)
        yield from generic.mapped(table, declared, where=path.name, **options)


CONNECTOR = SurveyMonkey()

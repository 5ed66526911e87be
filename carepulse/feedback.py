"""Survey comments for a period and selection: verbatims, the themes table and new phrases.

Comments are stored redacted (the ingest masks identifiers), so everything here may be shown.
These read survey facts, not rollups: only answered responses of the period, with a comment.
`summary` is the one call the PDF report makes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from carepulse import bulk, indexed, storage
from carepulse.query import utc_range
from carepulse.settings import Settings
from metrics import rollup, themes
from metrics.evaluate import restrict
from metrics.schema import KINDS

Where = Mapping[str, Sequence[object]] | None
CONTACTS, SURVEYS = storage.FACTS["contacts"], storage.FACTS["survey_responses"]
VERBATIM_COLUMNS = (
    "counted_at", "csat", "nps", "ces", "comment", "themes", "queue", "team", "agent_id",
    "channel", "contact_id", "ticket_id", "response_id",
)  # fmt: skip


def responses(
    engine: Engine, settings: Settings, *, start: date, end: date, where: Where = None
) -> pl.DataFrame:
    """Commented responses counted in local days `start`..`end` (at their rated contact's
    arrival, else their own time, as the KPIs count them), with the contact's dimensions."""
    low, high = utc_range(start, end, settings.timezone)
    own_time = indexed.survey_time(SURVEYS)
    rated = sa.select(CONTACTS.c.contact_id).where(
        CONTACTS.c.arrived_at >= low, CONTACTS.c.arrived_at < high
    )
    commented = sa.select(SURVEYS).where(SURVEYS.c.comment.is_not(None))
    # A union, not OR: each half finds its rows by index (an OR read every response stored).
    wanted = sa.union(
        commented.where(SURVEYS.c.contact_id.in_(rated)),
        commented.where(own_time >= low, own_time < high),
    ).subquery()
    linked = sa.select(CONTACTS).where(CONTACTS.c.contact_id.in_(sa.select(wanted.c.contact_id)))
    found = bulk.read(engine, sa.select(wanted), KINDS["survey_responses"].schema)
    contacts = bulk.read(engine, linked, KINDS["contacts"].schema)
    attributed = rollup.attribute_surveys(found.lazy(), contacts.lazy()).collect()
    counted = attributed.filter(
        pl.col("_counted_at") >= low,
        pl.col("_counted_at") < high,
        pl.col("comment").str.strip_chars() != "",
    ).rename({"_counted_at": "counted_at"})
    return restrict(counted, where).sort("counted_at", descending=True)


def verbatims(
    found: pl.DataFrame,
    settings: Settings,
    *,
    search: str = "",
    theme: str | None = None,
    sentiment: str | None = None,
) -> pl.DataFrame:
    """The comments of `responses(...)`, tagged, narrowed by text, theme and sentiment."""
    tagged = themes.tag(found, settings.themes).with_columns(themes.sentiment().alias("sentiment"))
    if search.strip():
        text = pl.col("comment").str.to_lowercase()
        tagged = tagged.filter(text.str.contains(search.strip().lower(), literal=True))
    if theme:
        tagged = tagged.filter(pl.col("themes").list.contains(theme))
    if sentiment:
        tagged = tagged.filter(pl.col("sentiment") == sentiment)
    return tagged.select(*VERBATIM_COLUMNS, "sentiment")


def sample(tagged: pl.DataFrame, table: pl.DataFrame, *, count: int) -> pl.DataFrame:
    """The newest comment of each of the most mentioned themes, one each, up to `count`."""
    picked: list[str] = []
    for theme in table.filter(pl.col("mentions") > 0)["theme"]:
        mentions = tagged.filter(
            pl.col("themes").list.contains(theme), ~pl.col("response_id").is_in(picked)
        )
        if mentions.height:
            picked.append(mentions["response_id"][0])  # newest first
        if len(picked) == count:
            break
    return tagged.filter(pl.col("response_id").is_in(picked))


def summary(
    engine: Engine,
    settings: Settings,
    *,
    start: date,
    end: date,
    where: Where = None,
    count: int = 5,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The themes table and a few redacted verbatims (one per leading theme), for the report.

    Themes: `theme_table`'s columns. Verbatims: VERBATIM_COLUMNS and `sentiment`, newest first.
    """
    found = responses(engine, settings, start=start, end=end, where=where)
    table = themes.theme_table(found, settings.themes)
    return table, sample(verbatims(found, settings), table, count=count)

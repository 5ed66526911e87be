"""The Voice of the customer page's sections: scores over time, distributions, breakdowns,
themes, new phrases and verbatims (Streamlit)."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from carepulse import charts, feedback, filters, formatting, query, tables, ui, widgets
from carepulse.filters import Filters
from carepulse.settings import get_settings
from metrics import rollup, themes
from metrics.kpi import Kpi, Unit

TILES = ("csat", "nps", "ces", "response_rate", "survey_fcr")
OVER_TIME = ("csat", "nps", "ces", "response_rate")
BREAKDOWN = ("csat", "nps", "ces", "response_rate")
GRAINS = {"day": "Day", "week": "Week", "month": "Month"}
NPS_PARTS = {
    "detractors": ("Detractors 0–6", charts.FLAG),
    "passives": ("Passives 7–8", "#999999"),
    "promoters": ("Promoters 9–10", charts.PALETTE[2]),
}
SENTIMENTS = {"": "Everyone", "detractor": "Detractors", "promoter": "Promoters"}
SHOWN = 500


@st.cache_data(ttl=600, show_spinner="Reading comments…", max_entries=16)
def _comments(url: str, start: date, end: date, where: tuple, version: str) -> pl.DataFrame:
    engine = ui.engine(url)
    return feedback.responses(engine, get_settings(), start=start, end=end, where=dict(where))


def comments(f: Filters) -> pl.DataFrame:
    """The period's commented responses in the selection (redacted at ingest)."""
    url = get_settings().database
    return _comments(url, f.period.start, f.period.end, f.where, ui.version(url))


@st.cache_data(ttl=600, show_spinner=False, max_entries=32)
def _totals(url: str, start: date, end: date, where: tuple, by: tuple, version: str):
    columns = [
        *(f"csat_{k}" for k in rollup.CSAT_SCALE),
        *(f"ces_{k}" for k in rollup.CES_SCALE),
        *NPS_PARTS,
    ]
    return query.totals(
        ui.engine(url), get_settings(), start=start, end=end, family="surveys",
        columns=columns, by=by, where=dict(where),
    )  # fmt: skip


def totals(f: Filters, by: tuple[str, ...] = ()) -> pl.DataFrame:
    """Score counts of the period (per point of each scale), grouped `by`."""
    url = get_settings().database
    return _totals(url, f.period.start, f.period.end, f.where, by, ui.version(url))


def sent_and_answered(current: pl.DataFrame) -> None:
    """The response rate's counts in words, against its target."""
    row = current.filter(pl.col("kpi") == "response_rate").to_dicts()[0]
    target = row["target"]
    aim = f" (target ≥ {formatting.value(target, Unit.PERCENT)})" if target is not None else ""
    st.caption(
        f"Surveys sent: **{formatting.count(row['denominator'])}** · answered: "
        f"**{formatting.count(row['numerator'])}** · response rate "
        f"**{formatting.value(row['value'], Unit.PERCENT)}**{aim}"
    )


def over_time(f: Filters, catalog: dict[str, Kpi]) -> None:
    """Each score per day, week or month with its 95 % interval."""
    grain = filters.choice(
        "Per", list(GRAINS), key="grain", default="week", format_func=GRAINS.get,
        container=st.columns(4)[0],
    )  # fmt: skip
    series = ui.kpis(f, by=(grain,), keys=OVER_TIME)
    widgets.estimates(f, series, catalog, OVER_TIME, x=grain, empty="no answers in this period")
    st.caption("Whiskers: 95 % intervals. Few answers make wide whiskers: read them first.")


def distributions(f: Filters) -> None:
    """NPS as promoters, passives and detractors per week; CSAT and CES per point."""
    weekly = totals(f, ("week",))
    whole = totals(f)
    left, middle, right = st.columns(3)
    if weekly.select(list(NPS_PARTS)).sum_horizontal().sum():
        nps = charts.stacked(weekly, x="week", parts=NPS_PARTS, title="NPS answers", axis="answers")
        left.plotly_chart(nps, width="stretch", key="nps-split")
    left.caption(tables.nps_split(whole))
    for column, name, scale in (
        (middle, "csat", rollup.CSAT_SCALE),
        (right, "ces", rollup.CES_SCALE),
    ):
        points = tables.points(whole, name, scale)
        if not points["answers"].sum():
            column.caption(f"No {name.upper()} answers in this period.")
            continue
        title = {"csat": "CSAT answers (1–5)", "ces": "Customer effort answers (1–7)"}[name]
        parts = {"answers": ("answers", charts.PALETTE[0])}
        figure = charts.stacked(points, x="score", parts=parts, title=title, axis="answers")
        column.plotly_chart(figure, width="stretch", key=f"points-{name}")


def breakdown(f: Filters, catalog: dict[str, Kpi]) -> None:
    """The scores by queue, team, agent, channel or segment, small samples marked."""
    dimension = filters.choice(
        "By", list(tables.GROUPS), key="by", default="queue", format_func=tables.GROUPS.get,
        container=st.columns(4)[0],
    )  # fmt: skip
    rows = ui.kpis(f, by=(dimension,), keys=BREAKDOWN)
    if rows.is_empty():
        st.caption("No survey answers to break down.")
        return
    suppress = dimension == "agent_id"
    shown = tables.breakdown(rows, dimension, catalog, BREAKDOWN, suppress=suppress)
    st.dataframe(shown, hide_index=True, width="stretch")
    note = "Agents with fewer than {n} answers are shown as —." if suppress else ""
    st.caption(
        f"Values with their 95 % interval and n. Small sample: fewer than {ui.small_sample()} "
        f"answers, read with care. " + note.format(n=ui.small_sample())
    )


def theme_table(found: pl.DataFrame) -> pl.DataFrame:
    """The taxonomy's themes over the comments, as computed (not yet formatted)."""
    return themes.theme_table(found, get_settings().themes)


def theme_section(table: pl.DataFrame) -> None:
    """Themes: volume, scores and effect (with vs without the theme), table and chart."""
    if table["mentions"].sum() == 0:
        st.caption("No comment mentions any theme. Themes are set in carepulse.toml ([themes]).")
        return
    st.dataframe(tables.themes(table, ui.small_sample()), hide_index=True, width="stretch")
    by_nps = table["nps_n"].sum() > 0
    key, unit = ("nps_effect", Unit.POINTS) if by_nps else ("csat_effect", Unit.PERCENT)
    frame = table.select(
        pl.col("theme").alias("label"),
        pl.col(key).alias("value"),
        pl.col(f"{key}_low").alias("low"),
        pl.col(f"{key}_high").alias("high"),
    )
    title = "Effect on NPS (points)" if by_nps else "Effect on CSAT"
    st.plotly_chart(charts.intervals(frame, unit, title=title, reference=0.0), width="stretch")
    st.caption(
        "Effect: the score of comments that mention the theme minus that of comments that do "
        "not, with its 95 % interval. A theme can sit in several comments' lists."
    )


def phrase_section(found: pl.DataFrame) -> None:
    """Phrases in no theme yet that detractors use more than promoters."""
    found_phrases = themes.discover(found, get_settings().themes)
    if found_phrases.is_empty():
        st.caption("No phrase outside the themes is used clearly more by detractors.")
        return
    st.dataframe(tables.phrases(found_phrases), hide_index=True, width="stretch")
    st.caption(
        "Phrases of one to three words in at least 5 comments, counted once per comment, that "
        "detractors use more than promoters beyond noise. "
        "Detractors: NPS 0–6 (CSAT 1–2 without NPS); promoters: NPS 9–10 (CSAT 4–5). Add the "
        "telling ones to a theme in carepulse.toml."
    )


def verbatim_section(found: pl.DataFrame, table: pl.DataFrame) -> None:
    """A searchable table of comments with scores, contact and agent."""
    left, middle, right = st.columns([2, 1, 1])
    search = filters.text("Search comments", key="q", placeholder="e.g. refill", container=left)
    names = ["", *table.filter(pl.col("mentions") > 0)["theme"]]
    theme = filters.choice(
        "Theme", names, key="theme", default="", container=middle,
        format_func=lambda t: t or "Any theme",
    )  # fmt: skip
    sentiment = filters.choice(
        "Who", list(SENTIMENTS), key="who", default="", container=right,
        format_func=SENTIMENTS.get,
    )  # fmt: skip
    chosen = feedback.verbatims(
        found, get_settings(), search=search, theme=theme or None, sentiment=sentiment or None
    )
    shown_rows = tables.verbatims(chosen.head(SHOWN), get_settings().timezone)
    st.dataframe(shown_rows, hide_index=True, width="stretch")
    shown = f"the newest {SHOWN} of " if chosen.height > SHOWN else ""
    st.caption(
        f"Showing {shown}{formatting.count(chosen.height)} comments. Phone numbers, e-mail "
        "addresses, dates, member and prescription numbers were masked when the data was loaded."
    )

"""The interval view of one day: 15- or 30-minute rows of the queue figures, the intervals
that missed a target marked in words and colour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import polars as pl
import streamlit as st

from carepulse import breakdown, drill, formatting, ui
from carepulse.filters import Filters, Step
from carepulse.periods import Period
from metrics.kpi import Kpi

KEYS = ("offered", "handled", "abandon_rate", "service_level", "asa", "aht")
JUDGED = ("abandon_rate", "service_level", "asa", "aht")  # the figures with targets
GRAINS = {"interval": "15 minutes", "half_hour": "30 minutes"}


def table(frame: pl.DataFrame, catalog: dict[str, Kpi], grain: str) -> pl.DataFrame:
    """One row per interval: start (local), offered, handled, abandoned, service level, ASA,
    AHT and the figures that missed target (empty intervals are left out)."""
    rows = []
    for (start,), group in frame.sort(grain).group_by(grain, maintain_order=True):
        by_key = {r["kpi"]: r for r in group.iter_rows(named=True)}
        if not by_key["offered"]["value"]:
            continue
        missed = [catalog[k].title for k in JUDGED if by_key[k]["status"] == "missed"]
        row = {"Start": start.strftime("%H:%M")}
        row["Offered"] = by_key["offered"]["value"]
        row["Handled"] = by_key["handled"]["value"]
        row["Abandoned"] = by_key["abandon_rate"]["numerator"]
        for key in JUDGED:
            row[catalog[key].title] = drill.shown(by_key[key]["value"], catalog[key].unit)
        row["Missed target"] = ", ".join(missed)
        rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None)


def _day(f: Filters, steps: Sequence[Step]) -> date:
    try:
        wanted = date.fromisoformat(st.query_params.get("day", ""))
    except ValueError:
        wanted = f.period.end
    chosen = st.date_input(
        "Day", wanted, max_value=f.anchor, key=breakdown.key(steps, "day", wanted.isoformat())
    )
    st.query_params["day"] = chosen.isoformat()
    return chosen


def view(f: Filters, steps: Sequence[Step]) -> None:
    """Pick a day and a grain; show that day's intervals for the level."""
    left, right = st.columns([1, 2])
    with left:
        day = _day(f, steps)
    grain = right.segmented_control(
        "Rows of", list(GRAINS), default=st.query_params.get("grain", "interval")
        if st.query_params.get("grain") in GRAINS else "interval",
        format_func=GRAINS.get, required=True, key=breakdown.key(steps, "grain"),
    )  # fmt: skip
    st.query_params["grain"] = grain
    catalog = ui.catalog()
    one_day = replace(f, period=Period(day, day), before=None)
    frame = ui.kpis(one_day, by=(grain,), keys=KEYS)
    shown = table(frame, catalog, grain) if frame.height else pl.DataFrame()
    if shown.is_empty():
        ui.stop_with(
            f"No contacts on {day:%a %d %b %Y} in this selection.", hint="Pick another day."
        )
    late = shown.filter(pl.col("Missed target") != "").height
    st.caption(
        f"{day:%A %d %B %Y}, times in the centre's zone · {late} of {shown.height} intervals "
        "with contacts missed at least one target (tinted, and named in the last column)."
    )
    columns = breakdown.kpi_columns([catalog[k] for k in KEYS])
    columns |= {"Abandoned": st.column_config.NumberColumn("Abandoned", format="localized")}
    judged = [catalog[k].title for k in JUDGED]
    styled = breakdown.tinted(shown, judged, "Missed target")
    st.dataframe(
        styled, hide_index=True, placeholder=formatting.DASH, column_config=columns,
        height="content",
    )  # fmt: skip

"""The drill-down and agents pages as Streamlit runs them (AppTest), on the generated centre:
a drill from the centre to one contact and back, every level adding up to the one above."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from carepulse import bulk, periods, storage
from carepulse.filters import STEPS
from carepulse.settings import get_settings
from metrics.schema import KINDS
from tests.helpers import APP
from tests.test_dashboard import END, centre, loaded  # noqa: F401  (shared fixtures)

pytestmark = pytest.mark.usefixtures("loaded")  # the generated centre, for every test here
ZONE = ZoneInfo("America/New_York")
PERIOD = periods.preset("last-4-weeks", END)
UNSET = ("(no agent)", "(not set)")


def _open(page: str = "views/drilldown.py", **params: str | list[str]) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=180)
    app.query_params.update({"period": "last-4-weeks", "compare": "none", **params})
    app.switch_page(page)
    app.run()
    assert not app.exception, app.exception
    return app


def _facts(kind: str = "contacts") -> pl.DataFrame:
    """The stored rows of the period (local days), read straight from the table."""
    settings = get_settings()
    table = storage.FACTS[kind]
    frame = bulk.read(storage.connect(settings.database), sa.select(table), KINDS[kind].schema)
    time = "arrived_at" if kind == "contacts" else "responded_at"
    day = pl.col(time).dt.convert_time_zone(settings.timezone).dt.date()
    return frame.filter(day.is_between(PERIOD.start, PERIOD.end))


def _table(app: AppTest, prefix: str):
    return next(d for d in app.dataframe if (d.key or "").startswith(prefix))


def _sums(app: AppTest):
    return next(d.value for d in app.dataframe if "Service level: numerator" in d.value.columns)


def _adds_up(sums) -> None:
    """Every numerator and denominator of the children sums to the level above's (last row)."""
    children, above = sums.iloc[:-1], sums.iloc[-1]
    for column in sums.columns[1:]:
        expected = above[column]
        total = children[column].sum(skipna=True)
        assert total == pytest.approx(0 if expected != expected else expected, abs=1e-6), column


def _select(app: AppTest, table, row: int) -> None:
    app.session_state[table.key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    app.run()
    assert not app.exception, app.exception


def _steps(app: AppTest) -> list[str]:
    found = app.query_params.get("step", [])
    return [found] if isinstance(found, str) else list(found)


def _offered(frame: pl.DataFrame) -> int:
    queued = (pl.col("direction") == "inbound") & (pl.col("channel") != "bot")
    return frame.filter(queued).height


def test_a_drill_from_the_centre_to_one_contact_and_back_adds_up_at_every_level():
    app = _open()
    facts = _facts()
    # the centre's service level, counted here from the stored contacts: answered within 30 s
    # over offered less short abandons (abandoned within 5 s)
    queued = facts.filter(pl.col("direction") == "inbound", pl.col("channel") != "bot")
    wait = pl.col("wait_seconds")
    within = queued.filter(pl.col("outcome") == "handled", wait <= 30).height
    short = queued.filter(pl.col("outcome") == "abandoned", wait <= 5).height
    centre_row = _sums(app).iloc[-1]
    assert centre_row.iloc[0] == "Whole centre"
    assert centre_row["Service level: numerator"] == within
    assert centre_row["Service level: denominator"] == queued.height - short

    mine = facts
    for dim in ("queue", "team", "agent_id"):
        children = _table(app, f"children-{dim}-")
        _adds_up(_sums(app))
        shown = children.value
        assert shown["Offered"].sum() == _offered(mine)  # every offered contact sits in a child
        row = next(i for i, name in enumerate(shown[STEPS[dim]]) if name not in UNSET)
        value = shown[STEPS[dim]][row]
        assert shown["Offered"][row] == _offered(mine.filter(pl.col(dim) == value))
        _select(app, children, row)
        mine = mine.filter(pl.col(dim) == value)
        assert _steps(app)[-1] == f"{dim}:{value}"

    # below the agent come the agent's contacts, newest first, paged
    caption = next(c.value for c in app.caption if "contacts, newest first" in c.value)
    assert caption.startswith(f"{mine.height:,} contacts")
    listing = _table(app, "contacts-")
    assert len(listing.value) == min(50, mine.height)
    newest = mine.sort("arrived_at", descending=True)["contact_id"][0]
    assert listing.value["Contact"][0] == newest

    _select(app, listing, 0)
    assert app.query_params["contact"] == f"sample:{newest}"
    assert any(s.value == f"Contact {newest}" for s in app.subheader)
    arrived = mine.filter(pl.col("contact_id") == newest)["arrived_at"][0].astimezone(ZONE)
    fields = {r["Field"]: r["Value"] for d in app.dataframe if "Field" in d.value.columns
              for r in d.value.to_dict("records")}  # fmt: skip
    assert fields["Arrived"] == arrived.strftime("%Y-%m-%d %H:%M")
    assert "this contact" in set(_table_with(app, "Relation")["Relation"])

    app.button(key="crumb-0").click().run()
    assert not app.exception and not _steps(app) and "contact" not in app.query_params
    _table(app, "children-queue-")
    _adds_up(_sums(app))


def _table_with(app: AppTest, column: str):
    return next(d.value for d in app.dataframe if column in d.value.columns)


def test_any_dimension_can_be_a_step_and_an_unset_one_too():
    app = _open(step=["channel:voice", "agent_id:"], by="contacts")
    voice = _facts().filter(pl.col("channel") == "voice", pl.col("agent_id").is_null())
    crumbs = [b.label for b in app.button if (b.key or "").startswith("crumb-")]
    assert crumbs == ["Whole centre", "Channel: voice", "Agent: (no agent)"]
    caption = next(c.value for c in app.caption if "contacts, newest first" in c.value)
    assert caption.startswith(f"{voice.height:,} contacts")
    listing = _table(app, "contacts-").value
    assert listing["Agent"].isna().all() and set(listing["Channel"]) == {"voice"}
    assert set(listing["Outcome"]) <= {"abandoned", "abandoned (short)", "flowed_out", "callback"}


def test_a_split_by_any_dimension_adds_up():
    app = _open(step="queue:Pharmacist line", by="reason")
    _adds_up(_sums(app))
    children = _table(app, "children-reason-").value
    mine = _facts().filter(pl.col("queue") == "Pharmacist line")
    assert children["Offered"].sum() == _offered(mine)


def test_the_interval_view_counts_each_quarter_hour():
    day = END - timedelta(days=1)
    app = _open(step="queue:Pharmacist line", view="intervals", day=day.isoformat())
    table = _table_with(app, "Missed target")
    mine = _facts().filter(pl.col("queue") == "Pharmacist line")
    local = pl.col("arrived_at").dt.convert_time_zone("America/New_York")
    queued = mine.filter(pl.col("direction") == "inbound", pl.col("channel") != "bot")
    on_day = queued.filter(local.dt.date() == day)
    per_start = on_day.group_by(local.dt.truncate("15m").dt.strftime("%H:%M").alias("s")).len()
    assert dict(zip(table["Start"], table["Offered"], strict=True)) == dict(
        zip(per_start["s"], per_start["len"], strict=True)
    )
    # an interval below the 80 % service level says so in words
    for row in table.to_dict("records"):
        below = row["Service level"] == row["Service level"] and row["Service level"] < 80
        assert ("Service level" in row["Missed target"]) == below


def test_the_agents_page_suppresses_small_survey_samples_and_compares_the_team():
    facts = _facts()
    answered = _facts("survey_responses").filter(pl.col("csat").is_not_null())
    per_agent = answered.group_by("agent_id").len()
    few = per_agent.filter(pl.col("len") < 30, pl.col("len") > 0).sort("agent_id")
    agent = few["agent_id"][0]
    app = _open("views/agents.py", agent=agent)
    card = {r["KPI"]: r for r in _table_with(app, "Peer rank").to_dict("records")}
    handled = facts.filter(pl.col("agent_id") == agent, pl.col("outcome") == "handled")
    assert card["Handled"]["Agent"] == f"{_offered(handled):,}"
    assert card["CSAT"]["Agent"] == "—"
    assert card["CSAT"]["Status"] == "not shown: under 30 answers"
    crew = _table(app, "crew-")
    other = next(i for i, a in enumerate(crew.value["Agent"]) if a not in (agent, *UNSET))
    _select(app, crew, other)
    assert app.query_params["agent"] == crew.value["Agent"][other]


def test_the_agents_scorecard_calls_a_filtered_centre_the_selection():
    facts = _facts()
    handled = facts.filter(pl.col("outcome") == "handled", pl.col("channel") != "bot")
    team = handled.group_by("team").len().sort("len", descending=True)["team"][0]
    agent = handled.filter(pl.col("team") == team)["agent_id"].drop_nulls().sort()[0]
    whole = {r["KPI"]: r for r in _table_with(_open("views/agents.py", agent=agent),
                                                "Peer rank").to_dict("records")}  # fmt: skip
    assert whole["Handled"]["Centre"] == f"{_offered(handled):,}"
    app = _open("views/agents.py", agent=agent, team=team)
    card = {r["KPI"]: r for r in _table_with(app, "Peer rank").to_dict("records")}
    # Filtered to the agent's team, the last column is that team, not the centre: say so.
    assert "Centre" not in card["Handled"]
    assert card["Handled"]["Selection"] == card["Handled"]["Team"]
    assert card["Handled"]["Team"] == f"{_offered(handled.filter(pl.col('team') == team)):,}"
    assert any(f"Selection: all within the sidebar's filters (Teams: {team})" in c.value
               for c in app.caption)  # fmt: skip


def test_every_drill_view_runs_on_an_empty_period():
    empty = date(2020, 1, 6).isoformat()
    for params in ({}, {"by": "contacts"}, {"view": "intervals", "day": empty}):
        app = _open(period="custom", **{"from": empty, "to": empty}, **params)
        assert app.info, params

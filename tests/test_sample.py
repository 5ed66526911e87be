"""The sample contact-centre generator: determinism, schemas and simulated behaviour."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from metrics.schema import KINDS, validate
from sample_data.generate import generate, incident_week, roster, write

END = dt.date(2026, 3, 20)
ZONE = "America/New_York"


@pytest.fixture(scope="module")
def short() -> dict[str, pl.DataFrame]:
    """Two weeks of the centre."""
    return generate(days=14, seed=7, end=END)


@pytest.fixture(scope="module")
def window() -> dict[str, pl.DataFrame]:
    """Five weeks, including the staffing-shortfall week."""
    return generate(days=35, seed=11, end=END)


def test_deterministic_per_seed(short: dict[str, pl.DataFrame]) -> None:
    """Same arguments give identical frames; another seed gives different ones."""
    again = generate(days=14, seed=7, end=END)
    for kind, frame in short.items():
        assert frame.equals(again[kind]), kind
    other = generate(days=14, seed=8, end=END)
    assert not short["contacts"].equals(other["contacts"])


def test_frames_validate(short: dict[str, pl.DataFrame]) -> None:
    """Every frame has the canonical schema and no row breaks a rule."""
    for kind, frame in short.items():
        assert frame.schema == pl.Schema(KINDS[kind].schema), kind
        assert frame.height > 0
        reasons = validate(frame, KINDS[kind])["_reason"].drop_nulls()
        assert reasons.is_empty(), reasons.head(5).to_list()
        assert frame[KINDS[kind].key].is_unique().all(), kind


def test_outcomes_match_timestamps(short: dict[str, pl.DataFrame]) -> None:
    """Handled contacts were answered after their wait; abandoned ones were not answered."""
    contacts = short["contacts"]
    handled = contacts.filter(pl.col("outcome") == "handled")
    assert handled["answered_at"].null_count() == 0
    expected = pl.col("arrived_at") + pl.duration(microseconds=pl.col("wait_seconds") * 1e6)
    gap = handled.select((pl.col("answered_at") - expected).dt.total_microseconds().abs().max())
    assert gap.item() <= 1000
    abandoned = contacts.filter(pl.col("outcome") == "abandoned")
    assert abandoned.height > 0
    assert abandoned["answered_at"].null_count() == abandoned.height
    assert abandoned["agent_id"].null_count() == abandoned.height


def test_survey_response_rate(short: dict[str, pl.DataFrame]) -> None:
    """Between 20% and 35% of sent surveys are answered, and only answers carry scores."""
    surveys = short["survey_responses"]
    sent = surveys.filter(pl.col("sent_at").is_not_null())
    rate = sent["responded_at"].is_not_null().mean()
    assert 0.20 <= rate <= 0.35
    unanswered = surveys.filter(pl.col("responded_at").is_null())
    assert unanswered["csat"].null_count() == unanswered.height


def test_links_and_repeats(short: dict[str, pl.DataFrame]) -> None:
    """Child contacts point at existing contacts; bot sessions are partly contained."""
    contacts = short["contacts"]
    parents = contacts["parent_contact_id"].drop_nulls()
    assert parents.is_in(contacts["contact_id"].implode()).all()
    bot = contacts.filter(pl.col("channel") == "bot")
    contained = (bot["outcome"] == "self_served").mean()
    assert 0.5 <= contained <= 0.75


def _weekly(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Mean wait and abandon share of inbound voice, incident week versus the others."""
    start, stop = incident_week(END)
    voice = frames["contacts"].filter(
        pl.col("channel") == "voice", pl.col("direction") == "inbound"
    )
    local = pl.col("arrived_at").dt.convert_time_zone(ZONE).dt.date()
    flag = local.is_between(start, stop).alias("incident")
    return voice.group_by(flag).agg(
        pl.col("wait_seconds").mean().alias("wait"),
        (pl.col("outcome") == "abandoned").mean().alias("abandoned"),
    )


def test_incident_week_degrades_service(window: dict[str, pl.DataFrame]) -> None:
    """Waits and abandonment are clearly worse in the staffing-shortfall week."""
    weekly = _weekly(window)
    bad = weekly.filter(pl.col("incident")).row(0, named=True)
    normal = weekly.filter(~pl.col("incident")).row(0, named=True)
    assert bad["wait"] > 1.3 * normal["wait"]
    assert bad["abandoned"] > normal["abandoned"]


def test_handled_by_agents_on_shift(short: dict[str, pl.DataFrame]) -> None:
    """Each handled contact was answered during a shift of its agent."""
    shifts = roster(days=14, seed=7, end=END)
    handled = short["contacts"].filter(pl.col("outcome") == "handled")
    matched = handled.join(shifts, on="agent_id").filter(
        pl.col("answered_at").is_between(pl.col("shift_start"), pl.col("shift_end"))
    )
    assert matched["contact_id"].n_unique() == handled.height


def test_write(short: dict[str, pl.DataFrame], tmp_path) -> None:
    """Frames round-trip through the parquet files."""
    paths = write(short, tmp_path / "centre")
    assert sorted(p.name for p in paths) == [
        "contacts.parquet",
        "survey_responses.parquet",
        "tickets.parquet",
    ]
    for path in paths:
        assert pl.read_parquet(path).equals(short[path.stem])

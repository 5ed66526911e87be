"""The drill-down's building blocks on tiny hand-built frames: children tables, their sums,
filters narrowed by a path, a scorecard's rank, safe CSV, stored histograms."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from carepulse import drill, exports, query, scorecard, storage
from carepulse.access import EVERYTHING
from carepulse.filters import Filters
from carepulse.periods import Period
from carepulse.settings import get_settings
from metrics.evaluate import evaluate
from tests.test_kpis import AS_OF, CATALOG, RX, contacts, roll, roll_surveys, surveys

KPIS = [CATALOG["offered"], CATALOG["service_level"], CATALOG["csat"]]


def _queues() -> pl.DataFrame:
    """Queue A: 100 offered, 50 answered within 30 s. Queue B: 100 offered, all within."""
    rows = [{"queue": "A", "wait_seconds": 10.0 if i < 50 else 90.0} for i in range(100)]
    rows += [{"queue": "B", "wait_seconds": 5.0} for _ in range(100)]
    return contacts(*rows)


def _evaluated(by: tuple[str, ...] = ()) -> pl.DataFrame:
    frames = {"contacts": roll(_queues()), "surveys": roll_surveys(_answers(), _queues())}
    return evaluate(KPIS, frames, by=by, targets=RX, as_of=AS_OF)


def _answers() -> pl.DataFrame:
    """Three CSAT answers about queue A's first contacts: 5, 4, 1 (two of three in the top two)."""
    return surveys(*({"contact_id": f"c{i}", "csat": s} for i, s in enumerate((5, 4, 1))))


def test_children_table_values_status_and_significance():
    table = drill.table(
        _evaluated(("queue",)), _evaluated(), "queue", KPIS, small_sample=30, suppress=False
    )
    rows = {r["queue"]: r for r in table.iter_rows(named=True)}
    assert list(table["queue"]) == ["A", "B"]  # the largest first (a tie keeps the order)
    assert rows["A"]["Service level"] == 50.0 and rows["B"]["Service level"] == 100.0
    # target 80 %: A misses it. Against the centre (150/200): A 50 % is z = −4.33, B 100 %
    # is z = +5.48 with the pooled proportions, both beyond ±1.96.
    assert rows["A"]["Below target"] == "Service level"
    assert rows["A"]["Against the level above"] == "worse: Service level"
    assert rows["B"]["Against the level above"] == "better: Service level"
    # three CSAT answers: small sample, shown (greyed by the note) above agent level
    assert rows["A"]["CSAT"] == pytest.approx(200 / 3, abs=0.05)
    assert rows["A"]["Notes"] == "fewer than 30 answers: CSAT"


def test_agent_level_tables_leave_small_survey_samples_out():
    table = drill.table(
        _evaluated(("queue",)), _evaluated(), "queue", KPIS, small_sample=30, suppress=True
    )
    assert table.filter(pl.col("queue") == "A")["CSAT"][0] is None


def test_a_store_without_surveys_gives_empty_survey_columns():
    # Calls only (no survey file loaded yet): the survey KPIs have no rows at all.
    frames = {"contacts": roll(_queues())}
    kids = evaluate(KPIS, frames, by=("queue",), targets=RX, as_of=AS_OF)
    parent = evaluate(KPIS, frames, targets=RX, as_of=AS_OF)
    assert "csat" not in set(kids["kpi"])
    table = drill.table(kids, parent, "queue", KPIS, small_sample=30, suppress=True)
    assert table.columns[:5] == ["queue", "Name", "Offered", "Service level", "CSAT"]
    assert table["CSAT"].to_list() == [None, None]
    assert list(table["Offered"]) == [100, 100]


def test_sums_show_each_childs_numerator_and_denominator_and_the_level_above():
    sums = drill.sums(_evaluated(("queue",)), _evaluated(), "queue", KPIS, "Whole centre")
    assert list(sums["Name"]) == ["A", "B", "Whole centre"]
    assert list(sums["Service level: numerator"]) == [50, 100, 150]
    assert list(sums["Service level: denominator"]) == [100, 100, 200]
    assert sums["CSAT: numerator"].to_list() == [2, None, 2]


def test_unset_values_read_as_such():
    assert drill.label("agent_id", None) == "(no agent)"
    assert drill.label("team", None) == "(not set)"
    assert drill.crumb(("agent_id", "A7")) == "Agent: A7"


def _filters(where: tuple = ()) -> Filters:
    day = date(2026, 3, 13)
    return Filters("last-7-days", Period(day, day), "none", None, where, day, EVERYTHING)


def test_a_drill_path_narrows_the_filters_inside_what_they_allow():
    f = _filters((("queue", ("A", "B")),))
    narrowed = f.within([("queue", "A"), ("agent_id", None)])
    assert dict(narrowed.where) == {"queue": ("A",), "agent_id": (None,)}
    # a step outside the sidebar's choice shows nothing, never more than the filters allow
    assert dict(f.within([("queue", "C")]).where)["queue"] == ()
    assert dict(_filters().restricted("queue", ["A", "C"]).where) == {"queue": ("A", "C")}
    assert dict(f.restricted("queue", ["A", "C"]).where) == {"queue": ("A",)}


def test_rank_among_peers_counts_those_better_and_skips_small_samples():
    peers = pl.DataFrame(
        {
            "agent_id": ["a1", "a2", "a3", "a4"],
            "kpi": ["aht"] * 4,
            "value": [300.0, 250.0, 400.0, None],
            "status": ["met", "met", "missed", "n/a"],
        }
    )
    # AHT: lower is better; a1 (300 s) has one peer ahead (a2, 250 s); a4 has no value
    assert scorecard.rank(peers, CATALOG["aht"], "a1") == "2 of 3"
    assert scorecard.rank(peers, CATALOG["aht"], "a4") == ""
    small = peers.with_columns(kpi=pl.lit("csat"), status=pl.lit("small sample"))
    assert scorecard.rank(small, CATALOG["csat"], "a1") == ""


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    risky = ["=1+1", "+41 79", "-2", "@SUM(A1)", "\tx", "\ry", " =HYPERLINK()", "a=b", "ok"]
    assert [exports.safe_cell(t) for t in risky] == [
        "'=1+1", "'+41 79", "'-2", "'@SUM(A1)", "'\tx", "'\ry", "' =HYPERLINK()", "a=b", "ok",
    ]  # fmt: skip
    frame = pl.DataFrame({"Reason": ["=cmd|' /C calc'!A0", "Refill"], "Wait (s)": [-3.0, 4.0]})
    text = exports.csv_bytes(frame).decode("utf-8-sig")
    assert text.splitlines() == ["Reason,Wait (s)", "'=cmd|' /C calc'!A0,-3.0", "Refill,4.0"]


def test_distribution_counts_contacts_per_histogram_bucket(engine, tmp_path):
    from carepulse.ingest import ingest
    from tests.helpers import contact, write_csv

    # handle = talk (hold and after-contact work unknown): 100 s, 130 s, 130 s, 4000 s
    rows = [contact(f"c{i}", talk_seconds=t) for i, t in enumerate((100, 130, 130, 4000))]
    rows[3]["agent_id"] = "a2"  # the long one; the others are a1's
    settings = get_settings()
    ingest(write_csv(tmp_path / "calls.csv", rows), engine=engine, settings=settings)
    day = date(2024, 3, 4)
    counts = query.distribution(engine, settings, start=day, end=day, name="handle")
    found = {(r["low"], r["high"]): r["count"] for r in counts.iter_rows(named=True) if r["count"]}
    assert found == {(90.0, 120.0): 1, (120.0, 150.0): 2, (3600.0, None): 1}
    none = query.distribution(engine, settings, start=day, end=day, name="handle",
                              where={"agent_id": ["nobody"]})  # fmt: skip
    assert none["count"].sum() == 0
    a2 = query.distribution(engine, settings, start=day, end=day, name="handle",
                            where={"agent_id": ["a2"]})  # fmt: skip
    assert {(r["low"], r["high"]) for r in a2.iter_rows(named=True) if r["count"]} == {
        (3600.0, None)
    }
    assert a2["count"].sum() == 1
    assert storage.counts(engine)["contacts"] == 4


def test_shares_of_an_empty_histogram_are_zero():
    empty = pl.DataFrame({"low": [0.0, 5.0], "high": [5.0, None], "count": [0.0, 0.0]})
    assert scorecard.shares(empty)["share"].to_list() == [0.0, 0.0]
    some = empty.with_columns(count=pl.Series([1.0, 3.0]))
    assert scorecard.shares(some)["share"].to_list() == [0.25, 0.75]


def test_shown_values_use_the_units_a_table_sorts_by():
    assert drill.shown(0.8123, CATALOG["service_level"].unit) == 81.2
    assert drill.shown(305.4, CATALOG["aht"].unit) == timedelta(seconds=305)
    assert drill.shown(31.6, CATALOG["nps"].unit) == 32
    assert drill.shown(None, CATALOG["nps"].unit) is None


def test_small_survey_samples_lose_their_value_but_keep_the_reason():
    rows = drill.suppressed(_evaluated(), CATALOG)
    csat = rows.filter(pl.col("kpi") == "csat").row(0, named=True)
    assert csat["value"] is None and csat["status"] == "small sample"
    assert csat["note"] == "fewer than 30 responses (3)"
    # contact KPIs and survey KPIs with enough answers keep theirs
    assert rows.filter(pl.col("kpi") == "service_level")["value"][0] == 150 / 200
    assert drill.suppressed(pl.DataFrame(), CATALOG).is_empty()  # no comparison period


def test_what_an_agent_worked_comes_most_first_without_empty_groups():
    handled = pl.DataFrame({"queue": ["A", "B", "C", None], "value": [2.0, 0.0, 5.0, 1.0]})
    assert scorecard.worked(handled, "queue") == ["C", "A", None]

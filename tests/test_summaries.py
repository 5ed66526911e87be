"""Filter values and freshness kept at every write: what a scan of the store would say, on
SQLite and PostgreSQL, after an ingest, an undo, a rebuild, and for a store made before."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import sqlalchemy as sa

from carepulse import bulk, query, rollups, storage, summaries
from carepulse.access import EVERYTHING, Scope
from carepulse.ingest import ingest, undo
from carepulse.settings import get_settings
from metrics.rollup import COARSE_TABLE as COARSE
from metrics.schema import KINDS, TIMESTAMP
from tests.helpers import CONTACT_HEADERS, contact, write_csv

HEADERS = [*CONTACT_HEADERS, "team", "segment"]


def _calls(tmp_path, name: str, *rows: dict) -> object:
    return write_csv(tmp_path / name, list(rows), HEADERS)


def _call(contact_id: str, at: str, **values: object) -> dict:
    """A handled call arriving at `at` (UTC, minutes precision): 20 s wait, 5 min talk."""
    times = {"arrived_at": f"{at}:00Z", "answered_at": f"{at}:20Z", "ended_at": f"{at}:59Z"}
    return contact(contact_id, **times, **{"talk_seconds": 39, **values})


def test_values_and_freshness_follow_ingest_and_undo(engine, tmp_path):
    first = _calls(
        tmp_path, "a.csv",
        _call("c1", "2024-03-04T14:00", queue="Refills", team="Desk A"),
        _call("c2", "2024-03-05T09:30", queue="Billing", team="Desk B", segment="Medicare"),
        _call("c3", "2024-03-05T10:00", queue="Billing", team=""),
    )  # fmt: skip
    ingest(first, engine=engine, settings=get_settings(), source="canonical")
    assert summaries.values(engine, "queue", EVERYTHING) == ["Billing", "Refills"]
    assert summaries.values(engine, "team", EVERYTHING) == ["Desk A", "Desk B"]
    assert summaries.values(engine, "segment", EVERYTHING) == ["Medicare"]
    # A lead of Desk A sees Desk A's values only; a row with no team is nobody's team.
    assert summaries.values(engine, "queue", Scope(("Desk A",))) == ["Refills"]
    assert summaries.values(engine, "team", Scope(("Desk A",))) == ["Desk A"]
    fresh = summaries.freshness(engine).to_dicts()
    assert fresh == [
        {"kind": "contacts", "source": "canonical", "records": 3,
         "latest": datetime(2024, 3, 5, 10, 0, tzinfo=UTC)},
    ]  # fmt: skip

    call = _call("c9", "2024-03-06T08:00", queue="Pharmacist line", team="Desk A")
    later = _calls(tmp_path, "b.csv", call)
    run = ingest(later, engine=engine, settings=get_settings(), source="canonical").run_id
    assert "Pharmacist line" in summaries.values(engine, "queue", Scope(("Desk A",)))
    assert summaries.freshness(engine)["records"].to_list() == [4]
    assert summaries.freshness(engine)["latest"][0] == datetime(2024, 3, 6, 8, 0, tzinfo=UTC)

    undo(engine, run, get_settings())
    assert summaries.freshness(engine)["records"].to_list() == [3]
    assert summaries.freshness(engine)["latest"][0] == datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
    # The undone run's queue was only its own: no longer offered (an undone file is often one
    # mapped wrongly, whose values nobody wants listed). The other values stay.
    assert summaries.values(engine, "queue", EVERYTHING) == ["Billing", "Refills"]
    assert summaries.values(engine, "queue", Scope(("Desk A",))) == ["Refills"]
    assert summaries.values(engine, "segment", EVERYTHING) == ["Medicare"]
    rollups.rebuild(engine, get_settings())
    assert summaries.values(engine, "queue", EVERYTHING) == ["Billing", "Refills"]


def _coarse(engine) -> pl.DataFrame:
    table = storage.ROLLUPS[COARSE]
    frame = bulk.read(engine, sa.select(table), dict(storage.ROLLUP_SCHEMAS[COARSE]))
    return frame.sort(pl.all(), nulls_last=True)


def test_a_store_made_before_the_summaries_gets_them_once(engine, tmp_path):
    rows = [contact("c1", queue="Refills", team="Desk A"), contact("c2", queue="Billing")]
    ingest(_calls(tmp_path, "a.csv", *rows), engine=engine, settings=get_settings())
    expected = {
        column: summaries.values(engine, column, EVERYTHING) for column in summaries.FILTERED
    }
    fresh = summaries.freshness(engine).to_dicts()
    coarse = _coarse(engine)
    assert coarse.height > 0 and coarse["offered"].sum() == 2
    with engine.begin() as connection:  # as an older CarePulse left it
        tables = (storage.dimension_values, storage.source_freshness, storage.ROLLUPS[COARSE])
        for table in tables:
            connection.execute(table.delete())
        state = storage.rollup_state
        connection.execute(state.delete().where(state.c.name == "summaries"))
    summaries._ensured.clear()  # a new server process
    assert (
        summaries.values(engine, "queue", EVERYTHING)
        == expected["queue"]
        == [
            "Billing",
            "Refills",
        ]
    )
    assert {c: summaries.values(engine, c, EVERYTHING) for c in summaries.FILTERED} == expected
    assert summaries.freshness(engine).to_dicts() == fresh
    assert _coarse(engine).equals(coarse)  # as the rollup writer made it, from the fine one
    with engine.connect() as connection:
        flag = sa.select(storage.rollup_state.c.value).where(
            storage.rollup_state.c.name == "summaries"
        )
        assert connection.execute(flag).scalar_one() == summaries.VERSION


def test_first_days_of_the_rows_a_selection_allows(engine, tmp_path):
    calls = _calls(
        tmp_path, "a.csv",
        _call("c1", "2024-03-04T14:00", queue="Refills", team="Desk A"),
        _call("c2", "2024-03-06T02:30", queue="Billing", team="Desk B"),  # 5 March in New York
        _call("c3", "2024-03-07T10:00", queue="Billing", team="Desk A"),
    )  # fmt: skip
    ingest(calls, engine=engine, settings=get_settings(), source="canonical")
    zone = get_settings().timezone
    assert query.first_days(engine, zone) == {"contacts": date(2024, 3, 4)}
    assert query.first_days(engine, zone, {"queue": ["Billing"]}) == {"contacts": date(2024, 3, 5)}
    billing_a = {"queue": ["Billing"], "team": ["Desk A"]}
    assert query.first_days(engine, zone, billing_a) == {"contacts": date(2024, 3, 7)}
    assert query.first_days(engine, zone, {"queue": ["Nowhere"]}) == {}


def _scanned(engine, kind: str = "contacts") -> list[dict]:
    """Each source's latest record time and count of a kind, by a scan of the facts."""
    facts, time = storage.FACTS[kind], KINDS[kind].time_column
    statement = sa.select(
        sa.literal(kind).label("kind"),
        facts.c.source,
        sa.func.max(facts.c[time]).label("latest"),
        sa.func.count().label("records"),
    ).group_by(facts.c.source)
    schema = {"kind": pl.String, "source": pl.String, "latest": TIMESTAMP, "records": pl.Int64}
    return bulk.read(engine, statement.order_by(facts.c.source), schema).to_dicts()


def test_an_ingest_advances_freshness_as_a_scan_would_count_it(engine, tmp_path):
    """The ingest does not recount a known source: it adds what it wrote. An update that moves
    the latest contact earlier lowers the latest time; a new source is counted."""
    load = dict(engine=engine, settings=get_settings(), source="canonical")
    old = "2024-03-04T12:00:00Z"
    rows = [_call("c1", "2024-03-04T14:00", updated_at=old),
            _call("c2", "2024-03-05T10:00", updated_at=old)]  # fmt: skip
    ingest(_calls(tmp_path, "a.csv", *rows), **load)
    moved = _call("c2", "2024-03-05T09:00", updated_at="2024-03-05T12:00:00Z")
    again = _call("c1", "2024-03-04T14:00", updated_at=old)  # a duplicate: not counted twice
    ingest(_calls(tmp_path, "b.csv", again, moved, _call("c3", "2024-03-04T16:00")), **load)
    expected = [
        {"kind": "contacts", "source": "canonical", "records": 3,
         "latest": datetime(2024, 3, 5, 9, 0, tzinfo=UTC)},
    ]  # fmt: skip
    assert summaries.freshness(engine).to_dicts() == expected == _scanned(engine)

    ingest(_calls(tmp_path, "c.csv", _call("c4", "2024-03-06T08:00")), **load)
    ingest(_calls(tmp_path, "d.csv", _call("x1", "2024-03-01T08:00")), **load, source_name="b")
    expected[0].update(records=4, latest=datetime(2024, 3, 6, 8, 0, tzinfo=UTC))
    other = {"kind": "contacts", "source": "b", "records": 1,
             "latest": datetime(2024, 3, 1, 8, 0, tzinfo=UTC)}  # fmt: skip
    assert summaries.freshness(engine).to_dicts() == [other, *expected] == _scanned(engine)


def test_survey_freshness_with_answers_that_name_no_send_time(engine, tmp_path):
    """A response may have no `sent_at` (its time is when it was answered): freshness skips
    the empty times as a scan's max() does, and an update that empties the latest one lowers
    the latest."""
    header = "response_id,contact_id,sent_at,responded_at,csat,updated_at\n"

    def load(name: str, *lines: str) -> None:
        (tmp_path / name).write_text(header + "".join(f"{line}\n" for line in lines))
        run = ingest(tmp_path / name, engine=engine, settings=get_settings())
        assert run.status == "committed", run.error

    def fresh() -> list[dict]:
        return summaries.freshness(engine).filter(kind="survey_responses").to_dicts()

    load("a.csv", "r0,c0,,2024-03-01T09:00:00Z,4,2024-03-01T09:00:00Z")
    assert fresh() == _scanned(engine, "survey_responses") and fresh()[0]["latest"] is None
    old = "2024-03-05T12:00:00Z"
    load("b.csv", f"r1,c1,2024-03-05T09:00:00Z,,5,{old}", f"r2,c2,2024-03-01T09:00:00Z,,3,{old}",
         "r3,c3,,2024-03-06T09:00:00Z,2,")  # fmt: skip
    assert fresh()[0]["latest"] == datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
    assert fresh() == _scanned(engine, "survey_responses")
    emptied = "r1,c1,,2024-03-05T10:00:00Z,5,2024-03-05T13:00:00Z"  # sent_at taken away
    load("c.csv", emptied, "r4,c4,2024-03-02T09:00:00Z,,4,")
    assert fresh()[0]["latest"] == datetime(2024, 3, 2, 9, 0, tzinfo=UTC)
    assert fresh()[0]["records"] == 5
    assert fresh() == _scanned(engine, "survey_responses")

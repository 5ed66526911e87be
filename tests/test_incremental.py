"""An ingest into a long history costs what its file holds, not what the store holds, and the
survey comments a page lists cost what the period holds: every statement finds fact rows
through an index, never by reading a whole table or all of a source's rows. Checked on
SQLite's query plans (PostgreSQL plans by table statistics, and scans small tables on
purpose, so its plans on a test store say nothing about a large one)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import sqlalchemy as sa

from carepulse import complaints, contacts, feedback, storage, summaries
from carepulse.ingest import ingest, undo
from carepulse.settings import get_settings
from tests.helpers import contact, write_csv

FACTS = tuple(storage.FACTS)


def _call(contact_id: str, day: int, customer: str) -> dict:
    at = f"2024-03-{day:02d}T14:00"
    times = {"arrived_at": f"{at}:00Z", "answered_at": f"{at}:20Z", "ended_at": f"{at}:59Z"}
    return contact(contact_id, customer_key=customer, **times)


def _reads_whole(line: str, newest_first: bool) -> bool:
    """Whether a plan line reads a fact table whole, or every row of one source."""
    if line.endswith(tuple(f"sqlite_autoindex_{t}_1 (source=?)" for t in FACTS)):
        return True
    scan = line.split(" ")[:2] in [["SCAN", t] for t in FACTS]
    return scan and not (newest_first and " USING INDEX " in line)


def _whole_reads(plans: dict[str, list[str]]) -> dict[str, list[str]]:
    """Per statement, its plan lines that read a table whole. An index walked newest first
    for one row (a one-table statement ending `ORDER BY … DESC LIMIT`) reads one entry, so
    that is no scan."""
    found = {}
    for statement, plan in plans.items():
        last = re.search(r"ORDER BY .* DESC\s+LIMIT \?( OFFSET \?)?\s*$", statement, re.DOTALL)
        newest_first = bool(last) and not re.search(r"\b(JOIN|UNION)\b", statement)
        if lines := [line for line in plan if _reads_whole(line, newest_first)]:
            found[statement] = lines
    return found


def _plans_of(engine: sa.Engine, run) -> dict[str, list[str]]:
    """Run `run` and return the query plan of each statement it sends, taken as it is sent."""
    plans: dict[str, list[str]] = {}

    def explain(connection, cursor, statement, parameters, context, executemany):
        if executemany or not statement.lstrip().upper().startswith(
            ("SELECT", "INSERT", "DELETE", "UPDATE", "WITH")
        ):
            return
        rows = cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
        plans[statement] = [row[3] for row in rows]

    sa.event.listen(engine, "before_cursor_execute", explain)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", explain)
    return plans


HEADER = "response_id,contact_id,sent_at,responded_at,csat,comment\n"


def _history(tmp_path) -> sa.Engine:
    """A SQLite store of 19 days of calls and one survey answer."""
    engine = storage.connect(f"sqlite:///{tmp_path / 'store.db'}")
    storage.init(engine)
    load = dict(engine=engine, settings=get_settings(), source="canonical")
    history = [_call(f"c{day}", day, f"+1 555 010 {day:04d}") for day in range(1, 20)]
    ingest(write_csv(tmp_path / "history.csv", history), **load)
    earlier = tmp_path / "earlier.csv"
    earlier.write_text(HEADER + "r0,c2,2024-03-02T15:00:00Z,2024-03-02T16:00:00Z,4,Quick\n")
    ingest(earlier, engine=engine, settings=get_settings())
    return engine


def test_a_day_and_its_surveys_load_without_reading_the_history(tmp_path):
    engine = _history(tmp_path)
    load = dict(engine=engine, settings=get_settings(), source="canonical")
    surveys = tmp_path / "surveys.csv"
    surveys.write_text(
        HEADER + "r1,c20,2024-03-20T15:00:00Z,2024-03-20T16:00:00Z,5,\n"
        "r2,c3,2024-03-03T15:00:00Z,2024-03-20T17:00:00Z,2,\n"
    )
    day = [_call("c20", 20, "+1 555 010 0019"), _call("c21", 20, "+1 555 010 0077")]

    def next_day() -> None:
        ingest(write_csv(tmp_path / "day.csv", day), **load)
        ingest(surveys, engine=engine, settings=get_settings())

    plans = _plans_of(engine, next_day)
    assert any("survey_responses" in s for s in plans)  # the listener saw the survey ingest
    assert _whole_reads(plans) == {}


def test_a_periods_comments_are_found_by_index(tmp_path):
    engine = _history(tmp_path)
    settings, day = get_settings(), date(2024, 3, 2)

    def read() -> None:
        assert contacts.comments(engine, settings, start=day, end=day, where={}).height == 1
        assert feedback.responses(engine, settings, start=day, end=day).height == 1

    assert _whole_reads(_plans_of(engine, read)) == {}


def test_an_undo_reads_no_sources_rows_but_their_keys(tmp_path):
    """Undoing a day recounts its source: the count reads the primary key alone, and the
    latest time comes through the time index, newest first, not from every row's page."""
    engine = _history(tmp_path)
    day = [_call("c20", 20, "+1 555 010 0019")]
    load = dict(engine=engine, settings=get_settings(), source="canonical")
    run = ingest(write_csv(tmp_path / "day.csv", day), **load).run_id
    plans = _plans_of(engine, lambda: undo(engine, run, get_settings()))
    rows_read = {s: [line for line in p if "(source=?)" in line and "COVERING" not in line]
                 for s, p in plans.items()}  # fmt: skip
    assert {s: lines for s, lines in rows_read.items() if lines} == {}
    fresh = summaries.freshness(engine).filter(kind="contacts")
    assert fresh["latest"].to_list() == [datetime(2024, 3, 19, 14, tzinfo=UTC)]  # the day before


TICKET_HEADER = "ticket_id,status,created_at,solved_at,is_complaint,customer_key\n"


def _ticket(ticket_id: str, day: int, *, solved: bool, complaint: bool = False) -> str:
    created = f"2024-03-{day:02d}T09:00:00Z"
    solved_at = f"2024-03-{day:02d}T15:00:00Z" if solved else ""
    status = "solved" if solved else "open"
    return f"{ticket_id},{status},{created},{solved_at},{str(complaint).lower()},K{day}\n"


def test_a_day_of_tickets_loads_and_is_listed_without_reading_the_history(tmp_path):
    """The backlog re-roll, the ticket rollup and the Tickets page's complaint reads find
    the open tickets and the latest ticket time through indexes."""
    engine = storage.connect(f"sqlite:///{tmp_path / 'store.db'}")
    storage.init(engine)
    history = tmp_path / "history.csv"
    rows = [_ticket(f"t{day}", day, solved=day % 3 > 0, complaint=day % 2 == 0)
            for day in range(1, 20)]  # fmt: skip
    history.write_text(TICKET_HEADER + "".join(rows))
    ingest(history, engine=engine, settings=get_settings())
    day = tmp_path / "day.csv"
    day.write_text(TICKET_HEADER + _ticket("t20", 20, solved=False, complaint=True))
    settings = get_settings()

    def next_day() -> None:
        ingest(day, engine=engine, settings=settings)
        assert complaints.known_at(engine) == datetime(2024, 3, 20, 9, tzinfo=UTC)
        listed = complaints.open_complaints(engine, settings)["ticket_id"].to_list()
        assert sorted(listed) == ["t12", "t18", "t20", "t6"]  # open: days 3, 6, …, 18, and 20

    plans = _plans_of(engine, next_day)
    assert any("INSERT INTO tickets" in s for s in plans)
    assert _whole_reads(plans) == {}

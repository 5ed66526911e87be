"""The contacts behind a figure, read from the store with filters and a limit (SQLite and
PostgreSQL): the SQL issued, paging, repeat flags, survey scores, a contact's chain."""

from __future__ import annotations

import csv
import io
import warnings
from datetime import date

import polars as pl
import sqlalchemy as sa

from carepulse import contacts, storage
from carepulse.ingest import ingest
from carepulse.settings import get_settings
from tests.helpers import contact, write_csv

DAY = date(2024, 3, 4)  # a Monday; America/New_York is UTC−5 that day
HEADERS = [
    "contact_id", "parent_contact_id", "channel", "direction", "queue", "team", "agent_id",
    "customer_key", "arrived_at", "wait_seconds", "talk_seconds", "outcome", "is_transferred",
]  # fmt: skip
ROWS = [
    contact("c1", arrived_at="2024-03-04T14:00:00Z", customer_key="K1"),
    contact("c2", arrived_at="2024-03-04T14:10:00Z", customer_key="K2", is_transferred="yes"),
    # c2's transfer leg, two minutes later: one chain, not a repeat contact
    contact(
        "c3",
        arrived_at="2024-03-04T14:12:00Z",
        customer_key="K2",
        parent_contact_id="c2",
        queue="Pharmacist",
        agent_id="a2",
    ),
    contact(
        "c4",
        arrived_at="2024-03-04T14:20:00Z",
        customer_key="K3",
        agent_id="",
        outcome="abandoned",
        wait_seconds=3,
        talk_seconds="",
    ),
    # K1 again an hour after c1: c1 was not resolved at first contact
    contact("c5", arrived_at="2024-03-04T15:00:00Z", customer_key="K1"),
    contact("c6", arrived_at="2024-03-05T14:00:00Z", customer_key="K4"),  # the next local day
]
for row in ROWS:
    row.pop("answered_at"), row.pop("ended_at")
SURVEYS = (
    "response_id,contact_id,agent_id,sent_at,responded_at,csat,nps,comment\n"
    "r1,c1,,2024-03-04T15:00:00Z,2024-03-04T16:00:00Z,2,3,Far too slow\n"
    "r2,c1,,2024-03-04T15:00:00Z,2024-03-04T17:00:00Z,5,9,\n"
    "r3,c2,,2024-03-04T15:00:00Z,,,,\n"
    "r4,c1,a2,2024-03-04T15:00:00Z,2024-03-04T18:00:00Z,4,8,Kind pharmacist\n"
)
TICKETS = "ticket_id,status,created_at,customer_key\nt1,open,2024-03-04T18:00:00Z,K2\n"


def _load(engine: sa.Engine, tmp_path) -> None:
    settings = get_settings()
    files = [write_csv(tmp_path / "calls.csv", ROWS, HEADERS), tmp_path / "surveys.csv",
             tmp_path / "tickets.csv"]  # fmt: skip
    files[1].write_text(SURVEYS)
    files[2].write_text(TICKETS)
    for path in files:
        assert ingest(path, engine=engine, settings=settings).status == "committed"


class Statements:
    """Every SQL statement the engine sends, with its parameters."""

    def __init__(self, engine: sa.Engine) -> None:
        self.seen: list[tuple[str, object]] = []
        sa.event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, parameters, _context, _many) -> None:
        self.seen.append((" ".join(statement.split()), parameters))

    def reading(self, table: str) -> list[tuple[str, object]]:
        return [(s, p) for s, p in self.seen if f"FROM {table}" in s and s.startswith("SELECT")]


def _values(parameters: object) -> list[object]:
    if isinstance(parameters, dict):
        return list(parameters.values())
    return list(parameters or ())


def _page(engine, **options):
    settings = get_settings()
    return contacts.page(engine, settings, start=DAY, end=DAY, **options)


def test_a_page_is_one_limited_filtered_query_newest_first(engine, tmp_path):
    _load(engine, tmp_path)
    sql = Statements(engine)
    first = _page(engine, where={"queue": ["Refills"]}, limit=2, offset=0)
    listing = [s for s, _ in sql.reading("contacts") if "ORDER BY" in s]
    assert len(listing) == 1
    statement, parameters = sql.reading("contacts")[0]
    assert statement == listing[0]
    # the database does the filtering and the paging: a LIMIT, the period, the queue
    assert " LIMIT " in statement and " OFFSET " in statement
    assert "contacts.arrived_at >=" in statement and "contacts.arrived_at <" in statement
    assert "contacts.queue IN" in statement
    assert "Refills" in _values(parameters) and 2 in _values(parameters)
    # the only other read of contacts looks up this page's customers, never the whole table
    others = [(s, p) for s, p in sql.reading("contacts") if s != statement]
    assert len(others) == 1 and "contacts.customer_key IN" in others[0][0]
    keys = set(first["customer_key"])
    assert keys <= set(_values(others[0][1]))
    assert list(first["contact_id"]) == ["c5", "c4"]
    second = _page(engine, where={"queue": ["Refills"]}, limit=2, offset=2)
    assert list(second["contact_id"]) == ["c2", "c1"]


def test_repeat_flags_and_survey_scores_come_with_the_page(engine, tmp_path):
    _load(engine, tmp_path)
    frame = _page(engine, where={}, limit=50)
    by_id = {r["contact_id"]: r for r in frame.iter_rows(named=True)}
    assert set(by_id) == {"c1", "c2", "c3", "c4", "c5"}  # c6 is the next local day
    # c1: K1 came back after an hour (c5); c2 → c3 within 15 minutes is one chain
    assert {k: r["is_repeated"] for k, r in by_id.items()} == {
        "c1": True, "c2": False, "c3": False, "c4": False, "c5": False,
    }  # fmt: skip
    # the last answered response wins (r4 at 18:00, after r1 and r2); r3 was never answered
    assert (by_id["c1"]["csat"], by_id["c1"]["nps"]) == (4, 8)
    assert by_id["c2"]["csat"] is None
    # Within agent a1, r4 is not counted: it names its own agent, a2 (as the rollups do).
    mine = _page(engine, where={"agent_id": ["a1"]}).filter(pl.col("contact_id") == "c1")
    assert (mine["csat"][0], mine["nps"][0]) == (5, 9)


def test_unset_values_and_unknown_columns_filter_safely(engine, tmp_path):
    _load(engine, tmp_path)
    assert list(_page(engine, where={"agent_id": [None]})["contact_id"]) == ["c4"]
    both = _page(engine, where={"agent_id": ["a2", None]})
    assert list(both["contact_id"]) == ["c4", "c3"]
    # a dimension the contacts lack shows nothing rather than everything
    assert _page(engine, where={"priority": ["high"]}).is_empty()
    settings = get_settings()
    capped = Statements(engine)
    assert contacts.count(engine, settings, start=DAY, end=DAY, where={}, cap=3) == 3
    assert " LIMIT " in capped.reading("contacts")[0][0]
    assert contacts.count(engine, settings, start=DAY, end=DAY, where={}) == 5


def test_a_contacts_chain(engine, tmp_path):
    _load(engine, tmp_path)
    settings = get_settings()
    c2 = contacts.one(engine, "canonical", "c2", {})
    assert contacts.one(engine, "canonical", "c2", {"queue": ["Pharmacist"]}) is None
    legs = contacts.transfers(engine, c2, {})
    assert list(zip(legs["relation"], legs["contact_id"], strict=True)) == [("passed on to", "c3")]
    c3 = contacts.one(engine, "canonical", "c3", {})
    assert list(contacts.transfers(engine, c3, {})["contact_id"]) == ["c2"]
    c1 = contacts.one(engine, "canonical", "c1", {})
    others = contacts.customer(engine, settings, c1, {})
    assert list(zip(others["relation"], others["contact_id"], strict=True)) == [("came back", "c5")]
    c5 = contacts.one(engine, "canonical", "c5", {})
    assert list(contacts.customer(engine, settings, c5, {})["relation"]) == ["contacted before"]
    assert list(contacts.tickets(engine, settings, c2, {})["ticket_id"]) == ["t1"]
    assert contacts.tickets(engine, settings, c2, {"segment": ["x"]}).is_empty()
    assert sorted(contacts.surveys(engine, ["c1"], {})["response_id"]) == ["r1", "r2", "r4"]


def test_comments_are_attributed_like_the_rollups(engine, tmp_path):
    _load(engine, tmp_path)
    settings = get_settings()

    def said(where):
        found = contacts.comments(engine, settings, start=DAY, end=DAY, where=where)
        return list(found["comment"])

    # r1 names no agent, so it is its contact's (a1); r4 names its own agent (a2)
    assert said({"agent_id": ["a1"]}) == ["Far too slow"]
    assert said({"agent_id": ["a2"]}) == ["Kind pharmacist"]
    assert said({"queue": ["Refills"]}) == ["Kind pharmacist", "Far too slow"]
    assert said({"priority": ["high"]}) == []


def test_comments_count_on_their_contacts_day_else_their_own(engine, tmp_path):
    _load(engine, tmp_path)
    more = tmp_path / "more.csv"
    more.write_text(
        "response_id,contact_id,agent_id,sent_at,responded_at,csat,nps,comment\n"
        # c6 arrived on 5 March: its answer given on the 4th counts on the 5th
        "r5,c6,a1,2024-03-04T15:00:00Z,2024-03-04T19:00:00Z,1,0,About the next day\n"
        # no stored contact: counted at the answer's own time
        "r6,c99,a1,2024-03-04T15:00:00Z,2024-03-04T20:00:00Z,5,10,No call stored\n"
        "r7,c98,a1,2024-03-05T15:00:00Z,2024-03-05T16:00:00Z,5,10,Next day alone\n"
    )
    ingest(more, engine=engine, settings=get_settings())

    def said(day):
        where = {"agent_id": ["a1"]}
        found = contacts.comments(engine, get_settings(), start=day, end=day, where=where)
        return list(found["comment"])

    assert said(DAY) == ["No call stored", "Far too slow"]  # the latest answer first
    assert said(date(2024, 3, 5)) == ["Next day alone", "About the next day"]


def test_the_store_has_indexes_for_the_chain_lookups(engine):
    with warnings.catch_warnings():  # SQLite's reflection skips the index on an expression,
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # which test_incremental sees used
        indexed = {
            (table, tuple(index["column_names"]))
            for table in ("contacts", "survey_responses", "tickets")
            for index in sa.inspect(engine).get_indexes(table)
        }
    for table, columns in storage.LOOKUPS.items():
        for column in columns:
            assert (table, (column,)) in indexed


def test_the_csv_of_a_list_is_safe_and_holds_only_hashed_customers(engine, tmp_path):
    from carepulse import contact_list

    risky = contact("x1", reason='=HYPERLINK("http://evil.example","refill")',
                    customer_key="+1 (555) 010-0199", queue="-Refills")  # fmt: skip
    path = write_csv(tmp_path / "risky.csv", [risky], [*HEADERS, "reason"])
    assert ingest(path, engine=engine, settings=get_settings()).status == "committed"
    stored = contacts.one(engine, "canonical", "x1", {})["customer_key"]
    assert len(stored) == 32 and "555" not in stored  # the ingest kept only the keyed hash
    shown = contact_list.listing(_page(engine, where={}))
    text = contact_list.for_csv(shown).decode("utf-8-sig")
    header, row = csv.reader(io.StringIO(text))
    cells = dict(zip(header, row, strict=True))
    assert cells["Time"] == "2024-03-04 09:00:00"  # 14:00 UTC in New York (EST)
    assert cells["Queue"] == "'-Refills"
    assert cells["Reason"] == "'" + risky["reason"]
    assert cells["Customer (hashed)"] == stored
    assert "010-0199" not in text and "5550100199" not in text
    assert cells["Wait (s)"] == "20" and cells["Talk (s)"] == "300"

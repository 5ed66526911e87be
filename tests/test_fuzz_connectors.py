"""Random bytes and random rows, fed to every registered connector: only CarePulseErrors come out.

A connector must never fail with another exception, whatever a file holds: `detect` answers
True or False, `read` yields canonical batches or raises a `CarePulseError` saying what is
wrong. The whole ingest of random rows accounts for every row and leaves the store as it was
when it rejects the file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sqlite3
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import connectors
from carepulse import storage
from carepulse.ingest import IngestFailed, ingest_file
from carepulse.settings import load
from connectors import base
from connectors import mapping as mappings
from metrics.errors import CarePulseError
from metrics.schema import validate
from tests.helpers import CONTACT_HEADERS

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = {
    "generic": ROOT / "sample_data" / "mappings" / "pwc-call-centre.toml",
    "qualtrics": FIXTURES / "qualtrics_w241_choice_text.toml",
    "surveymonkey": FIXTURES / "surveymonkey_made_up.toml",
}
# Examples per property: modest for CI; raise it (CAREPULSE_FUZZ_EXAMPLES=500) for a longer hunt.
EXAMPLES = int(os.environ.get("CAREPULSE_FUZZ_EXAMPLES", "20"))
FAST = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
SLOW = settings(FAST, max_examples=max(EXAMPLES // 2, 1))


def _first_lines(name: str, count: int = 1) -> list[list[str]]:
    with (FIXTURES / name).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        return [next(reader) for _ in range(count)]


# Header rows of each CSV format, taken from the fixtures (real or documented exports).
HEADERS = {
    "canonical-contacts": [CONTACT_HEADERS],
    "canonical-tickets": [["ticket_id", "status", "created_at", "solved_at", "reopens"]],
    "canonical-surveys": [["response_id", "sent_at", "responded_at", "csat", "nps", "ces"]],
    "zendesk": _first_lines("zendesk_tickets_excerpt.csv"),
    "freshdesk": _first_lines("freshdesk_tickets_made_up.csv"),
    "qualtrics": _first_lines("qualtrics_w241_choice_text.csv", 3),
    "surveymonkey": _first_lines("surveymonkey_made_up.csv", 2),
    "generic": _first_lines("pwc_call_centre_excerpt.csv"),
}
SOURCES = {"generic": "generic", "qualtrics": "qualtrics", "surveymonkey": "surveymonkey"}

# Cells a real export might hold, and cells it should not: each connector must cope.
cells = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "-",
            "0",
            "-1",
            "1e308",
            "NaN",
            "inf",
            "99999999999999999999",
            "2024-03-04T14:00:00Z",
            "2024-03-04 14:00:00",
            "2024-03-10 02:30:00",  # a DST gap in America/New_York
            "1900-01-01 00:00:00",
            "9999-12-31T23:59:59Z",
            "0:02:23",
            "25:99:99",
            "Y",
            "N",
            "Offered",
            "Good",
            "Solved",
            "Resolved",
            "voice",
            "handled",
            '=HYPERLINK("x")',
            '{"ImportId":"QID1","timeZone":"Mars/Olympus"}',
        ]
    ),
    st.text(max_size=20),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


def _csv_text(header_rows: list[list[str]], rows: list[list[str]], *, ragged: bool) -> str:
    """Header rows and data rows as CSV; `ragged` keeps each row's own cell count."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(header_rows)
    width = len(header_rows[0])
    writer.writerows(row if ragged else (row + [""] * width)[:width] for row in rows)
    return out.getvalue()


QUEUE_EVENTS = ["ENTERQUEUE", "CONNECT", "COMPLETECALLER", "COMPLETEAGENT", "ABANDON"]
QUEUE_EVENTS += ["EXITWITHTIMEOUT", "EXITWITHKEY", "TRANSFER", "RINGNOANSWER", "JOINEMPTY"]
queue_lines = st.lists(
    st.tuples(
        st.integers(1_700_000_000, 1_700_100_000),
        st.sampled_from(["1.1", "1.2", "2.1", "NONE", ""]),
        st.sampled_from(["support", "billing", "NONE"]),
        st.sampled_from(["PJSIP/7001", "NONE", ""]),
        st.sampled_from(QUEUE_EVENTS),
        st.lists(cells.map(lambda c: c.replace("|", "").replace("\n", "")), max_size=5),
    ).map(lambda t: "|".join([str(t[0]), *t[1:5], *t[5]])),
    min_size=1,
    max_size=30,
).map(lambda lines: "\n".join(lines) + "\n")

cdr_rows = st.lists(
    st.tuples(st.sampled_from([16, 17, 18, 19, 20, 21]), st.lists(cells, max_size=21)),
    min_size=1,
    max_size=10,
)


def _cdr_text(rows: list[tuple[int, list[str]]]) -> str:
    width = rows[0][0]
    lines = []
    for _, values in rows:
        row = (values + [""] * width)[:width]
        row[9] = row[9] if row[9].count(":") == 2 else "2024-03-04 09:00:00"
        lines.append(row)
    out = io.StringIO()
    csv.writer(out).writerows(lines)
    return out.getvalue()


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), cells),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=4,
)
CTR_KEYS = ["Channel", "InitiationMethod", "InitiationTimestamp", "Queue", "Agent"]
CTR_KEYS += ["DisconnectTimestamp", "LastUpdateTimestamp", "CustomerEndpoint", "NextContactId"]
CTR_NESTED = ["Name", "EnqueueTimestamp", "Duration", "Username", "Address"]
CTR_NESTED += ["ConnectedToAgentTimestamp", "AgentInteractionDuration"]
ctr_records = st.lists(
    st.fixed_dictionaries(
        {"AWSContactTraceRecordFormatVersion": st.just("2017-03-10"), "ContactId": cells},
        optional={
            key: st.one_of(
                json_values,
                st.dictionaries(st.sampled_from(CTR_NESTED), json_values, max_size=4),
            )
            for key in CTR_KEYS
        },
    ),
    max_size=5,
)
TICKET_KEYS = ["id", "status", "priority", "via", "created_at", "updated_at", "requester_id"]
TICKET_KEYS += ["satisfaction_rating", "group_id", "assignee_id", "type"]
zendesk_pages = st.fixed_dictionaries(
    {
        "tickets": st.lists(
            st.dictionaries(
                st.sampled_from(TICKET_KEYS),
                st.one_of(
                    json_values,
                    st.dictionaries(st.sampled_from(["score", "channel", "updated_at"]), cells),
                ),
                max_size=6,
            ),
            max_size=4,
        ),
        "metric_sets": st.lists(
            st.dictionaries(st.sampled_from(["ticket_id", "solved_at", "reopens"]), json_values),
            max_size=3,
        ),
    }
)


def _mapping(name: str) -> mappings.Mapping | None:
    return mappings.load(MAPPINGS[name]) if name in MAPPINGS else None


def read_everything(path: Path, connector: connectors.Connector, mapping=None) -> int:
    """Detect, then read every kind the file holds to the end; the rows read."""
    head = path.read_bytes()[:65536]
    assert connector.detect(path, head) in (True, False)
    rows = 0
    for kind in base.kinds(connector, path, mapping=mapping):
        options = base.read_options(connector, mapping=mapping, kind=kind)
        batches = connector.read(
            path, timezone="America/New_York", source=None, batch_rows=7, **options
        )
        for batch in batches:
            validate(batch.frame, batch.kind)  # canonical columns with canonical types
            assert batch.frame["_row"].is_in(batch.raw["_row"].implode()).all()
            rows += batch.frame.height
    return rows


def only_carepulse_errors(path: Path, connector: connectors.Connector, mapping=None) -> None:
    try:
        read_everything(path, connector, mapping)
    except CarePulseError as error:
        assert error.message.strip()


PREFIXES = [b"", b"PK\x03\x04", b"PAR1", b"{", b"[", b"\xef\xbb\xbf", b"\xff\xfe"]
PREFIXES += [b"1717400000|1.1|support|NONE|ENTERQUEUE|", b"[database]\n"]
PREFIXES += [",".join(CONTACT_HEADERS).encode() + b"\n"]
PREFIXES += [",".join(h[0]).encode() + b"\n" for h in HEADERS.values()]


@FAST
@given(prefix=st.sampled_from(PREFIXES), data=st.binary(max_size=600))
def test_random_bytes_give_only_carepulse_errors(tmp_path, prefix, data):
    path = tmp_path / "junk.csv"
    path.write_bytes(prefix + data)
    for connector in connectors.REGISTRY.values():
        only_carepulse_errors(path, connector, _mapping(connector.name))
    with contextlib.suppress(CarePulseError):
        connectors.detect(path)


@FAST
@given(
    format_=st.sampled_from(sorted(HEADERS)),
    rows=st.lists(st.lists(cells), max_size=12),
    ragged=st.booleans(),
)
def test_random_rows_under_real_headers_give_only_carepulse_errors(tmp_path, format_, rows, ragged):
    path = tmp_path / "rows.csv"
    path.write_text(_csv_text(HEADERS[format_], rows, ragged=ragged), encoding="utf-8")
    name = SOURCES.get(format_, format_.split("-")[0])
    only_carepulse_errors(path, connectors.get(name), _mapping(name))


@FAST
@given(text=queue_lines, cdr=cdr_rows)
def test_random_asterisk_lines_give_only_carepulse_errors(tmp_path, text, cdr):
    queue_log = tmp_path / "queue_log"
    queue_log.write_text(text, encoding="utf-8")
    only_carepulse_errors(queue_log, connectors.get("asterisk-queue-log"))
    master = tmp_path / "Master.csv"
    master.write_text(_cdr_text(cdr), encoding="utf-8")
    only_carepulse_errors(master, connectors.get("asterisk-cdr"))


@SLOW
@given(records=ctr_records, page=zendesk_pages)
def test_random_json_records_give_only_carepulse_errors(tmp_path, records, page):
    ctr = tmp_path / "ctr.json"
    ctr.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    only_carepulse_errors(ctr, connectors.get("amazon-connect"))
    tickets = tmp_path / "tickets.json"
    tickets.write_text(json.dumps(page), encoding="utf-8")
    only_carepulse_errors(tickets, connectors.get("zendesk"))


DATABASE_HEADERS = ["call_id", "agent", "started", "answered", "wait_ms", "talk_s", "caller"]


@FAST
@given(
    rows=st.lists(
        st.lists(cells | st.integers(-(2**63), 2**63 - 1) | st.floats(), max_size=7), max_size=10
    )
)
def test_random_database_rows_give_only_carepulse_errors(tmp_path, rows):
    source = tmp_path / "source.sqlite"
    source.unlink(missing_ok=True)
    with sqlite3.connect(source) as connection:
        connection.execute(f"CREATE TABLE calls ({', '.join(DATABASE_HEADERS)}, rating)")
        width = len(DATABASE_HEADERS) + 1
        connection.executemany(
            f"INSERT INTO calls VALUES ({', '.join('?' * width)})",
            [((row + [None] * width)[:width]) for row in rows],
        )
    declared = (FIXTURES / "database_calls.toml").read_text()
    declared = declared.replace("database_source.sqlite", source.name)
    declared = declared.replace("WHERE started >= :since ", "").replace("params =", "# params =")
    path = tmp_path / "calls.toml"
    path.write_text(declared)
    only_carepulse_errors(path, connectors.get("database"))


INGESTED = ["canonical-contacts", "canonical-surveys", "zendesk", "generic"]


@pytest.fixture(scope="module")
def store():
    """One SQLite store for the whole-ingest property (a fresh one per example is slow)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        config = load(data_dir=root, database_url=f"sqlite:///{root / 'fuzz.db'}")
        engine = storage.connect(config.database)
        storage.init(engine)
        yield engine, config, root
        engine.dispose()


@settings(SLOW, suppress_health_check=list(HealthCheck))
@given(format_=st.sampled_from(INGESTED), rows=st.lists(st.lists(cells), max_size=12))
def test_random_rows_ingest_or_fail_cleanly(store, format_, rows):
    engine, config, root = store
    path = root / f"{format_}.csv"
    path.write_text(_csv_text(HEADERS[format_], rows, ragged=False), encoding="utf-8")
    before = storage.counts(engine)
    mapping = MAPPINGS.get(format_)
    try:
        summaries = ingest_file(path, engine=engine, settings=config, mapping=mapping)
    except IngestFailed as failure:
        assert storage.counts(engine) == before
        assert {s.status for s in failure.summaries} == {"failed"}
        return
    except CarePulseError:  # rejected before a run began (e.g. the format is not recognised)
        assert storage.counts(engine) == before
        return
    for summary in summaries:
        assert summary.read == summary.accepted + summary.quarantined + summary.duplicates
    staged = [t for t in sa.inspect(engine).get_table_names() if t.startswith("stage_")]
    assert not staged

"""The database source: a query with bound parameters, or a table, mapped or as queue_log."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import polars as pl
import pytest

import connectors
from connectors import asterisk_queue_log, database
from metrics.errors import CarePulseError
from metrics.schema import CONTACTS, SURVEY_RESPONSES, validate
from tests.conftest import FIXTURES

CALLS = FIXTURES / "database_calls.toml"
QUEUE_LOG = FIXTURES / "database_queue_log.toml"


def _read(path, kind=None, *, batch_rows: int = 2, timezone: str = "UTC") -> pl.DataFrame:
    batches = database.CONNECTOR.read(
        path, timezone=timezone, source=None, batch_rows=batch_rows, kind=kind
    )
    frames = [b.frame for b in batches]
    if not frames:
        return pl.DataFrame()
    frame = pl.concat(frames)
    return validate(frame, kind or CONTACTS, now=datetime(2030, 1, 1, tzinfo=UTC))


def _declare(tmp_path, text: str):
    path = tmp_path / "source.toml"
    path.write_text(
        text.replace("database_source.sqlite", str(FIXTURES / "database_source.sqlite"))
    )
    return path


def test_a_declaration_file_is_detected_and_lists_its_kinds():
    assert connectors.detect(CALLS).name == "database"
    assert database.CONNECTOR.kinds(CALLS) == (CONTACTS, SURVEY_RESPONSES)


def test_a_query_is_read_in_batches_through_the_mapping():
    frame = _read(CALLS)
    assert frame["contact_id"].to_list() == ["k1", "k2", "k3", "k4"]
    first = frame.row(0, named=True)
    assert (first["wait_seconds"], first["talk_seconds"], first["source"]) == (20, 300, "phone-db")
    assert frame["_reason"][3].startswith("answered: 'X' is not one of Y, N")
    surveys = _read(CALLS, SURVEY_RESPONSES)
    assert surveys.select("response_id", "csat").rows() == [("k1", 5), ("k3", 3)]


def test_parameters_are_bound_not_pasted(tmp_path):
    text = CALLS.read_text().replace('since = "2024-03-01"', "since = \"2024-03-05' OR '1'='1\"")
    assert _read(_declare(tmp_path, text)).is_empty()
    text = CALLS.read_text().replace('since = "2024-03-01"', 'since = "2024-03-05"')
    assert _read(_declare(tmp_path, text))["contact_id"].to_list() == ["k3", "k4"]


def test_a_realtime_queue_log_table_reads_like_the_file():
    table = _read(QUEUE_LOG, timezone="Europe/Moscow")
    lines = asterisk_queue_log.events((FIXTURES / "asterisk_issue759.queue_log").read_text())
    batches = asterisk_queue_log.batches(lines, source="pbx-db", batch_rows=10)
    from_file = pl.concat([b.frame for b in batches])
    assert table.drop("_reason").equals(from_file.drop("_reason"))


def test_database_errors_say_what_failed(tmp_path, monkeypatch):
    broken = CALLS.read_text().replace("FROM calls", "FROM no_such_table")
    with pytest.raises(CarePulseError, match=r"the database refused the read.*no_such_table"):
        _read(_declare(tmp_path, broken))
    monkeypatch.delenv("CALLS_DB_URL", raising=False)
    by_env = CALLS.read_text().replace(
        'url = "sqlite:///database_source.sqlite"', 'url_env = "CALLS_DB_URL"'
    )
    with pytest.raises(CarePulseError, match="CALLS_DB_URL is not set"):
        _read(_declare(tmp_path, by_env))
    both = CALLS.read_text().replace("[database]", '[database]\ntable = "calls"')
    with pytest.raises(CarePulseError, match="give exactly one of table or query"):
        _read(_declare(tmp_path, both))


@pytest.mark.postgres
def test_a_queue_log_table_in_postgresql(postgres_url, tmp_path):
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url)
    lines = (FIXTURES / "asterisk_issue759.queue_log").read_text().splitlines()
    names = ["time", "callid", "queuename", "agent", "event", *(f"data{i}" for i in range(1, 6))]
    rows = [dict(zip(names, [*line.split("|"), *[""] * 10], strict=False)) for line in lines]
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS pbx_queue_log"))
        connection.execute(
            sa.text(f"CREATE TABLE pbx_queue_log ({', '.join(f'{n} text' for n in names)})")
        )
        connection.execute(
            sa.text(f"INSERT INTO pbx_queue_log VALUES ({', '.join(':' + n for n in names)})"), rows
        )
    engine.dispose()
    path = tmp_path / "pbx.toml"
    path.write_text(
        f'[database]\nurl = "{postgres_url}"\n'
        'query = "SELECT * FROM pbx_queue_log WHERE time >= :since"\n'
        'params = { since = "1717397259" }\nformat = "asterisk-queue-log"\n'
    )
    frame = _read(path)
    assert frame["contact_id"].to_list() == [
        "1717397243.239826:1501:1717397259",
        "1717397243.239826:1509:1717397390",
    ]


def test_a_malformed_url_or_a_missing_driver_says_so(tmp_path, monkeypatch):
    url = 'url = "sqlite:///database_source.sqlite"'
    malformed = _declare(tmp_path, CALLS.read_text().replace(url, 'url = "calls on the pbx"'))
    with pytest.raises(CarePulseError, match=r"source\.toml: the url is not a database URL"):
        database.CONNECTOR.kinds(malformed)
    monkeypatch.setitem(sys.modules, "MySQLdb", None)  # as if mysqlclient were not installed
    mysql = CALLS.read_text().replace(url, 'url = "mysql://reader:secret@pbx/asteriskcdrdb"')
    with pytest.raises(CarePulseError, match=r"the driver for mysql is not installed.*MySQLdb"):
        _read(_declare(tmp_path, mysql))

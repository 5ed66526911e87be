"""Ingests under load, on SQLite and PostgreSQL: readers, overlapping writers, a killed ingest.

Threads meet at events and barriers placed inside the ingest (no sleeps decide an outcome);
the killed ingest is a real `carepulse ingest` process, stopped with SIGKILL while it stages.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from carepulse import ingest as ingest_module
from carepulse import locks, query, rollups, staging, storage
from carepulse.ingest import ingest_file
from carepulse.settings import get_settings
from tests.helpers import contact, write_csv

ROOT = Path(__file__).resolve().parents[1]
PWC = ROOT / "sample_data" / "mappings" / "pwc-call-centre.toml"
PWC_HEADERS = ["Call Id", "Agent", "Date", "Time", "Topic", "Answered (Y/N)", "Resolved"]
PWC_HEADERS += ["Speed of answer in seconds", "AvgTalkDuration", "Satisfaction rating"]
DAY = date(2021, 1, 1)
WAIT = 60  # seconds a thread waits for its partner before the test fails (never reached)


def _calls(path: Path, ids: range, *, rated: int) -> Path:
    """PwC-format calls on DAY, answered; the first `rated` carry a rating (a second kind)."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PWC_HEADERS)
        for number, i in enumerate(ids):
            rating = 4 if number < rated else ""
            clock = f"{9 + i // 60:02d}:{i % 60:02d}:00"
            writer.writerow([f"ID{i}", "Ann", "2021-01-01", clock, "Billing", "Y", "Y", 20,
                             "0:02:00", rating])  # fmt: skip
    return path


def _totals(engine: sa.Engine) -> tuple[float, float]:
    """Offered contacts and CSAT responses on DAY, as the dashboard reads them."""
    frame = query.kpis(engine, get_settings(), start=DAY, end=DAY, keys=["offered", "csat"])
    values = dict(zip(frame["kpi"], frame["denominator"], strict=True))
    return values["offered"], values["csat"]


def test_readers_see_an_ingest_whole_or_not_at_all(engine, tmp_path, monkeypatch):
    settings = get_settings()
    ingest_file(_calls(tmp_path / "a.csv", range(4), rated=4), engine=engine,
                settings=settings, mapping=PWC)  # fmt: skip
    before, after = (4, 4), (4 + 6, 4 + 5)  # file b: 6 calls, 5 of them rated
    assert _totals(engine) == before
    readers = 3
    mid_commit, finished = threading.Event(), threading.Event()
    met = threading.Barrier(readers + 1, timeout=WAIT)
    real_commit, real_table = ingest_module._commit, query._table

    def commit_then_meet_readers(connection, summary, kind, config):
        real_commit(connection, summary, kind, config)
        if kind is not None and kind.name == "survey_responses":  # the last kind, not committed
            mid_commit.set()
            met.wait()  # every reader has read the store while this transaction is open

    straddling: list[threading.Thread] = []

    def table_then_let_the_ingest_commit(connection, name, *args):
        frame = real_table(connection, name, *args)
        if threading.current_thread() in straddling and name == "contact_intervals":
            straddling.clear()
            met.wait()  # the ingest commits between this read's first table and the others
            assert finished.wait(WAIT)
        return frame

    monkeypatch.setattr(ingest_module, "_commit", commit_then_meet_readers)
    monkeypatch.setattr(query, "_table", table_then_let_the_ingest_commit)
    seen: dict[str, list[tuple[float, float]]] = {"start": [], "open": [], "commit": []}
    errors: list[BaseException] = []

    def read_around_the_commit(straddle: bool) -> None:
        try:
            seen["start"].append(_totals(engine))  # while the ingest reads and stages
            assert mid_commit.wait(WAIT)
            if straddle:
                straddling.append(threading.current_thread())
            seen["open"].append(_totals(engine))
            if not straddle:
                met.wait()
            while not finished.is_set():  # across the commit, as often as it can
                seen["commit"].append(_totals(engine))
            seen["commit"].append(_totals(engine))
        except BaseException as error:  # collected and re-raised by the test
            errors.append(error)
            met.abort()

    threads = [
        threading.Thread(target=read_around_the_commit, args=(n == 0,)) for n in range(readers)
    ]
    for thread in threads:
        thread.start()
    try:
        ingest_file(_calls(tmp_path / "b.csv", range(4, 10), rated=5), engine=engine,
                    settings=settings, mapping=PWC)  # fmt: skip
    finally:
        finished.set()
        for thread in threads:
            thread.join()
    assert not errors, errors
    # Nothing shows before the commit, not even to a read the commit happened in the middle of.
    assert seen["start"] == seen["open"] == [before] * readers
    assert set(seen["commit"]) <= {before, after}  # never half of it
    assert seen["commit"][-1] == after and _totals(engine) == after


def _spread(prefix: str, count: int, offset: int) -> list[dict[str, object]]:
    """Contacts every 2 minutes from 14:00 UTC; customers shared between files (repeats)."""
    rows = []
    for i in range(count):
        minute = offset + 2 * i
        arrived = f"2024-03-04T{14 + minute // 60:02d}:{minute % 60:02d}:00Z"
        rows.append(contact(f"{prefix}{i}", arrived_at=arrived, answered_at="", ended_at="",
                            customer_key=f"+1 555 0100 {i % 7}"))  # fmt: skip
    return rows


def _rollups(engine: sa.Engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {
            name: sorted(map(tuple, connection.execute(sa.select(table)).all()), key=repr)
            for name, table in storage.ROLLUPS.items()
        }


def test_two_overlapping_ingests_end_as_a_sequential_load(engine, tmp_path, monkeypatch):
    settings = get_settings()
    first = write_csv(tmp_path / "x.csv", _spread("x", 30, 0))
    second = write_csv(tmp_path / "y.csv", _spread("y", 30, 1))  # the same intervals
    both_staged = threading.Barrier(2, timeout=WAIT)
    real_stage = staging.stage_file

    def stage_then_meet(*args, **kwargs):
        kind = real_stage(*args, **kwargs)
        both_staged.wait()  # both ingests go on to commit at the same moment
        return kind

    monkeypatch.setattr(staging, "stage_file", stage_then_meet)
    results: dict[str, object] = {}

    def load(path: Path) -> None:
        try:
            results[path.name] = ingest_file(path, engine=engine, settings=settings)
        except BaseException as error:  # collected and re-raised by the test
            results[path.name] = error
            both_staged.abort()

    threads = [threading.Thread(target=load, args=(path,)) for path in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(r, list) for r in results.values()), results
    assert storage.counts(engine)["contacts"] == 60
    concurrent = _rollups(engine)
    rollups.rebuild(engine, settings)
    assert concurrent == _rollups(engine)
    total = query.kpis(engine, settings, start=date(2024, 3, 4), end=date(2024, 3, 4),
                       keys=["offered"])["value"].item()  # fmt: skip
    assert total == 60


def test_a_live_run_is_left_alone_and_a_dead_one_is_interrupted(engine):
    lease = locks.Lease(engine)
    with engine.begin() as connection:
        run = connection.execute(
            storage.ingest_runs.insert().values(
                file_name="f.csv",
                sha256="0" * 64,
                connector="canonical",
                started_at=sa.func.now(),
                status="running",
            )
        ).inserted_primary_key[0]
        lease.take(run)
    stage = f"{storage.STAGE_PREFIX}{run}_rows"
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE TABLE "{stage}" (x INTEGER)'))
    assert storage.recover(engine) == []  # another process's init must not touch it
    assert stage in sa.inspect(engine).get_table_names()
    lease.release()  # as its process dying would
    assert storage.recover(engine) == [run]
    assert storage.runs(engine)[0]["status"] == "interrupted"
    assert stage not in sa.inspect(engine).get_table_names()


def _big_file(path: Path, rows: int) -> Path:
    header = "contact_id,channel,direction,queue,arrived_at,wait_seconds,outcome\n"
    line = "big{0},voice,inbound,Refills,2024-03-05T{1:02d}:{2:02d}:00Z,20,handled\n"
    with path.open("w") as handle:
        handle.write(header)
        handle.writelines(line.format(i, (i // 60) % 24, i % 60) for i in range(rows))
    return path


def _staged_rows(engine: sa.Engine) -> int:
    """Rows the running ingest has staged so far (0 before its first batch)."""
    with engine.connect() as connection:
        names = [t for t in sa.inspect(connection).get_table_names() if t.endswith("_rows")]
        names = [t for t in names if t.startswith(storage.STAGE_PREFIX)]
        if not names:
            return 0
        return connection.execute(sa.text(f'SELECT count(*) FROM "{names[0]}"')).scalar_one()


def _poll(condition, what: str, *, process: subprocess.Popen | None = None) -> None:
    """Wait for a condition another process brings about (it has no event to signal)."""
    deadline = time.monotonic() + 120
    while not condition():
        assert process is None or process.poll() is None, f"the ingest ended before {what}"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def test_a_killed_ingest_leaves_the_facts_and_is_cleaned_up(engine, tmp_path):
    settings = get_settings()
    ingest_file(write_csv(tmp_path / "small.csv", [contact("s1"), contact("s2")]),
                engine=engine, settings=settings)  # fmt: skip
    facts, rolled = storage.counts(engine), _rollups(engine)
    big = _big_file(tmp_path / "big.csv", 200_000)
    env = {**os.environ, "CAREPULSE_BATCH_ROWS": "1000"}
    process = subprocess.Popen(
        [sys.executable, "-m", "carepulse.cli", "ingest", str(big)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _poll(lambda: _staged_rows(engine) > 0, "staging began", process=process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    run = storage.runs(engine)[0]
    assert (run["file_name"], run["status"]) == ("big.csv", "running")  # killed mid-way
    assert storage.counts(engine) == facts and _rollups(engine) == rolled
    with engine.connect() as connection:  # PostgreSQL ends a dead client's session shortly after
        _poll(lambda: not locks.alive(connection, engine, run["id"]), "the lease's release")
    storage.init(engine)
    assert storage.runs(engine)[0]["status"] == "interrupted"
    assert not [t for t in sa.inspect(engine).get_table_names() if t.startswith("stage_")]
    assert storage.counts(engine) == facts and _rollups(engine) == rolled
    again = ingest_file(write_csv(tmp_path / "next.csv", [contact("n1")]), engine=engine,
                        settings=settings)  # fmt: skip
    assert again[0].status == "committed" and storage.counts(engine)["contacts"] == 3

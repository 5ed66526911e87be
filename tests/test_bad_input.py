"""A corpus of broken files, made in the test: each is refused with a clear error or quarantined.

A refused file leaves the store exactly as it was (facts, rollups, quarantine) and `carepulse
ingest` exits 1 without a traceback; a file with bad rows stores its good rows and keeps the
bad ones with their reasons.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from carepulse import storage
from carepulse.cli import main
from tests.helpers import (
    CONTACT_HEADERS,
    Formula,
    contact,
    write_csv,
    write_xlsx,
    write_zip_bomb,
)

ROOT = Path(__file__).resolve().parents[1]
PWC = ROOT / "sample_data" / "mappings" / "pwc-call-centre.toml"
PWC_HEADERS = ["Call Id", "Agent", "Date", "Time", "Topic", "Answered (Y/N)", "Resolved"]
PWC_HEADERS += ["Speed of answer in seconds", "AvgTalkDuration", "Satisfaction rating"]
SURVEY_HEADERS = "response_id,sent_at,responded_at,csat,nps,ces\n"
HEADER = ",".join(CONTACT_HEADERS) + "\n"


def _line(contact_id: str, **values: object) -> str:
    row = contact(contact_id, **values)
    return ",".join(str(row[h]) for h in CONTACT_HEADERS) + "\n"


def _text(name: str, text: str, encoding: str = "utf-8") -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(text.encode(encoding))
        return path

    return build


def _bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return build


def _truncated_workbook(folder: Path) -> Path:
    whole = write_xlsx(folder / "whole.xlsx", [PWC_HEADERS, ["ID1", "Ann", "2021-01-01"]])
    path = folder / "truncated.xlsx"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    return path


@dataclass(frozen=True)
class Refused:
    """A file the ingest must refuse, with words its message must contain."""

    build: Callable[[Path], Path]
    says: str
    options: tuple[str, ...] = ()


REFUSED = {
    "empty": Refused(_bytes("empty.csv", b""), "the file is empty"),
    "binary": Refused(
        _bytes("scan.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8), "binary data"
    ),
    "binary as canonical": Refused(
        _bytes("scan.csv", bytes(range(256)) * 8), "binary data", ("--source", "canonical")
    ),
    "UTF-16": Refused(_text("calls.csv", HEADER + _line("c9"), "utf-16"), "is UTF-16 text"),
    "UTF-16 with a mapping": Refused(
        _text("calls.csv", ",".join(PWC_HEADERS) + "\n", "utf-16"),
        "is UTF-16 text",
        ("--mapping", str(PWC)),
    ),
    "cut inside a quote": Refused(
        _text("calls.csv", HEADER + _line("c9") + 'c10,"voice,inbound'),
        "a quote opened on line 3 does not close",
    ),
    "unbalanced quote": Refused(
        _text("calls.csv", HEADER + _line("c9") + _line("c10", queue='"Refills') + _line("c11")),
        "a quote opened on line 3 does not close",
    ),
    "one huge line": Refused(
        _text("calls.csv", "a," * 100_000), "more than 16,384 fields", ("--mapping", str(PWC))
    ),
    "duplicate headers": Refused(
        _text("calls.csv", HEADER.replace("queue,", "contact_id,") + _line("c9")),
        "column 'contact_id' appears more than once",
    ),
    "duplicate mapped headers": Refused(
        _text("calls.csv", ",".join([*PWC_HEADERS, "Agent"]) + "\n"),
        "column 'Agent' appears more than once",
        ("--mapping", str(PWC)),
    ),
    "truncated workbook": Refused(
        _truncated_workbook, "not a readable XLSX workbook", ("--mapping", str(PWC))
    ),
    "zip bomb as xlsx": Refused(
        lambda folder: write_zip_bomb(folder / "calls.xlsx"),
        "refused: xl/worksheets/sheet1.xml inflates",
        ("--mapping", str(PWC)),
    ),
    "zip bomb, undetected": Refused(
        lambda folder: write_zip_bomb(folder / "calls.xlsx"), "format not recognised"
    ),
    "binary mapping": Refused(
        _text("calls.csv", HEADER + _line("c9")),
        "m.toml: not a UTF-8 text file (byte 1 is not UTF-8)",
        ("--mapping", "m.toml"),
    ),
}


def _state(engine: sa.Engine) -> dict[str, object]:
    """Everything a refused file must leave as it was."""
    with engine.connect() as connection:
        rollups = {
            name: sorted(map(tuple, connection.execute(sa.select(table)).all()))
            for name, table in storage.ROLLUPS.items()
        }
        quarantined = connection.execute(
            sa.select(sa.func.count()).select_from(storage.quarantine)
        ).scalar_one()
        tables = sa.inspect(connection).get_table_names()
    staged = [t for t in tables if t.startswith(storage.STAGE_PREFIX)]
    return {"facts": storage.counts(engine), "rollups": rollups, "quarantine": quarantined,
            "staged": staged}  # fmt: skip


@pytest.fixture
def loaded(engine, tmp_path):
    """The store holding a few good contacts before each broken file arrives."""
    good = write_csv(tmp_path / "good.csv", [contact(f"c{i}") for i in range(1, 4)])
    assert main(["ingest", str(good)]) == 0
    return engine


def _refuse(engine: sa.Engine, folder: Path, refused: Refused, capsys) -> None:
    path = refused.build(folder)
    (folder / "m.toml").write_bytes(b"\xff\xfe\x00[source]")  # a mapping that is no text
    capsys.readouterr()
    before = _state(engine)
    assert main(["ingest", "--json", str(path), *refused.options]) == 1
    out = capsys.readouterr().out
    reports = [json.loads(line) for line in out.splitlines()]
    assert reports and all(r["status"] == "failed" for r in reports)
    assert all(refused.says in r["error"] for r in reports), out
    assert all(len(r["error"]) < 2000 for r in reports)  # a message, not a dump
    assert _state(engine) == before
    assert {run["status"] for run in storage.runs(engine)} <= {"committed", "failed"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("case", REFUSED, ids=str)
def test_a_broken_file_is_refused_and_changes_nothing(loaded, tmp_path, capsys, case):
    _refuse(loaded, tmp_path, REFUSED[case], capsys)


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_refused_files_change_nothing_on_postgresql(loaded, tmp_path, capsys):
    for case in ("unbalanced quote", "duplicate headers", "zip bomb as xlsx"):
        _refuse(loaded, tmp_path, REFUSED[case], capsys)


def _quarantine(engine: sa.Engine, run_id: int) -> dict[int, str]:
    return {row["row_number"]: row["reason"] for row in storage.quarantined(engine, run_id)}


def _ingest(path: Path, capsys, *options: str) -> list[dict]:
    capsys.readouterr()
    assert main(["ingest", "--json", str(path), *options]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_future_dates_and_impossible_durations_are_quarantined(loaded, tmp_path, capsys):
    path = tmp_path / "calls.csv"
    path.write_text(
        HEADER
        + _line("f1", arrived_at="2999-01-01T10:00:00Z", answered_at="", ended_at="")
        + _line("d1", wait_seconds=-5)
        + _line("d2", talk_seconds=999_999_999)
        + _line("d3", wait_seconds="inf", talk_seconds="NaN")
        + _line("ok")
    )
    (report,) = _ingest(path, capsys)
    assert (report["read"], report["accepted"], report["quarantined"]) == (5, 1, 4)
    reasons = _quarantine(loaded, report["run_id"])
    assert reasons[1] == "arrived_at is in the future"
    assert reasons[2] == "wait_seconds -5.0 is outside 0–86400"
    assert reasons[3] == "talk_seconds 999999999.0 is outside 0–86400"
    assert reasons[4] == "wait_seconds inf is outside 0–86400; talk_seconds NaN is outside 0–86400"
    assert storage.counts(loaded)["contacts"] == 3 + 1


def test_scores_off_their_scales_are_quarantined(loaded, tmp_path, capsys):
    sent = "2024-03-04T14:00:00Z,2024-03-04T15:00:00Z"
    path = tmp_path / "surveys.csv"
    path.write_text(
        SURVEY_HEADERS
        + f"r1,{sent},6,,\n"
        + f"r2,{sent},,11,\n"
        + f"r3,{sent},,,0\n"
        + f"r4,{sent},-1,3.5,\n"
        + f"r5,{sent},5,10,7\n"
    )
    (report,) = _ingest(path, capsys)
    assert (report["accepted"], report["quarantined"]) == (1, 4)
    reasons = _quarantine(loaded, report["run_id"])
    assert reasons == {
        1: "csat 6 is outside 1–5",
        2: "nps 11 is outside 0–10",
        3: "ces 0 is outside 1–7",
        4: "nps: cannot read '3.5' as a whole number; csat -1 is outside 1–5",
    }


def test_a_huge_cell_is_quarantined_with_a_short_reason(loaded, tmp_path, capsys):
    path = tmp_path / "calls.csv"
    path.write_text(HEADER + _line("h1", channel="x" * 5_000_000) + _line("ok"))
    (report,) = _ingest(path, capsys)
    assert (report["accepted"], report["quarantined"]) == (1, 1)
    reason = _quarantine(loaded, report["run_id"])[1]
    assert reason.startswith("channel 'xxxx") and len(reason) < 200


def test_a_row_cut_short_is_quarantined_and_the_rest_stored(loaded, tmp_path, capsys):
    path = tmp_path / "calls.csv"
    path.write_text(HEADER + _line("ok") + _line("cut")[:40])  # the export stopped mid-row
    (report,) = _ingest(path, capsys)
    assert (report["read"], report["accepted"], report["quarantined"]) == (2, 1, 1)
    assert "outcome is missing" in _quarantine(loaded, report["run_id"])[2]


def test_a_latin1_file_is_read_with_a_note(loaded, tmp_path, capsys):
    path = tmp_path / "calls.csv"
    path.write_bytes((HEADER + _line("l1", queue="Café")).encode("latin-1"))
    (report,) = _ingest(path, capsys)
    assert report["accepted"] == 1
    assert report["notes"] == ["calls.csv: 1 character was not UTF-8; the file was read as Latin-1"]


def test_workbook_formulas_are_read_by_their_computed_values(loaded, tmp_path, capsys):
    day = ["2021-01-01", "9:12:58", "Billing", "Y", "Y"]
    rows = [
        PWC_HEADERS,
        ["F1", "Ann", *day, Formula("50+59", 109), "0:02:23", 3],
        ["F2", "Ann", *day, Formula("50+59"), "0:02:23", Formula('HYPERLINK("x","y")', "y")],
        ["F3", "Ann", *day, Formula("1/0", "#DIV/0!"), "0:02:23", 4],
    ]
    path = write_xlsx(tmp_path / "calls.xlsx", rows)
    contacts, surveys = _ingest(path, capsys, "--mapping", str(PWC))
    assert (contacts["accepted"], contacts["quarantined"]) == (2, 1)
    assert _quarantine(loaded, contacts["run_id"]) == {
        3: "Speed of answer in seconds: cannot read '#DIV/0!' as a number"
    }
    assert _quarantine(loaded, surveys["run_id"]) == {
        2: "Satisfaction rating: cannot read 'y' as a whole number"
    }
    table = storage.FACTS["contacts"]
    with loaded.connect() as connection:
        waits = dict(
            connection.execute(
                sa.select(table.c.contact_id, table.c.wait_seconds).where(
                    table.c.source == "phonenow"
                )
            ).all()
        )
    # A formula Excel never computed is unknown, not zero, and never its formula text.
    assert waits == {"F1": 109.0, "F2": None}


def test_the_command_never_shows_a_traceback(tmp_path):
    bomb = write_zip_bomb(tmp_path / "calls.xlsx")
    done = subprocess.run(
        [sys.executable, "-m", "carepulse.cli", "ingest", str(bomb), "--mapping", str(PWC)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 1
    assert "refused" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr

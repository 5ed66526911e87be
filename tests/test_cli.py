"""The carepulse command as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from carepulse.cli import main
from tests.helpers import contact, write_csv


def test_ingest_json_reports_each_file_and_fails_on_a_rejected_one(tmp_path, capsys):
    good = write_csv(tmp_path / "calls.csv", [contact("c1"), contact("c2", outcome="lost")])
    bad = tmp_path / "notes.csv"
    bad.write_text("who,what\nme,this\n")
    assert main(["ingest", "--json", str(good), str(bad)]) == 1
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert {
        k: first[k] for k in ("status", "read", "accepted", "quarantined", "duplicates", "updated")
    } == {
        "status": "committed",
        "read": 2,
        "accepted": 1,
        "quarantined": 1,
        "duplicates": 0,
        "updated": 0,
    }
    assert first["run_id"] >= 1 and first["file"].endswith("calls.csv")
    assert second["status"] == "failed" and "format not recognised" in second["error"]


def test_runs_and_quarantine_show_what_happened(tmp_path, capsys):
    path = write_csv(tmp_path / "calls.csv", [contact("c1", wait_seconds="-3")])
    assert main(["ingest", str(path)]) == 0
    assert "carepulse quarantine 1" in capsys.readouterr().out
    assert main(["runs"]) == 0
    assert "calls.csv" in capsys.readouterr().out
    assert main(["quarantine", "1"]) == 0
    shown = capsys.readouterr().out
    assert "row 1: wait_seconds -3.0 is outside 0–86400" in shown


def test_a_missing_header_names_what_was_found(tmp_path, capsys):
    path = tmp_path / "calls.csv"
    path.write_text(
        "contact_id,arrived_at,chanel,direction,outcome\nc1,2024-03-04T10:00:00Z,"
        "voice,inbound,handled\n"
    )
    assert main(["ingest", str(path)]) == 1
    out = capsys.readouterr().out
    assert "missing column 'channel' (closest: 'chanel')" in out
    assert "found: contact_id, arrived_at, chanel" in out


def test_bad_settings_stop_with_the_fix(monkeypatch, capsys):
    monkeypatch.setenv("CAREPULSE_PRESET", "fast")
    assert main(["runs"]) == 2
    err = capsys.readouterr().err
    assert "preset" in err and "Use rx or generic" in err


def test_sample_loads_the_shipped_centre_once(capsys):
    from carepulse import storage
    from carepulse.settings import get_settings

    assert main(["sample", "--if-empty"]) == 0
    out = capsys.readouterr().out
    assert out.count("0 quarantined") == 3
    counts = storage.counts(storage.connect(get_settings().database))
    assert min(counts.values()) > 1000
    assert main(["sample", "--if-empty"]) == 0
    assert "already has data" in capsys.readouterr().out
    assert storage.counts(storage.connect(get_settings().database)) == counts


def test_ingest_with_a_mapping_runs_once_per_kind_the_file_holds(capsys):
    root = Path(__file__).resolve().parents[1]
    sample = root / "tests" / "fixtures" / "pwc_call_centre_excerpt.csv"
    mapping = root / "sample_data" / "mappings" / "pwc-call-centre.toml"
    assert main(["ingest", "--json", str(sample), "--mapping", str(mapping)]) == 0
    runs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["kind"], r["source"], r["read"], r["accepted"]) for r in runs] == [
        ("contacts", "generic", 12, 12),
        ("survey_responses", "generic", 10, 10),
    ]
    assert main(["ingest", str(sample), "--mapping", str(root / "nope.toml")]) == 1
    assert "no such mapping file" in capsys.readouterr().out


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path, capsys):
    """`carepulse runs | head -1`: once the reader has gone, the command ends quietly."""
    path = write_csv(tmp_path / "calls.csv", [contact("c1")])
    assert main(["ingest", str(path)]) == 0
    command = [sys.executable, "-m", "carepulse.cli", "runs"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()  # the reader is gone before anything is written
    errors = child.stderr.read().decode()
    assert child.wait(timeout=60) == 1
    assert errors == ""

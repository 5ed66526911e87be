"""`carepulse kpis` on ingested data: JSON fields, n/a for an empty period, --by, errors."""

from __future__ import annotations

import json

import pytest

from carepulse.cli import main
from metrics import catalog
from tests.test_kpis import T0, D, contacts, surveys
from tests.test_rollup_properties import _write

FIELDS = {"kpi", "value", "numerator", "denominator", "target", "status", "ci_low", "ci_high"}
DAY = "2026-03-02"  # T0 is 09:00 on this day in the centre's zone (America/New_York)


@pytest.fixture
def loaded(engine, tmp_path, capsys):
    calls = contacts(
        {"wait_seconds": 10.0, "talk_seconds": 240.0, "customer_key": "A"},
        {"wait_seconds": 50.0, "talk_seconds": 120.0},
        {"outcome": "abandoned", "wait_seconds": 2.0},
        {"outcome": "abandoned", "wait_seconds": 70.0},
        {"arrived_at": T0 + D, "wait_seconds": 5.0, "talk_seconds": 60.0},
    )
    ratings = surveys({"contact_id": "c0", "csat": 5}, {"contact_id": "c1", "csat": 2})
    files = [_write(calls, tmp_path / "calls.parquet"), _write(ratings, tmp_path / "s.parquet")]
    assert main(["ingest", *map(str, files)]) == 0
    capsys.readouterr()
    return engine


def kpis(capsys, *args: str) -> list[dict]:
    assert main(["kpis", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_rows_carry_the_documented_fields(loaded, capsys):
    rows = {r["kpi"]: r for r in kpis(capsys, "--from", DAY, "--to", DAY)}
    assert set(rows) == set(catalog.kpis())
    for row in rows.values():
        assert set(row) >= FIELDS, row["kpi"]
    sl = rows["service_level"]
    assert (sl["value"], sl["numerator"], sl["denominator"]) == (1 / 3, 1, 4 - 1)
    assert sl["target"] == 0.8
    assert sl["status"] == "missed"
    assert 0 <= sl["ci_low"] < 1 / 3 < sl["ci_high"] <= 1
    aht = rows["aht"]
    assert aht["value"] == (240 + 120) / 2
    csat = rows["csat"]
    assert (csat["value"], csat["denominator"], csat["status"]) == (1 / 2, 2, "small sample")


def test_the_kpi_option_selects_and_keeps_order(loaded, capsys):
    rows = kpis(capsys, "--from", DAY, "--to", DAY, "--kpi", "aht", "--kpi", "abandon_rate")
    assert [r["kpi"] for r in rows] == ["aht", "abandon_rate"]
    assert rows[1]["value"] == 1 / (4 - 1)


def test_an_empty_period_prints_na_not_zeros(loaded, capsys):
    rows = kpis(capsys, "--from", "2025-01-01", "--to", "2025-01-31")
    by_key = {r["kpi"]: r for r in rows}
    for key in ("service_level", "abandon_rate", "asa", "aht", "fcr", "csat", "nps"):
        assert by_key[key]["value"] is None, key
        assert by_key[key]["status"] == "n/a", key
        assert by_key[key]["ci_low"] is None, key
    assert main(["kpis", "--from", "2025-01-01", "--to", "2025-01-31", "--kpi", "aht"]) == 0
    table = capsys.readouterr().out
    assert "n/a" in table
    assert "0.0 %" not in table and "0 s" not in table


def test_by_day_splits_the_period_on_local_days(loaded, capsys):
    rows = kpis(capsys, "--from", DAY, "--to", "2026-03-03", "--by", "day", "--kpi", "handled")
    assert {r["day"]: r["value"] for r in rows} == {DAY: 2, "2026-03-03": 1}
    by_queue = kpis(capsys, "--from", DAY, "--to", "2026-03-03", "--by", "day,queue")
    assert {r["kpi"] for r in by_queue} >= {"handled", "csat"}
    assert all("queue" in r and "day" in r for r in by_queue)


def test_table_and_csv_formats(loaded, capsys):
    assert main(["kpis", "--from", DAY, "--to", DAY, "--kpi", "service_level"]) == 0
    table = capsys.readouterr().out
    assert "Service level" in table and "33.3 %" in table and "missed" in table
    assert main(["kpis", "--from", DAY, "--to", DAY, "--format", "csv", "--kpi", "aht"]) == 0
    header, line = capsys.readouterr().out.strip().splitlines()
    assert header.startswith("kpi,") and line.startswith("aht,180.0")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kpi", "speed"], "unknown KPI speed"),
        (["--by", "colour"], "cannot group by colour"),
        (["--by", "day,shoe"], "cannot group by shoe"),
    ],
)
def test_unknown_kpi_or_grouping_exits_2_with_a_hint(loaded, capsys, args, message):
    assert main(["kpis", "--from", DAY, "--to", DAY, *args]) == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Use one of:" in error


def test_a_period_ending_before_it_starts_exits_2(loaded, capsys):
    assert main(["kpis", "--from", "2026-03-03", "--to", DAY]) == 2
    assert "before it starts" in capsys.readouterr().err

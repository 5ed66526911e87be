"""The business calendar, SLA and theme settings, and the rollups that depend on them."""

from __future__ import annotations

import json
from datetime import date

import pytest

from carepulse import query, rollups, storage
from carepulse.ingest import ingest
from carepulse.settings import get_settings, load
from metrics.errors import CarePulseError
from tests.helpers import write_csv

H = 3600.0


def test_defaults_open_weekdays_and_saturday_with_healthcare_themes():
    settings = load()
    calendar = settings.calendar
    assert [calendar.day_seconds(d) / H for d in range(7)] == [12, 12, 12, 12, 12, 8, 0]
    assert calendar.holidays == () and calendar.timezone == "America/New_York"
    assert (settings.sla_first_response_hours, settings.sla_resolution_hours) == (8, 40)
    assert set(settings.themes) == {
        "Waiting", "Refill delays", "Billing and insurance", "Courtesy", "Pharmacist advice",
        "Portal and app", "Medication problems", "Communication",
    }  # fmt: skip


def test_the_toml_file_sets_hours_holidays_sla_and_themes(tmp_path):
    (tmp_path / "carepulse.toml").write_text(
        "holidays = [2026-12-25, 2027-01-01]\nsla_first_response_hours = 4\n"
        '[business_hours]\nmon = "08:00-12:00, 13:00-17:00"\nsat = "closed"\n'
        '[themes]\n"Delivery" = ["courier", "deliver*"]\n'
    )
    settings = load()
    assert settings.calendar.day_seconds(0) == 8 * H
    assert [settings.calendar.day_seconds(d) for d in range(1, 7)] == [0] * 6  # left out: closed
    assert settings.calendar.holidays == (date(2026, 12, 25), date(2027, 1, 1))
    assert settings.sla_first_response_hours == 4
    assert settings.themes == {"Delivery": ["courier", "deliver*"]}  # replaces the defaults


@pytest.mark.parametrize(
    ("hours", "words"),
    [
        ({"mon": "8-17"}, "is not an opening span"),
        ({"monday": "08:00-17:00"}, "unknown weekday monday"),
        ({"tue": "18:00-09:00"}, "does not close after it opens"),
    ],
)
def test_a_bad_opening_span_names_the_field_and_the_fix(monkeypatch, hours, words):
    monkeypatch.setenv("CAREPULSE_BUSINESS_HOURS", json.dumps(hours))
    get_settings.cache_clear()
    with pytest.raises(CarePulseError) as caught:
        get_settings()
    assert "business_hours" in caught.value.message and words in caught.value.message
    assert "08:00-18:00" in caught.value.hint and "CAREPULSE_BUSINESS_HOURS" in caught.value.hint


def test_a_theme_without_words_is_refused(monkeypatch):
    monkeypatch.setenv("CAREPULSE_THEMES", json.dumps({"Waiting": [" "]}))
    with pytest.raises(CarePulseError) as caught:
        load()
    assert "theme Waiting has no words" in caught.value.message


TICKET_HEADERS = ["ticket_id", "status", "created_at", "first_reply_at", "solved_at"]


def test_changing_the_calendar_rebuilds_the_business_hours_figures(engine, tmp_path, monkeypatch):
    # Created Friday 1 March 2024 16:00 New York time, solved Monday 4 March 10:00.
    ticket = {
        "ticket_id": "t1", "status": "solved", "created_at": "2024-03-01T21:00:00Z",
        "first_reply_at": "2024-03-01T21:30:00Z", "solved_at": "2024-03-04T15:00:00Z",
    }  # fmt: skip
    ingest(write_csv(tmp_path / "t.csv", [ticket], TICKET_HEADERS), engine=engine,
           settings=get_settings())  # fmt: skip

    def business() -> dict[str, float]:
        settings = get_settings()
        keys = ["resolution_business", "sla_resolution"]
        frame = query.kpis(engine, settings, start=date(2024, 3, 1), end=date(2024, 3, 4),
                           keys=keys)  # fmt: skip
        return {r["kpi"]: r["value"] for r in frame.iter_rows(named=True)}

    # Defaults: Friday 16–20 (4 h), Saturday 09–17 (8 h), Monday 08–10 (2 h) = 14 h.
    first = business()
    assert abs(first["resolution_business"] - 14 * H) <= H  # within its histogram bucket
    assert first["sla_resolution"] == 1.0  # 14 h ≤ 40 h
    monkeypatch.setenv("CAREPULSE_BUSINESS_HOURS", json.dumps({"mon": "09:00-17:00"}))
    monkeypatch.setenv("CAREPULSE_SLA_RESOLUTION_HOURS", "0.5")
    get_settings.cache_clear()
    assert rollups.ensure_current(engine, get_settings()) is True
    # Only Monday 09:00–10:00 is open now: 1 h, beyond a 30-minute SLA.
    second = business()
    assert abs(second["resolution_business"] - H) <= 0.5 * H
    assert second["sla_resolution"] == 0.0
    assert storage.counts(engine)["tickets"] == 1

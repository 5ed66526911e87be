"""Settings: environment > carepulse.toml > defaults, and helpful errors."""

from __future__ import annotations

import pytest

from carepulse.settings import get_settings, load
from metrics.errors import CarePulseError


def test_defaults_follow_the_rx_preset():
    settings = load()
    assert settings.timezone == "America/New_York"
    assert settings.service_level_seconds == 30
    assert settings.short_abandon_seconds == 5
    assert settings.fcr_window_hours == 168
    assert settings.database.startswith("sqlite:///") and settings.database.endswith("carepulse.db")


def test_environment_beats_the_toml_file_which_beats_defaults(tmp_path, monkeypatch):
    (tmp_path / "carepulse.toml").write_text(
        'timezone = "Europe/Zurich"\npreset = "generic"\n[targets]\nservice_level = 0.9\n'
    )
    assert load().timezone == "Europe/Zurich"
    assert load().service_level_seconds == 20
    assert load().targets == {"service_level": 0.9}
    monkeypatch.setenv("CAREPULSE_TIMEZONE", "Asia/Tokyo")
    monkeypatch.setenv("CAREPULSE_FCR_METHOD", "reported")
    assert (load().timezone, load().fcr_method) == ("Asia/Tokyo", "reported")


def test_a_bad_zone_names_the_field_and_the_fix(monkeypatch):
    monkeypatch.setenv("CAREPULSE_TIMEZONE", "Mars/Olympus")
    get_settings.cache_clear()
    with pytest.raises(CarePulseError) as caught:
        get_settings()
    assert "timezone" in caught.value.message and "Mars/Olympus" in caught.value.message
    assert "CAREPULSE_TIMEZONE" in caught.value.hint and "Europe/Zurich" in caught.value.hint


def test_an_unknown_key_is_named(tmp_path):
    (tmp_path / "carepulse.toml").write_text("time_zone = 'UTC'\n")
    with pytest.raises(CarePulseError, match="time_zone") as caught:
        load()
    assert "timezone" in caught.value.hint


def test_a_bad_method_lists_the_choices(monkeypatch):
    monkeypatch.setenv("CAREPULSE_FCR_METHOD", "guess")
    with pytest.raises(CarePulseError) as caught:
        load()
    assert "repeat_contact, reported or survey" in caught.value.hint

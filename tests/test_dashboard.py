"""The manager dashboard as Streamlit runs it (AppTest), on a small generated centre."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from carepulse import formatting, periods, query, storage
from carepulse import settings as settings_module
from carepulse.cli import main
from metrics.catalog import HEADLINE

APP = str(Path(__file__).resolve().parents[1] / "app.py")
END = date(2026, 3, 13)  # a Friday; the generated centre's last day


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding 5 weeks of a small generated centre."""
    folder = tmp_path_factory.mktemp("centre") / "data"
    saved = os.environ.get("CAREPULSE_DATA_DIR")
    os.environ["CAREPULSE_DATA_DIR"] = str(folder)
    settings_module.get_settings.cache_clear()
    try:
        args = ["sample", "--days", "35", "--scale", "0.3", "--seed", "3", "--end", str(END)]
        assert main(args) == 0
    finally:
        os.environ.pop("CAREPULSE_DATA_DIR")
        if saved is not None:
            os.environ["CAREPULSE_DATA_DIR"] = saved
        settings_module.get_settings.cache_clear()
    return folder


@pytest.fixture
def loaded(centre: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAREPULSE_DATA_DIR", str(centre))
    settings_module.get_settings.cache_clear()
    return centre


def _run(page: str | None = None, **params: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    if page:
        app.switch_page(page)
        app.run()
    assert not app.exception, app.exception
    return app


def test_empty_store_offers_the_sample_centre():
    app = _run()
    assert "No data yet" in app.info[0].value
    assert app.button[0].label == "Load the sample centre"


def _expected(start: date, end: date) -> dict[str, str]:
    settings = settings_module.get_settings()
    engine = storage.connect(settings.database)
    frame = query.kpis(engine, settings, start=start, end=end, keys=HEADLINE)
    kpis = {k.key: k for k in query.chosen(settings)}
    return {
        kpis[r["kpi"]].title: formatting.value(r["value"], kpis[r["kpi"]].unit)
        for r in frame.iter_rows(named=True)
    }


def test_tiles_show_what_evaluate_computes_for_the_default_period(loaded):
    app = _run()
    tiles = {m.label: m.value for m in app.metric}
    # The default period is the last 4 weeks up to the last day with contacts (a Friday).
    period = periods.preset("last-4-weeks", END)
    assert tiles == _expected(period.start, period.end)
    assert len(tiles) == len(HEADLINE)


def test_filters_come_from_the_url_and_go_back_into_it(loaded):
    app = _run(period="last-month", compare="none", queue="Pharmacist line")
    assert app.sidebar.selectbox(key="period").value == "last-month"
    assert app.sidebar.multiselect(key="queue").value == ["Pharmacist line"]
    service_level = next(m for m in app.metric if m.label == "Service level")
    period = periods.preset("last-month", END)
    settings = settings_module.get_settings()
    frame = query.kpis(
        storage.connect(settings.database), settings, start=period.start, end=period.end,
        keys=["service_level"], where={"queue": ["Pharmacist line"]},
    )  # fmt: skip
    assert service_level.value == formatting.value(frame["value"][0], "percent")
    assert not service_level.delta  # compare = none
    # With a queue chosen, the unsplit row is the filtered selection, not the whole centre.
    where = set(app.dataframe[0].value["Where"])
    assert "All filtered contacts" in where and "Whole centre" not in where
    app.sidebar.selectbox(key="period").select("last-7-days").run()
    assert app.query_params["period"] == "last-7-days"
    assert app.query_params["queue"] in ("Pharmacist line", ["Pharmacist line"])


def test_every_page_runs_without_an_exception(loaded):
    for page in ("drilldown", "agents", "voice", "tickets", "report", "data", "definitions"):
        app = _run(f"views/{page}.py")
        assert app.title[0].value


def test_definitions_show_every_kpi_and_the_settings(loaded):
    app = _run("views/definitions.py")
    settings = settings_module.get_settings()
    labels = {s.value for s in app.subheader}
    assert {k.label for k in query.chosen(settings)} <= labels
    table = app.table[0].value
    assert "30 s" in list(table["Value"])  # the rx preset's service-level threshold

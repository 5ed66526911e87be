"""The Data page as a user drives it (AppTest): upload, map, dry run, commit, history, undo."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from carepulse import settings as settings_module
from carepulse import storage
from carepulse.cli import main
from tests.conftest import validation_file

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PWC = "pwc-call-centre/Call-Center-Dataset.dennislamcv1.csv"
END = date(2021, 3, 31)  # the PwC file's last day; the generated centre ends there too


@pytest.fixture
def centre(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder with four weeks of a small generated centre ending with the PwC file."""
    monkeypatch.setenv("CAREPULSE_DATA_DIR", str(tmp_path / "data"))
    settings_module.get_settings.cache_clear()
    args = ["sample", "--days", "28", "--scale", "0.1", "--seed", "5", "--end", str(END)]
    assert main(args) == 0
    yield tmp_path / "data"
    settings_module.get_settings.cache_clear()


def _page(app: AppTest, page: str) -> AppTest:
    app.switch_page(page)
    app.run()
    assert not app.exception, app.exception
    return app


def _tiles(app: AppTest) -> dict[str, str]:
    _page(app, "views/overview.py")
    return {m.label: m.value for m in app.metric}


def _counts() -> dict[str, int]:
    return storage.counts(storage.connect(settings_module.get_settings().database))


def _key(data: bytes, *parts: str) -> str:
    return ":".join(("map", hashlib.sha256(data).hexdigest()[:16], *parts))


def _click(app: AppTest, label: str) -> AppTest:
    next(b for b in app.button if b.label == label).click()
    app.run()
    assert not app.exception, app.exception
    return app


def test_upload_map_dry_run_commit_and_undo_the_pwc_file(centre):
    path = validation_file(PWC)
    data = path.read_bytes()
    rows = pl.read_csv(path, infer_schema=False)
    rated = rows.filter(pl.col("Satisfaction rating").is_not_null()).height
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    before, stored = _tiles(app), _counts()

    _page(app, "views/data.py")
    app.file_uploader[0].set_value((path.name, data, "text/csv"))
    app.run()
    assert not app.exception, app.exception
    # The mapper's suggestions from the headers; the user names the queue as a constant.
    assert app.selectbox(key=_key(data, "contact_id", "from")).value == "Call Id"
    assert app.selectbox(key=_key(data, "talk_seconds", "unit")).value == "hh:mm:ss"
    app.selectbox(key=_key(data, "queue", "from")).set_value("(a constant value)").run()
    app.text_input(key=_key(data, "queue", "value")).set_value("Main line").run()
    assert not app.exception, app.exception

    _click(app, "Dry run")
    assert not app.error, app.error[0].value
    counts = next(d.value for d in app.dataframe if "read" in d.value.columns)
    assert counts["read"].tolist() == [rows.height, rated]
    assert counts["accepted"].tolist() == [rows.height, rated]
    assert _counts() == stored  # a dry run stores nothing

    _click(app, "Commit")
    assert any(f"{rows.height:,} contacts stored" in s.value for s in app.success)
    assert _counts()["contacts"] == stored["contacts"] + rows.height
    assert _counts()["survey_responses"] == stored["survey_responses"] + rated
    changed = _tiles(app)
    assert changed["Abandonment"] != before["Abandonment"]

    _page(app, "views/data.py")
    runs = storage.runs(storage.connect(settings_module.get_settings().database))
    for run in [r for r in runs if r["file_name"] == path.name]:
        app.selectbox(key="run").set_value(run["id"]).run()
        _click(app, f"Undo run {run['id']}…")
        _click(app, "Delete these rows")
        assert f"Run {run['id']} undone" in app.success[0].value
    assert _counts() == stored
    assert _tiles(app) == before

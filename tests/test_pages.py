"""The app's pages as Streamlit runs them (AppTest)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from carepulse.cli import main
from tests.helpers import contact, write_csv

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _run(page: str | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=30)
    app.run()
    if page:
        app.switch_page(page)
        app.run()
    assert not app.exception, app.exception
    return app


def test_data_page_lists_runs_and_their_quarantined_rows(tmp_path):
    rows = [contact("c1"), contact("c2", wait_seconds="soon")]
    assert main(["ingest", str(write_csv(tmp_path / "calls.csv", rows))]) == 0
    app = _run("views/data.py")
    history = app.dataframe[0].value
    assert list(history["File"]) == ["calls.csv"]
    assert list(history["Quarantined"]) == [1]
    rejected = app.dataframe[1].value
    assert list(rejected["Reason"]) == ["wait_seconds: cannot read 'soon' as a number"]

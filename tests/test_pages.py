"""The app's pages as Streamlit runs them (AppTest)."""

from __future__ import annotations

from carepulse.cli import main
from tests.helpers import contact, run_app, write_csv


def test_data_page_lists_runs_and_their_quarantined_rows(tmp_path):
    rows = [contact("c1"), contact("c2", wait_seconds="soon")]
    assert main(["ingest", str(write_csv(tmp_path / "calls.csv", rows))]) == 0
    app = run_app("views/data.py", timeout=30)
    history = app.dataframe[0].value
    assert list(history["File"]) == ["calls.csv"]
    assert list(history["Quarantined"]) == [1]
    rejected = app.dataframe[1].value
    assert list(rejected["Reason"]) == ["wait_seconds: cannot read 'soon' as a number"]

"""The app's pages as Streamlit runs them (AppTest)."""

from __future__ import annotations

import streamlit as st

from carepulse import settings
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


def test_tables_offer_no_unneutralised_download(tmp_path, monkeypatch):
    # st.dataframe's own toolbar would save a CSV whose cells can start a spreadsheet formula;
    # the app turns that export off, so downloads go through carepulse/exports.py.
    monkeypatch.setenv("CAREPULSE_DATA_DIR", str(tmp_path))
    settings.get_settings.cache_clear()
    st.set_option("client.disableDataExport", False)
    run_app()
    assert st.get_option("client.disableDataExport") is True

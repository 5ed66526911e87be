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


def test_every_page_runs_on_a_store_of_calls_only(tmp_path):
    # A centre that has loaded its telephony export but no surveys or tickets yet.
    rows = [
        contact(f"c{i}", queue=q, agent_id=a, arrived_at=f"2024-03-04T1{i}:00:00Z",
                answered_at=f"2024-03-04T1{i}:00:20Z", ended_at=f"2024-03-04T1{i}:05:20Z")
        for i, (q, a) in enumerate([("Refills", "a1"), ("Billing", "a2"), ("Refills", "a2")])
    ]  # fmt: skip
    assert main(["ingest", str(write_csv(tmp_path / "calls.csv", rows))]) == 0
    pages = ["overview", "drilldown", "agents", "voice", "tickets", "definitions"]
    for page in pages:
        for by in ("queue", "agent_id", "contacts") if page == "drilldown" else ("",):
            day = {"period": "custom", "from": "2024-03-04", "to": "2024-03-04"}
            app = run_app(f"views/{page}.py", timeout=60, by=by, **day)
            failed = [e.value for e in app.error]
            assert not failed, (page, by, failed)
            if page in ("overview", "drilldown", "agents"):  # figures of the calls are shown
                assert app.dataframe or app.metric, (page, by)


def test_a_page_on_stale_rollups_says_it_rebuilds_them_once(tmp_path, monkeypatch):
    # A store whose rollups an older CarePulse (or other KPI settings) built.
    from carepulse import rollups, storage, ui

    rows = [contact("c1", arrived_at="2024-03-04T10:00:00Z")]
    assert main(["ingest", str(write_csv(tmp_path / "calls.csv", rows))]) == 0
    config = settings.get_settings()
    engine = storage.connect(config.database)
    state = storage.rollup_state
    with engine.begin() as connection:
        connection.execute(state.update().where(state.c.name == "thresholds").values(value="old"))
    shown, spinner = [], st.spinner
    monkeypatch.setattr(st, "spinner", lambda text="", **kw: shown.append(text) or spinner(text))
    run_app(period="custom", **{"from": "2024-03-04", "to": "2024-03-04"})
    assert shown.count(ui.REBUILDING) == 1 and rollups.current(engine, config)
    run_app()  # built for these settings now: nothing to say
    assert shown.count(ui.REBUILDING) == 1


def _three_days_of_calls(tmp_path) -> None:
    """One handled call a day on 4, 5 and 6 March 2024 (the store's first day: 4 March)."""
    day = "2024-03-0{}T10:0{}Z".format
    rows = [
        contact(f"c{d}", arrived_at=day(d, "0:00"), answered_at=day(d, "0:20"),
                ended_at=day(d, "5:20"))
        for d in (4, 5, 6)
    ]  # fmt: skip
    assert main(["ingest", str(write_csv(tmp_path / "calls.csv", rows))]) == 0


def _caption(app) -> str:
    return next(c.value for c in app.caption if "compared with" in c.value)


def test_a_link_whose_dates_are_the_wrong_way_round_shows_the_days_between_them(tmp_path):
    _three_days_of_calls(tmp_path)
    app = run_app(period="custom", **{"from": "2024-03-05", "to": "2024-03-04"})
    assert not app.error, [e.value for e in app.error]
    assert any("swapped" in c.value for c in app.sidebar.caption)
    assert (app.query_params["from"], app.query_params["to"]) == ("2024-03-04", "2024-03-05")
    # 4–5 March, compared with the two days before them: 2–3 March.
    assert "**04 Mar 2024 – 05 Mar 2024** compared with 02 Mar 2024 – 03 Mar 2024" in _caption(app)


def test_a_month_compared_with_a_longer_one_says_how_long_each_is(tmp_path):
    _three_days_of_calls(tmp_path)  # the latest day: 6 March 2024, so last month is February
    caption = _caption(run_app(period="last-month"))
    expected = "**01 Feb 2024 – 29 Feb 2024** compared with 01 Jan 2024 – 31 Jan 2024 (31 days"
    assert f"{expected} against 29), which has no stored data" in caption


def test_a_comparison_period_before_or_across_the_first_stored_day_says_so(tmp_path):
    _three_days_of_calls(tmp_path)
    # 5–6 March against 3–4 March, which has data from 4 March only.
    app = run_app(period="custom", **{"from": "2024-03-05", "to": "2024-03-06"})
    assert (
        "compared with 03 Mar 2024 – 04 Mar 2024, which has contacts from 04 Mar 2024 only: "
        "their totals are not compared, their rates are over the days with data" in _caption(app)
    )
    # 4 March against 3 March, before any stored data.
    app = run_app(period="custom", **{"from": "2024-03-04", "to": "2024-03-04"})
    assert "compared with Sun 03 Mar 2024, which has no stored data" in _caption(app)
    # 6 March against 5 March: covered, nothing to say.
    app = run_app(period="custom", **{"from": "2024-03-06", "to": "2024-03-06"})
    assert _caption(app).split(" · ")[0].endswith("compared with Tue 05 Mar 2024")
    # A queue whose calls begin on 6 March: for it, 5 March has no data.
    call = contact("b6", queue="Billing", arrived_at="2024-03-06T11:00:00Z",
                   answered_at="2024-03-06T11:00:20Z", ended_at="2024-03-06T11:05:20Z")  # fmt: skip
    assert main(["ingest", str(write_csv(tmp_path / "billing.csv", [call]))]) == 0
    st.cache_data.clear()  # the page's data version is cached for 30 s
    app = run_app(period="custom", queue="Billing", **{"from": "2024-03-06", "to": "2024-03-06"})
    assert "compared with Tue 05 Mar 2024, which has no stored data" in _caption(app)


def test_a_day_with_little_to_judge_says_how_much_was_judged(tmp_path):
    _three_days_of_calls(tmp_path)
    # Thursday 7 March: 30 answers that name no contact, all CSAT 5, and no contact. CSAT
    # (30 of 30 top-box) and the response rate (30 of 30) meet their targets on n = 30; the
    # other eight headline KPIs have nothing to count.
    surveys = [
        {"response_id": f"s{i}", "queue": "Refills", "sent_at": "2024-03-07T15:00:00Z",
         "responded_at": "2024-03-07T15:00:00Z", "csat": "5"}
        for i in range(30)
    ]  # fmt: skip
    headers = ["response_id", "queue", "sent_at", "responded_at", "csat"]
    assert main(["ingest", str(write_csv(tmp_path / "s.csv", surveys, headers))]) == 0
    app = run_app(period="custom", **{"from": "2024-03-07", "to": "2024-03-07"})
    assert [s.value for s in app.success] == [
        "The headline KPIs with enough data meet their target (2 of 10; the others have too "
        "little data, or none, in this period)."
    ]
    assert any("No contacts arrived" in c.value for c in app.caption)
    # 4 March: one call, answered after 20 s. Service level and ASA are met, but on n = 1,
    # under the small-sample limit: nothing is judged, and nothing is said to meet target.
    app = run_app(period="custom", **{"from": "2024-03-04", "to": "2024-03-04"})
    assert not app.success
    assert any("No headline KPI has enough data" in i.value for i in app.info)


def test_what_a_link_asks_for_and_cannot_be_applied_is_named(tmp_path):
    _three_days_of_calls(tmp_path)
    app = run_app(
        period="custom", queue=["Refills", "Nonexistent queue"],
        **{"from": "2024-02-30", "to": "2024-03-06"},
    )  # fmt: skip
    notes = [c.value for c in app.sidebar.caption]
    assert "Not applied from the link: Queues: Nonexistent queue." in notes
    assert (
        "Not applied from the link: from 2024-02-30 is not a date (YYYY-MM-DD); 01 Mar 2024 used."
        in notes
    )
    assert app.sidebar.multiselect(key="queue").value == ["Refills"]
    app = run_app("views/agents.py", agent="ZZZ")
    assert any("Agent ZZZ is not in this selection" in c.value for c in app.caption)

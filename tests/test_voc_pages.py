"""The Voice of the customer and Tickets pages as Streamlit runs them, on a generated centre."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from carepulse import formatting, periods, query, storage, tickets, voice
from carepulse import settings as settings_module
from carepulse.cli import main
from tests.helpers import environment, run_app

END = date(2026, 3, 13)  # a Friday; the generated centre's last day
# Fictional details the generator writes into some comments (sample_data/generate.py).
LEAKS = ("014-2231", "04/12/1961", "4412378", "W123456789", "pat.jones@example.com")


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("voc") / "data"
    with environment({"CAREPULSE_DATA_DIR": str(folder)}):
        args = ["sample", "--days", "28", "--scale", "0.4", "--seed", "5", "--end", str(END)]
        assert main(args) == 0
    return folder


@pytest.fixture
def loaded(centre: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAREPULSE_DATA_DIR", str(centre))
    settings_module.get_settings.cache_clear()
    return centre


def _page(page: str, **params: str) -> AppTest:
    return run_app(page, timeout=120, **params)


def _expected(keys: tuple[str, ...], period: periods.Period) -> dict[str, str]:
    settings = settings_module.get_settings()
    engine = storage.connect(settings.database)
    frame = query.kpis(engine, settings, start=period.start, end=period.end, keys=keys)
    kpis = {k.key: k for k in query.chosen(settings)}
    return {
        kpis[r["kpi"]].title: formatting.value(r["value"], kpis[r["kpi"]].unit)
        for r in frame.iter_rows(named=True)
    }


def test_voice_tiles_themes_and_redacted_verbatims(loaded):
    app = _page("views/voice.py")
    tiles = {m.label: m.value for m in app.metric}
    assert tiles == _expected(voice.TILES, periods.preset("last-4-weeks", END))
    frames = [d.value for d in app.dataframe]
    themes = next(f for f in frames if "Theme" in f.columns)
    assert set(themes["Theme"]) == set(settings_module.get_settings().themes)
    comments = next(f for f in frames if "Comment" in f.columns)
    assert len(comments) > 0
    assert not any(leak in text for text in comments["Comment"] for leak in LEAKS)


def test_verbatims_are_searchable_and_the_search_is_in_the_url(loaded):
    app = _page("views/voice.py", q="refill")
    comments = next(d.value for d in app.dataframe if "Comment" in d.value.columns)
    assert len(comments) > 0
    assert all("refill" in text.lower() for text in comments["Comment"])
    assert app.query_params["q"] in ("refill", ["refill"])


def test_tickets_tiles_times_and_open_complaints(loaded):
    app = _page("views/tickets.py")
    tiles = {m.label: m.value for m in app.metric}
    assert tiles == _expected(tickets.TILES, periods.preset("last-4-weeks", END))
    settings = settings_module.get_settings()
    table = storage.FACTS["tickets"]
    still_open = sa.select(sa.func.count()).where(
        table.c.is_complaint.is_(True), table.c.status.not_in(["solved", "closed"])
    )
    with storage.connect(settings.database).connect() as connection:
        expected = connection.execute(still_open).scalar_one()
    assert expected > 0
    assert any(f"**{expected:,}** open complaints" in m.value for m in app.markdown)
    listed = next(d.value for d in app.dataframe if "Written follow-up (48 h)" in d.value.columns)
    assert len(listed) == expected


def test_the_period_stays_when_moving_between_pages(loaded):
    app = _page("views/overview.py", period="last-7-days", compare="none")
    app.switch_page("views/tickets.py")
    app.run()
    assert not app.exception, app.exception
    assert app.sidebar.selectbox(key="period").value == "last-7-days"
    assert app.sidebar.selectbox(key="compare").value == "none"
    app.sidebar.selectbox(key="period").select("last-month").run()
    app.switch_page("views/voice.py")
    app.run()
    assert app.sidebar.selectbox(key="period").value == "last-month"


@pytest.mark.parametrize("dimension", list(tickets.GROUPS))
def test_the_ticket_breakdown_works_by_every_choice(loaded, dimension):
    app = _page("views/tickets.py", ticket_by=dimension, period="last-4-weeks")
    label = tickets.GROUPS[dimension]
    table = next(d.value for d in app.dataframe if d.value.columns[0] == label)
    # One row per value the period's tickets hold (created or solved in it), read by hand.
    settings = settings_module.get_settings()
    period = periods.preset("last-4-weeks", END)
    low, high = query.utc_range(period.start, period.end, settings.timezone)
    facts = storage.FACTS["tickets"]
    column = facts.c[dimension]
    inside = sa.or_(
        sa.and_(facts.c.created_at >= low, facts.c.created_at < high),
        sa.and_(facts.c.solved_at >= low, facts.c.solved_at < high),
    )
    with storage.connect(settings.database).connect() as connection:
        found = set(connection.execute(sa.select(column).where(inside).distinct()).scalars())
    assert {v for v in table[label] if v is not None} >= {v for v in found if v is not None}

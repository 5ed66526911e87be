"""Sign-in, roles and team scope: what each role can open, and that a team lead's pages, lists,
downloads and PDF hold only their teams' rows, however the URL is edited."""

from __future__ import annotations

import io
import json
import subprocess
from dataclasses import replace
from datetime import date

import polars as pl
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from carepulse import access, audit, formatting, gate, selection, storage, summaries
from carepulse.access import EVERYTHING, Role, Scope
from carepulse.settings import get_settings, load
from metrics.errors import CarePulseError
from tests.helpers import APP, need_browser, need_poppler, run_app
from tests.test_dashboard import centre, loaded  # noqa: F401  (shared fixtures)
from tests.test_drilldown_page import _facts

LEAD, OTHER = "Refill Desk", "Scheduling"
GRANTS = {
    "ana@clinic.example": {"role": "admin"},
    "max@clinic.example": {"role": "manager"},
    "lee@clinic.example": {"role": "team_lead", "teams": [LEAD]},
    "eve@clinic.example": {"role": "executive"},
}
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "not-a-secret",
        "client_id": "carepulse", "client_secret": "not-a-secret",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}  # fmt: skip


def test_a_scope_narrows_any_team_filter_to_its_teams():
    lead = Scope(("A", "B"))
    assert lead.narrow(()) == (("team", ("A", "B")),)
    assert lead.narrow((("queue", ("Q",)), ("team", ("B", "C")))) == (
        ("queue", ("Q",)),
        ("team", ("B",)),
    )
    assert lead.narrow((("team", ("C",)),)) == (("team", ()),)  # outside the scope: nothing
    assert lead.narrow((("team", ()),)) == (("team", ()),)  # nothing stays nothing
    assert EVERYTHING.narrow((("team", ("C",)),)) == (("team", ("C",)),)


def test_filters_stay_within_their_scope_however_they_are_built():
    f = selection.choose("last-week", date(2026, 3, 13), where={"team": [OTHER]})
    assert f.where == (("team", (OTHER,)),)  # the command line's operator sees everything
    lead = replace(f, scope=Scope((LEAD,)))
    assert lead.where == (("team", ()),)
    assert lead.restricted("queue", ["Refills"]).where == (("team", ()), ("queue", ("Refills",)))
    assert replace(lead, where=()).within([("team", LEAD)]).where == (("team", (LEAD,)),)
    assert replace(lead, where=()).within([("team", OTHER)]).where == (("team", ()),)
    # The URL of a lead's view does not spell out the teams the scope implies.
    assert "team" not in selection.params(replace(lead, where=()))


def test_roles_come_from_the_access_settings():
    grants = load(access=GRANTS).access
    lee = access.user(grants, " Lee@Clinic.example ")  # addresses compare case-insensitively
    assert lee == access.User("lee@clinic.example", Role.TEAM_LEAD, Scope((LEAD,)))
    assert access.user(grants, "max@clinic.example").scope == EVERYTHING
    assert access.user(grants, "nobody@clinic.example") is None
    assert access.user(grants, None) is None
    eve = access.user(grants, "eve@clinic.example")
    assert [p for p in ("overview", "drilldown", "data", "report") if eve.may_open(p)] == [
        "overview",
        "report",
    ]
    with pytest.raises(CarePulseError) as error:
        load(access={"lee@clinic.example": {"role": "team_lead"}})
    assert "teams" in error.value.message and "team_lead" in error.value.hint


@pytest.mark.usefixtures("loaded")
def test_filter_options_list_only_the_scope_s_values():
    engine = storage.connect(get_settings().database)
    facts = _facts()
    assert summaries.values(engine, "team", Scope((LEAD,))) == [LEAD]
    lead_queues = sorted(set(facts.filter(pl.col("team") == LEAD)["queue"].drop_nulls()))
    assert set(summaries.values(engine, "queue", Scope((LEAD,)))) >= set(lead_queues)
    assert "Pharmacist line" not in summaries.values(engine, "queue", Scope((LEAD,)))
    assert "Pharmacist line" in summaries.values(engine, "queue", EVERYTHING)


@pytest.fixture
def signed_in(centre, monkeypatch: pytest.MonkeyPatch):  # noqa: F811
    """Sign-in configured, with the roles above; returns a function that opens a page as one."""
    monkeypatch.setenv("CAREPULSE_DATA_DIR", str(centre))
    monkeypatch.setenv("CAREPULSE_ACCESS", json.dumps(GRANTS))
    get_settings.cache_clear()

    def open_as(email: str | None, page: str | None = None, **params: str) -> AppTest:
        user = {"is_logged_in": email is not None, "email": email}
        shown = {"period": "last-4-weeks", "compare": "none", **params}
        return run_app(page, timeout=300, user=user, secrets={"auth": AUTH}, **shown)

    return open_as


@pytest.mark.usefixtures("loaded")
def test_without_sign_in_configured_the_app_says_it_is_in_local_mode():
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    assert gate.LOCAL_MODE in [c.value for c in app.sidebar.caption]
    app.switch_page("views/data.py")  # the single local user administers it
    app.run()
    assert [t.value for t in app.title] == ["Data"]


def test_nobody_sees_data_before_signing_in(signed_in):
    app = signed_in(None)
    assert [b.label for b in app.button] == ["Sign in"]
    assert not app.dataframe and not app.metric and not app.sidebar.multiselect


def test_an_address_without_a_role_sees_nothing(signed_in):
    app = signed_in("stranger@elsewhere.example")
    assert "has no CarePulse role" in app.warning[0].value
    assert not app.dataframe and not app.metric


def test_an_executive_reaches_only_the_overview_the_report_and_definitions(signed_in):
    app = signed_in("eve@clinic.example")
    assert [t.value for t in app.title] == ["Overview"]
    with pytest.raises(ValueError, match="Known pages") as refused:
        app.switch_page("views/data.py")
    known = str(refused.value).split("Known pages: ")[1]
    assert sorted(p.rsplit("/", 1)[1] for p in eval(known.rstrip("."))) == [
        "definitions.py",
        "overview.py",
        "report.py",
    ]
    # The page itself checks too, should it ever be reached another way.
    data = AppTest.from_file(str(APP).replace("app.py", "views/data.py"), default_timeout=60)
    data.secrets["auth"], data.user = AUTH, {"is_logged_in": True, "email": "eve@clinic.example"}
    data.run()
    assert "cannot open this page" in data.warning[0].value and not data.title


def _lead_contacts() -> pl.DataFrame:
    return _facts().filter(pl.col("team") == LEAD)


def test_a_team_lead_s_drill_down_holds_only_their_team(signed_in):
    app = signed_in("lee@clinic.example", "views/drilldown.py", by="team")
    teams = next(d.value for d in app.dataframe if d.value.columns[0] == "Team")
    assert list(teams["Team"]) == [LEAD]
    # Editing the query string to another team's filter or drill step shows nothing of it.
    tampered = signed_in("lee@clinic.example", "views/drilldown.py", by="team", team=OTHER)
    assert all(OTHER not in d.value.to_string() for d in tampered.dataframe)
    stepped = signed_in("lee@clinic.example", "views/drilldown.py", step=f"team:{OTHER}")
    assert not stepped.dataframe and "No contacts" in stepped.info[0].value
    # The manager sees the other team.
    manager = signed_in("max@clinic.example", "views/drilldown.py", by="team")
    assert OTHER in list(
        next(d.value for d in manager.dataframe if "Team" in d.value.columns)["Team"]
    )


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict:
    """What each download button would hand over, by file id (the real deferred callables)."""
    found: dict = {}
    original = MediaFileManager.add_deferred

    def spy(self, data_callable, *args, **kwargs):
        file_id = original(self, data_callable, *args, **kwargs)
        found[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    return found


def test_a_team_lead_s_contact_list_and_csv_hold_only_their_team(signed_in, downloads):
    app = signed_in("lee@clinic.example", "views/drilldown.py", by="contacts")
    expected = _lead_contacts()
    assert any(c.value.startswith(f"{expected.height:,} contacts") for c in app.caption)
    button = app.get("download_button")[0]
    data = downloads[button.proto.deferred_file_id]()
    exported = pl.read_csv(io.BytesIO(data))
    assert exported.height == expected.height
    assert set(exported["Contact"].cast(pl.String)) == set(expected["contact_id"])
    # The download is audited under the lead's address, with its row count and view.
    log = audit.entries(storage.connect(get_settings().database))
    assert log.row(0, named=True) | {"at": None, "id": None} == {
        "id": None, "at": None, "user_email": "lee@clinic.example", "what": "contacts (CSV)",
        "selection": "?period=last-4-weeks&compare=none", "rows": expected.height,
    }  # fmt: skip


def test_a_team_lead_cannot_open_another_team_s_contact(signed_in):
    other = _facts().filter(pl.col("team") == OTHER).row(0, named=True)
    opened = f"{other['source']}:{other['contact_id']}"
    app = signed_in("lee@clinic.example", "views/drilldown.py", by="contacts", contact=opened)
    assert any("is not in this selection" in w.value for w in app.warning)
    assert all(other["contact_id"] not in d.value.to_string() for d in app.dataframe)


def test_a_team_lead_s_pdf_holds_only_their_team(signed_in, downloads, tmp_path):
    need_browser()
    need_poppler()
    app = signed_in("lee@clinic.example", "views/report.py")
    assert app.download_button[0].label == "Download the PDF"
    pdf = tmp_path / "lead.pdf"
    pdf.write_bytes(downloads[app.get("download_button")[0].proto.deferred_file_id]())
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"Teams: {LEAD}" in text
    assert "records)" not in text  # the store's record counts are every team's
    lead_queues = set(_lead_contacts()["queue"].drop_nulls())
    others = set(_facts()["queue"].drop_nulls()) - lead_queues
    assert others and not [q for q in others if q in text]
    assert all(q in text for q in lead_queues)
    # The headline count is the lead's contacts, counted here from the stored rows.
    inbound = (pl.col("direction") == "inbound") & (pl.col("channel") != "bot")
    offered = _lead_contacts().filter(inbound).height
    assert f"{offered:,}" in text
    log = audit.entries(storage.connect(get_settings().database))
    assert log["what"][0] == "report (PDF)" and log["user_email"][0] == "lee@clinic.example"


def test_text_from_files_and_urls_is_shown_as_typed_never_as_markup():
    sneaky = "![x](https://t.example/p.png) <b>:red[hi]</b> *a_b* `c` $x$ ~d~ |e| #f"
    assert formatting.plain(sneaky) == (
        r"\!\[x\](https\://t.example/p.png) \<b\>\:red\[hi\]\</b\> \*a\_b\* \`c\` \$x\$ "
        r"\~d\~ \|e\| \#f"
    )
    assert formatting.plain("line one\nline two") == "line one line two"


def test_a_contact_id_in_the_url_is_not_echoed_into_the_page(signed_in):
    opened = "sample:[click](https://evil.example)"
    app = signed_in("max@clinic.example", "views/drilldown.py", by="contacts", contact=opened)
    warning = next(w.value for w in app.warning if "not in this selection" in w.value)
    assert "evil.example" not in warning and "click" not in warning

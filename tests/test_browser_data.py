"""The Data page in a real browser: a malformed upload is explained and nothing is stored."""

from __future__ import annotations

from carepulse import browser, storage
from tests.helpers import need_browser
from tests.test_browser import ARTIFACTS, _settled, server  # noqa: F401
from tests.test_dashboard import centre  # noqa: F401


def test_a_malformed_upload_names_the_line_and_stores_nothing(server, centre, tmp_path):  # noqa: F811
    need_browser()
    engine = storage.connect(f"sqlite:///{centre / 'carepulse.db'}")
    before = storage.counts(engine), len(storage.runs(engine))
    broken = tmp_path / "calls.csv"
    broken.write_text('call,agent,when\n1,Ann,2024-03-01 09:00\n"2,Bob,2024-03-01 09:05\n')
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser.launched() as chromium:
        page = chromium.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{server}/data")
        _settled(page)
        page.set_input_files("input[type=file]", str(broken))
        page.wait_for_timeout(3000)
        _settled(page)
        page.screenshot(path=str(ARTIFACTS / "data-malformed-upload.png"), full_page=True)
        text = page.inner_text("[data-testid='stMain']")
    assert "a quote opened on line 3 does not close" in text, text[:2000]
    assert (storage.counts(engine), len(storage.runs(engine))) == before

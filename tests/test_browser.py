"""The dashboard in a real browser: Debian's Chromium driven by Playwright, screenshots saved."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from carepulse import browser
from metrics.catalog import HEADLINE
from tests.helpers import need_browser
from tests.test_dashboard import centre  # noqa: F401  (the module-scoped generated centre)

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(centre: Path) -> Iterator[str]:  # noqa: F811
    port = _free_port()
    env = {**os.environ, "CAREPULSE_DATA_DIR": str(centre)}
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--server.headless", "true", "--browser.gatherUsageStats", "false"]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=centre.parent, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def _settled(page: object) -> None:
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=60_000)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')",
                           timeout=60_000)  # fmt: skip
    page.wait_for_timeout(800)


@pytest.mark.parametrize("width,height,name", [(1400, 1000, "desktop"), (390, 844, "phone")])
def test_manager_clicks_through_the_dashboard(server, width, height, name):
    need_browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser.launched() as chromium:
        page = chromium.new_page(viewport={"width": width, "height": height})
        page.goto(server + "/?period=last-4-weeks&compare=previous")
        _settled(page)
        page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
        _settled(page)
        assert page.get_by_test_id("stMetric").count() == len(HEADLINE)
        assert page.get_by_test_id("stMetric").first.is_visible()
        assert "Traceback" not in page.content()
        page.screenshot(path=ARTIFACTS / f"overview-{name}.png", full_page=True)
        if name == "desktop":
            page.get_by_role("combobox", name="Period").click()
            page.get_by_role("option", name="Last 7 days").click()
            page.wait_for_url("**period=last-7-days**", timeout=30_000)
            _settled(page)
            page.screenshot(path=ARTIFACTS / "overview-last-7-days.png", full_page=True)
            page.get_by_test_id("stSidebarNav").get_by_text("Definitions").click()
            _settled(page)
            assert page.get_by_text("First-contact resolution").first.is_visible()
            page.screenshot(path=ARTIFACTS / "definitions.png", full_page=True)


def test_the_report_page_keeps_the_view_and_previews_the_pdf(server):
    need_browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser.launched() as chromium:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server + "/?period=last-month&compare=previous")
        _settled(page)
        page.get_by_test_id("stSidebarNav").get_by_text("Report").click()
        page.get_by_text("Download the PDF").wait_for(timeout=240_000)  # built in Chromium
        _settled(page)
        assert "period=last-month" in page.url  # the Overview's view carried over
        previews = page.get_by_test_id("stImage").locator("img")
        assert previews.count() >= 5
        assert previews.first.evaluate("img => img.complete && img.naturalWidth > 0")
        assert page.get_by_text("Page 1 of").first.is_visible()
        assert "Traceback" not in page.content()
        page.screenshot(path=ARTIFACTS / "report.png", full_page=True)


def _click(page: object, locator: object, *, at: tuple[float, float] | None = None) -> None:
    """Click an element with the mouse, at its middle or at (dx, dy) from its corner
    (Plotly and the data grid listen on layers above the element)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    dx, dy = at or (box["width"] / 2, box["height"] / 2)
    page.mouse.click(box["x"] + dx, box["y"] + dy)


def _drill(page: object, locator: object, expect: str, *, at=None) -> None:
    """Click, then wait until the URL holds `expect`; a click the page was not yet ready for
    (a rerun still drawing) is repeated, at most three times."""
    from playwright.sync_api import TimeoutError as Timeout

    check = f"decodeURIComponent(location.search).includes({expect!r})"
    for _ in range(3):
        _click(page, locator, at=at)
        try:
            page.wait_for_function(check, timeout=20_000)
            break
        except Timeout:
            _settled(page)
    else:
        pytest.fail(f"clicking did not lead to {expect!r}; the URL is {page.url}")
    _settled(page)


FIRST_ROW = (15, 35 + 17)  # the selection box of a table's first row, under the header


def test_team_lead_drills_down_by_clicking_charts_and_rows(server):
    need_browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser.launched() as chromium:
        page = chromium.new_page(viewport={"width": 1400, "height": 1400})
        page.goto(server + "/drilldown?period=last-4-weeks&compare=none")  # a deep link first
        _settled(page)
        charts = page.locator(".js-plotly-plot")
        charts.first.wait_for(timeout=60_000)
        page.screenshot(path=ARTIFACTS / "drill-1-centre.png", full_page=True)

        _drill(page, charts.nth(0).locator(".barlayer .point path").last, "step=queue:")
        assert "Queue:" in page.get_by_test_id("stMain").inner_text()
        page.screenshot(path=ARTIFACTS / "drill-2-queue.png", full_page=True)

        _drill(page, charts.nth(1).locator(".scatterlayer .point").first, "step=team:")
        page.screenshot(path=ARTIFACTS / "drill-3-team.png", full_page=True)

        _drill(page, page.get_by_test_id("stDataFrame").first, "step=agent_id:", at=FIRST_ROW)
        page.screenshot(path=ARTIFACTS / "drill-4-agent-contacts.png", full_page=True)
        assert "contacts, newest first" in page.get_by_test_id("stMain").inner_text()

        _drill(page, page.get_by_test_id("stDataFrame").first, "contact=", at=FIRST_ROW)
        assert page.get_by_text("Its chain", exact=True).is_visible()
        page.screenshot(path=ARTIFACTS / "drill-5-contact.png", full_page=True)

        page.get_by_role("button", name="Whole centre").click()
        page.wait_for_function("!location.search.includes('step=')", timeout=60_000)
        _settled(page)
        assert "Traceback" not in page.content()
        page.screenshot(path=ARTIFACTS / "drill-6-back.png", full_page=True)

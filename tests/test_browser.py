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

"""Screenshots of a running CarePulse app in Debian's headless Chromium (for people and docs).

Usage: python scripts/screenshot.py URL OUT.png [--width 1400 --height 1000]
"""

from __future__ import annotations

import argparse
import shutil

from playwright.sync_api import sync_playwright

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def shoot(url: str, out: str, *, width: int, height: int) -> None:
    """Open the page, wait until Streamlit has finished running, and save a full-page PNG."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(url)
        # The page has run once its title is drawn and the sidebar shows the centre's name.
        page.wait_for_selector("[data-testid='stMain'] h1", timeout=60_000)
        page.wait_for_selector("[data-testid='stSidebarUserContent'] strong", state="attached")
        page.wait_for_function(  # the "running" widget goes when the script has finished
            "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
        )
        page.wait_for_timeout(1000)
        page.screenshot(path=out, full_page=True)
        browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()
    shoot(args.url, args.out, width=args.width, height=args.height)

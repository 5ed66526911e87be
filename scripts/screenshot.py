"""Screenshots of a running CarePulse app in Debian's headless Chromium (for people and docs).

Usage: python scripts/screenshot.py URL OUT.png [--width 1400 --height 1000]
"""

from __future__ import annotations

import argparse

from carepulse import browser
from metrics.errors import CarePulseError


def shoot(url: str, out: str, *, width: int, height: int) -> None:
    """Open the page, wait until Streamlit has finished running, and save a full-page PNG."""
    with browser.launched() as chromium:
        page = chromium.new_page(viewport={"width": width, "height": height})
        page.goto(url)
        # The page has run once its title is drawn and the sidebar shows the centre's name.
        page.wait_for_selector("[data-testid='stMain'] h1", timeout=60_000)
        page.wait_for_selector("[data-testid='stSidebarUserContent'] strong", state="attached")
        page.wait_for_function(  # the "running" widget goes when the script has finished
            "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
        )
        page.wait_for_timeout(1000)
        page.screenshot(path=out, full_page=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()
    try:
        shoot(args.url, args.out, width=args.width, height=args.height)
    except CarePulseError as error:
        raise SystemExit(f"error: {error}") from None

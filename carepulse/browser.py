"""Headless Chromium, found and launched in one place: the PDF report, screenshots, browser tests.

Playwright drives an installed Chrome or Chromium (it never downloads a browser of its own).
Every call has a time limit, and printing runs in a child process that is killed when it
overruns (Playwright's `page.pdf()` has no timeout of its own).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from carepulse.settings import get_settings
from metrics.errors import CarePulseError

if TYPE_CHECKING:
    from playwright.sync_api import Browser

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
]  # fmt: skip
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
STEP_MS = 30_000  # one browser call (launch, load, wait)
PRINT_SECONDS = 90  # the whole print, start to finish
HINT = (
    "Install Chromium: `sudo apt-get install chromium` on Debian or Ubuntu (`make run` and "
    "`make test` do this when run as root), or set CAREPULSE_CHROMIUM to the path of an "
    "installed Chrome or Chromium."
)


class BrowserUnavailable(CarePulseError):
    """No usable Chrome or Chromium: says how to get one."""

    def __init__(self, message: str) -> None:
        super().__init__(message, hint=HINT)


def find(path: str | None = None) -> str | None:
    """The browser to drive: `path`, else the `chromium` setting, else the first on PATH."""
    path = path or get_settings().chromium
    if path:
        return shutil.which(path)
    return next((found for name in NAMES if (found := shutil.which(name))), None)


def require(path: str | None = None) -> str:
    """The browser to drive, or BrowserUnavailable naming how to install one."""
    found = find(path)
    if found is None:
        where = path or get_settings().chromium
        raise BrowserUnavailable(
            f"no Chrome or Chromium at {where}" if where else "no Chrome or Chromium is installed"
        )
    return found


@contextmanager
def launched(path: str | None = None, *, timeout_ms: int = STEP_MS) -> Iterator[Browser]:
    """A headless browser for the `with` block, closed after it."""
    from playwright.sync_api import Error, sync_playwright

    executable = require(path)
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=executable, args=FLAGS, timeout=timeout_ms
            )
        except Error as error:
            raise BrowserUnavailable(f"{executable} did not start: {_first_line(error)}") from error
        try:
            yield browser
        finally:
            browser.close()


def _first_line(error: Exception) -> str:
    text = getattr(error, "message", None) or str(error)
    return text.strip().splitlines()[0] if text.strip() else "no reason given"


def _print(html: Path, pdf: Path, executable: str) -> None:
    """Open the report, wait until its charts are drawn, print it with its CSS page size."""
    with launched(executable) as browser:
        page = browser.new_page()
        page.set_default_timeout(STEP_MS)
        page.goto(html.as_uri(), wait_until="load")
        page.wait_for_function("window.chartsDrawn === true")
        page.emulate_media(media="print")
        page.pdf(
            path=pdf, prefer_css_page_size=True, print_background=True, outline=True, tagged=True
        )


def print_pdf(html: str, *, path: str | None = None, timeout: float = PRINT_SECONDS) -> bytes:
    """Print a self-contained HTML document to PDF bytes in headless Chromium."""
    executable = require(path)
    with tempfile.TemporaryDirectory(prefix="carepulse-print-") as folder:
        source, target = Path(folder) / "report.html", Path(folder) / "report.pdf"
        source.write_text(html, encoding="utf-8")
        command = [sys.executable, "-m", "carepulse.browser", str(source), str(target), executable]
        child = subprocess.Popen(command, stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, errors = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)  # Chromium and its helpers with it
            child.communicate()
            raise BrowserUnavailable(f"{executable} did not print within {timeout:g} s") from None
        if child.returncode != 0:
            lines = errors.decode(errors="replace").strip().splitlines() or ["no reason given"]
            raise BrowserUnavailable(f"{executable} could not print the report: {lines[-1]}")
        return target.read_bytes()


def _main() -> int:
    parser = argparse.ArgumentParser(description="print an HTML file to PDF (used by print_pdf)")
    parser.add_argument("html", type=Path)
    parser.add_argument("pdf", type=Path)
    parser.add_argument("executable")
    args = parser.parse_args()
    from playwright.sync_api import Error

    try:
        _print(args.html, args.pdf, args.executable)
    except (CarePulseError, Error) as error:
        print(_first_line(error), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main())

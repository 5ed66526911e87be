"""How long the executive PDF of a quarter of the sample centre takes, stage by stage.

Usage: .venv/bin/python benchmarks/report.py [--runs 3] [--json FILE]

Loads the shipped sample centre into a temporary folder (not timed), then builds the report of
its last 13 weeks `--runs` times and prints the median of each stage: reading and evaluating
the rollups (gather), rendering the HTML, printing in headless Chromium. The baseline, measured
in the same run, is Chromium printing a page that holds only plotly.js: the browser's floor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pypdfium2

from carepulse import browser, query, selection, storage
from carepulse import settings as settings_module
from carepulse.cli import main
from carepulse.report import content, render


def _timed(function: object) -> tuple[object, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def measure(runs: int) -> dict[str, float]:
    settings = settings_module.get_settings()
    engine = storage.connect(settings.database)
    anchor = query.latest_day(engine, settings.timezone)
    f = selection.choose("custom", anchor, start=anchor - timedelta(days=90), end=anchor)
    stages: dict[str, list[float]] = {"gather": [], "html": [], "print": [], "floor": []}
    for _ in range(runs):
        report, seconds = _timed(lambda: content.gather(engine, settings, f))
        stages["gather"].append(seconds)
        document, seconds = _timed(lambda r=report: render.html(r))
        stages["html"].append(seconds)
        pdf, seconds = _timed(lambda d=document: browser.print_pdf(d))
        stages["print"].append(seconds)
        _, seconds = _timed(lambda: browser.print_pdf(_floor()))
        stages["floor"].append(seconds)
    medians = {stage: statistics.median(values) for stage, values in stages.items()}
    medians["total"] = medians["gather"] + medians["html"] + medians["print"]
    medians["pages"] = len(pypdfium2.PdfDocument(pdf))
    medians["days"] = f.period.days
    return medians


def _floor() -> str:
    from plotly.offline import get_plotlyjs

    return (
        f"<html><head><script>{get_plotlyjs()}</script></head><body><p>floor</p>"
        "<script>window.chartsDrawn = true;</script></body></html>"
    )


def run(runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="carepulse-bench-") as folder:
        os.environ["CAREPULSE_DATA_DIR"] = str(Path(folder) / "data")
        settings_module.get_settings.cache_clear()
        assert main(["sample"]) == 0
        return measure(runs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = run(args.runs)
    print(
        f"PDF of {figures['days']:.0f} days, {figures['pages']:.0f} pages; medians of {args.runs}"
    )
    for stage in ("gather", "html", "print", "total", "floor"):
        print(f"  {stage:<7} {figures[stage]:6.2f} s")
    print(f"  print / floor: {figures['print'] / figures['floor']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))

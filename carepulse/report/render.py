"""The report as one self-contained HTML document: template, stylesheet, plotly.js and figures."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jinja2
import plotly.graph_objects as go
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from carepulse.report.content import Report

HERE = Path(__file__).parent
PAPERS = {"a4": "A4", "letter": "letter"}
# Two charts side by side fit A4 and Letter alike (content at least 180 mm = 680 CSS px wide).
CHART_WIDTH, CHART_HEIGHT = 336, 262


def css_string(text: str) -> Markup:
    """Text as a quoted CSS string (for page-margin boxes); nothing can close the <style>."""
    escaped = "".join(
        c if c.isalnum() or c in " .,:;·–—()/'&@+-" else f"\\{ord(c):x} " for c in text
    )
    return Markup(f'"{escaped}"')


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["css_string"] = css_string
    return environment


def _printed(figure: go.Figure) -> dict:
    """The dashboard's figure, sized for half the page width, as plain JSON data."""
    figure = json.loads(figure.to_json())  # a copy: the caller's figure is left as it was
    figure["layout"].update(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        font={"size": 10},
        title={"text": figure["layout"]["title"]["text"], "font": {"size": 12}, "x": 0.02},
        margin={"l": 46, "r": 10, "t": 34, "b": 26},
        showlegend=False,  # the section's lead says what the line, band and diamonds are
    )
    figure["layout"].setdefault("xaxis", {}).update(tickformat="%d %b")
    return _rounded(figure)


def _rounded(data: object) -> object:
    """Floats to 9 significant digits: sums taken in another order differ in their last bits,
    and the same data must give the same document."""
    if isinstance(data, float):
        return float(f"{data:.9g}")
    if isinstance(data, list):
        return [_rounded(item) for item in data]
    if isinstance(data, dict):
        return {key: _rounded(value) for key, value in data.items()}
    return data


def html(report: Report, *, paper: str = "a4") -> str:
    """The report as HTML, with plotly.js from the installed plotly package (no network)."""
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}")
    template = _environment().get_template("template.html")
    return template.render(
        report=report,
        paper=PAPERS[paper],
        stylesheet=Markup((HERE / "report.css").read_text(encoding="utf-8")),
        plotly_js=Markup(get_plotlyjs()),
        figures=[{"id": f"chart-{c.key}", "figure": _printed(c.figure)} for c in report.charts],
    )

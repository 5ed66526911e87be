"""The executive report: summary sentences by hand, and the PDF of the sample centre."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from carepulse import feedback, formatting, query, selection, storage
from carepulse import settings as settings_module
from carepulse.cli import main
from carepulse.report import content, render, summary
from metrics.catalog import HEADLINE, kpis
from tests.helpers import need_browser, need_poppler, run_app

CATALOG = kpis()
ROWS = {
    "kpi": pl.String, "queue": pl.String, "value": pl.Float64, "numerator": pl.Float64,
    "denominator": pl.Float64, "target": pl.Float64, "status": pl.String, "note": pl.String,
    "provisional": pl.Boolean, "value_before": pl.Float64, "change": pl.Float64,
    "statistic": pl.Float64, "significant": pl.Boolean,
}  # fmt: skip


def _frame(*rows: dict) -> pl.DataFrame:
    defaults = dict.fromkeys(ROWS) | {"provisional": False}
    return pl.DataFrame([defaults | r for r in rows], schema=ROWS)


def _row(kpi: str, value: float, status: str, **more: object) -> dict:
    target = CATALOG[kpi].targets.get("rx")
    return {"kpi": kpi, "value": value, "status": status, "target": target, **more}


def test_summary_sentences_say_only_what_the_figures_say():
    centre = _frame(
        _row("service_level", 0.75, "missed", value_before=0.82, change=-0.07,
             significant=True, statistic=-4.0, denominator=900),
        _row("abandon_rate", 0.04, "met", value_before=0.045, change=-0.005,
             significant=False, statistic=-1.0, denominator=900),
        _row("csat", 0.9, "small sample", denominator=12, note="fewer than 30 responses (12)"),
    )  # fmt: skip
    queues = _frame(
        _row("service_level", 0.70, "missed", queue="A", change=-0.1, significant=True,
             statistic=-3.0),
        _row("service_level", 0.85, "met", queue="B", change=0.01, significant=False),
        _row("service_level", 0.78, "missed", queue="C"),
        _row("abandon_rate", 0.06, "missed", queue="A", change=0.03, significant=True,
             statistic=2.5),
        _row("abandon_rate", 0.07, "missed", queue="B"),
        _row("abandon_rate", 0.08, "missed", queue="C"),
        _row("csat", 0.95, "small sample", queue="A"),
    )  # fmt: skip
    keys = ("service_level", "abandon_rate", "csat")
    said = summary.sentences(centre, queues, CATALOG, keys, versus="previous period")
    assert said == [
        # two KPIs can be judged (CSAT has too few answers): one met, one missed
        "1 of 2 headline KPIs with a target met it; missed: service level (75.0 %).",
        # service level: A and C missed, B met; abandonment missed in all three
        "Service level missed target in 2 of 3 queues (all but B); abandonment in every queue.",
        "Significant changes against the previous period: service level fell from 82.0 % to "
        "75.0 %, worse; the other one moved within noise.",
        # |z| 3.0 before 2.5
        "Significant changes by queue: service level fell in A; abandonment rose in A.",
        "CSAT rests on 12 answers, too few to judge against its target: read it with care.",
    ]
    alone = summary.sentences(centre, queues, CATALOG, keys, versus="")
    assert not any("against the" in sentence for sentence in alone)  # no comparison chosen
    untested = centre.with_columns(pl.lit(None, pl.Boolean).alias("significant"))
    assert summary.changes(untested, CATALOG, keys, "previous period") == [
        "The previous period has no figures to compare with."
    ]
    empty = untested.with_columns(pl.lit(None, pl.Float64).alias("value"))  # e.g. a future month
    assert summary.changes(empty, CATALOG, keys, "previous period") == [
        "This period has no figures to compare."
    ]


def test_volume_sentence_counts_and_compares():
    centre = _frame(
        {"kpi": "offered", "value": 1200.0, "value_before": 1000.0},
        {"kpi": "handled", "value": 1100.0},
        {"kpi": "response_rate", "value": 0.25, "numerator": 80.0},
    )
    assert summary.volume(centre, "previous period") == (
        # 1200 / 1000 − 1 = +20 %; no tickets row: a dash, never a zero
        "In this period: 1,200 contacts offered (1,000 in the previous period, +20.0 %), "
        "1,100 handled, — tickets created and 80 surveys answered."
    )


def test_changes_and_targets_read_as_people_write_them():
    assert formatting.change(-0.0004, "percent") == "+0.0 pp"  # never "-0.0"
    assert formatting.change(0.012, "percent") == "+1.2 pp"
    # the unit spelled out: a bare "-1:15" is easily read as hours
    assert formatting.change(-75, "seconds") == "-1:15 min"
    assert formatting.change(12.4, "seconds") == "+12 s"
    assert formatting.change(-0.3, "seconds") == "+0 s"  # rounds to nothing: never "-0 s"
    assert formatting.change(3725, "seconds") == "+1:02 h"
    assert formatting.goal(0.8, "percent", "higher") == "≥ 80.0 %"
    assert formatting.goal(30, "seconds", "lower") == "≤ 0:30"


def test_text_in_the_running_header_cannot_break_out_of_the_stylesheet():
    quoted = render.css_string('Dr "Who" </style><script>x</script> \\ A & B')
    assert "<" not in quoted and "</style" not in quoted.lower()
    assert (
        quoted
        == '"Dr \\22 Who\\22  \\3c /style\\3e \\3c script\\3e x\\3c /script\\3e  \\5c  A & B"'
    )


def test_the_link_back_reproduces_the_view():
    f = selection.choose(
        "custom", date(2026, 11, 21), start=date(2026, 10, 1), end=date(2026, 10, 31),
        compare="last-year", where={"queue": ["Billing & insurance"]},
    )  # fmt: skip
    assert selection.link("http://cp.example/", f) == (
        "http://cp.example/?period=custom&compare=last-year&from=2026-10-01&to=2026-10-31"
        "&queue=Billing+%26+insurance"
    )


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped sample centre (90 days up to 21 Nov 2026) in its own data folder."""
    folder = tmp_path_factory.mktemp("sample") / "data"
    with _data_dir(folder):
        assert main(["sample"]) == 0
    return folder


class _data_dir:
    def __init__(self, folder: Path) -> None:
        self.folder, self.saved = folder, os.environ.get("CAREPULSE_DATA_DIR")

    def __enter__(self) -> None:
        os.environ["CAREPULSE_DATA_DIR"] = str(self.folder)
        settings_module.get_settings.cache_clear()

    def __exit__(self, *_: object) -> None:
        os.environ.pop("CAREPULSE_DATA_DIR")
        if self.saved is not None:
            os.environ["CAREPULSE_DATA_DIR"] = self.saved
        settings_module.get_settings.cache_clear()


@pytest.fixture
def loaded(sample: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CAREPULSE_DATA_DIR", str(sample))
    settings_module.get_settings.cache_clear()
    yield sample


def _kpis(capsys: pytest.CaptureFixture, *options: str) -> dict[str, dict]:
    capsys.readouterr()
    assert main(["kpis", *options, "--format", "json"]) == 0
    return {row["kpi"]: row for row in json.loads(capsys.readouterr().out)}


def _text(pdf: Path, *pages: int) -> str:
    first_last = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    command = ["pdftotext", "-layout", *first_last, str(pdf), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def test_the_pdf_of_the_sample_centre(loaded, tmp_path, capsys):
    need_browser()
    need_poppler()
    out = tmp_path / "report.pdf"
    options = ["--period", "last-month"]
    assert main(["report", *options, "--out", str(out)]) == 0
    pages = _pages(out)
    text = _text(out)

    # Every page carries its number, and the count printed is the count of pages.
    for number in range(1, pages + 1):
        assert f"Page {number} of {pages}" in _text(out, number)
    assert pages <= 8, "an executive snapshot stays short"
    # The sections start where the layout puts them: summary and KPIs first, appendix last.
    assert "Summary" in _text(out, 1) and "Headline KPIs" in _text(out, 1)
    assert "Trends" in _text(out, 2)
    assert "Top movers" in _text(out, 3) and "Queues" in _text(out, 3)
    voice = _text(out, 4)
    assert "Voice of the customer" in voice
    # Themes and verbatims: every mentioned theme with its count, comments as stored (redacted:
    # the sample centre's comments carry fictional e-mail addresses and phone numbers).
    assert "Comment themes" in voice and "In their words" in voice
    themes, quotes = feedback.summary(
        storage.connect(settings_module.get_settings().database),
        settings_module.get_settings(),
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
    )
    section = voice.split("Comment themes", 1)[1].split("In their words", 1)[0]
    for row in themes.filter(pl.col("mentions") > 0).iter_rows(named=True):
        line = next(li for li in section.splitlines() if li.strip().startswith(row["theme"][:10]))
        assert formatting.count(row["mentions"]) in line, line
    assert quotes.height and all(q[:20] in " ".join(voice.split()) for q in quotes["comment"])
    assert not re.search(r"[\w.]+@[\w.]+\.\w+|\d{3}[-. ]\d{3}[-. ]\d{4}", text)
    # The appendix ends the document: the settings table (its last row last) may start a page
    # earlier.
    assert "Appendix" in text and "Target overrides" in _text(out, pages)
    assert "Settings in effect" in _text(out, pages - 1) + _text(out, pages)
    # The cover: centre, period (October 2026, the last full month before 21 Nov), comparison.
    assert "CarePulse patient services" in text
    assert "01 Oct 2026 – 31 Oct 2026 (last month)" in text
    assert "01 Sep 2026 – 30 Sep 2026 (previous period; 30 days against 31)" in text
    assert "period=last-month&compare=previous" in text

    # Headline figures equal `carepulse kpis` for the same options.
    expected = _kpis(capsys, *options)
    table = _text(out, 1).split("Headline KPIs", 1)[1]
    for key in HEADLINE:
        kpi, row = CATALOG[key], expected[key]
        line = next(li for li in table.splitlines() if li.strip().startswith(kpi.title + "  "))
        assert formatting.value(row["value"], kpi.unit) in line, (key, line)
        assert formatting.count(row["denominator"]) in line, (key, line)
        assert {"met": "✓ met", "missed": "✗ missed"}.get(row["status"], row["status"]) in line

    # The same data and options give the same document text.
    again = tmp_path / "again.pdf"
    assert main(["report", *options, "--out", str(again)]) == 0
    assert _text(again) == text

    # No page is blank, and the trend charts were drawn (the palette's blue is on page 2).
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(out), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    for image in images:
        grey = np.asarray(Image.open(image).convert("L"))
        assert (grey < 200).mean() > 0.01, f"{image.name} is nearly blank"
    rgb = np.asarray(Image.open(images[1]).convert("RGB")).astype(int)
    blue = (np.abs(rgb - [0x00, 0x72, 0xB2]).max(axis=2) < 40).sum()  # the trend line's colour
    assert blue > 500, "no chart lines on the trends page"


def test_filters_scope_every_figure(loaded, capsys):
    """The builder takes the selection's `where`: the headline table equals `kpis --queue`."""
    settings = settings_module.get_settings()
    engine = storage.connect(settings.database)
    f = selection.choose("last-month", date(2026, 11, 21), where={"queue": ["Billing & insurance"]})
    built = content.gather(engine, settings, f)
    expected = _kpis(capsys, "--period", "last-month", "--queue", "Billing & insurance")
    shown = {row[0].text: row[1].text for row in built.headline.rows}
    assert shown == {
        CATALOG[k].title: formatting.value(expected[k]["value"], CATALOG[k].unit) for k in HEADLINE
    }
    assert built.filters == "Queues: Billing & insurance"
    assert "queue=Billing+%26+insurance" in built.link
    assert render.html(built) == render.html(content.gather(engine, settings, f))


def test_the_pdf_shows_the_ticket_figures_of_the_tickets_page(loaded, capsys):
    """The Tickets page's tiles are medians in business hours; the PDF showed calendar ones."""
    from carepulse import tickets

    settings = settings_module.get_settings()
    engine = storage.connect(settings.database)
    f = selection.choose("last-month", date(2026, 11, 21))
    built = content.gather(engine, settings, f)
    expected = _kpis(capsys, "--period", "last-month")
    shown = {row[0].text: row[1].text for row in built.tickets[0].rows}
    for key in tickets.TILES:
        kpi = CATALOG[key]
        assert shown[kpi.title] == formatting.value(expected[key]["value"], kpi.unit), key
    assert "business hours" in built.tickets[0].title


def test_without_a_browser_the_report_says_how_to_get_one(loaded, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CAREPULSE_CHROMIUM", str(tmp_path / "no-such-chromium"))
    settings_module.get_settings.cache_clear()
    out = tmp_path / "r.pdf"
    assert main(["report", "--period", "last-week", "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "no Chrome or Chromium at" in error and "apt-get install chromium" in error
    assert not out.exists()


def test_a_browser_that_fails_to_start_fails_fast_with_the_reason(
    loaded, monkeypatch, capsys, tmp_path
):
    monkeypatch.setenv("CAREPULSE_CHROMIUM", "/bin/false")
    settings_module.get_settings.cache_clear()
    assert main(["report", "--period", "last-week", "--out", str(tmp_path / "r.pdf")]) == 2
    error = capsys.readouterr().err
    assert "could not print the report" in error and "apt-get install chromium" in error


def _report_page(**params: str) -> AppTest:
    st.cache_data.clear()  # a PDF built by an earlier test is not this test's
    return run_app("views/report.py", timeout=300, **params)


def test_the_report_page_previews_every_page_and_offers_the_pdf(loaded):
    need_browser()
    app = _report_page(period="last-week", compare="previous")
    assert app.download_button[0].label == "Download the PDF"
    captions = [c for image in app.image for c in image.captions]
    count = len(captions)
    assert count >= 5
    assert captions == [f"Page {n} of {count}" for n in range(1, count + 1)]
    assert app.caption[1].value.startswith(f"{count} pages")
    assert "09 Nov 2026 – 15 Nov 2026" in app.caption[0].value  # last week before 21 Nov


def test_the_report_page_of_a_period_without_data_says_so_and_builds_nothing(loaded):
    app = _report_page(period="custom", **{"from": "2027-04-01", "to": "2027-04-30"})
    assert [i.value.split("\n")[0] for i in app.info] == [
        "No contacts, survey answers or tickets in this period: nothing to report."
    ]
    assert not app.download_button and not app.image


def test_the_report_command_refuses_a_period_without_data(loaded, capsys, tmp_path):
    out = tmp_path / "april.pdf"
    assert main(["report", "--from", "2027-04-01", "--to", "2027-04-30", "--out", str(out)]) != 0
    said = capsys.readouterr().err
    assert "no contacts, survey answers or tickets in 01 Apr 2027 – 30 Apr 2027" in said
    assert not out.exists()


def test_the_report_page_without_a_browser_says_how_to_get_one(loaded, monkeypatch, tmp_path):
    monkeypatch.setenv("CAREPULSE_CHROMIUM", str(tmp_path / "no-such-chromium"))
    settings_module.get_settings.cache_clear()
    app = _report_page(period="last-week")
    assert "needs a headless Chrome or Chromium" in app.error[0].value
    assert "apt-get install chromium" in app.caption[1].value
    assert app.download_button[0].label.startswith("Download the report as HTML")
    assert not app.image


def test_a_comparison_period_partly_before_the_data_compares_rates_not_totals(loaded):
    settings = settings_module.get_settings()
    engine = storage.connect(settings.database)
    first = query.first_days(engine, settings.timezone)
    # A week from the day after calls begin: the previous week holds one day of calls.
    start = first["contacts"] + timedelta(days=1)
    f = selection.choose("custom", start, start=start, end=start + timedelta(days=6))
    built = content.gather(engine, settings, f)
    # The sample's calls, answers and tickets all begin that day.
    assert first["contacts"] == first["surveys"] == first["tickets"]
    named = f"which has contacts, survey answers and tickets from {first['contacts']:%d %b %Y} only"
    assert named in built.comparison
    assert built.comparison.endswith(
        ": their totals are not compared, their rates are over the days with data"
    )
    assert "in the previous period" not in built.summary[0]  # offered is a total
    tickets = {row[0].text: row[4].text for row in built.tickets[0].rows}
    assert tickets["Tickets created"] == formatting.DASH
    headline = {row[0].text: row[4].text for row in built.headline.rows}
    assert headline["Service level"] != formatting.DASH  # a ratio: still compared


def test_the_cover_says_when_the_comparison_period_is_shorter(loaded):
    settings = settings_module.get_settings()
    engine = storage.connect(settings.database)
    year = query.first_days(engine, settings.timezone)["contacts"].year
    march = selection.choose("last-month", date(year, 4, 2))  # compared with February
    built = content.gather(engine, settings, march)
    february = (date(year, 3, 1) - date(year, 2, 1)).days  # 28, or 29 in a leap year
    assert f"(previous period; {february} days against 31)" in built.comparison
    assert all("days against" not in line for line in built.summary)

"""The report's tables as formatted text cells: KPIs against target, queues, movers, appendix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from carepulse import formatting, insights
from carepulse import tables as dashboard_tables
from metrics.kpi import Kpi

STATUS = {
    "met": ("✓ met", "met"),
    "missed": ("✗ missed", "missed"),
    "small sample": ("small sample", "muted"),
    "no target": ("no target", "muted"),
    "n/a": ("n/a", "muted"),
}
SIGNIFICANCE = {True: "significant", False: "within noise"}
TONE = {"better": "met", "worse": "missed"}


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and a tone the stylesheet colours (met, missed, muted)."""

    text: str
    tone: str = ""


@dataclass(frozen=True)
class Table:
    """A titled table; `numeric` right-aligns columns, `notes` print below it."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: tuple[bool, ...] = ()
    notes: tuple[str, ...] = ()
    empty: str = "Nothing to show."
    kind: str = field(default="", compare=False)  # a CSS class for the table's layout


def change(row: dict, kpi: Kpi) -> Cell:
    """The change against the comparison period, marked significant or within noise."""
    if row.get("change") is None:
        return Cell(formatting.DASH, "muted")
    text = formatting.change(row["change"], kpi.unit)
    verdict = SIGNIFICANCE.get(row.get("significant"))
    tone = TONE.get(insights.reading(kpi, row["change"]), "") if row.get("significant") else "muted"
    return Cell(f"{text} · {verdict}" if verdict else text, tone)


def kpi_table(
    title: str, rows: pl.DataFrame, keys: Sequence[str], catalog: dict[str, Kpi], versus: str
) -> Table:
    """KPIs against target: value, target, status, change, n and 95 % interval, plus notes."""
    by_key = {r["kpi"]: r for r in rows.iter_rows(named=True)}
    body, notes = [], []
    for key in keys:
        row, kpi = by_key[key], catalog[key]
        status, tone = STATUS[row["status"]]
        body.append(
            (
                Cell(kpi.title),
                Cell(formatting.value(row["value"], kpi.unit)),
                Cell(formatting.goal(row["target"], kpi.unit, kpi.better)),
                Cell(status, tone),
                *((change(row, kpi),) if versus else ()),
                Cell(formatting.count(row["denominator"])),
                Cell(formatting.interval(row["ci_low"], row["ci_high"], kpi.unit)),
            )
        )
        if row["note"]:
            notes.append(f"{kpi.title}: {row['note']}.")
    columns = ("KPI", "Value", "Target", "Status", *((f"Change vs {versus}",) if versus else ()))
    columns += ("n", "95 % interval")
    numeric = (False, True, True, False, *((True,) if versus else ()), True, True)
    return Table(title, columns, tuple(body), numeric, tuple(notes), kind="kpis")


def queue_table(
    title: str, queues: pl.DataFrame, keys: Sequence[str], catalog: dict[str, Kpi], small: int
) -> Table:
    """One row per queue, one column per KPI; ✗ marks a missed target, * a small sample."""
    cells = {(r["queue"], r["kpi"]): r for r in queues.iter_rows(named=True)}
    names = sorted({q for q, _ in cells if q is not None})
    names += [None] if any(q is None for q, _ in cells) else []
    body = []
    for queue in names:
        row = [Cell(queue or "(not set)")]
        for key in keys:
            found = cells.get((queue, key))
            value = formatting.value(found["value"] if found else None, catalog[key].unit)
            status = found["status"] if found else "n/a"
            mark = {"missed": " ✗", "small sample": " *"}.get(status, "")
            row.append(Cell(value + mark, STATUS[status][1] if mark else ""))
        body.append(tuple(row))
    columns = ("Queue", *(catalog[k].title for k in keys))
    notes = (f"✗ missed its target; * a survey KPI on fewer than {small} answers.",)
    return Table(title, columns, tuple(body), (False, *(True for _ in keys)), notes)


def movers_table(title: str, movers: pl.DataFrame, catalog: dict[str, Kpi], versus: str) -> Table:
    """The significant changes, strongest first: before, now, change and better or worse."""
    body = []
    for r in movers.iter_rows(named=True):
        kpi = catalog[r["kpi"]]
        word = insights.reading(kpi, r["change"])
        body.append(
            (
                Cell(kpi.label),
                Cell(r["queue"]),
                Cell(formatting.value(r["value_before"], kpi.unit)),
                Cell(formatting.value(r["value"], kpi.unit)),
                Cell(formatting.change(r["change"], kpi.unit)),
                Cell(word or formatting.DASH, TONE.get(word, "muted")),
            )
        )
    columns = ("KPI", "Where", versus.capitalize(), "Now", "Change", "Reading")
    empty = f"No headline KPI changed significantly against the {versus}."
    return Table(title, columns, tuple(body), (False, False, True, True, True, False), empty=empty)


THEME_COLUMNS = ("Theme", "Comments", "Share", "NPS with it", "NPS effect (95 % interval)",
                 "CSAT effect (95 % interval)", "Reading")  # fmt: skip


def themes_table(title: str, themes: pl.DataFrame, small: int) -> Table:
    """The comment themes with their volume and effect, as the Voice page words them."""
    mentioned = themes.filter(pl.col("mentions") > 0) if themes.height else themes
    shown = dashboard_tables.themes(mentioned, small)
    body = tuple(tuple(Cell(r[c]) for c in THEME_COLUMNS) for r in shown.iter_rows(named=True))
    notes = ("Effect: the score of comments with the theme minus those without it.",)
    numeric = (False, True, True, True, True, True, False)
    empty = "No comments in this period."
    return Table(title, THEME_COLUMNS, body, numeric, notes, empty=empty, kind="themes")


def verbatims_table(title: str, quotes: pl.DataFrame, timezone: str) -> Table:
    """A few comments, one per leading theme, as stored: redacted at ingest."""
    body = []
    for r in quotes.iter_rows(named=True):
        scores = [f"{name.upper()} {r[name]}" for name in ("csat", "nps") if r[name] is not None]
        body.append(
            (
                Cell(formatting.local(r["counted_at"], timezone)[:10]),
                Cell(", ".join(r["themes"]) or formatting.DASH),
                Cell(" · ".join(scores) or formatting.DASH),
                Cell(r["queue"] or formatting.DASH),
                Cell(r["comment"]),
            )
        )
    columns = ("Day", "Theme", "Score", "Queue", "Comment (redacted)")
    return Table(title, columns, tuple(body), empty="No comments in this period.", kind="quotes")

"""Frames as the dashboard shows them: labelled columns, values formatted by unit, words for
small samples and effects. No Streamlit here, so the PDF can use the same tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from carepulse import formatting
from metrics.kpi import Kpi, Unit

DASH = formatting.DASH
GROUPS = {
    "queue": "Queue",
    "team": "Team",
    "agent_id": "Agent",
    "channel": "Channel",
    "segment": "Segment",
}


def estimate(row: dict, unit: Unit) -> str:
    """'78.2 % (71.0 % – 84.3 %)' or the value alone when it has no interval."""
    text = formatting.value(row["value"], unit)
    if row["value"] is not None and row.get("ci_low") is not None:
        text += f" ({formatting.interval(row['ci_low'], row['ci_high'], unit)})"
    return text


def _cell(row: dict, kpi: Kpi, *, suppress: bool) -> str:
    small = row["status"] == "small sample"
    if (small and suppress) or not row["denominator"]:
        return DASH
    text = f"{estimate(row, kpi.unit)} · n {formatting.count(row['denominator'])}"
    return text + (" · small sample" if small else "")


def breakdown(
    rows: pl.DataFrame,
    dimension: str,
    catalog: dict[str, Kpi],
    keys: Sequence[str],
    *,
    suppress: bool = False,
) -> pl.DataFrame:
    """Survey KPIs per group with intervals and n; the groups with most answers first.

    With `suppress`, a small-sample value is a dash (agent-level survey scores).
    """
    return wide(
        rows, dimension, catalog, keys, label=GROUPS.get(dimension, dimension),
        cell=lambda row, kpi: _cell(row, kpi, suppress=suppress), size="denominator",
    )  # fmt: skip


def nps_split(whole: pl.DataFrame) -> str:
    """'Promoters 52.1 % · passives 27.0 % · detractors 20.9 % of 1,234 answers'."""
    row = whole.row(0, named=True) if whole.height else {}
    total = sum(row.get(c) or 0 for c in ("promoters", "passives", "detractors"))
    if not total:
        return "No NPS answers in this period."
    parts = [
        f"{name} {formatting.value(row[c] / total, Unit.PERCENT)}"
        for name, c in (("Promoters", "promoters"), ("passives", "passives"),
                        ("detractors", "detractors"))
    ]  # fmt: skip
    return " · ".join(parts) + f" of {formatting.count(total)} answers"


def points(whole: pl.DataFrame, name: str, scale: range) -> pl.DataFrame:
    """Answers per point of a scale (`score`, `answers`)."""
    row = whole.row(0, named=True) if whole.height else {}
    counts = [row.get(f"{name}_{k}") or 0 for k in scale]
    return pl.DataFrame({"score": [str(k) for k in scale], "answers": counts})


def _reading(row: dict) -> str:
    """What the theme's effect on each score says: 'lowers NPS and CSAT', 'lowers CSAT; NPS
    within noise' (an effect whose 95 % interval holds zero is within noise)."""
    moved: dict[str, list[str]] = {}
    noise = []
    for score in ("NPS", "CSAT"):
        low, high = (row[f"{score.lower()}_effect_{end}"] for end in ("low", "high"))
        if low is None or high is None:
            continue
        if high < 0 or low > 0:
            moved.setdefault("lowers" if high < 0 else "raises", []).append(score)
        else:
            noise.append(score)
    if not moved:
        return "within noise" if noise else DASH
    parts = [f"{verb} {' and '.join(scores)}" for verb, scores in moved.items()]
    if noise:
        parts.append(f"{' and '.join(noise)} within noise")
    return "; ".join(parts)


def themes(table: pl.DataFrame, small_sample: int) -> pl.DataFrame:
    """The themes table: mentions, share, NPS and CSAT with the theme, their effects in words."""
    rows = []
    for r in table.iter_rows(named=True):
        small = " · small sample" if 0 < r["mentions"] < small_sample else ""
        rows.append(
            {
                "Theme": r["theme"],
                "Comments": formatting.count(r["mentions"]),
                "Share": formatting.value(r["share"], Unit.PERCENT),
                "NPS with it": formatting.value(r["nps"], Unit.POINTS),
                "NPS effect (95 % interval)": _effect(r, "nps_effect", Unit.POINTS),
                "CSAT with it": formatting.value(r["csat"], Unit.PERCENT),
                "CSAT effect (95 % interval)": _effect(r, "csat_effect", Unit.PERCENT),
                "Reading": (_reading(r) if r["mentions"] else DASH) + small,
            }
        )
    return pl.DataFrame(rows)


def _effect(row: dict, key: str, unit: Unit) -> str:
    if row[key] is None:
        return DASH
    low, high = (
        formatting.change(row[f"{key}_low"], unit),
        formatting.change(row[f"{key}_high"], unit),
    )
    return f"{formatting.change(row[key], unit)} ({low} to {high})"


def phrases(found: pl.DataFrame) -> pl.DataFrame:
    """Discovered phrases with how often each group uses them."""
    return found.select(
        pl.col("phrase").alias("Phrase"),
        pl.col("detractor_comments").alias("Detractor comments"),
        pl.col("promoter_comments").alias("Promoter comments"),
        *(
            pl.col(c).map_elements(lambda v: formatting.value(v, Unit.PERCENT), pl.String).alias(t)
            for c, t in (("detractor_share", "Share of detractors"),
                         ("promoter_share", "Share of promoters"))
        ),
        pl.struct("difference", "difference_low", "difference_high")
        .map_elements(lambda d: _effect(d, "difference", Unit.PERCENT), pl.String)
        .alias("Difference (95 % interval)"),
    )  # fmt: skip


def local_time(column: str, timezone: str) -> pl.Expr:
    """A UTC timestamp column as local 'YYYY-MM-DD HH:MM' text."""
    return pl.col(column).dt.convert_time_zone(timezone).dt.strftime("%Y-%m-%d %H:%M")


def verbatims(chosen: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """Comments with their scores, themes, queue, agent and what they rate."""
    return chosen.select(
        local_time("counted_at", timezone).alias("When"),
        pl.col("csat").alias("CSAT"),
        pl.col("nps").alias("NPS"),
        pl.col("ces").alias("CES"),
        pl.col("comment").alias("Comment"),
        pl.col("themes").list.join(", ").alias("Themes"),
        pl.col("queue").alias("Queue"),
        pl.col("agent_id").alias("Agent"),
        pl.coalesce(
            pl.format("contact {}", "contact_id"), pl.format("ticket {}", "ticket_id")
        ).alias("Rates"),
    )


def by_key(rows: pl.DataFrame, x: str) -> pl.DataFrame:
    """KPI rows (kpi, x, value) as one column per KPI, one row per `x`."""
    if rows.is_empty():
        return pl.DataFrame({x: []})
    return rows.pivot("kpi", index=x, values="value").sort(x)


def durations(rows: pl.DataFrame, measures: dict, p90: object) -> pl.DataFrame:
    """Median and P90 in business and calendar hours per measure (name -> (calendar, business))."""
    values = {r["kpi"]: r for r in rows.iter_rows(named=True)}

    def shown(key: str) -> str:
        return formatting.value(values[key]["value"], Unit.SECONDS) if key in values else DASH

    out = []
    for name, (calendar, business) in measures.items():
        n = values.get(calendar, {}).get("denominator")
        out.append(
            {
                "": name,
                "Median, business hours": shown(business),
                "P90, business hours": shown(p90(business)),
                "Median, calendar hours": shown(calendar),
                "P90, calendar hours": shown(p90(calendar)),
                "Tickets": formatting.count(n),
            }
        )
    return pl.DataFrame(out)


def _plain(row: dict, kpi: Kpi) -> str:
    return formatting.value(row["value"], kpi.unit)


def wide(
    rows: pl.DataFrame,
    dimension: str,
    catalog: dict[str, Kpi],
    keys: Sequence[str],
    *,
    label: str,
    cell: Callable[[dict, Kpi], str] = _plain,
    size: str = "value",
) -> pl.DataFrame:
    """One row per group, one column per KPI as `cell` shows it; the group with the largest
    `size` of the first KPI first."""
    groups: dict[object, dict[str, object]] = {}
    for row in rows.iter_rows(named=True):
        kpi = catalog[row["kpi"]]
        shown = groups.setdefault(row[dimension], {label: row[dimension] or "(not set)"})
        shown[kpi.title] = cell(row, kpi)
        if kpi.key == keys[0]:
            shown["_n"] = row[size] or 0
    ordered = sorted(groups.values(), key=lambda g: -float(g.get("_n", 0)))
    columns = [label, *(catalog[k].title for k in keys)]
    return pl.DataFrame(
        [{c: g.get(c, DASH) for c in columns} for g in ordered],
        schema=dict.fromkeys(columns, pl.String),
    )

"""The report's summary: plain sentences built only from the computed figures."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from carepulse import formatting, insights
from metrics.kpi import Kpi

JUDGED = ("met", "missed")


def words(items: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def name(kpi: Kpi) -> str:
    """A KPI's short title inside a sentence: lower case unless it starts with an acronym."""
    first = kpi.title.split()[0]
    return kpi.title if first.isupper() else kpi.title[0].lower() + kpi.title[1:]


def capital(text: str) -> str:
    return text[0].upper() + text[1:]


def sentences(
    centre: pl.DataFrame,
    queues: pl.DataFrame,
    catalog: dict[str, Kpi],
    keys: Sequence[str],
    *,
    versus: str,
) -> list[str]:
    """What the figures say: volume, targets met, queues missing, significant changes, cautions.

    `centre` and `queues` are compared KPI rows (insights.compared); `versus` names the
    comparison period ('' for none).
    """
    centre = centre.filter(pl.col("kpi").is_in(list(keys)))
    queues = queues.filter(pl.col("kpi").is_in(list(keys)))
    return [
        *targets(centre, catalog, keys),
        *queue_misses(queues, catalog, keys),
        *changes(centre, catalog, keys, versus),
        *queue_changes(queues, catalog, keys),
        *cautions(centre, catalog, keys),
    ]


def volume(centre: pl.DataFrame, versus: str) -> str:
    """How much happened: contacts offered (against the comparison), handled, tickets, answers."""
    rows = {r["kpi"]: r for r in centre.iter_rows(named=True)}

    def count(key: str, column: str = "value") -> str:
        return formatting.count(rows[key][column]) if key in rows else formatting.DASH

    offered = f"{count('offered')} contacts offered"
    before = rows.get("offered", {}).get("value_before")
    if versus and before:
        offered += f" ({formatting.count(before)} in the {versus}, "
        offered += f"{(rows['offered']['value'] / before - 1) * 100:+.1f} %)"
    parts = [
        offered,
        f"{count('handled')} handled",
        f"{count('tickets_created')} tickets created",
        f"{count('response_rate', 'numerator')} surveys answered",
    ]
    return f"In this period: {words(parts)}."


def targets(centre: pl.DataFrame, catalog: dict[str, Kpi], keys: Sequence[str]) -> list[str]:
    """How many headline KPIs met their target, and the missed ones with their values."""
    judged = [r for r in _ordered(centre, keys) if r["status"] in JUDGED]
    if not judged:
        return ["No headline KPI with a target has enough data in this period to judge it."]
    missed = [r for r in judged if r["status"] == "missed"]
    if not missed:
        return [f"All {len(judged)} headline KPIs with a target and enough data met it."]
    parts = [
        f"{name(catalog[r['kpi']])} ({formatting.value(r['value'], catalog[r['kpi']].unit)})"
        for r in missed
    ]
    met = len(judged) - len(missed)
    return [f"{met} of {len(judged)} headline KPIs with a target met it; missed: {words(parts)}."]


def queue_misses(queues: pl.DataFrame, catalog: dict[str, Kpi], keys: Sequence[str]) -> list[str]:
    """'Service level missed target in 2 of 5 queues (A and B); AHT in every queue.'"""
    some, every = [], []
    for key in keys:
        rows = queues.filter(pl.col("kpi") == key, pl.col("status").is_in(JUDGED))
        missed = sorted(_queue(r) for r in rows.iter_rows(named=True) if r["status"] == "missed")
        if not missed:
            continue
        if len(missed) == rows.height:
            every.append(name(catalog[key]))
            continue
        met = sorted(_queue(r) for r in rows.iter_rows(named=True) if r["status"] == "met")
        which = f"all but {words(met)}" if len(met) < len(missed) else words(missed)
        some.append((name(catalog[key]), f"{len(missed)} of {rows.height} queues ({which})"))
    if every:
        some.append((words(every), "every queue"))
    if not some:
        return []
    (label, where), *rest = some
    others = "".join(f"; {other} in {place}" for other, place in rest)
    return [capital(f"{label} missed target in {where}{others}.")]


def changes(
    centre: pl.DataFrame, catalog: dict[str, Kpi], keys: Sequence[str], versus: str
) -> list[str]:
    """The significant changes of the whole selection, and how many moved within noise."""
    tested = [r for r in _ordered(centre, keys) if r["significant"] is not None]
    if not versus:
        return []
    if not tested and all(r["value"] is None for r in _ordered(centre, keys)):
        return ["This period has no figures to compare."]
    if not tested:
        return [f"The {versus} has no figures to compare with."]
    moved = [r for r in tested if r["significant"]]
    if not moved:
        return [f"No headline KPI changed significantly against the {versus}."]
    parts = []
    for r in moved:
        kpi = catalog[r["kpi"]]
        reading = insights.reading(kpi, r["change"])
        before, now = (formatting.value(r[c], kpi.unit) for c in ("value_before", "value"))
        verb = "rose" if r["change"] > 0 else "fell"
        parts.append(
            f"{name(kpi)} {verb} from {before} to {now}" + (f", {reading}" if reading else "")
        )
    rest = len(tested) - len(moved)
    tail = {0: "", 1: "; the other one moved within noise"}.get(
        rest, f"; the other {rest} moved within noise"
    )
    return [f"Significant changes against the {versus}: {'; '.join(parts)}{tail}."]


def queue_changes(
    queues: pl.DataFrame, catalog: dict[str, Kpi], keys: Sequence[str], *, most: int = 4
) -> list[str]:
    """Significant changes by queue, grouped by KPI and direction, the strongest groups first."""
    moved = queues.filter(pl.col("significant").fill_null(False), pl.col("kpi").is_in(list(keys)))
    groups = []
    for (key, rising), rows in moved.group_by("kpi", pl.col("change") > 0):
        where = words(sorted(_queue(r) for r in rows.iter_rows(named=True)))
        verb = "rose" if rising else "fell"
        strength = round(rows["statistic"].abs().max(), 6)  # last-bit noise must not reorder
        groups.append((-strength, list(keys).index(key), f"{name(catalog[key])} {verb} in {where}"))
    if not groups:
        return []
    shown = [text for *_, text in sorted(groups)[:most]]
    more = f" (and {len(groups) - most} more in the top movers)" if len(groups) > most else ""
    return [f"Significant changes by queue: {'; '.join(shown)}{more}."]


def cautions(centre: pl.DataFrame, catalog: dict[str, Kpi], keys: Sequence[str]) -> list[str]:
    out = []
    for r in _ordered(centre, keys):
        label = capital(name(catalog[r["kpi"]]))
        if r["status"] == "small sample":
            out.append(
                f"{label} rests on {formatting.count(r['denominator'])} answers, too few to "
                "judge against its target: read it with care."
            )
        elif r["status"] == "n/a":
            out.append(f"{label} has no value in this selection ({r['note'] or 'no data'}).")
        elif r["provisional"]:
            out.append(f"{label} is {r['note']}.")
    return out


def _ordered(rows: pl.DataFrame, keys: Sequence[str]) -> list[dict]:
    by_key = {r["kpi"]: r for r in rows.iter_rows(named=True)}
    return [by_key[k] for k in keys if k in by_key]


def _queue(row: dict) -> str:
    return row["queue"] or "(not set)"

"""Drill-down tables: one row per child of a level, and the sums each figure is built from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import polars as pl

from carepulse import formatting
from carepulse.filters import STEPS, Step
from metrics import compare
from metrics.kpi import Better, Kpi, Ratio, Unit

UNSET = {"agent_id": "(no agent)"}  # how an unset value of a dimension reads


def label(column: str, value: str | None) -> str:
    """A dimension value as people read it; an unset one says so."""
    if value is None:
        return UNSET.get(column, "(not set)")
    return value


def crumb(step: Step, *, markdown: bool = False) -> str:
    """One breadcrumb: 'Queue: Refills' (for Markdown, the value escaped to show as typed)."""
    column, value = step
    shown = label(column, value)
    return f"{STEPS[column]}: {formatting.plain(shown) if markdown else shown}"


def suppressed(frame: pl.DataFrame, kpis: dict[str, Kpi]) -> pl.DataFrame:
    """Survey KPIs below the small-sample limit without a value or numerator (an agent's,
    METRICS.md); n, the status and its note say why."""
    if frame.is_empty():  # no comparison period
        return frame
    surveys = [key for key, kpi in kpis.items() if kpi.survey]
    hide = pl.col("kpi").is_in(surveys) & (pl.col("status") == "small sample")
    hidden = ("value", "numerator", "ci_low", "ci_high", "variance")
    return frame.with_columns(pl.when(~hide).then(pl.col(c)).alias(c) for c in hidden)


def shown(value: float | None, unit: Unit) -> float | timedelta | None:
    """A KPI value in the unit a table column shows and sorts it in."""
    if value is None:
        return None
    if unit is Unit.PERCENT:
        return round(value * 100, 1)
    if unit is Unit.SECONDS:
        return timedelta(seconds=round(value))
    if unit is Unit.POINTS:
        return round(value)
    return value


def _verdicts(rows: list[dict], kpis: dict[str, Kpi]) -> tuple[list[str], str, list[str]]:
    """KPIs missing target, how the row differs significantly from the level above, and the
    survey KPIs with too few answers to judge."""
    missed, better, worse, small = [], [], [], []
    for row in rows:
        kpi = kpis[row["kpi"]]
        if row["status"] == "small sample":
            small.append(kpi.title)
            continue
        if row["status"] == "missed":
            missed.append(kpi.title)
        if row.get("significant"):
            up = row["change"] > 0
            (better if up == (kpi.better is Better.HIGHER) else worse).append(kpi.title)
    against = [f"{word}: {', '.join(names)}" for word, names in (("better", better),
               ("worse", worse)) if names]  # fmt: skip
    return missed, "; ".join(against), small


def table(
    kids: pl.DataFrame,
    parent: pl.DataFrame,
    dim: str,
    kpis: Sequence[Kpi],
    *,
    small_sample: int,
    suppress: bool,
) -> pl.DataFrame:
    """One row per child: the dimension's value (`dim`), its label, contacts offered, each KPI,
    the KPIs below target, those significantly different from the level above, and notes.

    With `suppress`, survey KPIs below the small-sample limit are left empty (agent level).
    """
    by_key = {k.key: k for k in kpis}
    compared = compare.compare(kids, parent, kpis) if parent.height else kids
    out = []
    for (value,), group in compared.group_by(dim, maintain_order=True):
        rows = group.to_dicts()
        missed, against, small = _verdicts(rows, by_key)
        row = {dim: value, "Name": label(dim, value)}
        for r in rows:
            kpi = by_key[r["kpi"]]
            hidden = suppress and r["status"] == "small sample"
            row[kpi.title] = None if hidden else shown(r["value"], kpi.unit)
        row["Below target"] = ", ".join(missed)
        row["Against the level above"] = against
        row["Notes"] = f"fewer than {small_sample} answers: {', '.join(small)}" if small else ""
        out.append(row)
    columns = [dim, "Name", *(k.title for k in kpis)]
    frame = pl.DataFrame(out, infer_schema_length=None)
    # A KPI no child has a row for (no surveys loaded yet) is an empty column, not a crash.
    frame = frame.with_columns(pl.lit(None).alias(c) for c in columns if c not in frame.columns)
    first = kpis[0].title
    ordered = frame.select(*columns, pl.exclude(columns))
    return ordered.sort(first, descending=True, maintain_order=True)


def sums(
    kids: pl.DataFrame, parent: pl.DataFrame, dim: str, kpis: Sequence[Kpi], parent_name: str
) -> pl.DataFrame:
    """Each ratio's numerator and denominator per child, and in the last row the level above's."""
    ratios = [k for k in kpis if isinstance(k, Ratio)]
    titles = {k.key: k.title for k in ratios}
    wanted = pl.col("kpi").is_in(list(titles))

    def wide(frame: pl.DataFrame, name: pl.Expr) -> pl.DataFrame:
        long = frame.filter(wanted).select(
            name.alias("Name"),
            pl.col("kpi").replace_strict(titles),
            "numerator",
            "denominator",
        )
        values = long.pivot("kpi", index="Name", values=["numerator", "denominator"])
        return values.rename(lambda c: _sum_column(c, titles.values()))

    children = wide(kids, pl.col(dim).fill_null(label(dim, None)))
    above = wide(parent, pl.lit(parent_name))
    order = ["Name"] + [f"{t}: {part}" for t in titles.values() for part in PARTS]
    return pl.concat([children, above], how="diagonal_relaxed").select(order)


PARTS = ("numerator", "denominator")


def _sum_column(column: str, titles: Sequence[str]) -> str:
    """Polars names pivoted columns `numerator_<title>`: make that `<title>: numerator`."""
    for part in PARTS:
        prefix = f"{part}_"
        if column.startswith(prefix) and column[len(prefix) :] in titles:
            return f"{column[len(prefix) :]}: {part}"
    return column

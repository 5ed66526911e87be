"""An agent's scorecard: each KPI against target, the team and the centre, with the agent's
rank among the peers who work the same queues."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from carepulse import formatting
from metrics import compare
from metrics.kpi import Better, Kpi

# The figures an agent's own work decides (service level, abandonment and ASA are the queue's).
KPIS = (
    "handled", "aht", "avg_hold", "handle_median", "fcr", "transfer_rate", "escalation_rate",
    "csat", "nps", "ces", "survey_fcr", "response_rate",
)  # fmt: skip
STATUS = {"met": "✓ met", "missed": "✗ missed", "no target": "no target", "n/a": "n/a"}


def rank(peers: pl.DataFrame, kpi: Kpi, agent: str) -> str:
    """'3 of 12': the agent's place among peers with a judged value (1 = best)."""
    if kpi.better is Better.NEITHER:
        return ""
    rows = peers.filter(
        pl.col("kpi") == kpi.key, pl.col("value").is_not_null(), pl.col("status") != "small sample"
    )
    mine = rows.filter(pl.col("agent_id") == agent)["value"]
    if mine.is_empty():
        return ""
    ahead = rows["value"] > mine[0] if kpi.better is Better.HIGHER else rows["value"] < mine[0]
    return f"{int(ahead.sum()) + 1} of {rows.height}"


def _status(row: dict, small_sample: int) -> str:
    if row["status"] == "small sample":
        return f"not shown: under {small_sample} answers"
    return STATUS.get(row["status"], row["status"])


def _against(row: dict, kpi: Kpi) -> str:
    if row.get("significant") is None or kpi.better is Better.NEITHER:
        return ""
    if not row["significant"]:
        return "within noise"
    up = row["change"] > 0
    return "better" if up == (kpi.better is Better.HIGHER) else "worse"


def table(
    agent: pl.DataFrame,
    team: pl.DataFrame,
    centre: pl.DataFrame,
    peers: pl.DataFrame,
    kpis: Sequence[Kpi],
    agent_id: str,
    *,
    small_sample: int,
    centre_label: str = "Centre",
) -> pl.DataFrame:
    """One row per KPI: the agent's value (survey KPIs below the small-sample limit are not
    shown), n, target, status, the team's and the centre's values, whether the agent differs
    significantly from the team, and the rank among peers."""
    compared = compare.compare(agent, team, kpis)
    rows = {r["kpi"]: r for r in compared.iter_rows(named=True)}
    others = [{r["kpi"]: r["value"] for r in f.iter_rows(named=True)} for f in (team, centre)]
    out = []
    for kpi in kpis:
        row = rows.get(kpi.key)
        if row is None:
            continue
        hidden = kpi.survey and row["status"] == "small sample"
        text = formatting.DASH if hidden else formatting.value(row["value"], kpi.unit)
        target = row["target"]
        out.append(
            {
                "KPI": kpi.label,
                "Agent": text,
                "n": formatting.count(row["denominator"]),
                "Target": "" if target is None else formatting.value(target, kpi.unit),
                "Status": _status(row, small_sample),
                "Team": formatting.value(others[0].get(kpi.key), kpi.unit),
                centre_label: formatting.value(others[1].get(kpi.key), kpi.unit),
                "vs team": "" if hidden else _against(row, kpi),
                "Peer rank": "" if hidden else rank(peers, kpi, agent_id),
            }
        )
    return pl.DataFrame(out)


def worked(handled: pl.DataFrame, column: str) -> list[str | None]:
    """The values of `column` that handled contacts (a `handled` KPI frame), most first."""
    rows = handled.filter(pl.col("value") > 0).sort("value", descending=True, maintain_order=True)
    return rows[column].to_list()


def shares(counts: pl.DataFrame) -> pl.DataFrame:
    """Histogram counts as shares of their total (0 where there is nothing)."""
    total = counts["count"].sum()
    return counts.with_columns((pl.col("count") / total if total else pl.lit(0.0)).alias("share"))

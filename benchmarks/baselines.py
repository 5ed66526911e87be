"""The baselines' rollups: our 15-minute contact aggregation in DuckDB SQL and in pandas.

Both compute every measure `metrics.rollup.roll_up_contacts` does, with the same repeat flags,
so the benchmark can check that their column totals equal ours before comparing times.
"""

from __future__ import annotations

from typing import Any

from metrics import histogram, repeats
from metrics.rollup import DIMENSIONS, KEYS

# The settings' defaults (rx preset): what the stored rollups and the baselines use.
THRESHOLDS = {"short_abandon_seconds": 5.0, "sl_seconds": 30.0, "hold_in_talk": False}
FCR_HOURS = 168
CHAIN_MINUTES = int(repeats.CHAIN.total_seconds() // 60)

# Row conditions in SQL, named after _contact_measures in metrics/rollup.py.
CONDITIONS = {
    "agent": "channel <> 'bot'",
    "queued": "{agent} AND direction = 'inbound'",
    "abandoned": "{queued} AND outcome = 'abandoned'",
    "short": "{abandoned} AND wait_seconds IS NOT NULL AND wait_seconds <= {short_abandon}",
    "handled": "{queued} AND outcome = 'handled'",
    "worked": "{agent} AND outcome = 'handled' AND talk_seconds IS NOT NULL",
    "timed": "{handled} AND wait_seconds IS NOT NULL",
    "bot": "channel = 'bot'",
    "eligible": "{handled} AND customer_key IS NOT NULL",
}
HOLD = "coalesce(hold_seconds, 0)"
HANDLE = f"(talk_seconds + {HOLD} + coalesce(acw_seconds, 0))"


def _conditions() -> dict[str, str]:
    out: dict[str, str] = {}
    short = THRESHOLDS["short_abandon_seconds"]
    for name, text in CONDITIONS.items():
        out[name] = "(" + text.format(**out, short_abandon=short) + ")"
    return out


def _measures() -> list[str]:
    c, sl = _conditions(), THRESHOLDS["sl_seconds"]

    def count(condition: str, name: str) -> str:
        return f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {name}"

    def total(condition: str, value: str, name: str) -> str:
        return f"sum(CASE WHEN {condition} THEN coalesce({value}, 0) ELSE 0 END) AS {name}"

    queued, handled, abandoned, short = c["queued"], c["handled"], c["abandoned"], c["short"]
    timed, worked, wait = c["timed"], c["worked"], "wait_seconds"
    measures = [
        count(queued, "offered"),
        count(handled, "handled"),
        count(f"{abandoned} AND NOT {short}", "abandoned"),
        count(short, "short_abandoned"),
        count(f"{queued} AND outcome = 'flowed_out'", "flowed_out"),
        count(f"{queued} AND outcome = 'callback'", "callbacks"),
        count(f"{queued} AND outcome = 'self_served'", "self_served"),
        count(f"{timed} AND {wait} <= {sl}", "handled_in_sl"),
        count(f"{abandoned} AND NOT {short} AND {wait} <= {sl}", "abandoned_in_sl"),
        count(timed, "handled_with_wait"),
        total(timed, wait, "wait_sum"),
        total(timed, f"{wait} * {wait}", "wait_sq"),
        count(worked, "handled_with_talk"),
        total(worked, "talk_seconds", "talk_sum"),
        total(worked, HOLD, "hold_sum"),
        total(worked, f"{HOLD} * {HOLD}", "hold_sq"),
        total(worked, "acw_seconds", "acw_sum"),
        total(worked, HANDLE, "handle_sum"),
        total(worked, f"{HANDLE} * {HANDLE}", "handle_sq"),
        count(f"{handled} AND is_transferred", "transfers"),
        count(f"{handled} AND is_escalated", "escalations"),
        count(c["eligible"], "fcr_eligible"),
        count(f"{c['eligible']} AND NOT is_repeated", "fcr_resolved"),
        count(f"{handled} AND is_resolved IS NOT NULL", "reported_answered"),
        count(f"{handled} AND is_resolved", "reported_resolved"),
        count(c["bot"], "bot_sessions"),
        count(f"{c['bot']} AND outcome = 'self_served' AND NOT is_returned", "bot_contained"),
    ]
    for name, value, include in (("wait", wait, timed), ("handle", HANDLE, worked)):
        edges = histogram.HISTOGRAMS[name]
        for i, column in enumerate(histogram.columns(name)):
            inside = [include, f"{value} IS NOT NULL"]
            if i > 0:
                inside.append(f"{value} >= {edges[i]}")
            if i + 1 < len(edges):
                inside.append(f"{value} < {edges[i + 1]}")
            measures.append(count(" AND ".join(inside), column))
    return measures


def duckdb_rollup(parquet: str) -> str:
    """DuckDB SQL for the rollup of a canonical contacts Parquet file, repeats by ASOF joins."""
    dimensions = ", ".join(DIMENSIONS)
    return f"""
WITH contacts AS (
    SELECT *, arrived_at + INTERVAL {CHAIN_MINUTES} MINUTE AS chain_end
    FROM read_parquet('{parquet}')
),
keyed AS (
    SELECT customer_key, arrived_at AS later_at FROM contacts WHERE customer_key IS NOT NULL
),
repeated AS (
    SELECT c.*, k.later_at AS repeat_at
    FROM contacts c ASOF LEFT JOIN keyed k
    ON c.customer_key = k.customer_key AND c.chain_end < k.later_at
),
flagged AS (
    SELECT r.*,
        coalesce(r.customer_key IS NOT NULL
                 AND r.repeat_at <= r.arrived_at + INTERVAL {FCR_HOURS} HOUR, false) AS is_repeated,
        coalesce(r.customer_key IS NOT NULL
                 AND k.later_at <= r.arrived_at + INTERVAL 24 HOUR, false) AS is_returned
    FROM repeated r ASOF LEFT JOIN keyed k
    ON r.customer_key = k.customer_key AND r.arrived_at < k.later_at
)
SELECT time_bucket(INTERVAL 15 MINUTE, arrived_at) AS interval_start, {dimensions},
    {", ".join(_measures())}
FROM flagged
GROUP BY ALL
"""


def _flags(frame: Any) -> Any:
    """is_repeated and is_returned by two merge_asof passes, as metrics.repeats.flag does."""
    import pandas as pd

    later = frame.loc[frame["customer_key"].notna(), ["customer_key", "arrived_at"]]
    later = later.rename(columns={"arrived_at": "later_at"}).sort_values("later_at")
    known = frame["customer_key"].notna()
    for name, after, window in (
        ("is_repeated", pd.Timedelta(minutes=CHAIN_MINUTES), pd.Timedelta(hours=FCR_HOURS)),
        ("is_returned", pd.Timedelta(0), pd.Timedelta(hours=24)),
    ):
        probe = (frame["arrived_at"] + after).astype(later["later_at"].dtype)
        frame = frame.assign(_probe=probe).sort_values("_probe")
        joined = pd.merge_asof(
            frame,
            later,
            left_on="_probe",
            right_on="later_at",
            by="customer_key",
            direction="forward",
            allow_exact_matches=False,
        )
        joined.index = frame.index
        frame[name] = (known & (joined["later_at"] <= frame["arrived_at"] + window)).fillna(False)
    return frame.drop(columns="_probe")


def pandas_rollup(parquet: str) -> Any:
    """The rollup in pandas: read_parquet, repeat flags, 0/1 measure columns, groupby sum."""
    import pandas as pd

    frame = _flags(pd.read_parquet(parquet))
    s, sl = THRESHOLDS["short_abandon_seconds"], THRESHOLDS["sl_seconds"]
    f = frame
    outcome, wait, talk = f["outcome"], f["wait_seconds"], f["talk_seconds"]
    agent = f["channel"] != "bot"
    queued = agent & (f["direction"] == "inbound")
    abandoned = queued & (outcome == "abandoned")
    short = abandoned & wait.notna() & (wait <= s)
    handled = queued & (outcome == "handled")
    worked = agent & (outcome == "handled") & talk.notna()
    timed = handled & wait.notna()
    hold = f["hold_seconds"].fillna(0.0)
    handle = talk + hold + f["acw_seconds"].fillna(0.0)
    bot = f["channel"] == "bot"
    eligible = handled & f["customer_key"].notna()
    flag = lambda series: series.fillna(False).astype(bool)  # noqa: E731
    measures = {
        "offered": queued,
        "handled": handled,
        "abandoned": abandoned & ~short,
        "short_abandoned": short,
        "flowed_out": queued & (outcome == "flowed_out"),
        "callbacks": queued & (outcome == "callback"),
        "self_served": queued & (outcome == "self_served"),
        "handled_in_sl": timed & (wait <= sl),
        "abandoned_in_sl": abandoned & ~short & (wait <= sl),
        "handled_with_wait": timed,
        "wait_sum": wait.where(timed, 0.0).fillna(0.0),
        "wait_sq": (wait * wait).where(timed, 0.0).fillna(0.0),
        "handled_with_talk": worked,
        "talk_sum": talk.where(worked, 0.0).fillna(0.0),
        "hold_sum": hold.where(worked, 0.0),
        "hold_sq": (hold * hold).where(worked, 0.0),
        "acw_sum": f["acw_seconds"].where(worked, 0.0).fillna(0.0),
        "handle_sum": handle.where(worked, 0.0).fillna(0.0),
        "handle_sq": (handle * handle).where(worked, 0.0).fillna(0.0),
        "transfers": handled & flag(f["is_transferred"]),
        "escalations": handled & flag(f["is_escalated"]),
        "fcr_eligible": eligible,
        "fcr_resolved": eligible & ~f["is_repeated"],
        "reported_answered": handled & f["is_resolved"].notna(),
        "reported_resolved": handled & flag(f["is_resolved"]),
        "bot_sessions": bot,
        "bot_contained": bot & (outcome == "self_served") & ~f["is_returned"],
    }
    for name, value, include in (("wait", wait, timed), ("handle", handle, worked)):
        edges = histogram.HISTOGRAMS[name]
        for i, column in enumerate(histogram.columns(name)):
            inside = include & value.notna()
            if i > 0:
                inside &= value >= edges[i]
            if i + 1 < len(edges):
                inside &= value < edges[i + 1]
            measures[column] = inside
    columns = {k: v.astype("int64") if v.dtype == bool else v for k, v in measures.items()}
    table = pd.DataFrame(columns, index=f.index)
    table["interval_start"] = f["arrived_at"].dt.floor("15min")
    for dimension in DIMENSIONS:
        table[dimension] = f[dimension]
    return table.groupby(list(KEYS), dropna=False, sort=False).sum().reset_index()


def pandas_simple_rollup(frame: Any) -> Any:
    """The pandas pipeline's own rollup of the CSV frame: counts and sums by interval."""
    from benchmarks.data import HEADERS

    h = HEADERS
    inbound = (frame[h["direction"]] == "inbound") & (frame[h["channel"]] != "bot")
    handled = inbound & (frame[h["outcome"]] == "handled")
    table = frame[[h[d] for d in DIMENSIONS]].copy()
    table["interval_start"] = frame[h["arrived_at"]].dt.floor("15min")
    table["offered"] = inbound.astype("int64")
    table["handled"] = handled.astype("int64")
    table["abandoned"] = (inbound & (frame[h["outcome"]] == "abandoned")).astype("int64")
    for column in ("wait_seconds", "talk_seconds", "hold_seconds", "acw_seconds"):
        table[column] = frame[h[column]].where(handled, 0.0).fillna(0.0)
    keys = ["interval_start", *(h[d] for d in DIMENSIONS)]
    return table.groupby(keys, dropna=False, sort=False).sum().reset_index()

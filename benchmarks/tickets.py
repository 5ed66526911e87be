"""Benchmark tickets: a year of a large centre's tickets as a canonical CSV, its last week, and
the next day's export (the day's new tickets, and the earlier ones solved that day again).

Synthetic, not from the sample generator (whose tickets would mean generating the year's
contacts again): creation times spread over the year, first replies after about 4 hours and
solves after about 2 days, closed 4 days after the solve, 4 % complaints. A ticket is open if
its solve falls after the export; 0.3 % are never solved (the backlog's long tail).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR, DAY, HOUR = 365 * 86400, 86400, 3600


def _times(seconds: np.ndarray) -> pl.Series:
    """UTC times `seconds` after START (NaN: null)."""
    epochs = pl.Series(np.round(START.timestamp() + seconds), nan_to_null=True).cast(pl.Int64)
    return pl.from_epoch(epochs, time_unit="s").dt.replace_time_zone("UTC")


def _tickets(rng: np.random.Generator, created: np.ndarray, export: float, prefix: str):
    """Tickets created at `created` (seconds after START) as an export at `export` shows them."""
    n = len(created)
    reply = created + rng.exponential(4 * HOUR, n)
    solve = np.where(rng.random(n) < 0.003, np.inf, created + rng.exponential(2 * DAY, n))
    close = solve + 4 * DAY
    status = np.where(close <= export, "closed", np.where(solve <= export, "solved", "open"))
    seen = lambda t: np.where(t <= export, t, np.nan)  # noqa: E731 (a known time, or null)
    return pl.DataFrame(
        {
            "ticket_id": [f"{prefix}{i}" for i in range(n)],
            "status": status,
            "created_at": _times(created),
            "first_reply_at": _times(seen(reply)),
            "solved_at": _times(seen(solve)),
            "closed_at": _times(seen(close)),
            "queue": rng.choice(["Refills", "Billing", "Prior auth", "Complaints"], n),
            "agent_id": [f"A{i:03d}" for i in rng.integers(0, 278, n)],
            "is_complaint": rng.random(n) < 0.04,
            "customer_key": [f"+1 555 {i:07d}" for i in rng.integers(0, 2_000_000, n)],
        }
    )


def make(folder: Path, count: int) -> dict[str, Path]:
    """`year.csv` of `count` tickets, `week.csv` of its last seven days' and `day.csv` (cached)."""
    target = Path(folder) / f"tickets-{count}"
    paths = {name: target / f"{name}.csv" for name in ("year", "week", "day")}
    if all(p.exists() for p in paths.values()):
        return paths
    rng = np.random.default_rng(11)
    year = _tickets(rng, np.sort(rng.uniform(0, YEAR, count)), YEAR, "T")
    week = year.filter(pl.col("created_at") >= START + timedelta(seconds=YEAR - 7 * DAY))
    solved = START + timedelta(seconds=YEAR + DAY / 2)
    again = week.filter(status="open").sample(fraction=0.4, seed=1)
    again = again.with_columns(status=pl.lit("solved"), solved_at=pl.lit(solved))
    created = YEAR + np.sort(rng.uniform(0, DAY, max(1, count // 365)))
    day = pl.concat([_tickets(rng, created, YEAR + DAY, "N"), again], how="vertical_relaxed")
    target.mkdir(parents=True, exist_ok=True)
    for name, frame in (("year", year), ("week", week), ("day", day)):
        frame.write_csv(paths[name].with_suffix(".partial"))
        paths[name].with_suffix(".partial").rename(paths[name])
    return paths


def main(argv: list[str]) -> int:
    """`python -m benchmarks.tickets FOLDER COUNT`: make the files, print their paths as JSON."""
    paths = make(Path(argv[0]), int(argv[1]))
    print(json.dumps({name: str(path) for name, path in paths.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

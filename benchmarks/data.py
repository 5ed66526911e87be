"""Benchmark data from the sample generator: a year of contacts as a generic CSV and Parquet.

A size of N contacts is made of sites of 1 M contacts (times --scale): the first is a year of
the sample centre from the generator, sized to hold that many contacts; the others are copies
of it with their own ids, agents and customers (the site's prefix), because the generator is a
Python queue simulation that takes minutes per million contacts on this machine. Files are
kept under the work folder and reused.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import polars as pl

from sample_data import generate

END = dt.date(2025, 12, 31)
DAYS = 365
TIMEZONE = "America/New_York"
CONTACTS_PER_YEAR_AT_SCALE_1 = 208_800  # the sample centre: about 572 contacts a day
LOCAL = "%Y-%m-%d %H:%M:%S"

# The generic CSV's headers, as a vendor export might name them (canonical column -> header).
HEADERS = {
    "contact_id": "Call ID",
    "parent_contact_id": "Parent Call ID",
    "channel": "Channel",
    "direction": "Direction",
    "queue": "Queue",
    "team": "Team",
    "agent_id": "Agent",
    "segment": "Segment",
    "reason": "Reason",
    "customer_key": "Caller",
    "arrived_at": "Arrived",
    "answered_at": "Answered",
    "ended_at": "Ended",
    "wait_seconds": "Wait (s)",
    "talk_seconds": "Talk (s)",
    "hold_seconds": "Hold (s)",
    "acw_seconds": "ACW (s)",
    "outcome": "Outcome",
    "is_transferred": "Transferred",
    "is_escalated": "Escalated",
    "is_resolved": "Resolved",
    "updated_at": "Updated",
}
TIMES = ("arrived_at", "answered_at", "ended_at", "updated_at")
NUMBERS = ("wait_seconds", "talk_seconds", "hold_seconds", "acw_seconds")
FLAGS = ("is_transferred", "is_escalated", "is_resolved")
IDS = ("contact_id", "parent_contact_id", "agent_id", "customer_key")  # prefixed by the site


def mapping_text() -> str:
    """The generic mapping of the benchmark CSV (explicit timestamp formats, local times)."""
    lines = [
        "[source]",
        'name = "bench"',
        'kind = "contacts"',
        f'timezone = "{TIMEZONE}"',
        'delimiter = ","',
        "",
        "[columns]",
    ]
    for column, header in HEADERS.items():
        if column in TIMES:
            lines.append(f'{column} = {{ column = "{header}", format = "{LOCAL}" }}')
        else:
            lines.append(f'{column} = "{header}"')
    return "\n".join(lines) + "\n"


def site(index: int, rows: int) -> pl.DataFrame:
    """`rows` contacts of one site: a year of the sample centre sized to hold at least that."""
    scale = rows * 1.15 / CONTACTS_PER_YEAR_AT_SCALE_1
    frames = generate.generate(days=DAYS, scale=scale, seed=100 + index, end=END, timezone=TIMEZONE)
    prefix = f"S{index}-"
    contacts = frames["contacts"].with_columns((pl.lit(prefix) + pl.col(c)).alias(c) for c in IDS)
    return contacts.sort("arrived_at").head(rows)


def as_csv(contacts: pl.DataFrame) -> pl.DataFrame:
    """The contacts as the generic export writes them: local times to the second, headers."""
    return contacts.select(
        *(
            pl.col(c).dt.convert_time_zone(TIMEZONE).dt.strftime(LOCAL).alias(c)
            if c in TIMES
            else pl.col(c).round(1).alias(c)
            if c in NUMBERS
            else pl.col(c)
            for c in HEADERS
        )
    ).rename(HEADERS)


def _site(folder: Path, index: int, rows: int) -> Path:
    """One site's contacts as canonical Parquet, kept; sites after the first copy it."""
    path = folder / f"sites-{rows}" / f"site-{index}.parquet"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    if index == 0:
        contacts = site(0, rows)
    else:
        first = pl.read_parquet(_site(folder, 0, rows))
        contacts = first.with_columns(
            pl.col(c).str.replace("S0-", f"S{index}-", literal=True) for c in IDS
        )
    contacts.write_parquet(path.with_suffix(".partial"))
    path.with_suffix(".partial").rename(path)
    print(f"  site {index}: {contacts.height:,} contacts", file=sys.stderr, flush=True)
    return path


def prepare(folder: Path, rows: int, *, site_rows: int) -> dict[str, Path]:
    """The CSV, canonical Parquet and mapping of `rows` contacts (cached); their paths."""
    folder = Path(folder)
    target = folder / f"contacts-{rows}"
    paths = {
        "csv": target / "contacts.csv",
        "parquet": target / "contacts.parquet",
        "mapping": target / "mapping.toml",
    }
    if all(p.exists() for p in paths.values()):
        return paths
    site_rows = min(site_rows, rows)
    sites = [_site(folder, i, site_rows) for i in range(-(-rows // site_rows))]
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)
    partial.mkdir(parents=True)
    with (partial / "contacts.csv").open("wb") as out:
        for index, part in enumerate(sites):
            as_csv(pl.read_parquet(part)).write_csv(out, include_header=index == 0)
    pl.scan_parquet(sites).head(rows).sink_parquet(partial / "contacts.parquet")
    (partial / "mapping.toml").write_text(mapping_text())
    partial.rename(target)
    return paths


def next_day(paths: dict[str, Path]) -> dict[str, Path]:
    """Beside a size's files (cached): `week.csv`, its last seven full local days, and
    `day.csv`, the last of them again two days later under new contact ids (the same agents
    and callers): the next day's export, to load into a store of a week or of the whole year."""
    folder = paths["csv"].parent
    out = {"week": folder / "week.csv", "day": folder / "day.csv"}
    if all(p.exists() for p in out.values()):
        return out
    contacts = pl.read_parquet(paths["parquet"])
    local = pl.col("arrived_at").dt.convert_time_zone(TIMEZONE).dt.date()
    last = contacts.select(local.max()).item() - dt.timedelta(days=1)  # the last may be cut
    week = contacts.filter(local.is_between(last - dt.timedelta(days=6), last))
    day = contacts.filter(local == last).with_columns(
        *(pl.col(c) + dt.timedelta(days=2) for c in TIMES),
        *((pl.lit("N-") + pl.col(c)).alias(c) for c in ("contact_id", "parent_contact_id")),
    )
    for name, frame in (("week", week), ("day", day)):
        partial = out[name].with_suffix(".partial")
        as_csv(frame).write_csv(partial)
        partial.rename(out[name])
    return out


def main(argv: list[str]) -> int:
    """`python -m benchmarks.data FOLDER ROWS SITE_ROWS`: prepare the files, print their paths
    (with the next day's) as JSON. The runner calls this in a child process: the kernel carries
    a process's peak memory into the cases it starts, so the runner must stay small."""
    folder, rows, site_rows = Path(argv[0]), int(argv[1]), int(argv[2])
    paths = prepare(folder, rows, site_rows=site_rows)
    paths |= next_day(paths)
    print(json.dumps({name: str(path) for name, path in paths.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

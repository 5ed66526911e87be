"""One measured case per call, run in its own process: `python -m benchmarks.cases NAME ARGS`.

Prints one JSON object: `seconds` (wall time of the timed part only), `cpu_seconds` (this
process's CPU time in it, all threads; a database server's own CPU is not counted),
`peak_rss_mb` (the whole process, read from the kernel at exit) and what the case adds (rows,
column totals for the rollup check).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks import baselines, data

CASES: dict[str, Callable[..., dict[str, Any]]] = {}
FCR_WINDOW = timedelta(hours=168)  # the settings' default, used by every rollup below
DUCKDB_MEMORY = "12GB"  # about what our rollup of 10 M contacts peaks at


def case(function: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    CASES[function.__name__] = function
    return function


def settings(url: str, work: str) -> Any:
    """The CarePulse settings of a benchmark store (defaults, a fixed hash key)."""
    from carepulse.settings import Settings

    return Settings(database_url=url, data_dir=Path(work), hash_key="benchmark")


def schema() -> dict[str, pl.DataType]:
    """The benchmark CSV's columns with their types: the parse floor's explicit schema."""
    types: dict[str, pl.DataType] = {}
    for column, header in data.HEADERS.items():
        if column in data.TIMES:
            types[header] = pl.Datetime("us")
        elif column in data.NUMBERS:
            types[header] = pl.Float64
        elif column in data.FLAGS:
            types[header] = pl.Boolean
        else:
            types[header] = pl.String
    return types


CPU: list[float] = []  # this process's CPU seconds (all threads) in each timed part


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds of the action, and its result; its CPU seconds go to CPU."""
    start, cpu = time.perf_counter(), time.process_time()
    result = action()
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - start, result


def _ingest(
    url: str, csv: str, mapping: str | None, work: str, *, dry_run: bool
) -> tuple[float, Any]:
    """Our ingest of a CSV into a store (its schema made or upgraded first), timed: generic
    through the mapping, or without one a canonical file (the tickets)."""
    from carepulse import storage
    from carepulse.ingest import ingest

    if not url.startswith("sqlite"):
        # A module load, once per process, like the other imports above; with pandas installed
        # (a benchmark extra) the ADBC driver's import pulls it in and takes seconds.
        import adbc_driver_postgresql.dbapi  # noqa: F401
    engine = storage.connect(url)
    storage.init(engine)
    options = dict(source="generic", mapping=Path(mapping)) if mapping else {}
    options["dry_run"] = dry_run
    chosen = settings(url, work)
    return timed(lambda: ingest(Path(csv), engine=engine, settings=chosen, **options))


@case
def ingest_carepulse(url: str, csv: str, mapping: str | None, work: str) -> dict[str, Any]:
    """Our whole ingest of the generic CSV: parse, validate, hash, upsert, rollups."""
    seconds, summary = _ingest(url, csv, mapping, work, dry_run=False)
    return {"seconds": seconds, "rows": summary.accepted, "quarantined": summary.quarantined}


@case
def ingest_day(url: str, csv: str, mapping: str | None, work: str) -> dict[str, Any]:
    """The next day's export into a stored history, as a dry run: everything but the commit,
    so the store stays as it was for the next run."""
    seconds, summary = _ingest(url, csv, mapping, work, dry_run=True)
    return {"seconds": seconds, "rows": summary.accepted}


@case
def ingest_ticket_day(url: str, csv: str, mapping: None, work: str) -> dict[str, Any]:
    """The next day's ticket export into a stored history, as a dry run (as `ingest_day`)."""
    return ingest_day(url, csv, mapping, work)


@case
def bring_current(url: str, work: str) -> dict[str, Any]:
    """A kept store's schema and rollups made current, outside every timed case: a store from
    an earlier table layout rebuilds once here, not inside the first case that reads it."""
    from carepulse import rollups, storage

    engine = storage.connect(url)
    storage.init(engine)
    seconds, rebuilt = timed(lambda: rollups.ensure_current(engine, settings(url, work)))
    return {"seconds": seconds, "rebuilt": rebuilt}


@case
def parse_floor(csv: str) -> dict[str, Any]:
    """polars.read_csv of the same file with an explicit schema."""
    seconds, frame = timed(lambda: pl.read_csv(csv, schema=schema()))
    return {"seconds": seconds, "rows": frame.height}


def _adbc_connect(url: str) -> Any:
    if url.startswith("sqlite"):
        import adbc_driver_sqlite.dbapi as driver

        return driver.connect(url.removeprefix("sqlite:///"))
    import adbc_driver_postgresql.dbapi as driver

    return driver.connect(url.replace("postgresql+psycopg", "postgresql"))


@case
def bulk_load(url: str, csv: str) -> dict[str, Any]:
    """The bare bulk load (ADBC: COPY on PostgreSQL) of the parsed frame into a new table."""
    table = pl.read_csv(csv, schema=schema()).to_arrow(compat_level=pl.CompatLevel.oldest())
    connection = _adbc_connect(url)

    def load() -> None:
        with connection.cursor() as cursor:
            cursor.adbc_ingest("contacts", table, mode="create")
        connection.commit()

    seconds, _ = timed(load)
    connection.close()
    return {"seconds": seconds, "rows": table.num_rows}


@case
def pandas_pipeline(url: str, csv: str) -> dict[str, Any]:
    """A straightforward pandas pipeline: read_csv, to_sql, groupby rollup, to_sql."""
    import pandas as pd
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    times = [data.HEADERS[c] for c in data.TIMES]

    def run() -> int:
        frame = pd.read_csv(csv, parse_dates=times, date_format=data.LOCAL)
        frame.to_sql("contacts", engine, index=False, chunksize=100_000)
        rolled = baselines.pandas_simple_rollup(frame)
        rolled.to_sql("contact_intervals", engine, index=False, chunksize=100_000)
        return len(frame)

    seconds, rows = timed(run)
    return {"seconds": seconds, "rows": rows}


def _rollup_result(seconds: float, frame: pl.DataFrame, parquet: str) -> dict[str, Any]:
    """Time, contacts rolled up, groups made, and every measure's total (for the check)."""
    totals = frame.select(pl.exclude(*baselines.KEYS).cast(pl.Float64).sum()).row(0, named=True)
    rows = pl.scan_parquet(parquet).select(pl.len()).collect().item()
    return {"seconds": seconds, "rows": rows, "groups": frame.height, "totals": totals}


@case
def rollup_carepulse(parquet: str) -> dict[str, Any]:
    """metrics.rollup.roll_up_contacts over the canonical Parquet (repeat flags included)."""
    from metrics import rollup

    def run() -> pl.DataFrame:
        return rollup.roll_up_contacts(
            pl.scan_parquet(parquet), **baselines.THRESHOLDS, fcr_window=FCR_WINDOW
        ).collect()

    return _rollup_result(*timed(run), parquet)


@case
def rollup_duckdb(parquet: str) -> dict[str, Any]:
    """The same aggregation written in DuckDB SQL over the same Parquet file."""
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    # Without a limit DuckDB took 18.6 GB on 10 M contacts and was killed (24 GB, shared);
    # with one it spills to disk beside the data, as it is meant to.
    spill = Path(parquet).parent / "duckdb.tmp"
    connection.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    connection.execute(f"SET temp_directory = '{spill}'")
    query = baselines.duckdb_rollup(parquet)
    seconds, frame = timed(lambda: pl.from_arrow(connection.sql(query).to_arrow_table()))
    return _rollup_result(seconds, frame, parquet)


@case
def rollup_pandas(parquet: str) -> dict[str, Any]:
    """The same aggregation in pandas (read_parquet, merge_asof for repeats, groupby)."""
    seconds, frame = timed(lambda: baselines.pandas_rollup(parquet))
    return _rollup_result(seconds, pl.from_pandas(frame), parquet)


def _year(url: str, work: str) -> tuple[Any, Any, date, date]:
    from carepulse import storage

    end = data.END
    return storage.connect(url), settings(url, work), end - timedelta(days=data.DAYS - 1), end


@case
def evaluate_carepulse(url: str, work: str, by: str) -> dict[str, Any]:
    """query.kpis: every catalog KPI over a year of stored intervals, grouped by `by`."""
    from carepulse import query

    engine, chosen, start, end = _year(url, work)
    seconds, frame = timed(lambda: query.kpis(engine, chosen, start=start, end=end, by=(by,)))
    return {"seconds": seconds, "rows": frame.height, "kpis": frame["kpi"].n_unique()}


@case
def read_intervals(url: str, work: str) -> dict[str, Any]:
    """query.load alone: reading the year's interval tables, the floor under evaluate."""
    from carepulse import query

    engine, chosen, start, end = _year(url, work)
    seconds, frames = timed(lambda: query.load(engine, start, end, chosen.timezone))
    return {"seconds": seconds, "rows": sum(f.height for f in frames.values())}


def _app_run(url: str, work: str) -> tuple[float, Any]:
    from streamlit.testing.v1 import AppTest

    from carepulse import settings as settings_module

    os.environ["CAREPULSE_DATABASE_URL"] = url
    os.environ["CAREPULSE_DATA_DIR"] = work
    os.environ["CAREPULSE_HASH_KEY"] = "benchmark"
    settings_module.get_settings.cache_clear()
    app = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"))
    app.default_timeout = 3600
    seconds, _ = timed(app.run)
    if app.exception:
        raise RuntimeError(f"the overview failed: {app.exception}")
    return seconds, app


@case
def overview(url: str, work: str, warm_url: str) -> dict[str, Any]:
    """The Overview page's script time (AppTest), first view after a data change, then a rerun.

    A first run on another store loads the modules, so only the page's own work is timed (as
    in a server that has shown a page before); pandas, a benchmark extra that Streamlit's
    table code imports when present, is loaded too, since the warm-up page may show no table.
    """
    import importlib.util

    if importlib.util.find_spec("pandas"):
        import pandas  # noqa: F401
    _app_run(warm_url, work)
    first, app = _app_run(url, work)
    again, _ = timed(app.run)
    return {"seconds": first, "rerun_seconds": again, "tiles": len(app.metric)}


@case
def pdf_report(url: str, work: str) -> dict[str, Any]:
    """`carepulse report` of the last quarter of the stored year, to a PDF file."""
    from benchmarks import pdf
    from carepulse import cli
    from carepulse import settings as settings_module

    os.environ["CAREPULSE_DATABASE_URL"] = url
    os.environ["CAREPULSE_DATA_DIR"] = work
    os.environ["CAREPULSE_HASH_KEY"] = "benchmark"
    settings_module.get_settings.cache_clear()
    out = Path(work) / "scratch" / "quarter.pdf"
    arguments = pdf.command(date(data.END.year, 10, 1).isoformat(), data.END.isoformat(), str(out))
    seconds, code = timed(lambda: cli.main(arguments))
    if code != 0 or not out.exists():
        raise RuntimeError(f"carepulse {' '.join(arguments)} exited {code}")
    return {"seconds": seconds, "bytes": out.stat().st_size}


def main(argv: list[str]) -> int:
    name, arguments = argv[0], json.loads(argv[1])
    result = CASES[name](**arguments)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["cpu_seconds"] = CPU[-1] if CPU else None
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Run the benchmark suite: `python -m benchmarks.run --scale 0.01` (or `make bench SCALE=0.01`).

Every case runs in a fresh process (so its peak RSS is its own), several times, and the median
is reported next to a baseline measured in the same run. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from benchmarks import figures, pdf

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("ingest", "rollup", "evaluate", "overview", "pdf", "day", "tickets")
TICKETS_PER_YEAR = 2_000_000  # a fifth of the contacts of a large centre


class Bench:
    """The run's options, folders and results."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(args.work)
        self.scratch = self.work / "scratch"
        self.results: list[dict[str, Any]] = []
        self.skipped: list[str] = []
        self.pg: str | None = None
        self.current: set[Path] = set()  # kept stores whose rollups this run checked

    def size(self, rows: int) -> int:
        return max(100, round(rows * self.args.scale))

    def files(self, rows: int) -> dict[str, Path]:
        """The data files of `rows` contacts and of the next day (`benchmarks.data`)."""
        started = time.perf_counter()
        paths = self._made("benchmarks.data", rows, self.size(1_000_000))
        print(f"data: {rows:,} contacts ready ({time.perf_counter() - started:.0f} s)", flush=True)
        return paths

    def ticket_files(self, count: int) -> dict[str, Path]:
        """A year of `count` tickets, its last week and the next day (`benchmarks.tickets`)."""
        return self._made("benchmarks.tickets", count)

    def _made(self, module: str, *arguments: object) -> dict[str, Path]:
        """The paths of the data files `python -m module` makes (cached in the data folder), run
        in a child process: a process's peak memory carries into the cases it starts (see
        `data.main`), so the runner must stay small."""
        command = [sys.executable, "-m", module, str(self.work / "data"), *map(str, arguments)]
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
        return {k: Path(v) for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}

    def measure(
        self, case: str, arguments: Callable[[], dict[str, Any]], **labels: Any
    ) -> dict[str, Any]:
        """Median of up to --repeats runs (fewer once --budget seconds are spent), each fresh."""
        if case in self.args.skip:
            where = f"{labels.get('size', 0):,} contacts, {labels.get('store')}"
            self.skipped.append(f"{case} at {where}: skipped by --skip")
            print(self.skipped[-1], flush=True)
            return {}
        runs: list[dict[str, Any]] = []
        while len(runs) < self.args.repeats:
            runs.append(run_case(case, arguments()))
            if sum(r["seconds"] for r in runs) > self.args.budget:
                break
        result = {
            **labels,
            "case": case,
            "seconds": statistics.median(r["seconds"] for r in runs),
            "runs": len(runs),
            "cpu_seconds": _median([r.get("cpu_seconds") for r in runs]),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "rows": runs[-1].get("rows"),
            "detail": runs,
        }
        self.results.append(result)
        print(figures.line(result), flush=True)
        self.save()
        return result

    def save(self) -> None:
        """Write the JSON so far (a long run that is stopped keeps what it measured)."""
        out = {"scale": self.args.scale, "machine": machine(), "load": os.getloadavg()}
        out |= {"figures": figures.figures(self.results), "skipped": self.skipped}
        out |= {"cases": self.results}
        self.args.out.write_text(json.dumps(out, indent=2, default=str) + "\n")


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def run_case(case: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """One case in a fresh interpreter; its JSON result."""
    command = [sys.executable, "-m", "benchmarks.cases", case, json.dumps(arguments)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def sqlite_store(bench: Bench, name: str) -> str:
    """A fresh SQLite file in the scratch folder; its URL."""
    path = bench.scratch / f"{name}.db"
    for leftover in bench.scratch.glob(f"{name}.db*"):
        leftover.unlink()
    return f"sqlite:///{path}"


_counter = iter(range(1_000_000))


def pg_store(bench: Bench) -> str:
    """A new, empty database on the run's PostgreSQL server; its URL."""
    assert bench.pg is not None
    name = f"bench_{next(_counter)}"
    admin = sa.create_engine(bench.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return bench.pg.rsplit("/", 1)[0] + f"/{name}"


def stores(bench: Bench, *, largest: bool) -> list[tuple[str, Callable[[str], str]]]:
    found = [("sqlite", lambda name: sqlite_store(bench, name))]
    if bench.pg:
        found.append(("postgresql", lambda name: pg_store(bench)))
    if largest:
        found = [(name, fresh) for name, fresh in found if name in bench.args.large_stores]
    return found


def keep_store(bench: Bench, url: str, name: str) -> None:
    """Keep the last SQLite store of our ingest for the evaluate and overview cases."""
    kept = bench.work / "stores" / f"{name}.db"
    kept.parent.mkdir(parents=True, exist_ok=True)
    source = Path(url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        target = kept.with_name(kept.name + suffix)
        target.unlink(missing_ok=True)
        if source.with_name(source.name + suffix).exists():
            shutil.move(source.with_name(source.name + suffix), target)


def current(bench: Bench, kept: Path) -> str:
    """The URL of a kept store, its rollups rebuilt first if an earlier version made them."""
    url = f"sqlite:///{kept}"
    if kept not in bench.current:
        done = run_case("bring_current", {"url": url, "work": str(bench.work)})
        if done["rebuilt"]:
            print(f"store {kept.name}: rollups rebuilt ({done['seconds']:.0f} s)", flush=True)
        bench.current.add(kept)
    return url


def stored(bench: Bench, rows: int, *, week: bool = False) -> str:
    """The URL of the kept SQLite store of `rows` contacts (`week`: of their last week's),
    ingesting it when missing."""

    def arguments(url: str) -> dict[str, Any]:
        files = bench.files(rows)
        return ingest_arguments(bench, url, {**files, "csv": files["week"]} if week else files)

    return _kept(bench, f"week-{rows}" if week else f"contacts-{rows}", arguments)


def stored_tickets(bench: Bench, count: int, history: str) -> str:
    """The URL of the kept SQLite store of a year's tickets or of its last week's."""

    def arguments(url: str) -> dict[str, Any]:
        return ticket_arguments(bench, url, bench.ticket_files(count)[history])

    return _kept(bench, f"tickets-{history}-{count}", arguments)


def _kept(bench: Bench, name: str, arguments: Callable[[str], dict[str, Any]]) -> str:
    """The URL of the kept store `name`, made by our ingest (of `arguments(url)`) if missing,
    and brought current."""
    kept = bench.work / "stores" / f"{name}.db"
    if not kept.exists():
        url = sqlite_store(bench, "store")
        run_case("ingest_carepulse", arguments(url))
        keep_store(bench, url, name)
    return current(bench, kept)


def ticket_arguments(bench: Bench, url: str, csv: Path) -> dict[str, Any]:
    return {"url": url, "csv": str(csv), "mapping": None, "work": str(bench.work)}


def ingest_arguments(bench: Bench, url: str, files: dict[str, Path]) -> dict[str, Any]:
    return {
        "url": url,
        "csv": str(files["csv"]),
        "mapping": str(files["mapping"]),
        "work": str(bench.work),
    }


def bench_ingest(bench: Bench) -> None:
    for nominal in bench.args.ingest_sizes:
        rows = bench.size(nominal)
        files = bench.files(rows)
        csv, labels = str(files["csv"]), {"section": "ingest", "size": rows}
        bench.measure("parse_floor", lambda csv=csv: {"csv": csv}, store="-", **labels)
        for store, fresh in stores(bench, largest=nominal == 10_000_000):
            last: dict[str, str] = {}

            def ours(fresh=fresh, files=files, last=last) -> dict[str, Any]:
                last["url"] = fresh("ours")
                return ingest_arguments(bench, last["url"], files)

            bench.measure("ingest_carepulse", ours, store=store, **labels)
            if store == "sqlite" and last:
                keep_store(bench, last["url"], f"contacts-{rows}")
            bulk = lambda fresh=fresh, csv=csv: {"url": fresh("bulk"), "csv": csv}  # noqa: E731
            bench.measure("bulk_load", bulk, store=store, **labels)
            slow = lambda fresh=fresh, csv=csv: {"url": fresh("pandas"), "csv": csv}  # noqa: E731
            bench.measure("pandas_pipeline", slow, store=store, **labels)
            clean_scratch(bench)


def bench_rollup(bench: Bench) -> None:
    rows = bench.size(10_000_000)
    parquet = str(bench.files(rows)["parquet"])
    labels = {"section": "rollup", "size": rows, "store": "-"}
    for case in ("rollup_carepulse", "rollup_duckdb", "rollup_pandas"):
        bench.measure(case, lambda: {"parquet": parquet}, **labels)


def bench_evaluate(bench: Bench) -> None:
    rows = bench.size(10_000_000)
    url, work = stored(bench, rows), str(bench.work)
    labels = {"section": "evaluate", "size": rows, "store": "sqlite"}
    bench.measure("read_intervals", lambda: {"url": url, "work": work}, **labels)
    for by in ("day", "queue"):
        arguments = lambda by=by: {"url": url, "work": work, "by": by}  # noqa: E731
        bench.measure("evaluate_carepulse", arguments, by=by, **labels)


def bench_overview(bench: Bench) -> None:
    work = str(bench.work)
    warm = stored(bench, 50)
    for rows in (bench.size(10_000), bench.size(10_000_000)):
        url = stored(bench, rows)
        arguments = lambda url=url: {"url": url, "work": work, "warm_url": warm}  # noqa: E731
        labels = {"section": "overview", "size": rows, "store": "sqlite"}
        bench.measure("overview", arguments, **labels)


def bench_pdf(bench: Bench) -> None:
    why = pdf.unavailable()
    if why:
        bench.skipped.append(f"pdf: skipped, {why}")
        print(bench.skipped[-1], flush=True)
        return
    url, work = stored(bench, bench.size(10_000_000)), str(bench.work)
    labels = {"section": "pdf", "size": bench.size(10_000_000), "store": "sqlite"}
    bench.measure("pdf_report", lambda: {"url": url, "work": work}, **labels)


def bench_day(bench: Bench) -> None:
    """The next day's export into a store of the whole year and into one of its last week
    (the same contacts a day, little history): what the history itself costs an ingest."""
    rows = bench.size(10_000_000)
    files = bench.files(rows)
    day = {**files, "csv": files["day"]}
    for history in ("week", "year"):
        url = stored(bench, rows, week=history == "week")
        labels = {"section": "day", "size": rows, "store": "sqlite", "history": history}
        bench.measure("ingest_day", lambda url=url: ingest_arguments(bench, url, day), **labels)


def bench_tickets(bench: Bench) -> None:
    """The next day's ticket export (new tickets, and earlier ones solved that day) into a
    store of a year's tickets and into one of its last week's, as `bench_day` for contacts."""
    count = bench.size(TICKETS_PER_YEAR)
    day = bench.ticket_files(count)["day"]
    for history in ("week", "year"):
        url = stored_tickets(bench, count, history)
        labels = {"section": "tickets", "size": count, "store": "sqlite", "history": history}
        arguments = lambda url=url: ticket_arguments(bench, url, day)  # noqa: E731
        bench.measure("ingest_ticket_day", arguments, **labels)


def clean_scratch(bench: Bench) -> None:
    """Remove the scratch SQLite files and the run's PostgreSQL databases."""
    shutil.rmtree(bench.scratch, ignore_errors=True)
    bench.scratch.mkdir(parents=True)
    if bench.pg:
        admin = sa.create_engine(bench.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            names = connection.execute(
                sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'bench_%'")
            ).scalars()
            for name in list(names):
                connection.execute(sa.text(f"DROP DATABASE {name}"))
        admin.dispose()


@contextmanager
def postgres(bench: Bench) -> Iterator[None]:
    """A throwaway PostgreSQL server for the run, when one can be started here."""
    from tests import pgserver

    why = pgserver.unavailable()
    if why:
        bench.skipped.append(f"postgresql: skipped, {why}")
        print(bench.skipped[-1], flush=True)
        yield
        return
    with pgserver.server() as url:
        bench.pg = url
        try:
            yield
        finally:
            clean_scratch(bench)
            bench.pg = None


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="row counts times this")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case (median)")
    parser.add_argument("--budget", type=float, default=240, help="stop repeating after (s)")
    parser.add_argument("--work", default=os.environ.get("BENCH_DIR", "/tmp/carepulse-bench"))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS)
    parser.add_argument(
        "--ingest-sizes", nargs="+", type=int, default=(1_000_000, 10_000_000), metavar="N"
    )
    parser.add_argument("--skip", nargs="+", default=(), metavar="CASE", help="cases to leave out")
    parser.add_argument(
        "--large-stores",
        nargs="+",
        choices=("sqlite", "postgresql"),
        default=("sqlite", "postgresql"),
        help="stores to ingest the largest size into",
    )
    args = parser.parse_args(argv)
    bench = Bench(args)
    clean_scratch(bench)
    needs_pg = "ingest" in args.only
    with postgres(bench) if needs_pg else nullcontext():
        for section in args.only:
            globals()[f"bench_{section}"](bench)
    clean_scratch(bench)
    bench.save()
    print()
    print(figures.table(figures.figures(bench.results), bench.skipped, bench.results))
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The `carepulse` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, date
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

import connectors
from carepulse import (
    access,
    audit,
    exports,
    formatting,
    periods,
    query,
    rollups,
    sample,
    selection,
    storage,
    summaries,
)
from carepulse import ingest as ingest_module
from carepulse.ingest import IngestFailed, RunSummary, ingest_file
from carepulse.settings import get_settings
from metrics import evaluate
from metrics.errors import CarePulseError


def _engine() -> sa.Engine:
    engine = storage.connect(get_settings().database)
    storage.init(engine)
    return engine


def _line(summary: RunSummary) -> str:
    name = Path(summary.file).name
    if summary.status == "failed":
        run = f" [run {summary.run_id}]" if summary.run_id else ""
        return f"{name}: failed, nothing stored{run}\n  {summary.error}"
    text = (
        f"{name}: {summary.kind} via {summary.source} — {summary.read:,} read, "
        f"{summary.accepted:,} accepted ({summary.updated:,} updated), "
        f"{summary.quarantined:,} quarantined, {summary.duplicates:,} duplicates "
        f"[run {summary.run_id}]"
    )
    if summary.status == "dry run":
        text = text.replace(f" [run {summary.run_id}]", " [dry run: nothing stored]")
        text += "".join(f"\n  row {r['row_number']}: {r['reason']}" for r in summary.rejected[:20])
    elif summary.quarantined:
        text += f"\n  see why: carepulse quarantine {summary.run_id}"
    return "".join([text, *(f"\n  note: {note}" for note in summary.notes)])


def _ingest_one(path: Path, args: argparse.Namespace, engine: sa.Engine) -> list[RunSummary]:
    """One run per kind the file holds (a ticket export with ratings holds two)."""
    try:
        return ingest_file(
            path,
            engine=engine,
            settings=get_settings(),
            source=args.source,
            timezone=args.timezone,
            source_name=args.source_name,
            mapping=args.mapping,
            dry_run=getattr(args, "dry_run", False),
        )
    except IngestFailed as failure:
        return failure.summaries
    except CarePulseError as error:  # rejected before a run began (no file, unknown format)
        failed = RunSummary(run_id=0, file=str(path), sha256="", source=args.source or "")
        failed.status, failed.error = "failed", str(error)
        return [failed]


def cmd_ingest(args: argparse.Namespace) -> int:
    engine, failed = _engine(), 0
    for path in args.files:
        for summary in _ingest_one(Path(path), args, engine):
            failed += summary.status == "failed"
            print(json.dumps(summary.as_dict()) if args.json else _line(summary), flush=True)
    return 1 if failed else 0


def cmd_sample(args: argparse.Namespace) -> int:
    engine = _engine()
    if args.if_empty and any(storage.counts(engine).values()):
        print("The database already has data; sample not loaded.")
        return 0
    if any(v is not None for v in (args.days, args.scale, args.seed, args.end)):
        return _generate_and_load(args)
    return _load_sample(args, sample.files())


def _load_sample(args: argparse.Namespace, files: list[Path]) -> int:
    args.files, args.source, args.timezone, args.source_name = files, "canonical", None, None
    args.mapping = None
    args.json = False
    return cmd_ingest(args)


def _generate_and_load(args: argparse.Namespace) -> int:
    from sample_data import generate

    options = {k: getattr(args, k) for k in ("days", "scale", "seed", "end")}
    frames = generate.generate(
        **{k: v for k, v in options.items() if v is not None}, timezone=get_settings().timezone
    )
    with tempfile.TemporaryDirectory() as folder:
        return _load_sample(args, generate.write(frames, Path(folder)))


def cmd_runs(args: argparse.Namespace) -> int:
    runs = storage.runs(_engine(), limit=args.limit)
    if args.json:
        print(json.dumps(runs, default=str))
        return 0
    if not runs:
        print("No ingest runs yet. Load data with: carepulse ingest FILE")
    zone = ZoneInfo(get_settings().timezone)
    print(f"Times in {zone.key}")
    for run in runs:
        started = run["started_at"].replace(tzinfo=run["started_at"].tzinfo or UTC)
        print(
            f"{run['id']:>5}  {started.astimezone(zone):%Y-%m-%d %H:%M}  {run['status']:<9} "
            f"{run['kind'] or '-':<16} read {run['rows_read']:>9,}  accepted "
            f"{run['rows_accepted']:>9,}  quarantined {run['rows_quarantined']:>7,}  "
            f"duplicates {run['rows_duplicate']:>9,}  {run['file_name']}"
        )
    return 0


def cmd_quarantine(args: argparse.Namespace) -> int:
    rows = storage.quarantined(_engine(), args.run_id, limit=args.limit)
    if args.json:
        print(json.dumps(rows))
        return 0
    if not rows:
        print(f"Run {args.run_id} quarantined no rows.")
    for row in rows:
        print(f"row {row['row_number']}: {row['reason']}\n    {row['raw']}")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    deleted = ingest_module.undo(_engine(), args.run_id, get_settings())
    print(
        f"Run {args.run_id} undone: {deleted:,} rows deleted and the rollups they fed re-rolled. "
        "Records it had replaced are not restored; load their file again if you need them."
    )
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    rollups.rebuild(_engine(), get_settings())
    print("Rollups rebuilt from the stored facts with the current settings.")
    return 0


def cmd_kpis(args: argparse.Namespace) -> int:
    settings = get_settings()
    by = [g for part in args.by for g in part.split(",") if g]
    allowed = [
        *evaluate.TIME_GRAINS,
        *dict.fromkeys(d for ds in evaluate.DIMENSIONS.values() for d in ds),
    ]
    unknown = [g for g in by if g not in allowed]
    if unknown:
        raise CarePulseError(
            f"cannot group by {', '.join(unknown)}", hint=f"Use one of: {', '.join(allowed)}."
        )
    engine = _engine()
    f = _selection(args, engine)
    frame = query.kpis(
        engine,
        settings,
        start=f.period.start,
        end=f.period.end,
        by=by,
        keys=args.kpi or None,
        where=f.where_dict(),
    )
    if args.format == "json":
        print(json.dumps(frame.to_dicts(), default=str))
    elif args.format == "csv":
        print(exports.neutralised(frame).write_csv(), end="")
        view = f"kpis ?{selection.query(f)}"
        audit.record(engine, user=audit.operator(), what="KPIs (CSV)", selection=view)
    else:
        print(_table(frame, by, settings.timezone, query.chosen(settings)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from carepulse import report

    settings, engine = get_settings(), _engine()
    f = _selection(args, engine)
    start, end, where = f.period.start, f.period.end, f.where_dict()
    found = query.kpis(engine, settings, start=start, end=end, keys=query.SOMETHING, where=where)
    if not query.anything(found):
        raise CarePulseError(
            f"no contacts, survey answers or tickets in {f.period.label()}: nothing to report",
            hint="Choose a period with data; `carepulse runs` lists what is loaded.",
        )
    document, pdf = report.build(engine, settings, f, paper=args.paper)
    args.out.write_bytes(pdf)
    if args.html:
        args.html.write_text(document, encoding="utf-8")
    view = f"{args.out} ?{selection.query(f)}"
    audit.record(engine, user=audit.operator(), what="report (PDF)", selection=view)
    print(f"{args.out}: {f.period.label()}, {len(pdf):,} bytes")
    return 0


def _selection(args: argparse.Namespace, engine: sa.Engine) -> selection.Filters:
    """The period and filters the options name; values checked against the stored ones."""
    if args.period and (args.start or args.end):
        raise CarePulseError("both --period and --from/--to given", hint="Give one of them.")
    if not args.period and not (args.start and args.end):
        raise CarePulseError(
            "which days?", hint="Give --period (e.g. last-month) or --from DATE --to DATE."
        )
    where = {c: getattr(args, c) for c in selection.DIMENSIONS if getattr(args, c)}
    for column, values in where.items():
        known = summaries.values(engine, column, access.EVERYTHING)
        unknown = [v for v in values if v not in known]
        if unknown:
            raise CarePulseError(
                f"no {column} named {', '.join(map(repr, unknown))} in the data",
                hint=f"Known: {', '.join(known) or 'none'}.",
            )
    anchor = query.latest_day(engine, get_settings().timezone) or date.today()
    return selection.choose(
        args.period or "custom",
        anchor,
        compare=getattr(args, "compare", "none"),
        start=args.start,
        end=args.end,
        where=where,
    )


def _selection_options(parser: argparse.ArgumentParser) -> None:
    """--period or --from/--to, and --queue/--team/--channel/--segment (repeatable)."""
    presets = [p for p in periods.PRESETS if p != "custom"]
    parser.add_argument("--period", choices=presets, help="a period relative to the latest data")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, metavar="DATE")
    parser.add_argument("--to", dest="end", type=date.fromisoformat, metavar="DATE")
    for column, label in selection.DIMENSIONS.items():
        parser.add_argument(
            f"--{column}", action="append", metavar="NAME", help=f"{label}: only these, repeatable"
        )


def _table(frame, by: list[str], timezone: str, kpis) -> str:
    units = {k.key: (k.label, k.unit) for k in kpis}
    header = ["KPI", *by, "value", "target", "status", "n", "95 % interval", "note"]
    lines = []
    for row in frame.iter_rows(named=True):
        label, unit = units[row["kpi"]]
        lines.append(
            [
                label,
                *(str(row[g]) for g in by),
                formatting.value(row["value"], unit),
                formatting.value(row["target"], unit),
                row["status"],
                formatting.count(row["denominator"]),
                formatting.interval(row["ci_low"], row["ci_high"], unit),
                row["note"] or "",
            ]
        )
    widths = [max(len(str(c)) for c in column) for column in zip(header, *lines, strict=True)]
    text = [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *lines]
    ]
    return f"Days in {timezone}\n" + "\n".join(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carepulse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    ingest_cmd = commands.add_parser("ingest", help="load export files into the database")
    ingest_cmd.add_argument("files", nargs="+", metavar="FILE")
    ingest_cmd.add_argument(
        "--source",
        choices=sorted(connectors.REGISTRY),
        help="the file format (default: detected from the content)",
    )
    ingest_cmd.add_argument("--timezone", help="zone of naive timestamps (default: the centre's)")
    ingest_cmd.add_argument("--source-name", help="the rows' source name (default: the format's)")
    ingest_cmd.add_argument(
        "--mapping", type=Path, metavar="FILE", help="a TOML mapping of the file's columns"
    )
    ingest_cmd.add_argument(
        "--dry-run", action="store_true", help="read, check and count, but store nothing"
    )
    ingest_cmd.add_argument("--json", action="store_true", help="one JSON object per file")
    ingest_cmd.set_defaults(run=cmd_ingest)
    sample_cmd = commands.add_parser("sample", help="load the sample contact centre")
    sample_cmd.add_argument("--if-empty", action="store_true", help="only into an empty database")
    sample_cmd.add_argument("--days", type=int, help="generate this many days instead (default 90)")
    sample_cmd.add_argument("--scale", type=float, help="volume multiplier of a generated centre")
    sample_cmd.add_argument("--seed", type=int, help="random seed of a generated centre")
    sample_cmd.add_argument("--end", type=date.fromisoformat, help="last day (default yesterday)")
    sample_cmd.set_defaults(run=cmd_sample)
    runs = commands.add_parser("runs", help="list ingest runs, newest first")
    runs.add_argument("--limit", type=int, default=50)
    runs.add_argument("--json", action="store_true")
    runs.set_defaults(run=cmd_runs)
    quarantine = commands.add_parser("quarantine", help="show the rows a run rejected")
    quarantine.add_argument("run_id", type=int, metavar="RUN_ID")
    quarantine.add_argument("--limit", type=int, default=1000)
    quarantine.add_argument("--json", action="store_true")
    quarantine.set_defaults(run=cmd_quarantine)
    kpis = commands.add_parser("kpis", help="print KPIs for a period")
    _selection_options(kpis)
    kpis.add_argument(
        "--by", action="append", default=[], help="time grain or dimension, repeatable"
    )
    kpis.add_argument("--kpi", action="append", help="a KPI key, repeatable (default: all)")
    kpis.add_argument("--format", choices=("table", "json", "csv"), default="table")
    kpis.set_defaults(run=cmd_kpis)
    undo = commands.add_parser("undo", help="delete the rows an ingest run stored")
    undo.add_argument("run_id", type=int, metavar="RUN_ID")
    undo.set_defaults(run=cmd_undo)
    report_cmd = commands.add_parser("report", help="build the executive PDF report")
    _selection_options(report_cmd)
    report_cmd.add_argument("--compare", choices=list(periods.COMPARISONS), default="previous")
    report_cmd.add_argument("--paper", choices=("a4", "letter"), default="a4")
    report_cmd.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
    report_cmd.add_argument("--html", type=Path, metavar="FILE", help="also save the HTML")
    report_cmd.set_defaults(run=cmd_report)
    rebuild = commands.add_parser("rebuild", help="recompute every rollup from the stored facts")
    rebuild.set_defaults(run=cmd_rebuild)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    try:
        status = args.run(args)
        sys.stdout.flush()  # here, so a reader that stopped early is caught below
        return status
    except CarePulseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `carepulse runs | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no retry at exit
        return 1


if __name__ == "__main__":
    sys.exit(main())

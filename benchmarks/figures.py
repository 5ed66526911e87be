"""Turn measured cases into the issue's figures (ratios against same-run baselines) and a table."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

LABELS = {
    "ingest_carepulse": "CarePulse ingest (CSV -> facts + rollups)",
    "parse_floor": "parse floor: polars.read_csv, explicit schema",
    "bulk_load": "bare bulk load of the parsed frame (ADBC)",
    "pandas_pipeline": "pandas read_csv + to_sql + groupby",
    "rollup_carepulse": "CarePulse rollup (Polars lazy)",
    "rollup_duckdb": "DuckDB SQL rollup",
    "rollup_pandas": "pandas rollup",
    "read_intervals": "read a year of interval tables, every column",
    "evaluate_carepulse": "evaluate every catalog KPI",
    "overview": "Overview page script (AppTest, first view)",
    "pdf_report": "PDF of a quarter (carepulse report)",
    "ingest_day": "next day's CSV, dry run",
    "ingest_ticket_day": "next day's ticket CSV, dry run",
}


def _find(results: list[dict[str, Any]], case: str, **labels: Any) -> dict[str, Any] | None:
    for result in results:
        if result["case"] == case and all(result.get(k) == v for k, v in labels.items()):
            return result
    return None


def _figure(name: str, value: float, target: str, met: bool | None, **extra: Any) -> dict:
    return {"figure": name, "value": value, "target": target, "met": met, **extra}


def _speedup(name: str, ours: dict | None, base: dict | None, at_least: float | None) -> list:
    if not ours or not base:
        return []
    ratio = base["seconds"] / ours["seconds"]
    target = f">= {at_least:g}x" if at_least is not None else "(reference)"
    met = None if at_least is None else ratio >= at_least
    cpu = None
    if base.get("cpu_seconds") and ours.get("cpu_seconds"):
        cpu = base["cpu_seconds"] / ours["cpu_seconds"]
    return [_figure(name, ratio, target, met, size=ours["size"], store=ours["store"], cpu=cpu)]


def _ingest(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    sizes = sorted({r["size"] for r in results if r["case"] == "ingest_carepulse"})
    stores = sorted({r["store"] for r in results if r["case"] == "ingest_carepulse"})
    for store in stores:
        for size in sizes:
            ours = _find(results, "ingest_carepulse", size=size, store=store)
            at = {"size": size, "store": store}
            pandas = _find(results, "pandas_pipeline", **at)
            out += _speedup("ingest: x pandas pipeline", ours, pandas, 5)
            bulk = _find(results, "bulk_load", **at)
            out += _speedup("ingest: speed / bare bulk load", ours, bulk, 0.8)
            floor = _find(results, "parse_floor", size=size)
            out += _speedup("ingest: speed / parse floor", ours, floor, None)
        found = [_find(results, "ingest_carepulse", size=s, store=store) for s in sizes]
        found = [f for f in found if f]
        if len(found) >= 2:
            small, large = found[-2], found[-1]  # the two largest sizes
            ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
            name = f"ingest: peak RSS {large['size']:,} / {small['size']:,} rows"
            out.append(
                _figure(name, ratio, "<= 1.5x", ratio <= 1.5, size=large["size"], store=store)
            )
    return out


def _rollup(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for ours in (r for r in results if r["case"] == "rollup_carepulse"):
        for case, at_least in (("rollup_duckdb", 1), ("rollup_pandas", 3)):
            base = _find(results, case, size=ours["size"])
            out += _speedup(f"rollup: x {LABELS[case].split()[0]}", ours, base, at_least)
            if base:
                out[-1]["same_totals"] = same_totals(ours, base)
    return out


def same_totals(ours: dict[str, Any], base: dict[str, Any]) -> bool:
    """Whether every measure column sums to the same total in both rollups (and row counts)."""
    mine, theirs = ours["detail"][-1]["totals"], base["detail"][-1]["totals"]
    if ours["detail"][-1]["groups"] != base["detail"][-1]["groups"] or set(mine) != set(theirs):
        return False
    return all(abs(mine[k] - theirs[k]) <= 1e-6 * max(1.0, abs(mine[k])) for k in mine)


def _pages(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    pages = sorted((r for r in results if r["case"] == "overview"), key=lambda r: r["size"])
    for page in pages:
        name = f"overview at {page['size']:,} contacts (s)"
        out.append(_figure(name, page["seconds"], "< 1 s", page["seconds"] < 1, size=page["size"]))
    if len(pages) == 2:
        small, large = pages
        ratio = large["seconds"] / small["seconds"]
        cpu = None
        if small.get("cpu_seconds") and large.get("cpu_seconds"):
            cpu = large["cpu_seconds"] / small["cpu_seconds"]
        name = "overview: large / small store"
        out.append(_figure(name, ratio, "<= 1.5x", ratio <= 1.5, cpu=cpu))
    report = _find(results, "pdf_report")
    if report:
        seconds = report["seconds"]
        out.append(_figure("PDF of a quarter (s)", seconds, "< 10 s", seconds < 10))
    return out


def _evaluate(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    floor = _find(results, "read_intervals")
    out = []
    for result in (r for r in results if r["case"] == "evaluate_carepulse"):
        if floor:
            name = f"evaluate by {result['by']}: time / reading the year"
            ratio = result["seconds"] / floor["seconds"]
            out.append(_figure(name, ratio, "(reference)", None, size=result["size"]))
    return out


def _day(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a stored year costs the next day's ingest, against a stored week (our own bar,
    the overview's: the issue asks that cost not grow with history where it need not)."""
    out = []
    for case, what in (("ingest_day", "ingest"), ("ingest_ticket_day", "tickets")):
        week = _find(results, case, history="week")
        year = _find(results, case, history="year")
        if week and year:
            ratio = year["seconds"] / week["seconds"]
            name = f"next day's {what}: year / week stored"
            size = year["size"]
            out.append(_figure(name, ratio, "<= 1.5x", ratio <= 1.5, size=size, store="sqlite"))
    return out


def figures(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's figures with their targets, from the measured cases."""
    found = _ingest(results) + _rollup(results) + _evaluate(results) + _pages(results)
    return found + _day(results)


def line(result: dict[str, Any]) -> str:
    """One measured case as a table row."""
    rows = result.get("rows") or 0
    rate = f"{rows / result['seconds']:>12,.0f}" if rows and result["seconds"] else " " * 12
    label = LABELS[result["case"]] + (f" by {result['by']}" if result.get("by") else "")
    label += f", a {result['history']} stored" if result.get("history") else ""
    cpu = f"{result['cpu_seconds']:>9.3f}" if result.get("cpu_seconds") is not None else " " * 9
    return (
        f"{result['section']:<9} {result['size']:>11,} {result['store']:<10} {label:<48} "
        f"{result['seconds']:>9.3f} {cpu} {result['runs']:>4} {rate} "
        f"{result['peak_rss_mb']:>9,.0f}"
    )


HEADER = (
    f"{'section':<9} {'contacts':>11} {'store':<10} {'case':<48} "
    f"{'median s':>9} {'CPU s':>9} {'runs':>4} {'rows/s':>12} {'peak MB':>9}"
)


def table(figures: list[dict[str, Any]], skipped: list[str], cases: list | None = None) -> str:
    """The figures against their targets (and the measured cases, when given)."""
    lines = []
    if cases:
        lines += [HEADER, *(line(c) for c in cases), ""]
    lines.append(
        f"{'figure':<48} {'contacts':>11} {'store':<10} {'value':>8} {'CPU':>6}  {'target':<12} met"
    )
    for f in figures:
        met = {True: "yes", False: "NO", None: ""}[f["met"]]
        if f.get("same_totals") is False:
            met += " (totals differ!)"
        size = f"{f['size']:,}" if f.get("size") else ""
        cpu = f"{f['cpu']:>6.2f}" if f.get("cpu") is not None else " " * 6
        lines.append(
            f"{f['figure']:<48} {size:>11} {f.get('store', ''):<10} {f['value']:>8.2f} {cpu}  "
            f"{f['target']:<12} {met}"
        )
    return "\n".join(lines + skipped)


def main(paths: list[str]) -> int:
    """Print the figures of one or more result files taken together (e.g. two partial runs)."""
    cases: list[dict[str, Any]] = []
    skipped: list[str] = []
    for path in paths:
        saved = json.loads(Path(path).read_text())
        cases += saved["cases"]
        skipped += saved["skipped"]
    print(table(figures(cases), skipped, cases))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

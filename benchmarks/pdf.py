"""The PDF benchmark drives `carepulse report` when the command exists."""

from __future__ import annotations

import argparse

OUTPUT_OPTIONS = ("--out", "--output", "-o")


def _report_parser() -> argparse.ArgumentParser | None:
    from carepulse import cli

    commands = next(
        (a for a in cli._parser()._actions if isinstance(a, argparse._SubParsersAction)), None
    )
    return commands.choices.get("report") if commands else None


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def unavailable() -> str | None:
    """Why the PDF cannot be benchmarked here, or None."""
    parser = _report_parser()
    if parser is None:
        return "`carepulse report` does not exist yet (the PDF report is built on another branch)"
    missing = {"--from", "--to"} - _options(parser)
    if missing or not _options(parser) & set(OUTPUT_OPTIONS):
        return "`carepulse report` does not take --from, --to and --out as this benchmark expects"
    return None


def command(start: str, end: str, out: str) -> list[str]:
    """The CLI arguments that write the report of local days start..end to `out`."""
    output = next(o for o in OUTPUT_OPTIONS if o in _options(_report_parser()))
    return ["report", "--from", start, "--to", end, output, out]

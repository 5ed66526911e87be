"""The shipped sample centre, loadable from the CLI and from the dashboard."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from carepulse.ingest import RunSummary, ingest
from carepulse.settings import Settings
from metrics.errors import CarePulseError

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data" / "centre"


def files() -> list[Path]:
    """The shipped sample files, contacts first so surveys find the contacts they rate."""
    found = sorted(SAMPLE_DIR.glob("*.parquet"))
    if not found:
        raise CarePulseError(f"no sample files in {SAMPLE_DIR}", hint="Run `make sample`.")
    return found


def load_sample(engine: Engine, settings: Settings) -> list[RunSummary]:
    """Ingest the shipped sample centre."""
    return [ingest(path, engine=engine, settings=settings, source="canonical") for path in files()]

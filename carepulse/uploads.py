"""Files loaded in the browser: saved, recognised, previewed and mapped before any ingest."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

import connectors
from carepulse.settings import Settings
from connectors import base, tables
from connectors import mapping as mappings
from metrics.errors import CarePulseError
from metrics.schema import TIMESTAMP, validate

PREVIEW_ROWS = 20
SAMPLE_ROWS = 200
SHIPPED_MAPPINGS = Path(__file__).resolve().parent.parent / "sample_data" / "mappings"


@dataclass(frozen=True)
class Upload:
    """One saved upload and what it is: a recognised format, or a file that needs a mapping."""

    name: str
    path: Path
    sha256: str
    format: str | None  # the connector's name; None: not recognised, map its columns
    kinds: tuple[str, ...]
    problem: str | None = None  # why it cannot be read at all (empty, say)


def save(name: str, data: bytes, settings: Settings) -> Upload:
    """Store the bytes under the uploads folder (by content) and recognise the format."""
    sha = hashlib.sha256(data).hexdigest()
    safe = re.sub(r"[^\w.\- ]+", "_", Path(name).name).strip() or "upload"
    folder = Path(settings.data_dir) / "uploads" / sha[:16]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe
    if not path.exists():
        path.write_bytes(data)
    try:
        connector = connectors.detect(path)
    except connectors.UnknownFormat:
        return Upload(safe, path, sha, None, ())
    except CarePulseError as error:
        return Upload(safe, path, sha, None, (), problem=f"{error.message}. {error.hint}")
    found = base.kinds(connector, path)
    return Upload(safe, path, sha, connector.name, tuple(k.name if k else "" for k in found))


def sample(path: Path) -> tuple[list[str], pl.DataFrame, tuple[str, ...]]:
    """The headers, the first rows as text and the reading notes of a tabular file."""
    table = tables.read(path, batch_rows=SAMPLE_ROWS)
    first = next(iter(table.batches), pl.DataFrame(schema=dict.fromkeys(table.headers, pl.String)))
    return table.headers, first, table.notes


def preview(
    upload: Upload, *, timezone: str, mapping: mappings.Mapping | None = None
) -> dict[str, pl.DataFrame]:
    """The first canonical rows of each kind the file yields (times in `timezone`), with why a
    row would be rejected."""
    connector = connectors.get(upload.format or "generic")
    found = base.kinds(connector, upload.path, mapping=mapping)
    shown = {}
    for kind in found:
        options = base.read_options(connector, mapping=mapping, kind=kind)
        batches = connector.read(
            upload.path, timezone=timezone, source=None, batch_rows=PREVIEW_ROWS, **options
        )
        batch = next(iter(batches), None)
        if batch is None:
            continue
        checked = validate(batch.frame, batch.kind)
        filled = [c for c in batch.kind.columns if checked[c].null_count() < checked.height]
        local = [  # times as the dashboard shows them: in the centre's zone
            pl.col(c).dt.convert_time_zone(timezone) if checked.schema[c] == TIMESTAMP else c
            for c in filled
        ]
        shown[batch.kind.name] = checked.select(
            pl.col("_row").alias("row"), *local, pl.col("_reason").alias("rejected because")
        )
    return shown


def saved_mappings(settings: Settings) -> dict[str, Path]:
    """Mapping files saved from this page, then the shipped examples, by name."""
    found = {}
    for folder in (Path(settings.data_dir) / "mappings", SHIPPED_MAPPINGS):
        for path in sorted(folder.glob("*.toml")):
            found.setdefault(path.stem, path)
    return found


def save_mapping(mapping: mappings.Mapping, name: str, settings: Settings) -> Path:
    """Write the mapping as TOML into the data folder's mappings (what `--mapping` reads)."""
    stem = re.sub(r"[^\w\-]+", "-", name).strip("-") or "mapping"
    folder = Path(settings.data_dir) / "mappings"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.toml"
    path.write_text(mappings.to_toml(mapping), encoding="utf-8")
    return path


def quarantine_csv_frame(rows: list[dict]) -> pl.DataFrame:
    """Rejected rows as the source cells plus their row number and reason (to fix and reload)."""
    if not rows:
        return pl.DataFrame()
    frame = pl.DataFrame(rows)
    cells = frame["raw"].str.json_decode(infer_schema_length=None).struct.unnest()
    cells = cells.select(pl.all().cast(pl.String))
    return cells.with_columns(
        frame["row_number"].alias("carepulse_row"), frame["reason"].alias("carepulse_reason")
    )

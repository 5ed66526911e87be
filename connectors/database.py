"""Any database SQLAlchemy reaches: a table or a query, read in batches, through a mapping.

The one connector allowed to import SQLAlchemy: it reads a *source* database, never the store.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl
import pydantic
import sqlalchemy as sa

from connectors import asterisk_queue_log, columns, generic, mapping, tables
from connectors.base import Batch
from connectors.mapping import Mapping, Scalar
from metrics.errors import CarePulseError
from metrics.schema import CONTACTS, Kind

SECTION = re.compile(rb"^\s*\[database\]\s*$", re.MULTILINE)
# A realtime queue_log table: time, callid, queuename, agent, event, data1..data5 (+ extras).
QUEUE_LOG_COLUMNS = {"queuename": "queue", **{f"data{i}": f"d{i}" for i in range(1, 6)}}


class _DatabaseModel(pydantic.BaseModel, extra="forbid"):
    url: str | None = None
    url_env: str | None = None
    table: str | None = None
    query: str | None = None
    params: dict[str, Scalar] = {}
    format: Literal["mapping", "asterisk-queue-log"] = "mapping"

    @pydantic.model_validator(mode="after")
    def _one_each(self) -> _DatabaseModel:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url or url_env")
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of table or query")
        return self


@dataclass(frozen=True)
class Declaration:
    """Where to read (URL, table or query with its bound parameters) and how to map it."""

    url: str
    table: str | None
    query: str | None
    params: dict[str, Scalar] = field(default_factory=dict)
    format: str = "mapping"
    mapping: Mapping | None = None
    name: str | None = None


def _url(model: _DatabaseModel, folder: Path, file: str) -> str:
    url = model.url or os.environ.get(model.url_env or "")
    if not url:
        raise CarePulseError(
            f"{file}: the environment variable {model.url_env} is not set",
            hint="Set it to the database's SQLAlchemy URL.",
        )
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise CarePulseError(
            f"{file}: the url is not a database URL SQLAlchemy can read",  # not echoed: secrets
            hint="Write it as SQLAlchemy does, e.g. postgresql://user@host/db or "
            "sqlite:///file.db.",
        ) from None
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and not Path(database).is_absolute():
        return parsed.set(database=str(folder / database)).render_as_string(hide_password=False)
    return url


def declaration(path: Path) -> Declaration:
    """The [database] section and the mapping of a database source file."""
    document = mapping.toml(mapping.text_of(path), file=path.name)
    try:
        model = _DatabaseModel.model_validate(document.pop("database", None))
    except pydantic.ValidationError as error:
        raise CarePulseError(
            f"{path.name}: {mapping.problems(error)}",
            hint="See the database source in the README.",
        ) from None
    url = _url(model, path.parent, path.name)
    declared = (
        mapping.from_document(document, file=path.name) if model.format == "mapping" else None
    )
    name = document.get("source", {}).get("name")
    return Declaration(url, model.table, model.query, model.params, model.format, declared, name)


def _statement(source: Declaration) -> sa.Executable:
    if source.query is not None:
        return sa.text(source.query)
    schema, _, table = source.table.rpartition(".")
    wanted = source.mapping.headers if source.mapping else []
    picked = [sa.column(h) for h in wanted] or [sa.text("*")]
    return sa.select(*picked).select_from(sa.table(table, schema=schema or None))


def _text_batches(result: sa.CursorResult, names: list[str], rows: int) -> Iterator[pl.DataFrame]:
    start = 1
    for part in result.partitions(rows):
        frame = pl.DataFrame(
            [tuple(r) for r in part], schema=names, orient="row", infer_schema_length=None
        )
        yield (
            tables.as_text(frame)
            .with_row_index("_row", offset=start)
            .with_columns(pl.col("_row").cast(pl.Int64))
        )
        start += frame.height


def _queue_log(frames: list[pl.DataFrame], timezone: str) -> pl.DataFrame:
    """A realtime queue_log table's rows as the file connector's event lines."""
    rows = pl.concat(frames).rename(
        {k: v for k, v in QUEUE_LOG_COLUMNS.items() if k in frames[0].columns}
    )
    text = pl.col("time")
    # Realtime tables store local text unless queue_log_realtime_use_gmt=yes (FORMATS.md 1b).
    when = columns.timestamp(text, format=None, timezone=timezone).dt.epoch("s")
    epoch = pl.coalesce(text.cast(pl.Int64, strict=False), when)
    events = rows.with_columns(time=epoch, _line=pl.col("_row"))
    missing = [c for c in asterisk_queue_log.FIELDS if c not in events.columns]
    return asterisk_queue_log.call_events(
        events.with_columns(pl.lit(None).alias(c) for c in missing)
    )


def _engine(url: str, file: str) -> sa.Engine:
    try:
        return sa.create_engine(url)
    except ModuleNotFoundError as error:  # the dialect is known, its DBAPI module is not here
        dialect = sa.make_url(url).get_backend_name()
        raise CarePulseError(
            f"{file}: the driver for {dialect} is not installed (Python module {error.name})",
            hint="Install the driver package into CarePulse's environment, or name one that "
            "is installed in the URL (e.g. mysql+pymysql://…).",
        ) from None


class Database:
    """A table or query in any database SQLAlchemy reaches, declared in a TOML file."""

    name = "database"
    description = "a TOML file with a [database] section (url, table or query) and a mapping"

    def detect(self, path: Path, head: bytes) -> bool:
        return bool(SECTION.search(head))

    def kinds(self, path: Path, *, mapping: object = None) -> tuple[Kind, ...]:
        declared = declaration(path)
        return generic.kinds_of(declared.mapping) if declared.mapping else (CONTACTS,)

    def read(
        self,
        path: Path,
        *,
        timezone: str,
        source: str | None,
        batch_rows: int,
        kind: Kind | None = None,
    ) -> Iterator[Batch]:
        declared = declaration(path)
        engine = _engine(declared.url, path.name)
        try:
            with engine.connect() as connection:
                options = connection.execution_options(stream_results=True, yield_per=batch_rows)
                result = options.execute(_statement(declared), declared.params)
                names = list(result.keys())
                frames = _text_batches(result, names, batch_rows)
                yield from self._batches(
                    declared,
                    frames,
                    names,
                    where=path.name,
                    timezone=timezone,
                    source=source,
                    kind=kind,
                    batch_rows=batch_rows,
                )
        except sa.exc.SQLAlchemyError as error:
            raise CarePulseError(
                f"{path.name}: the database refused the read ({str(error).splitlines()[0]})",
                hint="Check the URL, the table or query, and the parameters it binds.",
            ) from error
        finally:
            engine.dispose()

    def _batches(
        self,
        declared: Declaration,
        frames: Iterator[pl.DataFrame],
        names: list[str],
        *,
        where: str,
        timezone: str,
        source: str | None,
        kind: Kind | None,
        batch_rows: int,
    ) -> Iterator[Batch]:
        if declared.mapping is None:
            lines = _queue_log(list(frames) or [pl.DataFrame(schema=names)], timezone)
            name = source or declared.name or asterisk_queue_log.DEFAULT_SOURCE
            yield from asterisk_queue_log.batches(lines, source=name, batch_rows=batch_rows)
            return
        table = tables.Table(names, frames)
        options = dict(kind=kind, timezone=timezone, source=source)
        yield from generic.mapped(table, declared.mapping, where=where, **options)


CONNECTOR = Database()

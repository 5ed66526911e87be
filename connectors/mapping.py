"""The mapping file: which source column feeds which canonical column (TOML, see the README)."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pydantic

from metrics.errors import CarePulseError
from metrics.schema import KINDS, SURVEY_RESPONSES, Kind

Unit = Literal["s", "ms", "min", "h", "hh:mm:ss"]
SECONDS_PER: dict[str, float] = {"s": 1, "ms": 0.001, "min": 60, "h": 3600}
Scalar = str | bool | int | float


@dataclass(frozen=True)
class Source:
    """Where one canonical column comes from: a header, a date + time pair, or a constant."""

    column: str | None = None
    date: str | None = None
    time: str | None = None
    value: Scalar | None = None
    format: str | None = None
    unit: str = "s"
    map: tuple[tuple[str, Scalar | None], ...] = ()
    zero_is_null: bool = False
    nulls: tuple[str, ...] = ()  # sentinels that mean unknown, e.g. "-" or "1900-01-01 00:00:00"
    join: tuple[str, ...] = ()  # several columns joined into one value (composite keys)
    separator: str = "-"

    @property
    def headers(self) -> list[str]:
        named = [h for h in (self.column, self.date, self.time) if h is not None]
        return [*named, *self.join]


@dataclass(frozen=True)
class Mapping:
    """A declared source file: its kind, time zone and canonical column sources."""

    name: str
    kind: Kind
    columns: dict[str, Source]
    timezone: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    surveys: dict[str, Source] = field(default_factory=dict)
    layout: tuple[str, ...] = ()  # column names of a header-less file (asterisk-cdr)
    file: str = "mapping"

    @property
    def headers(self) -> list[str]:
        """Every source header the mapping names, in order, without repeats."""
        named = [h for s in [*self.columns.values(), *self.surveys.values()] for h in s.headers]
        return list(dict.fromkeys(named))


class _SourceModel(pydantic.BaseModel, extra="forbid"):
    column: str | None = None
    date: str | None = None
    time: str | None = None
    value: Scalar | None = None
    format: str | None = None
    unit: Unit = "s"
    map: dict[str, Scalar] | None = None
    zero_is_null: bool = False
    nulls: tuple[str, ...] = ()
    join: tuple[str, ...] = ()
    separator: str = "-"

    @pydantic.model_validator(mode="after")
    def _one_origin(self) -> _SourceModel:
        origins = [self.column is not None, self.date is not None, self.value is not None]
        if sum(origins) + bool(self.join) != 1:
            raise ValueError("give exactly one of column, date (with optional time), join or value")
        if self.time is not None and self.date is None:
            raise ValueError("time needs date")
        return self


class _SourceSection(pydantic.BaseModel, extra="forbid"):
    name: str
    kind: Literal["contacts", "tickets", "survey_responses"]
    timezone: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    layout: tuple[str, ...] = ()


class _MappingModel(pydantic.BaseModel, extra="forbid"):
    source: _SourceSection
    columns: dict[str, str | _SourceModel] = {}
    surveys: dict[str, str | _SourceModel] = {}


def _relevant(errors: list) -> list:
    """Drop the 'not a plain header' complaint when the table form has its own errors."""
    tables = {e["loc"][:2] for e in errors if len(e["loc"]) > 2 and e["loc"][2] != "str"}
    return [e for e in errors if not (e["loc"][2:] == ("str",) and e["loc"][:2] in tables)]


def _problem(error: dict) -> str:
    where = [str(p) for p in error["loc"] if not str(p).startswith("function-after")]
    where = [p for p in where if p != "str"]
    return f"{'.'.join(where)}: {error['msg'].removeprefix('Value error, ')}"


def _source(spec: str | _SourceModel) -> Source:
    if isinstance(spec, str):
        return Source(column=spec)
    values = spec.model_dump(exclude={"map"})
    return Source(**values, map=tuple((spec.map or {}).items()))


def _check_names(names: list[str], allowed: list[str], *, where: str, file: str) -> None:
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise CarePulseError(
            f"{file}: [{where}] names unknown column(s) {', '.join(unknown)}",
            hint=f"Use the canonical names: {', '.join(allowed)}.",
        )


def parse(text: str, *, file: str = "mapping") -> Mapping:
    """A mapping from TOML text; a mistake raises an error naming the section and field."""
    return from_document(toml(text, file=file), file=file)


def toml(text: str, *, file: str) -> dict:
    """The TOML document, or an error naming the file and the syntax problem."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CarePulseError(f"{file}: not valid TOML ({error})", hint="Fix the syntax.") from None


def problems(error: pydantic.ValidationError) -> str:
    """A validation error as `section.field: what is wrong` phrases."""
    return "; ".join(_problem(e) for e in _relevant(error.errors()))


def from_document(document: dict, *, file: str = "mapping") -> Mapping:
    """A mapping from a parsed TOML document."""
    try:
        model = _MappingModel.model_validate(document)
    except pydantic.ValidationError as error:
        raise CarePulseError(
            f"{file}: {problems(error)}", hint="See the mapping reference in the README."
        ) from None
    kind = KINDS[model.source.kind]
    _check_names(list(model.columns), kind.columns, where="columns", file=file)
    _check_names(list(model.surveys), SURVEY_RESPONSES.columns, where="surveys", file=file)
    if model.surveys and kind is not SURVEY_RESPONSES and kind.key not in model.columns:
        raise CarePulseError(
            f"{file}: [surveys] needs [columns] {kind.key}: a response is keyed by its row",
            hint=f"Map {kind.key} to the column that identifies each row.",
        )
    return Mapping(
        name=model.source.name,
        kind=kind,
        columns={k: _source(v) for k, v in model.columns.items()},
        timezone=model.source.timezone,
        delimiter=model.source.delimiter,
        sheet=model.source.sheet,
        layout=model.source.layout,
        surveys={k: _source(v) for k, v in model.surveys.items()},
        file=file,
    )


def load(path: Path) -> Mapping:
    """The mapping in a TOML file."""
    path = Path(path)
    if not path.is_file():
        raise CarePulseError(f"{path}: no such mapping file", hint="Check the --mapping path.")
    return parse(text_of(path), file=path.name)


def text_of(path: Path) -> str:
    """A TOML file's text; one that is not UTF-8 (a binary file, say) gets a clear error."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise CarePulseError(
            f"{path.name}: not a UTF-8 text file (byte {error.start + 1} is not UTF-8)",
            hint="A mapping or database source is a TOML text file saved as UTF-8.",
        ) from None


def _value(value: Scalar | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _source_toml(source: Source) -> str:
    defaults = Source()
    if source.column is not None and source == Source(column=source.column):
        return _value(source.column)
    parts = []
    for name in ("column", "date", "time", "value", "format", "unit", "zero_is_null"):
        value = getattr(source, name)
        if value != getattr(defaults, name):
            parts.append(f"{name} = {_value(value)}")
    if source.map:
        pairs = ", ".join(f"{_value(str(k))} = {_value(v)}" for k, v in source.map if v is not None)
        parts.append(f"map = {{ {pairs} }}")
    for name in ("nulls", "join"):
        if getattr(source, name):
            parts.append(f"{name} = [{', '.join(_value(v) for v in getattr(source, name))}]")
    if source.join and source.separator != defaults.separator:
        parts.append(f"separator = {_value(source.separator)}")
    return f"{{ {', '.join(parts)} }}"


def to_toml(mapping: Mapping) -> str:
    """The mapping as the TOML text `parse` reads back (what the Data page saves)."""
    lines = ["[source]", f"name = {_value(mapping.name)}", f"kind = {_value(mapping.kind.name)}"]
    for name in ("timezone", "delimiter", "sheet"):
        if getattr(mapping, name) is not None:
            lines.append(f"{name} = {_value(getattr(mapping, name))}")
    if mapping.layout:
        lines.append(f"layout = [{', '.join(_value(v) for v in mapping.layout)}]")
    for section, sources in (("columns", mapping.columns), ("surveys", mapping.surveys)):
        if sources or section == "columns":
            lines += ["", f"[{section}]"]
            lines += [f"{name} = {_source_toml(source)}" for name, source in sources.items()]
    return "\n".join(lines) + "\n"

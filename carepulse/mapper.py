"""The column mapper: a mapping built with widgets, from suggestions or a loaded TOML file.

The widgets start from a base mapping (the suggestions, or a file the user loaded) and the
mapping they describe is parsed through the same TOML model the CLI reads, so what the page
saves is exactly what `carepulse ingest --mapping` takes.
"""

from __future__ import annotations

from zoneinfo import available_timezones

import polars as pl
import streamlit as st

from carepulse import formatting, uploads
from carepulse.settings import get_settings
from connectors import mapping as mappings
from connectors.mapping import Source
from connectors.suggest import SURVEY_SCORES, sample_values, suggest
from metrics.errors import CarePulseError
from metrics.schema import KINDS, SURVEY_RESPONSES, TIMESTAMP, Kind

NONE, CONSTANT = "—", "(a constant value)"
UNITS = ("s", "ms", "min", "h", "hh:mm:ss")
SKIPPED = ("source", "updated_at")
MAP_VALUES = 12  # distinct sample values offered for a value map


def _key(upload: uploads.Upload, *parts: str) -> str:
    return ":".join(("map", upload.sha256[:16], *parts))


def _suggested(upload: uploads.Upload, headers: list[str], rows: pl.DataFrame, kind: Kind):
    columns, surveys = suggest(headers, rows, kind)
    zone = get_settings().timezone
    name = upload.path.stem.lower().replace(" ", "-")
    return mappings.Mapping(name, kind, columns, timezone=zone, surveys=surveys)


def _reset(upload: uploads.Upload, base: mappings.Mapping) -> None:
    """Forget the widgets' values so they start again from `base`."""
    prefix = _key(upload)
    for name in [k for k in st.session_state if str(k).startswith(prefix + ":")]:
        del st.session_state[name]
    st.session_state[_key(upload, "base")] = base


def _load_controls(upload: uploads.Upload, headers: list[str], rows: pl.DataFrame) -> None:
    saved = uploads.saved_mappings(get_settings())
    left, right = st.columns(2)
    chosen = left.selectbox("Start from a saved mapping", [NONE, *saved], key=_key(upload, "saved"))
    if left.button("Use this mapping", key=_key(upload, "use"), disabled=chosen == NONE):
        _reset(upload, mappings.load(saved[chosen]))
        st.rerun()
    kind = right.selectbox("Or suggest one for", list(KINDS), key=_key(upload, "suggest-kind"))
    if right.button("Suggest from the headers", key=_key(upload, "suggest")):
        _reset(upload, _suggested(upload, headers, rows, KINDS[kind]))
        st.rerun()


def _index(options: list[str], value: object) -> int:
    return options.index(value) if value in options else 0


def _origin(source: Source | None) -> str:
    if source is None:
        return NONE
    if source.value is not None:
        return CONSTANT
    return source.date or source.column or (source.join[0] if source.join else NONE)


def _value_map(upload, column, header, source, rows, kind) -> tuple:
    allowed = [True, False] if kind.schema[column] == pl.Boolean else list(kind.enums[column])
    values = sample_values(rows, header, MAP_VALUES)
    current = dict(source.map) if source else {}
    if not values or all(v in allowed for v in values):
        return ()
    pairs = []
    with st.expander(f"Values of {formatting.plain(header)} → {column}", expanded=not current):
        for value in values:
            options = [NONE, *allowed]
            picked = st.selectbox(
                f"'{value}' means",
                options,
                index=_index(options, current.get(value)),
                key=_key(upload, column, "value", value),
            )
            if picked != NONE:
                pairs.append((value, picked))
    return tuple(pairs)


def _details(upload, column, header, source, headers, rows, kind, cells) -> Source:
    dtype = kind.schema[column]
    if dtype == TIMESTAMP:
        times = [NONE, *headers]
        time = cells[0].selectbox(
            "time column",
            times,
            index=_index(times, source and source.time),
            key=_key(upload, column, "time"),
            help="when the date and the time of day are split",
        )
        fmt = cells[1].text_input(
            "format",
            value=(source and source.format) or "",
            key=_key(upload, column, "format"),
            placeholder="ISO 8601",
            help="strptime codes, e.g. %d/%m/%Y %H:%M",
        )
        time = None if time == NONE else time
        origin = {"date": header, "time": time} if time else {"column": header}
        return Source(**origin, format=fmt or None)
    if column.endswith("_seconds"):
        unit = cells[0].selectbox(
            "unit",
            UNITS,
            index=_index(list(UNITS), source and source.unit),
            key=_key(upload, column, "unit"),
        )
        zero = cells[1].checkbox(
            "0 means unknown",
            value=bool(source and source.zero_is_null),
            key=_key(upload, column, "zero"),
        )
        return Source(column=header, unit=unit, zero_is_null=zero)
    if dtype == pl.Boolean or column in kind.enums:
        return Source(column=header, map=_value_map(upload, column, header, source, rows, kind))
    if dtype.is_numeric():  # e.g. a rating of 0 on a 1-5 scale: the export's "no answer"
        zero = cells[0].checkbox(
            "0 means unknown",
            value=bool(source and source.zero_is_null),
            key=_key(upload, column, "zero"),
        )
        return Source(column=header, zero_is_null=zero)
    return Source(column=header)


def _constant(upload, column, source, kind, cell) -> Source | None:
    allowed = kind.enums.get(column)
    current = source.value if source else None
    if allowed:
        value = cell.selectbox(
            "value",
            allowed,
            index=_index(list(allowed), current),
            key=_key(upload, column, "value"),
        )
    else:
        value = cell.text_input(
            "value", value=str(current or ""), key=_key(upload, column, "value")
        )
    return Source(value=value) if value != "" else None


def _column(upload, column, source, headers, rows, kind, *, required) -> Source | None:
    cells = st.columns([2, 3, 3, 2], vertical_alignment="bottom")
    cells[0].markdown(f"**{column}**" + (" *(required)*" if required else ""))
    options = [NONE, CONSTANT, *headers]
    origin = cells[1].selectbox(
        f"{column} from",
        options,
        index=_index(options, _origin(source)),
        key=_key(upload, column, "from"),
        label_visibility="collapsed",
    )
    if origin == NONE:
        return None
    if origin == CONSTANT:
        return _constant(upload, column, source, kind, cells[2])
    return _details(upload, column, origin, source, headers, rows, kind, cells[2:])


def _section(upload, kind, wanted, sources, headers, rows, *, part: str) -> dict[str, Source]:
    chosen = {}
    for column in wanted:
        required = part == "columns" and column in kind.required
        source = _column(
            upload, column, sources.get(column), headers, rows, kind, required=required
        )
        if source is not None:
            chosen[column] = source
    return chosen


def mapper(upload: uploads.Upload) -> mappings.Mapping | None:
    """The mapping the widgets describe (None until it is complete and valid)."""
    headers, rows, notes = uploads.sample(upload.path)
    for note in notes:
        st.caption(f"Note: {formatting.plain(note)}")
    if _key(upload, "base") not in st.session_state:
        _reset(upload, _suggested(upload, headers, rows, KINDS["contacts"]))
    _load_controls(upload, headers, rows)
    base = st.session_state[_key(upload, "base")]
    missing = [h for h in base.headers if h not in headers]
    if missing:
        st.warning(
            f"The mapping names {', '.join(missing)}, which this file lacks. "
            f"Headers found: {', '.join(headers)}."
        )
    left, middle, right = st.columns(3)
    name = left.text_input("Source name", value=base.name, key=_key(upload, "name"))
    zones = sorted(available_timezones())
    zone = middle.selectbox(
        "Time zone of the file's times",
        zones,
        index=_index(zones, base.timezone or get_settings().timezone),
        key=_key(upload, "zone"),
    )
    right.text_input("Kind", value=base.kind.name.replace("_", " "), disabled=True)
    wanted = [c for c in base.kind.schema if c not in SKIPPED]
    columns = _section(upload, base.kind, wanted, base.columns, headers, rows, part="columns")
    surveys = {}
    if base.kind is not SURVEY_RESPONSES:
        st.markdown("**Survey scores on the same rows** (optional)")
        surveys = _section(
            upload, SURVEY_RESPONSES, SURVEY_SCORES, base.surveys, headers, rows, part="surveys"
        )
    drafted = mappings.Mapping(name, base.kind, columns, timezone=zone, surveys=surveys)
    try:
        return mappings.parse(mappings.to_toml(drafted), file=f"{name}.toml")
    except CarePulseError as error:
        st.error(formatting.problem(error))
        return None


def save_controls(upload: uploads.Upload, mapping: mappings.Mapping) -> None:
    """Save the mapping into the data folder, or download it as a TOML file."""
    text = mappings.to_toml(mapping)
    left, right = st.columns(2)
    if left.button("Save mapping", key=_key(upload, "save"), icon=":material/save:"):
        path = uploads.save_mapping(mapping, mapping.name, get_settings())
        st.success(f"Saved as {path.name}; the CLI takes it with `--mapping {path}`.")
    right.download_button(
        "Download mapping (TOML)",
        text,
        file_name=f"{mapping.name}.toml",
        key=_key(upload, "download"),
        mime="application/toml",
    )
    with st.expander("Mapping as TOML"):
        st.code(text, language="toml")

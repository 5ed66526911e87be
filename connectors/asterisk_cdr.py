"""Asterisk CDR `Master.csv` (cdr_csv or the cdr_custom sample layout): one contact per call."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from connectors import tables
from connectors.base import Batch
from connectors.columns import timestamp
from connectors.mapping import Mapping
from metrics.errors import CarePulseError
from metrics.schema import CONTACTS

DEFAULT_SOURCE = "asterisk-cdr"
BASE = (
    *("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp"),
    *("lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags"),
)
NEW = ("peeraccount", "linkedid", "sequence")  # newcdrcolumns=yes
# cdr_csv writes no header: the column count tells which logging options were on.
CDR_CSV = {
    16: BASE,
    17: (*BASE, "uniqueid"),
    18: (*BASE, "uniqueid", "userfield"),
    19: (*BASE, *NEW),
    20: (*BASE, "uniqueid", *NEW),
    21: (*BASE, "uniqueid", "userfield", *NEW),
}
# The Master.csv line of Asterisk's cdr_custom.conf.sample (clid first, every value quoted).
CUSTOM_SAMPLE = (
    *("clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata"),
    *("start", "answer", "end", "duration", "billsec", "disposition", "amaflags"),
    *("accountcode", "uniqueid", "userfield", "sequence"),
)
# The fields a call needs; a declared cdr_custom layout must name them.
NEEDED = ("src", "dstchannel", "lastapp", "lastdata", "start", "answer", "end", "billsec")
NEEDED = (*NEEDED, "disposition", "clid", "channel")
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
# "PJSIP/client2-00000003" is the endpoint PJSIP/client2 on its third channel.
CHANNEL_SUFFIX = r"-[0-9a-f]{8}(;\d)?$"


def layout(first: list[str]) -> tuple[str, ...] | None:
    """The column names of a header-less CDR line, or None when it is not one."""
    if len(first) == len(CUSTOM_SAMPLE) and STAMP.match(first[8]):
        return CUSTOM_SAMPLE
    columns = CDR_CSV.get(len(first))
    return columns if columns and STAMP.match(first[9]) else None


def _first_row(text: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
    except csv.Error:  # not CSV text at all (a detector must never fail)
        return []


def _answered(call: str) -> pl.Expr:
    """Rows where a person's endpoint answered (a system-answered row has no dstchannel).

    A Local channel is dialplan plumbing: its `;1` half answers for the phone the `;2` half
    rings, so both rows carry the same conversation. It counts only in a call without a row
    for the phone itself (a layout without linkedid puts the halves in different calls).
    """
    answered = (pl.col("disposition") == "ANSWERED") & (pl.col("dstchannel") != "")
    local = pl.col("dstchannel").str.starts_with("Local/")
    return answered & (~local | ~(answered & ~local).any().over(call))


def calls(rows: pl.DataFrame, *, timezone: str) -> pl.DataFrame:
    """One row per call (linkedid, else uniqueid, else the row), with its legs summed up."""
    key = next((c for c in ("linkedid", "uniqueid") if c in rows.columns), None)
    rows = rows.with_columns(
        start=timestamp(pl.col("start"), format=None, timezone=timezone),
        answer=timestamp(pl.col("answer"), format=None, timezone=timezone),
        end=timestamp(pl.col("end"), format=None, timezone=timezone),
        billsec=pl.col("billsec").cast(pl.Float64, strict=False),
        call=pl.col(key) if key else pl.format("{}@{}", "channel", "start"),
    ).with_columns(person=_answered("call"))
    person = pl.col("person")
    # The first to answer is the call's agent (rows are written when a leg ends, not begins).
    by_answer = pl.col("dstchannel").filter(person)
    by_answer = by_answer.sort_by(pl.col("answer").filter(person), maintain_order=True)
    return rows.group_by("call", maintain_order=True).agg(
        arrived=pl.col("start").min(),
        answered=pl.col("answer").filter(person).min(),
        ended=pl.col("end").max(),
        billsec=pl.col("billsec").filter(person).sum(),
        agents=by_answer.str.replace(CHANNEL_SUFFIX, "").unique(maintain_order=True),
        system=((pl.col("disposition") == "ANSWERED") & (pl.col("billsec") > 0)).any(),
        unanswered=(pl.col("disposition") == "NO ANSWER").any(),
        queue=pl.col("lastdata").filter(pl.col("lastapp") == "Queue").first(),
        src=pl.col("src").first(),
        clid=pl.col("clid").first(),
        dispositions=pl.col("disposition").str.join(", "),
        first_row=pl.col("_row").min(),
        legs=pl.len(),
    )


def _seconds(later: str, earlier: str) -> pl.Expr:
    return (pl.col(later) - pl.col(earlier)).dt.total_seconds().cast(pl.Float64)


def contacts(grouped: pl.DataFrame, *, source: str) -> pl.DataFrame:
    """Canonical contacts plus `_row`, `_reason` and the raw cells kept for quarantine."""
    handled = pl.col("answered").is_not_null()
    outcome = (
        pl.when(handled)
        .then(pl.lit("handled"))
        .when(pl.col("unanswered"))
        .then(pl.lit("abandoned"))  # rang out or the caller hung up: nobody answered
        .when(pl.col("system"))
        .then(pl.lit("self_served"))  # answered by the PBX itself (IVR, announcement)
        .otherwise(pl.lit("flowed_out"))  # BUSY, FAILED, CONGESTION
    )
    columns = {
        "source": pl.lit(source),
        "contact_id": pl.col("call"),
        "channel": pl.lit("voice"),
        "direction": pl.lit("inbound"),
        "queue": pl.col("queue").str.split(",").list.first(),
        "agent_id": pl.col("agents").list.first(),
        "customer_key": pl.col("src").replace("", None),
        "arrived_at": pl.col("arrived"),
        "answered_at": pl.col("answered"),
        "ended_at": pl.col("ended"),
        # Time to answer includes IVR and ringing: the CDR has no queue wait of its own.
        "wait_seconds": pl.when(handled)
        .then(_seconds("answered", "arrived"))
        .otherwise(_seconds("ended", "arrived")),
        "talk_seconds": pl.when(handled).then(pl.col("billsec")),  # Asterisk's own count
        "outcome": outcome,
        "is_transferred": pl.col("agents").list.len() > 1,
    }
    typed = [
        columns.get(name, pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in CONTACTS.schema.items()
    ]
    unread = pl.when(pl.col("arrived").is_null()).then(pl.lit("start: cannot read the time"))
    # A call's number is the line of its first row, so a quarantined call can be found.
    return grouped.select(
        pl.col("first_row").cast(pl.Int64).alias("_row"), *typed, unread.alias("_reason"), *RAW
    )


RAW = ("src", "clid", "dispositions", "legs", "first_row")


def _declared(names: tuple[str, ...], file: str) -> tuple[str, ...]:
    missing = [c for c in NEEDED if c not in names]
    if missing:
        raise CarePulseError(
            f"{file}: the declared layout lacks {', '.join(missing)}",
            hint=f"Name the CDR fields in column order; CarePulse needs {', '.join(NEEDED)}.",
        )
    return names


def _rows(path: Path, declared: tuple[str, ...]) -> tuple[pl.DataFrame, tuple[str, ...]]:
    text, notes = tables.text_of(path)
    names = declared or layout(_first_row(text))
    if declared and len(_first_row(text)) != len(declared):
        raise CarePulseError(
            f"{path.name}: line 1 has {len(_first_row(text))} fields, the layout names "
            f"{len(declared)}",
            hint="Declare every column of the cdr_custom line, in order.",
        )
    if names is None:
        raise CarePulseError(
            f"{path.name}: not a CDR layout CarePulse knows; line 1 has "
            f"{len(_first_row(text))} fields: {', '.join(_first_row(text)[:10])}…",
            hint="Expected cdr_csv's Master.csv (16-21 columns, start in column 10) or the "
            "cdr_custom.conf.sample layout (19 columns, clid first, start in column 9); "
            "declare another layout with --source asterisk-cdr --mapping (README).",
        )
    try:
        frame = pl.read_csv(
            io.StringIO(text), has_header=False, new_columns=list(names), infer_schema=False
        )
    except pl.exceptions.ComputeError as error:
        raise _unreadable(path.name, text, len(names), error) from None
    frame = frame.with_columns(pl.all().fill_null("")).with_row_index("_row", offset=1)
    return frame, notes


def _unreadable(file: str, text: str, width: int, error: Exception) -> CarePulseError:
    found = tables.long_record(text, separator=",", width=width)
    if found is None:
        return CarePulseError(
            f"{file}: cannot read the CDR lines ({str(error).splitlines()[0]})",
            hint="Check that every line is one CDR record written by cdr_csv or cdr_custom.",
        )
    line, fields = found
    return CarePulseError(
        f"{file}: line {line} has {fields} fields; line 1 has {width}",
        hint="The CDR logging options changed within the file (cdr.conf loguniqueid, "
        "loguserfield, newcdrcolumns): split it where the layout changes.",
    )


class AsteriskCdr:
    """Asterisk's CSV call detail records: several rows per call, grouped by linkedid."""

    name = "asterisk-cdr"
    description = "Asterisk CDR Master.csv (cdr_csv 16-21 columns, or the cdr_custom sample)"
    uses_mapping = True  # optional: a mapping's [source] layout declares a cdr_custom layout

    def detect(self, path: Path, head: bytes) -> bool:
        if tables.file_format(head) != "csv":
            return False
        first = head.split(b"\n", 1)[0].decode("latin-1")
        return layout(_first_row(first)) is not None

    def read(
        self,
        path: Path,
        *,
        timezone: str,
        source: str | None,
        batch_rows: int,
        mapping: Mapping | None = None,
    ) -> Iterator[Batch]:
        declared = _declared(mapping.layout, mapping.file) if mapping and mapping.layout else ()
        rows, notes = _rows(path, declared)
        name = source or (mapping.name if mapping else DEFAULT_SOURCE)
        frame = contacts(calls(rows, timezone=timezone), source=name)
        for offset in range(0, frame.height, batch_rows):
            part = frame.slice(offset, batch_rows)
            canonical = part.select("_row", *CONTACTS.columns, "_reason")
            raw = part.select("_row", *RAW)
            yield Batch(CONTACTS, canonical, raw, identifiers=("src", "clid"), notes=notes)


CONNECTOR = AsteriskCdr()

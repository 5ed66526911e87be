"""Asterisk's `queue_log` file: each queue attempt (callid in one queue) becomes a contact."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from connectors.base import Batch
from metrics.errors import CarePulseError
from metrics.schema import CONTACTS

DEFAULT_SOURCE = "asterisk"
# epoch|callid|queue|agent|EVENT — pipes, no quoting, 0-5 event parameters (FORMATS.md 1a).
LINE = re.compile(rb"^\d{9,11}\|[^|\r\n]*\|[^|\r\n]*\|[^|\r\n]*\|[A-Z_]+")
FIELDS = ("time", "callid", "queue", "agent", "event", "d1", "d2", "d3", "d4", "d5")
# The end of a queue attempt, and the positional parameter holding its talk or wait seconds.
# RINGNOANSWER/RINGCANCELED carry milliseconds but say nothing about the attempt's end.
TALK = {"COMPLETEAGENT": "d2", "COMPLETECALLER": "d2", "TRANSFER": "d4", "BLINDTRANSFER": "d4"}
TALK |= {"ATTENDEDTRANSFER": "d4"}
HOLD = {"COMPLETEAGENT": "d1", "COMPLETECALLER": "d1"} | dict.fromkeys(
    ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"), "d3"
)
WAIT = {"ABANDON": "d3", "EXITWITHTIMEOUT": "d3", "EXITEMPTY": "d3", "EXITWITHKEY": "d4"}
NOT_ANSWERED = {"ABANDON": "abandoned"} | dict.fromkeys(
    ("EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY", "JOINEMPTY", "LEAVEEMPTY", "FULL"), "flowed_out"
)
ENDS = (*TALK, *NOT_ANSWERED)
TRANSFERS = ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER")
CALL_EVENTS = ("ENTERQUEUE", "CONNECT", *ENDS)
NO_CALL = ("NONE", "CLI", "REALTIME", "")  # housekeeping and member events
MERGE_SPECIAL = ("queue", "arrival", "entered", "last", "first_line", "calls", "trail")
# An entry with no exit line: a call still in progress, or one that goes on in the next rotated
# file, while it is younger than the cut-off at the end of the file; past it, a lost exit or a
# transfer leg that never completes (FORMATS.md, queue_log quirks 3 and 4).
CUT_OFF_SECONDS = 4 * 3600
IN_PROGRESS = (
    "queue entry with no CONNECT, COMPLETE, ABANDON or EXIT line yet: the call was still in "
    "progress when the file ends (ingest the next rotated queue_log to complete it)"
)
UNTERMINATED = (
    "queue entry with no CONNECT, COMPLETE, ABANDON or EXIT line and more than 4 h of log "
    "after it (a lost exit event or a transfer leg that never completes)"
)


def events(text: str) -> pl.DataFrame:
    """One row per call event line, split by position; other lines are left out."""
    # Only \n ends a line (str.splitlines also splits on form feeds, U+2028 and others).
    lines = pl.DataFrame({"line": text.split("\n")}).with_row_index("_line", offset=1)
    parts = pl.col("line").str.strip_chars_end("\r").str.split("|")
    fields = [parts.list.get(i, null_on_oob=True).alias(n) for i, n in enumerate(FIELDS)]
    frame = lines.select("_line", *fields).with_columns(pl.col("time").cast(pl.Int64, strict=False))
    return call_events(frame)


def call_events(frame: pl.DataFrame) -> pl.DataFrame:
    """The lines that belong to a call in a queue (not housekeeping or member events)."""
    return frame.filter(
        pl.col("time").is_not_null()
        & pl.col("event").is_in(CALL_EVENTS)
        & ~pl.col("callid").is_in(NO_CALL)
        & (pl.col("queue") != "NONE")
    )


def batches(lines: pl.DataFrame, *, source: str, batch_rows: int) -> Iterator[Batch]:
    """Canonical batches of the contacts the event lines describe."""
    frame = contacts(attempts(lines), source=source)
    raw_columns = ["_row", "callid", "queue_name", "callerid", "events", "first_line"]
    for offset in range(0, frame.height, batch_rows):
        part = frame.slice(offset, batch_rows)
        canonical = part.select("_row", *CONTACTS.columns, "_reason")
        yield Batch(CONTACTS, canonical, part.select(raw_columns), identifiers=("callerid",))


def _callerid() -> pl.Expr:
    """ENTERQUEUE's caller: `url|callerid|position`, or `url|position|callerid` in some builds."""
    position = r"^\d{1,3}$"
    swapped = pl.col("d2").str.contains(position) & ~pl.col("d3").fill_null("").str.contains(
        f"{position}|^$"
    )
    return pl.when(swapped).then(pl.col("d3")).otherwise(pl.col("d2"))


def _first(event: str | tuple[str, ...], column: str) -> pl.Expr:
    names = [event] if isinstance(event, str) else list(event)
    return pl.col(column).filter(pl.col("event").is_in(names)).first()


def _seconds(table: dict[str, str]) -> pl.Expr:
    """The event's duration parameter, read from its position for that event."""
    picked = pl.lit(None, pl.String)
    for event, column in table.items():
        picked = pl.when(pl.col("event") == event).then(pl.col(column)).otherwise(picked)
    return picked.cast(pl.Float64, strict=False)


def attempts(lines: pl.DataFrame) -> pl.DataFrame:
    """Per callid, queue and ENTERQUEUE: its times, agent, end event and durations."""
    ordered = lines.sort("time", "_line").with_columns(
        callerid=_callerid(),
        attempt=(pl.col("event") == "ENTERQUEUE").cum_sum().over("callid", "queue"),
        talk=_seconds(TALK),
        waited=_seconds(WAIT),
        end_hold=_seconds(HOLD),
    )
    return ordered.group_by("callid", "queue", "attempt", maintain_order=True).agg(
        entered=_first("ENTERQUEUE", "time"),
        callerid=_first("ENTERQUEUE", "callerid"),
        connected=_first("CONNECT", "time"),
        hold=pl.coalesce(
            _first("CONNECT", "d1").cast(pl.Float64, strict=False), _first(ENDS, "end_hold")
        ),
        agent=_first("CONNECT", "agent"),
        end=_first(ENDS, "event"),
        ended=_first(ENDS, "time"),
        talk=_first(ENDS, "talk"),
        waited=_first(ENDS, "waited"),
        last=pl.col("time").max(),
        first_line=pl.col("_line").min(),
        trail=pl.format("{}@{}", "event", "time").str.join(" "),
        calls=pl.len(),
    )


def _arrival(frame: pl.DataFrame) -> pl.DataFrame:
    """When the caller entered the queue: ENTERQUEUE, else derived from the later lines."""
    hold = pl.col("hold").cast(pl.Int64, strict=False)  # a garbled number is unknown
    answered_end = pl.col("ended") - hold - pl.col("talk").cast(pl.Int64, strict=False)
    arrival = pl.coalesce(
        "entered",
        pl.col("connected") - hold,
        answered_end,
        pl.col("ended") - pl.col("waited").cast(pl.Int64, strict=False),
        "last",  # JOINEMPTY/FULL with no ENTERQUEUE: the caller never joined
    )
    caller = pl.col("callerid").replace("", None).forward_fill().backward_fill().over("callid")
    return frame.sort("first_line").with_columns(arrival=arrival, callerid=caller)


def merged(frame: pl.DataFrame) -> pl.DataFrame:
    """Join pieces of one queue attempt logged under two callids (same queue, same second).

    After an attended transfer Asterisk logs the transfer under the new leg's callid and the
    original call's CONNECT/COMPLETE in the target queue without an ENTERQUEUE (asterisk
    issue 759). Pieces merge only where at most one of them has an ENTERQUEUE; the piece with
    the most lines gives the callid.
    """
    frame = _arrival(frame)
    entered = pl.col("entered").is_not_null().sum().over("queue", "arrival")
    key = pl.when(entered <= 1).then(pl.lit("")).otherwise(pl.col("callid"))
    ranked = frame.with_columns(_key=key).sort("calls", "first_line", descending=[True, False])
    firsts = [pl.col(c).drop_nulls().first() for c in frame.columns if c not in MERGE_SPECIAL]
    return (
        ranked.group_by("queue", "arrival", "_key", maintain_order=True)
        .agg(
            *firsts,
            entered=pl.col("entered").min(),
            last=pl.col("last").max(),
            first_line=pl.col("first_line").min(),
            calls=pl.col("calls").sum(),
            trail=pl.col("trail").str.join(" "),
        )
        .drop("_key")
    )


def _instant(seconds: str) -> pl.Expr:
    return pl.from_epoch(pl.col(seconds), time_unit="s").dt.replace_time_zone("UTC")


def contacts(pieces: pl.DataFrame, *, source: str) -> pl.DataFrame:
    """Canonical contacts (plus `_row` and `_reason`), one per queue attempt."""
    frame = merged(pieces).sort("callid", "arrival", "first_line")
    contact_id = pl.format("{}:{}:{}", "callid", "queue", "arrival")
    answered = pl.col("connected").is_not_null() | pl.col("end").is_in(list(TALK))
    outcome = pl.col("end").replace_strict(NOT_ANSWERED, default=None, return_dtype=pl.String)
    outcome = pl.when(answered).then(pl.lit("handled")).otherwise(outcome)
    moved_on = pl.col("arrival").shift(-1).over("callid").is_not_null()
    columns = {
        "source": pl.lit(source),
        "contact_id": contact_id,
        "parent_contact_id": contact_id.shift(1).over("callid"),
        "channel": pl.lit("voice"),
        "direction": pl.lit("inbound"),
        "queue": pl.col("queue"),
        "agent_id": pl.col("agent"),
        "customer_key": pl.col("callerid"),
        "arrived_at": _instant("arrival"),
        "answered_at": _instant("connected"),
        "ended_at": _instant("ended"),
        "wait_seconds": pl.when(answered).then("hold").otherwise("waited"),
        "talk_seconds": pl.col("talk"),
        "outcome": outcome,
        "is_transferred": pl.col("end").is_in(TRANSFERS)
        | (answered & pl.col("end").is_null() & moved_on),
        "updated_at": _instant("last"),
    }
    typed = [
        columns.get(name, pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in CONTACTS.schema.items()
    ]
    young = pl.col("last").max() - pl.col("arrival") < CUT_OFF_SECONDS
    reason = pl.when(outcome.is_not_null()).then(None).when(young).then(pl.lit(IN_PROGRESS))
    reason = reason.otherwise(pl.lit(UNTERMINATED))
    return frame.with_row_index("_row", offset=1).select(
        pl.col("_row").cast(pl.Int64), *typed, reason.alias("_reason"), *RAW
    )


RAW = (
    pl.col("callid"),
    pl.col("queue").alias("queue_name"),
    pl.col("callerid"),
    pl.col("trail").alias("events"),
    pl.col("first_line").cast(pl.Int64),
)


def _text(path: Path) -> str:
    data = path.read_bytes()
    return data.decode("utf-8", errors="replace")  # callerid names may hold any bytes


class AsteriskQueueLog:
    """The `queue_log` file Asterisk's app_queue writes (pipe-separated events)."""

    name = "asterisk-queue-log"
    description = "Asterisk queue_log file (epoch|callid|queue|agent|EVENT|data…)"

    def detect(self, path: Path, head: bytes) -> bool:
        first = next((line for line in head.splitlines() if line.strip()), b"")
        return bool(LINE.match(first))

    def read(
        self, path: Path, *, timezone: str, source: str | None, batch_rows: int
    ) -> Iterator[Batch]:
        lines = events(_text(path))
        if lines.is_empty():
            raise CarePulseError(
                f"{path.name}: no call events (ENTERQUEUE, CONNECT, COMPLETE…, ABANDON, EXIT…)",
                hint="Check that this is Asterisk's queue_log and not an empty rotation.",
            )
        yield from batches(lines, source=source or DEFAULT_SOURCE, batch_rows=batch_rows)


CONNECTOR = AsteriskQueueLog()

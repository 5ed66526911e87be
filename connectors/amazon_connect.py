"""Amazon Connect contact trace records (CTR): NDJSON, JSON arrays or back-to-back objects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from connectors import columns, tables
from connectors.base import Batch
from connectors.mapping import Source
from metrics.errors import CarePulseError
from metrics.schema import CONTACTS

DEFAULT_SOURCE = "amazon-connect"
SIGNS = (b'"AWSContactTraceRecordFormatVersion"', b'"InitiationMethod"')
FIELDS = (
    *("ContactId", "PreviousContactId", "NextContactId", "Channel", "InitiationMethod"),
    *("InitiationTimestamp", "DisconnectTimestamp", "LastUpdateTimestamp"),
    *("TransferCompletedTimestamp", "CustomerEndpoint.Address", "Queue.Name"),
    *("Queue.EnqueueTimestamp", "Queue.Duration", "Agent.Username"),
    *("Agent.ConnectedToAgentTimestamp", "Agent.AgentInteractionDuration"),
    *("Agent.CustomerHoldDuration", "Agent.AfterContactWorkDuration"),
)
CHANNELS = (("VOICE", "voice"), ("CHAT", "chat"), ("EMAIL", "email"), ("TASK", None))
INBOUND = ("INBOUND", "TRANSFER", "QUEUE_TRANSFER", "API", "WEBRTC_API")  # WEBRTC: in-app call
OUTBOUND = ("OUTBOUND", "EXTERNAL_OUTBOUND", "CALLBACK", "AGENT_REPLY", "FLOW")  # emails sent
# Records a flow writes on disconnect, and supervisor monitoring, are not customer contacts.
NOT_CONTACTS = ("DISCONNECT", "MONITOR")
DIRECTIONS = (*((m, "inbound") for m in INBOUND), *((m, "outbound") for m in OUTBOUND))
DIRECTIONS = (*DIRECTIONS, *((m, None) for m in NOT_CONTACTS))
SOURCES = {
    "contact_id": Source(column="ContactId"),
    "parent_contact_id": Source(column="PreviousContactId"),
    "channel": Source(column="Channel", map=CHANNELS),
    "direction": Source(column="InitiationMethod", map=DIRECTIONS),
    "queue": Source(column="Queue.Name"),
    "agent_id": Source(column="Agent.Username"),
    "customer_key": Source(column="CustomerEndpoint.Address"),
    "answered_at": Source(column="Agent.ConnectedToAgentTimestamp"),
    "ended_at": Source(column="DisconnectTimestamp"),
    "talk_seconds": Source(column="Agent.AgentInteractionDuration"),
    "hold_seconds": Source(column="Agent.CustomerHoldDuration"),
    "acw_seconds": Source(column="Agent.AfterContactWorkDuration"),
    "updated_at": Source(column="LastUpdateTimestamp"),
}
TIME = pl.Datetime("us", "UTC")


def _get(record: dict, path: str) -> str | None:
    value: object = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return None if value is None else str(value)


def flat(text: str) -> pl.DataFrame:
    """The fields CarePulse uses, as text, one row per record (`_row` = its first line)."""
    rows = [
        {"_row": line, **{f: _get(r, f) for f in FIELDS}} for line, r in tables.json_objects(text)
    ]
    schema = {"_row": pl.Int64, **dict.fromkeys(FIELDS, pl.String)}
    return pl.DataFrame(rows, schema=schema)


def _time(column: str) -> pl.Expr:
    return columns.timestamp(pl.col(column), format=None, timezone="UTC")


def contacts(raw: pl.DataFrame, *, source: str) -> pl.DataFrame:
    """Canonical contacts: arrival at queue entry, abandoned = queued and no agent."""
    frame = columns.canonical(raw, SOURCES, CONTACTS, timezone="UTC")
    enqueued, agent = _time("Queue.EnqueueTimestamp"), _time("Agent.ConnectedToAgentTimestamp")
    method = pl.col("InitiationMethod")
    # A queued contact that goes on in another leg was not abandoned by the customer.
    called_back = raw.filter(method == "CALLBACK")["PreviousContactId"].drop_nulls().implode()
    moved_on = (
        pl.col("NextContactId").is_not_null() | pl.col("TransferCompletedTimestamp").is_not_null()
    )
    derived = raw.select(
        arrived_at=pl.coalesce(enqueued, _time("InitiationTimestamp")),
        wait_seconds=pl.when(agent.is_not_null() & enqueued.is_not_null())
        .then((agent - enqueued).dt.total_seconds().cast(pl.Float64))
        .otherwise(pl.col("Queue.Duration").cast(pl.Float64, strict=False)),
        outcome=pl.when(method.is_in(NOT_CONTACTS))
        .then(None)
        .when(agent.is_not_null())
        .then(pl.lit("handled"))
        .when(enqueued.is_not_null() & pl.col("ContactId").is_in(called_back))
        .then(pl.lit("callback"))
        .when(enqueued.is_not_null() & moved_on)
        .then(pl.lit("flowed_out"))  # transferred on by the flow before an agent answered
        .when(enqueued.is_not_null())
        .then(pl.lit("abandoned"))
        .otherwise(pl.lit("self_served")),  # the flow ended it without a queue
        is_transferred=pl.col("NextContactId").is_not_null()
        | pl.col("TransferCompletedTimestamp").is_not_null(),
        _junk=pl.when(method.is_in(NOT_CONTACTS)).then(
            pl.format("InitiationMethod {}: not a customer contact", method)
        ),
    )
    reason = pl.concat_str(["_reason", "_junk"], separator="; ", ignore_nulls=True)
    return (
        frame.with_columns(derived.drop("_junk"), _junk=derived["_junk"], source=pl.lit(source))
        .with_columns(_reason=pl.when(reason != "").then(reason))
        .select("_row", *CONTACTS.columns, "_reason")
    )


class AmazonConnect:
    """Amazon Connect contact trace records, one JSON object per contact leg."""

    name = "amazon-connect"
    description = "Amazon Connect contact records (CTR JSON: NDJSON, array or concatenated)"

    def detect(self, path: Path, head: bytes) -> bool:
        start = head.lstrip(b"\xef\xbb\xbf \r\n\t")[:1]
        return start in (b"{", b"[") and b'"ContactId"' in head and any(s in head for s in SIGNS)

    def read(
        self, path: Path, *, timezone: str, source: str | None, batch_rows: int
    ) -> Iterator[Batch]:
        text, notes = tables.text_of(path)
        try:
            raw = flat(text)
        except CarePulseError as error:
            raise CarePulseError(f"{path.name}: {error.message}", hint=error.hint) from None
        if raw.is_empty():
            raise CarePulseError(f"{path.name}: no contact records", hint="Export them again.")
        frame = contacts(raw, source=source or DEFAULT_SOURCE)
        for offset in range(0, frame.height, batch_rows):
            part, cells = frame.slice(offset, batch_rows), raw.slice(offset, batch_rows)
            ids = ("CustomerEndpoint.Address",)
            yield Batch(CONTACTS, part, cells, identifiers=ids, notes=notes)


CONNECTOR = AmazonConnect()

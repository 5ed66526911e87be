"""One contact and its chain: the legs it was transferred from and to, the same customer's
contacts before and after it, its survey answers and the customer's tickets."""

from __future__ import annotations

import polars as pl
import streamlit as st

from carepulse import contacts, formatting, ui
from carepulse.filters import Filters
from carepulse.settings import get_settings

CHAIN_COLUMNS = ["Relation", "Time", "Record", "Queue", "Agent", "Channel", "Outcome", "Detail"]


def _seconds(value: float | None) -> str:
    return formatting.DASH if value is None else formatting.duration(value)


def fields(contact: dict) -> pl.DataFrame:
    """The contact's fields as two columns, times in the centre's zone."""
    rows = {
        "Arrived": ui.local(contact["arrived_at"]),
        "Answered": ui.local(contact["answered_at"]),
        "Ended": ui.local(contact["ended_at"]),
        "Queue": contact["queue"],
        "Team": contact["team"],
        "Agent": contact["agent_id"],
        "Channel": f"{contact['channel']} ({contact['direction']})",
        "Segment": contact["segment"],
        "Reason": contact["reason"],
        "Outcome": contact["outcome"],
        "Wait": _seconds(contact["wait_seconds"]),
        "Talk": _seconds(contact["talk_seconds"]),
        "Hold": _seconds(contact["hold_seconds"]),
        "After-contact work": _seconds(contact["acw_seconds"]),
        "Transferred": {True: "yes", False: "no"}.get(contact["is_transferred"]),
        "Escalated": {True: "yes", False: "no"}.get(contact["is_escalated"]),
        "Resolved (source)": {True: "yes", False: "no"}.get(contact["is_resolved"]),
        "Customer (hashed)": contact["customer_key"],
        "Source": contact["source"],
    }
    values = [formatting.DASH if v is None else str(v) for v in rows.values()]
    return pl.DataFrame({"Field": list(rows), "Value": values})


def _linked(
    frame: pl.DataFrame, relation: pl.Expr, at: pl.Expr, record: str, outcome: pl.Expr,
    detail: pl.Expr,
) -> pl.DataFrame:  # fmt: skip
    """Linked records of any kind as rows of the chain table (`_at`: when, in UTC)."""
    return frame.select(
        relation.alias("Relation"),
        at.alias("_at"),
        pl.col(record).alias("Record"),
        pl.col("queue").alias("Queue"),
        pl.col("agent_id").alias("Agent"),
        pl.col("channel").alias("Channel"),
        outcome.alias("Outcome"),
        detail.alias("Detail"),
    )


def _legs(frame: pl.DataFrame) -> pl.DataFrame:
    columns = pl.col("relation"), pl.col("arrived_at"), pl.col("outcome"), pl.col("reason")
    relation, at, outcome, detail = columns
    return _linked(frame, relation, at, "contact_id", outcome, detail)


def _surveys(frame: pl.DataFrame) -> pl.DataFrame:
    named = (("csat", "CSAT"), ("nps", "NPS"), ("ces", "CES"))
    parts = [pl.format(f"{name} {{}}", pl.col(c)) for c, name in named] + [pl.col("comment")]
    scores = pl.concat_str(parts, separator=" · ", ignore_nulls=True)
    unanswered = pl.col("responded_at").is_null()
    outcome = pl.when(unanswered).then(pl.lit("sent, no answer")).otherwise(pl.lit("answered"))
    relation = pl.format("survey of {}", "contact_id")
    at = pl.coalesce("responded_at", "sent_at")
    return _linked(frame, relation, at, "response_id", outcome, scores)


def _tickets(frame: pl.DataFrame) -> pl.DataFrame:
    relation = pl.lit("ticket of the customer")
    return _linked(
        frame, relation, pl.col("created_at"), "ticket_id", pl.col("status"), pl.col("category")
    )


def chain(contact: dict, where: dict) -> pl.DataFrame:
    """Everything linked to the contact, in time order, times in the centre's zone."""
    store, settings = ui.store(), get_settings()
    itself = pl.DataFrame([contact]).with_columns(relation=pl.lit("this contact"))
    legs = contacts.transfers(store, contact, where)
    ids = [contact["contact_id"], *legs["contact_id"].to_list()]
    others = contacts.customer(store, settings, contact, where, exclude=ids)
    parts = [
        _legs(pl.concat([itself, legs, others], how="diagonal_relaxed")),
        _surveys(contacts.surveys(store, ids, where)),
        _tickets(contacts.tickets(store, settings, contact, where)),
    ]
    local = pl.col("_at").dt.convert_time_zone(settings.timezone).dt.strftime("%Y-%m-%d %H:%M")
    both = pl.concat(parts, how="vertical_relaxed").sort("_at", nulls_last=True)
    return both.with_columns(local.alias("Time")).select(CHAIN_COLUMNS)


def show(opened: str, scope: Filters) -> None:
    """The contact named `source:contact_id` in the URL, with its chain."""
    source, _, contact_id = opened.partition(":")
    where = scope.where_dict()
    contact = contacts.one(ui.store(), source, contact_id, where)
    if contact is None:
        st.warning("The contact the link names is not in this selection.")
        return
    with st.container(border=True):
        top = st.container(horizontal=True, vertical_alignment="center")
        top.subheader(f"Contact {contact_id}", anchor=False)
        if top.button("Back to the list", icon=":material/close:", key="close-contact"):
            st.query_params.pop("contact", None)
            st.rerun()
        rows = fields(contact)
        half = (rows.height + 1) // 2
        wide = {"Value": st.column_config.TextColumn(width="large")}
        for column, part in zip(st.columns(2), (rows.head(half), rows.tail(-half)), strict=True):
            column.dataframe(part, hide_index=True, column_config=wide, height="content")
        st.markdown(
            "**Its chain**: the legs it was transferred from and to, the customer's contacts "
            "either side within the FCR window, the surveys about them and the customer's tickets"
        )
        linked = chain(contact, where)
        st.dataframe(linked, hide_index=True, placeholder=formatting.DASH, width="stretch")

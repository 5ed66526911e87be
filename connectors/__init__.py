"""Source formats -> canonical Polars frames. No Streamlit, no database."""

from __future__ import annotations

from pathlib import Path

from connectors import (
    amazon_connect,
    asterisk_cdr,
    asterisk_queue_log,
    canonical,
    database,
    freshdesk,
    generic,
    qualtrics,
    surveymonkey,
    tables,
    zendesk,
)
from connectors.base import Batch, Connector
from connectors.mapping import Mapping
from metrics.errors import CarePulseError

# Detection order: specific formats first; generic only applies when a mapping is given.
SPECIFIC = (
    amazon_connect.CONNECTOR,
    asterisk_queue_log.CONNECTOR,
    asterisk_cdr.CONNECTOR,
    zendesk.CONNECTOR,
    freshdesk.CONNECTOR,
    qualtrics.CONNECTOR,
    surveymonkey.CONNECTOR,
    database.CONNECTOR,
)
REGISTRY: dict[str, Connector] = {
    c.name: c for c in (*SPECIFIC, canonical.CONNECTOR, generic.CONNECTOR)
}


def get(name: str) -> Connector:
    """The connector registered under `name`."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise CarePulseError(
            f"unknown source '{name}'", hint=f"Use one of: {', '.join(REGISTRY)}."
        ) from None


class UnknownFormat(CarePulseError):
    """No registered format recognises the file (it may still be read through a mapping)."""


def detect(path: Path, *, mapping: Mapping | None = None) -> Connector:
    """The connector that recognises the file's content (with a mapping: one that takes it)."""
    if not path.is_file():
        raise CarePulseError(f"{path}: no such file", hint="Check the path.")
    head = path.open("rb").read(65536)
    if not head.strip():
        raise CarePulseError(f"{path.name}: the file is empty", hint="Export it again.")
    if tables.file_format(head) in ("csv", "jsonl"):
        tables.require_text(path, head)
    with_mapping = mapping is not None
    for connector in REGISTRY.values():
        takes = getattr(connector, "uses_mapping", False)
        if (takes or not with_mapping) and connector.detect(path, head):
            return connector
    if with_mapping:
        return generic.CONNECTOR
    formats = "; ".join(f"{c.name}: {c.description}" for c in REGISTRY.values())
    raise UnknownFormat(
        f"{path.name}: format not recognised. Expected one of — {formats}",
        hint="Name the format with --source, describe the file's columns in a mapping "
        "(--mapping, see the README), or convert it to the canonical columns.",
    )


__all__ = ["REGISTRY", "Batch", "Connector", "Mapping", "detect", "get"]

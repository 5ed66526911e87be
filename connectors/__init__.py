"""Source formats -> canonical Polars frames. No Streamlit, no database."""

from __future__ import annotations

from pathlib import Path

from connectors import canonical
from connectors.base import Batch, Connector
from metrics.errors import CarePulseError

REGISTRY: dict[str, Connector] = {c.name: c for c in (canonical.CONNECTOR,)}


def get(name: str) -> Connector:
    """The connector registered under `name`."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise CarePulseError(
            f"unknown source '{name}'", hint=f"Use one of: {', '.join(REGISTRY)}."
        ) from None


def detect(path: Path) -> Connector:
    """The connector that recognises the file's content."""
    if not path.is_file():
        raise CarePulseError(f"{path}: no such file", hint="Check the path.")
    head = path.open("rb").read(65536)
    if not head.strip():
        raise CarePulseError(f"{path.name}: the file is empty", hint="Export it again.")
    for connector in REGISTRY.values():
        if connector.detect(path, head):
            return connector
    formats = "; ".join(f"{c.name}: {c.description}" for c in REGISTRY.values())
    raise CarePulseError(
        f"{path.name}: format not recognised. Expected one of — {formats}",
        hint="Name the format with --source, or convert the file to the canonical columns "
        "described in the README.",
    )


__all__ = ["REGISTRY", "Batch", "Connector", "detect", "get"]

"""Customer identifiers are stored only as keyed hashes (HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import polars as pl

from carepulse.settings import Settings

KEY_FILE = "hash.key"
DIGEST_CHARS = 32  # 128 bits: collisions are negligible at any centre's scale


def hash_key(settings: Settings) -> bytes:
    """The secret key: from settings, else from data_dir/hash.key, created on first use."""
    if settings.hash_key is not None:
        return settings.hash_key.get_secret_value().encode()
    path = Path(settings.data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def normalise(identifier: str) -> str:
    """One spelling per identifier: phone numbers by their digits, others lower-cased."""
    text = identifier.strip()
    if "@" not in text and not any(ch.isalpha() for ch in text):
        digits = "".join(ch for ch in text if ch.isdigit())
        return digits or text
    return text.lower()


def digest(identifier: str, key: bytes) -> str:
    """The keyed hash of one identifier."""
    mac = hmac.new(key, normalise(identifier).encode(), hashlib.sha256)
    return mac.hexdigest()[:DIGEST_CHARS]


def hash_column(series: pl.Series, key: bytes) -> pl.Series:
    """Hash every non-empty value (each distinct value once); blanks stay null."""
    values = series.cast(pl.String).str.strip_chars()
    values = values.set(values == "", None)
    distinct = values.drop_nulls().unique().to_list()
    keyed = hmac.new(key, digestmod=hashlib.sha256)  # keyed once, copied per value
    digests = []
    for value in distinct:
        mac = keyed.copy()
        mac.update(normalise(value).encode())
        digests.append(mac.hexdigest()[:DIGEST_CHARS])
    return values.replace_strict(distinct, digests, default=None, return_dtype=pl.String)

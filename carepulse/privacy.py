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
        _create_key(path)
    return path.read_text().strip().encode()


def _create_key(path: Path) -> None:
    """Write a new key file whole, unless another process or thread got there first.

    The key is written to a file of its own and linked into place: a reader never sees a
    half-written key, and of two first starts at once, both use the one linked first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        os.link(draft, path)
    except FileExistsError:
        pass  # another start created it; its key is the one
    finally:
        draft.unlink(missing_ok=True)


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


# Free text (survey comments) is redacted before it is stored: patterns in order, each with
# what replaces it. Rust regex syntax (no look-around); `${1}` keeps a cue word such as "Rx #".
MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
REDACTIONS = (
    (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", "[email]"),
    (
        r"(?i)\b((?:member(?:ship)?|subscriber|policy|insurance|medicare|medicaid|account|acct"
        r"|patient|mrn|card)\s*(?:id|number|no\.?|num|#)?\s*[:#.]?\s*)"
        r"[A-Za-z]{0,4}[-\s]?\d[\dA-Za-z-]{3,}",
        "${1}[member id]",
    ),
    (
        r"(?i)\b((?:rx|prescription|script)\s*(?:number|no\.?|num|#)?\s*[:#.]?\s*)"
        r"[A-Za-z]{0,3}[-\s]?\d[\d-]{3,}",
        "${1}[rx number]",
    ),
    # Full dates (day, month and year): a date of birth is rarely labelled as one.
    (r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2})\b", "[date]"),
    (rf"(?i)\b{ORDINAL}\s+(?:of\s+)?{MONTH},?\s+\d{{4}}\b", "[date]"),
    (rf"(?i)\b{MONTH}\s+{ORDINAL},?\s+\d{{4}}\b", "[date]"),
    # Phone numbers: 7 to 15 digits, with spaces, dots, dashes or brackets between them.
    (r"\+?\(?\b\d(?:[\s.()-]{0,3}\d){6,14}\b", "[phone]"),
    # Any other long number or code with six digits or more (member, claim, order numbers).
    (r"\b[A-Za-z]{0,4}\d{6,}[A-Za-z0-9]*\b", "[number]"),
)


def redact(text: pl.Expr) -> pl.Expr:
    """Free text with e-mails, phone numbers, dates, member and prescription numbers masked."""
    for pattern, replacement in REDACTIONS:
        text = text.str.replace_all(pattern, replacement)
    return text

"""First guesses for a mapping, from a file's header names and sample values (the column mapper).

A guess is only a starting point the user confirms: a header is proposed where its name is
close to a canonical column's usual names, a unit where the sample cells look like h:mm:ss, and
a value map where the sample's words are obvious (Y/N, yes/no, answered/abandoned).
"""

from __future__ import annotations

import difflib
import re

import polars as pl

from connectors import columns, parse
from connectors.mapping import Source
from metrics.schema import SURVEY_RESPONSES, TIMESTAMP, Kind

# Usual header names per canonical column, as exports name them.
NAMES: dict[str, tuple[str, ...]] = {
    "contact_id": ("call id", "contact id", "callid", "uniqueid", "interaction id", "id"),
    "parent_contact_id": ("parent id", "previous contact id", "linkedid"),
    "ticket_id": ("ticket id", "id", "case id", "case number"),
    "response_id": ("response id", "responseid", "respondent id"),
    "agent_id": ("agent", "agent id", "agent name", "user", "operator", "assignee"),
    "queue": ("queue", "skill", "split", "line", "group"),
    "team": ("team",),
    "segment": ("segment", "customer type", "plan"),
    "reason": ("topic", "reason", "category", "disposition", "wrap code"),
    "category": ("category", "type", "topic"),
    "priority": ("priority",),
    "status": ("status", "state"),
    "customer_key": ("caller", "customer", "customer id", "phone", "ani", "member id"),
    "arrived_at": ("date", "arrived", "start", "start time", "call start", "timestamp"),
    "answered_at": ("answered at", "answer time", "connected"),
    "ended_at": ("ended", "end time", "call end"),
    "created_at": ("created at", "created", "opened", "date"),
    "first_reply_at": ("first reply", "first response"),
    "solved_at": ("solved at", "resolved at", "closed date"),
    "sent_at": ("sent", "sent at", "invited"),
    "responded_at": ("responded", "end date", "completed", "submitted"),
    "wait_seconds": ("speed of answer", "wait", "queue time", "wait time", "asa"),
    "talk_seconds": ("talk", "talk time", "talk duration", "avgtalkduration", "duration"),
    "hold_seconds": ("hold", "hold time"),
    "acw_seconds": ("acw", "wrap", "after call work", "wrap up time"),
    "outcome": ("answered", "answered (y/n)", "outcome", "result", "abandoned"),
    "is_resolved": ("resolved", "fcr", "first call resolution"),
    "is_transferred": ("transferred", "transfer"),
    "is_escalated": ("escalated", "escalation"),
    "is_complaint": ("complaint",),
    "csat": ("satisfaction", "satisfaction rating", "csat"),
    "nps": ("nps", "likelihood to recommend", "recommend"),
    "ces": ("ces", "effort", "customer effort"),
    "comment": ("comment", "comments", "verbatim", "feedback"),
    "channel": ("channel", "via", "medium"),
    "direction": ("direction", "call type"),
}
CONSTANTS = {"channel": "voice", "direction": "inbound"}  # the usual case, shown as a guess
WORDS = {  # sample words -> canonical values, for enum columns
    "outcome": {
        **dict.fromkeys(parse.TRUE_WORDS, "handled"),
        **dict.fromkeys(parse.FALSE_WORDS, "abandoned"),
        **dict.fromkeys(("answered", "handled", "completed", "connected"), "handled"),
        **dict.fromkeys(("abandoned", "abandon", "hung up", "lost"), "abandoned"),
    },
}
CLOCK = re.compile(r"^\d{1,3}:\d{2}(:\d{2})?(\.\d+)?$")
NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")
MIN_SCORE = 0.75
SURVEY_SCORES = ("csat", "nps", "ces", "comment")
DATE_FORMATS = tuple(
    f"{day} {clock}"
    for day in ("%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%b-%y", "%d-%b-%Y", "%d/%m/%y", "%m/%d/%y")
    for clock in ("%H:%M:%S", "%H:%M")
)


def _plain(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _score(header: str, names: tuple[str, ...]) -> float:
    plain = _plain(header)
    exact = max((1.0 for n in names if _plain(n) == plain), default=0.0)
    close = max(difflib.SequenceMatcher(None, plain, _plain(n)).ratio() for n in names)
    starts = max((0.8 for n in names if plain.startswith(_plain(n) + " ")), default=0.0)
    return max(exact, close, starts)


def _plausible(dtype: pl.DataType, column: str, values: list[str]) -> bool:
    """Whether the sample cells could be the column's type (no dates from a Y/N column)."""
    if not values:
        return True
    if dtype == TIMESTAMP:
        return all(re.search(r"\d", v) and re.search(r"[-/:. ]", v) for v in values[:20])
    if column.endswith("_seconds") or dtype.is_numeric():
        return all(CLOCK.match(v) or NUMBER.match(v) for v in values[:20])
    return True


def _assign(columns: list[str], headers: list[str], sample: pl.DataFrame, kind_schema: dict):
    """Greedy best-first pairing of columns and headers above the score threshold."""
    pairs = []
    for column in columns:
        names = NAMES.get(column, (column.replace("_", " "),))
        for order, header in enumerate(headers):
            score = _score(header, names)
            plausible = _plausible(kind_schema[column], column, sample_values(sample, header))
            if score >= MIN_SCORE and plausible:
                pairs.append((score, -order, column, header))
    chosen: dict[str, str] = {}
    for _, _, column, header in sorted(pairs, reverse=True):
        if column not in chosen and header not in chosen.values():
            chosen[column] = header
    return chosen


def sample_values(sample: pl.DataFrame, header: str, limit: int = 50) -> list[str]:
    """The distinct non-blank cells of a sample column, in order of appearance."""
    cells = sample.get_column(header).cast(pl.String).drop_nulls().str.strip_chars()
    return cells.filter(cells != "").unique(maintain_order=True).head(limit).to_list()


def value_map(column: str, values: list[str], kind: Kind) -> tuple[tuple[str, object], ...]:
    """Obvious translations of sample words into the column's canonical values."""
    dtype = kind.schema[column]
    if dtype == pl.Boolean:
        words = {**dict.fromkeys(parse.TRUE_WORDS, True), **dict.fromkeys(parse.FALSE_WORDS, False)}
    else:
        allowed = kind.enums.get(column, ())
        words = WORDS.get(column, {}) | {a: a for a in allowed}
    pairs = [(v, words.get(v.lower())) for v in values]
    needs_map = any(str(target) != v for v, target in pairs if target is not None)
    return tuple((v, t) for v, t in pairs if t is not None) if needs_map else ()


def _unit(values: list[str]) -> str:
    return "hh:mm:ss" if values and all(CLOCK.match(v) for v in values) else "s"


def date_format(cells: list[str]) -> str | None:
    """The first common format that reads every sample cell (None: the default forms do)."""
    sample = pl.DataFrame({"cell": cells[:200]}, schema={"cell": pl.String})
    for candidate in (None, *DATE_FORMATS):
        read = sample.select(columns.timestamp(pl.col("cell"), format=candidate, timezone="UTC"))
        if read.to_series().is_not_null().all():
            return candidate
    return None


def _source(column: str, header: str, headers: list[str], sample: pl.DataFrame, kind) -> Source:
    dtype, values = kind.schema[column], sample_values(sample, header)
    if dtype == TIMESTAMP:
        time = next((h for h in headers if _plain(h) == "time"), None)
        if _plain(header) == "date" and time:
            cells = sample.select(pl.concat_str(header, time, separator=" ")).to_series()
            format = date_format(cells.drop_nulls().to_list())
            return Source(date=header, time=time, format=format)
        return Source(column=header, format=date_format(values))
    if column.endswith("_seconds"):
        return Source(column=header, unit=_unit(values))
    if dtype == pl.Boolean or column in kind.enums:
        return Source(column=header, map=value_map(column, values, kind))
    return Source(column=header)


def _score_source(column: str, header: str, sample: pl.DataFrame) -> Source:
    """A score column; a 0 on a scale that starts at 1 is the export's "no answer"."""
    low, _ = SURVEY_RESPONSES.ranges[column]
    zero = low > 0 and any(NUMBER.match(v) and float(v) == 0 for v in sample_values(sample, header))
    return Source(column=header, zero_is_null=zero)


def suggest(
    headers: list[str], sample: pl.DataFrame, kind: Kind
) -> tuple[dict[str, Source], dict[str, Source]]:
    """Guessed sources for the kind's columns, and for survey scores riding on the same rows."""
    wanted = [c for c in kind.schema if c not in ("source", "updated_at")]
    chosen = _assign(wanted, headers, sample, kind.schema)
    guesses = {c: _source(c, h, headers, sample, kind) for c, h in chosen.items()}
    for column in kind.required:
        if column in CONSTANTS and column not in guesses:
            guesses[column] = Source(value=CONSTANTS[column])
    surveys: dict[str, Source] = {}
    if kind is not SURVEY_RESPONSES:
        free = [h for h in headers if h not in {h for s in guesses.values() for h in s.headers}]
        scores = _assign(list(SURVEY_SCORES), free, sample, SURVEY_RESPONSES.schema)
        surveys = {c: _score_source(c, h, sample) for c, h in scores.items()}
    return dict(sorted(guesses.items(), key=lambda g: wanted.index(g[0]))), surveys

"""Seeded generator of a fictional pharmacy / health-system patient-service contact centre."""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from metrics.schema import CONTACTS, SURVEY_RESPONSES, TICKETS

SOURCE = "sample"
DEFAULT_OUT = Path(__file__).resolve().parent / "centre"
DAY = 86400.0

# queue -> (mean talk seconds, share of arrivals, home team)
QUEUES: dict[str, tuple[float, float, str]] = {
    "Prescription refills": (240.0, 0.36, "Refill Desk"),
    "Pharmacist line": (420.0, 0.14, "Clinical Pharmacists"),
    "Billing & insurance": (360.0, 0.20, "Billing & Coverage"),
    "Appointments": (200.0, 0.22, "Scheduling"),
    "Complaints & feedback": (480.0, 0.08, "Patient Relations"),
}
QNAMES = list(QUEUES)
REFILLS, PHARMACIST, BILLING, APPOINTMENTS, COMPLAINTS = range(5)
BOT_QUEUES = (REFILLS, APPOINTMENTS)
# team -> (agents, skills as queue indexes)
TEAMS: dict[str, tuple[int, tuple[int, ...]]] = {
    "Refill Desk": (12, (REFILLS, APPOINTMENTS)),
    "Clinical Pharmacists": (7, (PHARMACIST, REFILLS)),
    "Billing & Coverage": (9, (BILLING, COMPLAINTS)),
    "Scheduling": (10, (APPOINTMENTS, REFILLS)),
    "Patient Relations": (5, (COMPLAINTS, BILLING)),
    "Float Pool": (7, (REFILLS, APPOINTMENTS, BILLING)),
}
TOPICS: dict[int, tuple[str, ...]] = {
    REFILLS: ("Refill request", "Refill status", "Auto-refill", "Prescription transfer"),
    PHARMACIST: ("Drug interaction", "Dosage question", "Side effects", "Vaccination"),
    BILLING: ("Insurance coverage", "Copay question", "Prior authorization", "Statement"),
    APPOINTMENTS: ("New appointment", "Reschedule", "Cancel appointment", "Telehealth visit"),
    COMPLAINTS: ("Service complaint", "Wait time complaint", "Compliment", "Pharmacy error"),
}
DETAILS = (
    "general",
    "urgent",
    "controlled substance",
    "specialty medication",
    "mail order",
    "store pickup",
    "caregiver calling",
    "Medicare",
    "Medicaid",
    "commercial plan",
)
WEEKLY = (1.25, 1.05, 1.0, 0.95, 0.9, 0.35, 0.0)  # Monday .. Sunday
CHANNEL_MIX = (("voice", 0.72), ("chat", 0.18), ("sms", 0.10))
# What complaint tickets are about (their category), with shares.
COMPLAINT_KINDS = {
    "wait time complaint": 0.28, "staff attitude": 0.2, "billing dispute": 0.18,
    "refill delay complaint": 0.16, "pharmacy error": 0.12, "portal access": 0.06,
}  # fmt: skip
# Fictional personal details some customers write into comments (the ingest masks them).
OVERSHARING = (
    " Call me back on (555) 014-2231.", " My date of birth is 04/12/1961.",
    " It is Rx #4412378.", " Member ID W123456789.", " Email me at pat.jones@example.com.",
)  # fmt: skip
THEMES: dict[str, tuple[str, str]] = {
    "hold": ("got through quickly", "waited on hold far too long"),
    "refill": ("my refill was ready the same day", "my refill was delayed again"),
    "billing": ("they sorted out my insurance question", "still confused about my bill"),
    "courtesy": ("the staff member was very kind", "the person I spoke to was rude"),
    "pharmacist": ("the pharmacist gave clear advice", "the pharmacist advice was unclear"),
    "portal": ("the app made it easy", "the portal kept logging me out"),
}


@dataclass
class Agents:
    """The agent roster's fixed attributes."""

    ids: list[str]
    teams: list[str]
    skills: np.ndarray  # (n, queues) bool
    start_hour: np.ndarray
    length: np.ndarray
    saturday: np.ndarray
    speed: np.ndarray  # handle-time multiplier (new agents are slower)
    quality: np.ndarray


@dataclass
class Day:
    """One simulated local day: its agents on shift and its state."""

    date: dt.date
    index: int
    on: np.ndarray  # agent indexes on shift
    start: np.ndarray
    end: np.ndarray
    free: np.ndarray
    rng: np.random.Generator
    skilled: list[np.ndarray]  # per queue: positions of skilled agents on shift
    heap: list = field(default_factory=list)


@dataclass
class Ctx:
    """Whole-run parameters and accumulators."""

    agents: Agents
    days: int
    scale: float
    seed: int
    first: dt.date
    cutoff: float
    tz: str
    incident: tuple[dt.date, dt.date]
    pending: dict = field(default_factory=lambda: defaultdict(list))
    rows: list = field(default_factory=list)
    seq: int = 0


def incident_week(end: dt.date) -> tuple[dt.date, dt.date]:
    """The staffing-shortfall week: the Monday about 3.5 weeks before `end`, to Sunday."""
    probe = end - dt.timedelta(days=25)
    monday = probe - dt.timedelta(days=probe.weekday())
    return monday, monday + dt.timedelta(days=6)


def _default_end(timezone: str) -> dt.date:
    """Yesterday as a local date in the zone."""
    return dt.datetime.now(ZoneInfo(timezone)).date() - dt.timedelta(days=1)


def _to_epoch(local: list[dt.datetime], timezone: str) -> np.ndarray:
    """Epoch seconds (UTC) of local naive datetimes; non-existent times become NaN."""
    s = pl.Series("t", local, dtype=pl.Datetime("us"))
    z = s.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    return (z.dt.epoch("us").cast(pl.Float64) / 1e6).fill_null(float("nan")).to_numpy()


def _lognormal(
    rng: np.random.Generator, mean: float, sigma: float, size: int | None = None
) -> np.ndarray | float:
    """Lognormal draws with the given arithmetic mean."""
    return rng.lognormal(math.log(mean) - sigma**2 / 2, sigma, size)


def make_agents(scale: float = 1.0, seed: int = 7) -> Agents:
    """About 50 agents (times scale) in six teams, with skills, shifts, tenure and quality."""
    rng = np.random.default_rng([seed, 0])
    teams = [t for t, (n, _) in TEAMS.items() for _ in range(max(1, round(n * scale)))]
    skills = np.zeros((len(teams), len(QUEUES)), dtype=bool)
    for i, team in enumerate(teams):
        skills[i, list(TEAMS[team][1])] = True
    n = len(teams)
    tenure = rng.gamma(2.0, 12.0, n)  # months
    return Agents(
        ids=[f"A{i + 1:03d}" for i in range(n)],
        teams=teams,
        skills=skills,
        start_hour=rng.choice([8, 8, 8, 9, 9, 10, 10, 11, 12, 13, 14, 15, 16, 16], n),
        length=rng.choice([3, 4, 4, 5], n),
        saturday=rng.random(n) < 0.35,
        speed=np.where(tenure < 6, 1.3, np.where(tenure < 12, 1.1, 1.0)),
        quality=rng.normal(0.0, 0.35, n),
    )


def _shifts(
    agents: Agents, date: dt.date, seed: int, timezone: str, incident: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indexes and UTC start/end epochs of agents on shift on a local date."""
    rng = np.random.default_rng([seed, date.toordinal(), 1])
    n, wd = len(agents.ids), date.weekday()
    present = rng.random(n) < 0.85
    lo, hi = (8, 20) if wd < 5 else (9, 17)
    if wd == 5:
        present &= agents.saturday
    if wd == 6:
        present &= False
    if incident[0] <= date <= incident[1]:
        present &= rng.random(n) >= 0.4
    idx = np.flatnonzero(present)
    start = np.clip(agents.start_hour[idx], lo, hi - 2)
    end = np.minimum(start + agents.length[idx], hi)
    base = dt.datetime.combine(date, dt.time())
    times = [base + dt.timedelta(hours=int(h)) for h in np.concatenate([start, end])]
    epochs = _to_epoch(times, timezone)
    return idx, epochs[: len(idx)], epochs[len(idx) :]


def roster(
    *,
    days: int = 90,
    scale: float = 1.0,
    seed: int = 7,
    end: dt.date | None = None,
    timezone: str = "America/New_York",
) -> pl.DataFrame:
    """Every agent shift of the window: agent_id, team, shift_start, shift_end (UTC)."""
    end = end or _default_end(timezone)
    agents, incident = make_agents(scale, seed), incident_week(end)
    rows: dict[str, list] = {"agent_id": [], "team": [], "shift_start": [], "shift_end": []}
    for i in range(days):
        date = end - dt.timedelta(days=days - 1 - i)
        idx, start, stop = _shifts(agents, date, seed, timezone, incident)
        rows["agent_id"] += [agents.ids[j] for j in idx]
        rows["team"] += [agents.teams[j] for j in idx]
        rows["shift_start"] += start.tolist()
        rows["shift_end"] += stop.tolist()
    frame = pl.DataFrame(
        rows, schema_overrides={"shift_start": pl.Float64, "shift_end": pl.Float64}
    )
    return frame.with_columns(_ts(pl.col("shift_start")), _ts(pl.col("shift_end")))


def _ts(expr: pl.Expr) -> pl.Expr:
    """Float epoch seconds to a UTC microsecond timestamp."""
    return pl.from_epoch((expr * 1e6).round().cast(pl.Int64), "us").dt.replace_time_zone("UTC")


def _intraday(date: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """Local hours of the day's 15-minute intervals and their arrival weights."""
    wd = date.weekday()
    if wd == 6:
        return np.array([]), np.array([])
    lo, hi = (8.0, 20.0) if wd < 5 else (9.0, 17.0)
    hours = np.arange(lo, hi, 0.25)
    mid = hours + 0.125
    shape = 0.6 + 1.8 * np.exp(-((mid - 10.5) ** 2) / 1.2) + 0.7 * np.exp(-((mid - 14.5) ** 2) / 3)
    return hours, shape / shape.sum()


def _arrival_times(
    ctx: Ctx, date: dt.date, rng: np.random.Generator, n: int | None = None
) -> np.ndarray:
    """Poisson arrivals (or n arrivals) over the day's open intervals, as UTC epochs."""
    hours, weights = _intraday(date)
    if not len(hours):
        return np.array([])
    if n is None:
        counts = rng.poisson(540.0 * ctx.scale * WEEKLY[date.weekday()] * weights)
    else:
        counts = rng.multinomial(n, weights)
    base = dt.datetime.combine(date, dt.time())
    starts = _to_epoch([base + dt.timedelta(hours=float(h)) for h in hours], ctx.tz)
    t = np.repeat(starts, counts) + rng.uniform(0, 900, counts.sum())
    return np.sort(t[~np.isnan(t)])


def _reason(rng: np.random.Generator, q: int) -> str:
    """A reason string of the queue: topic – detail."""
    return f"{rng.choice(TOPICS[q])} – {rng.choice(DETAILS)}"


def _new_contact(ctx: Ctx, rng: np.random.Generator, t: float, q: int, **over) -> dict:
    """A fresh arrival record (not yet served)."""
    ctx.seq += 1
    contact = {
        "contact_id": f"C{ctx.seq:08d}",
        "parent_contact_id": None,
        "channel": str(rng.choice([c for c, _ in CHANNEL_MIX], p=[p for _, p in CHANNEL_MIX])),
        "direction": "inbound",
        "q": q,
        "segment": "new patient" if rng.random() < 0.28 else "established patient",
        "reason": _reason(rng, q),
        "customer_key": f"+1 555 01{int(rng.integers(0, 100000)):05d}",
        "t": float(t),
        "child": False,
    }
    contact.update(over)
    return contact


def _push(day: Day, contact: dict) -> None:
    """Queue a contact for the day's event loop."""
    heapq.heappush(day.heap, (contact["t"], contact["contact_id"], contact))


def _seed_arrivals(ctx: Ctx, day: Day) -> None:
    """Fresh arrivals (some routed to the bot first) and repeats carried from earlier days."""
    rng = day.rng
    times = _arrival_times(ctx, day.date, rng)
    shares = np.array([v[1] for v in QUEUES.values()])
    for t, q in zip(times, rng.choice(len(QUEUES), len(times), p=shares), strict=True):
        contact = _new_contact(ctx, rng, t, int(q))
        if q in BOT_QUEUES and rng.random() < 0.35:
            contact["channel"] = "bot"
        _push(day, contact)
    repeats = ctx.pending.pop(day.date, [])
    for t, spec in zip(_arrival_times(ctx, day.date, rng, len(repeats)), repeats, strict=False):
        _push(day, _new_contact(ctx, rng, t, spec["q"], customer_key=spec["key"]))


def _record(contact: dict, **values) -> dict:
    """A finished contact row (internal fields kept for surveys)."""
    row = {k: v for k, v in contact.items() if k not in ("child",)}
    row.update(answered=None, ended=None, wait=None, talk=None, hold=None, acw=None, agent=None)
    row.update(transferred=False, escalated=False, resolved=None, reported=None, quality=0.0)
    row.update(values)
    return row


def _bot(ctx: Ctx, day: Day, c: dict) -> None:
    """A bot session: contained (self_served) or handed over to a voice/chat contact."""
    rng = day.rng
    duration = float(_lognormal(rng, 150.0, 0.6))
    contained = rng.random() < 0.62
    outcome = "self_served" if contained else "flowed_out"
    ctx.rows.append(
        _record(
            c,
            answered=c["t"],
            ended=c["t"] + duration,
            wait=0.0,
            talk=duration,
            outcome=outcome,
            resolved=contained,
            reported=contained,
        )
    )
    if not contained:
        channel = "voice" if rng.random() < 0.6 else "chat"
        child = _new_contact(ctx, rng, c["t"] + duration, c["q"], channel=channel)
        child.update(parent_contact_id=c["contact_id"], customer_key=c["customer_key"])
        _push(day, child)


def _pick_agent(day: Day, q: int, t: float) -> tuple[int, float]:
    """The skilled on-shift agent free first (position in the day), and when (inf if none)."""
    pos = day.skilled[q]
    if not len(pos):
        return -1, math.inf
    avail = np.maximum(np.maximum(day.free[pos], day.start[pos]), t)
    avail[avail >= day.end[pos]] = np.inf
    j = int(np.argmin(avail))
    return int(pos[j]), float(avail[j])


def _handle_times(ctx: Ctx, day: Day, q: int, a: int) -> tuple[float, float, float]:
    """Talk, hold and after-call-work seconds for queue q and agent a (roster index)."""
    rng = day.rng
    mean = QUEUES[QNAMES[q]][0]
    if q == BILLING:
        mean *= 1 - 0.15 * day.index / max(ctx.days - 1, 1)
    talk = float(_lognormal(rng, mean * ctx.agents.speed[a], 0.55))
    hold = float(rng.uniform(30, 120)) if rng.random() < 0.25 else 0.0
    acw = float(rng.uniform(20, 60))
    return min(talk, 7200.0), hold, acw


def _serve(ctx: Ctx, day: Day, c: dict) -> None:
    """Serve a voice/chat/outbound contact: handled, abandoned, flowed out or callback."""
    rng = day.rng
    k, start = _pick_agent(day, c["q"], c["t"])
    wait = start - c["t"]
    if c["direction"] == "outbound":
        if math.isfinite(wait):
            _handled(ctx, day, c, k, start)
        return
    patience = float(_lognormal(rng, 120.0 if c["channel"] == "voice" else 180.0, 0.9))
    patience *= 2.0 if c["parent_contact_id"] else 1.0
    if wait > 600 and patience > 600:
        ctx.rows.append(_record(c, ended=c["t"] + 600, wait=600.0, outcome="flowed_out"))
    elif wait > patience and c["channel"] == "voice" and wait > 300 and rng.random() < 0.2:
        _callback(ctx, day, c, min(patience, 45.0))
    elif wait > patience:
        ctx.rows.append(_record(c, ended=c["t"] + patience, wait=patience, outcome="abandoned"))
    else:
        _handled(ctx, day, c, k, start)


def _callback(ctx: Ctx, day: Day, c: dict, wait: float) -> None:
    """The caller chose a callback; an outbound contact follows later."""
    ctx.rows.append(_record(c, ended=c["t"] + wait, wait=wait, outcome="callback"))
    later = c["t"] + float(day.rng.uniform(900, 5400))
    child = _new_contact(ctx, day.rng, later, c["q"], channel="voice", direction="outbound")
    child.update(parent_contact_id=c["contact_id"], customer_key=c["customer_key"], child=True)
    _push(day, child)


def _handled(ctx: Ctx, day: Day, c: dict, k: int, start: float) -> None:
    """Record a handled contact; maybe transfer, escalate or schedule a repeat."""
    rng, a = day.rng, int(day.on[k])
    talk, hold, acw = _handle_times(ctx, day, c["q"], a)
    end = start + talk + hold
    day.free[k] = end + acw
    roll = rng.random() if not c["child"] else 1.0
    transferred = roll < 0.08
    escalated = 0.08 <= roll < 0.13 and c["q"] != PHARMACIST
    resolved = rng.random() > 0.16 + 0.08 * (ctx.agents.speed[a] > 1)
    reported = None if transferred or escalated else resolved != (rng.random() < 0.06)
    times = {"answered": start, "ended": end, "wait": start - c["t"], "talk": talk}
    flags = {"transferred": transferred, "escalated": escalated, "resolved": resolved}
    quality = float(ctx.agents.quality[a])
    row = _record(c, **times, hold=hold, acw=acw, agent=a, outcome="handled", **flags)
    row.update(reported=reported, quality=quality)
    ctx.rows.append(row)
    if transferred or escalated:
        _follow_on(ctx, day, c, end, PHARMACIST if escalated else None)
    elif not resolved:
        _repeat(ctx, day, c)


def _follow_on(ctx: Ctx, day: Day, c: dict, end: float, q: int | None) -> None:
    """A transferred or escalated child contact in another queue."""
    rng = day.rng
    if q is None:
        q = int(rng.choice([i for i in range(len(QUEUES)) if i != c["q"]]))
    child = _new_contact(ctx, rng, end + float(rng.uniform(5, 120)), q, channel=c["channel"])
    child.update(parent_contact_id=c["contact_id"], customer_key=c["customer_key"], child=True)
    child.update(segment=c["segment"])
    _push(day, child)


def _repeat(ctx: Ctx, day: Day, c: dict) -> None:
    """Schedule a repeat contact from the same customer 1–6 days later."""
    rng = day.rng
    later = day.date + dt.timedelta(days=int(rng.integers(1, 7)))
    if later.weekday() == 6:
        later += dt.timedelta(days=1)
    q = c["q"] if rng.random() < 0.8 else int(rng.integers(0, len(QUEUES)))
    ctx.pending[later].append({"q": q, "key": c["customer_key"]})


def _sms(ctx: Ctx, day: Day, c: dict) -> None:
    """An SMS conversation: answered asynchronously by a skilled agent on shift."""
    rng = day.rng
    t = c["t"] + float(_lognormal(rng, 300.0, 0.8))
    ok = ctx.agents.skills[day.on, c["q"]] & (day.start <= t) & (day.end > t)
    if not ok.any():
        ctx.rows.append(_record(c, ended=c["t"] + 1800, wait=1800.0, outcome="abandoned"))
        return
    _handled(ctx, day, c, int(rng.choice(np.flatnonzero(ok))), t)


def _simulate_day(ctx: Ctx, index: int) -> None:
    """Run one local day's event loop."""
    date = ctx.first + dt.timedelta(days=index)
    idx, start, end = _shifts(ctx.agents, date, ctx.seed, ctx.tz, ctx.incident)
    rng = np.random.default_rng([ctx.seed, date.toordinal(), 2])
    skilled = [np.flatnonzero(ctx.agents.skills[idx, q]) for q in range(len(QUEUES))]
    day = Day(date, index, idx, start, end, start.copy(), rng, skilled)
    _seed_arrivals(ctx, day)
    while day.heap:
        _, _, c = heapq.heappop(day.heap)
        if c["channel"] == "bot":
            _bot(ctx, day, c)
        elif c["channel"] == "sms" and c["direction"] == "inbound":
            _sms(ctx, day, c)
        else:
            _serve(ctx, day, c)


ROW_SCHEMA: dict[str, pl.DataType] = {
    **{k: pl.String for k in ("contact_id", "parent_contact_id", "channel", "direction")},
    **{k: pl.String for k in ("segment", "reason", "customer_key", "outcome")},
    "q": pl.Int64,
    "agent": pl.Int64,
    **{k: pl.Float64 for k in ("t", "answered", "ended", "wait", "talk", "hold", "acw")},
    **{k: pl.Boolean for k in ("transferred", "escalated", "resolved", "reported")},
    "quality": pl.Float64,
}
RENAMES = {
    "t": "_t",
    "answered": "_answered",
    "ended": "_ended",
    **{k: f"{k}_seconds" for k in ("wait", "talk", "hold", "acw")},
    "transferred": "is_transferred",
    "escalated": "is_escalated",
    "reported": "is_resolved",
    "resolved": "_resolved",
    "quality": "_quality",
}


def _contacts_frame(ctx: Ctx) -> pl.DataFrame:
    """The canonical contacts frame plus internal columns (_resolved, _quality)."""
    frame = pl.from_dicts(ctx.rows, schema=ROW_SCHEMA).rename(RENAMES)
    ids, teams = dict(enumerate(ctx.agents.ids)), dict(enumerate(ctx.agents.teams))
    home = {i: QUEUES[name][2] for i, name in enumerate(QNAMES)}
    frame = frame.with_columns(
        pl.col("q").replace_strict(dict(enumerate(QNAMES))).alias("queue"),
        pl.col("agent").replace_strict(ids, default=None, return_dtype=pl.String).alias("agent_id"),
        pl.col("agent")
        .replace_strict(teams, default=None, return_dtype=pl.String)
        .fill_null(pl.col("q").replace_strict(home))
        .alias("team"),
    )
    return _finish_contacts(frame)


def _finish_contacts(frame: pl.DataFrame) -> pl.DataFrame:
    """Timestamps, source and canonical column order for contacts."""
    frame = frame.with_columns(
        pl.lit(SOURCE).alias("source"),
        _ts(pl.col("_t")).alias("arrived_at"),
        _ts(pl.col("_answered")).alias("answered_at"),
        _ts(pl.col("_ended")).alias("ended_at"),
    ).with_columns(
        pl.col("ended_at").fill_null(pl.col("arrived_at")).alias("updated_at"),
    )
    extra = ["_resolved", "_quality"]
    return frame.select(*CONTACTS.schema, *extra)


def _simulate_contacts(ctx: Ctx) -> pl.DataFrame:
    """All contacts of the window, simulated day by day to bound memory."""
    parts = []
    for index in range(ctx.days):
        _simulate_day(ctx, index)
        if ctx.rows:
            parts.append(_contacts_frame(ctx))
            ctx.rows = []
    return pl.concat(parts).sort("arrived_at", "contact_id")


def _ticket_draws(ctx: Ctx, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random durations (seconds) and attributes of n tickets."""
    return {
        "reply": _lognormal(rng, 4 * 3600.0, 0.9, n),
        "solve": rng.uniform(1 * DAY, 3 * DAY, n),
        "reopens": np.where(rng.random(n) < 0.06, rng.integers(1, 3, n), 0),
        "close": rng.uniform(3 * DAY, 5 * DAY, n),
        "replies": rng.poisson(1.5, n) + 1,
        "escalated": rng.random(n) < 0.05,
        "late": rng.random(n) < 0.10,
    }


def _ticket_created(ctx: Ctx, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Creation epochs and queue indexes of organic e-mail/portal tickets."""
    times, queues = [], []
    shares = np.array([v[1] for v in QUEUES.values()])
    for i in range(ctx.days):
        date = ctx.first + dt.timedelta(days=i)
        factor = WEEKLY[date.weekday()] or 0.2
        n = int(rng.poisson(150 * ctx.scale * factor))
        day_start = _to_epoch([dt.datetime.combine(date, dt.time())], ctx.tz)[0]
        office = rng.random(n) < 0.8
        offsets = np.where(office, rng.uniform(8, 18, n), rng.uniform(0, 24, n)) * 3600
        times.append(day_start + offsets)
        queues.append(rng.choice(len(QUEUES), n, p=shares))
    return np.concatenate(times), np.concatenate(queues)


def _complaint_sources(contacts: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Handled complaint contacts that open a complaint ticket (about half)."""
    handled = contacts.filter(
        (pl.col("queue") == QNAMES[COMPLAINTS]) & (pl.col("outcome") == "handled")
    )
    keep = rng.random(handled.height) < 0.5
    return handled.filter(pl.Series(keep)).select("ended_at", "customer_key")


def _tickets(ctx: Ctx, contacts: pl.DataFrame) -> pl.DataFrame:
    """E-mail/portal tickets, including complaint tickets from complaint contacts."""
    rng = np.random.default_rng([ctx.seed, 3])
    created, queues = _ticket_created(ctx, rng)
    source = _complaint_sources(contacts, rng)
    extra = source["ended_at"].dt.epoch("us").to_numpy() / 1e6 + rng.uniform(
        60, 3600, source.height
    )
    created = np.concatenate([created, extra])
    queues = np.concatenate([queues, np.full(source.height, COMPLAINTS)])
    n = len(created)
    keys = [f"+1 555 01{int(k):05d}" for k in rng.integers(0, 100000, n)]
    keys[n - source.height :] = source["customer_key"].to_list()
    complaint = (queues == COMPLAINTS) & (rng.random(n) < 0.85)
    complaint[n - source.height :] = True
    return _ticket_frame(ctx, rng, created, queues, keys, complaint)


def _ticket_times(ctx: Ctx, created: np.ndarray, d: dict, complaint: np.ndarray) -> dict:
    """Reply/solve/close epochs, with NaN for events after the cutoff."""
    late = complaint & d["late"]
    reply = np.where(
        complaint, np.where(late, 2.2 * DAY, 0) + np.minimum(d["reply"], 1.8 * DAY), d["reply"]
    )
    first_reply = created + reply
    solved = np.maximum(created + d["solve"], first_reply + 600)
    last = solved + d["reopens"] * DAY
    closed = last + d["close"]

    def cut(x: np.ndarray) -> np.ndarray:
        return np.where(x <= ctx.cutoff, x, np.nan)

    return {
        "first": cut(first_reply),
        "solved": cut(solved),
        "last": cut(last),
        "closed": cut(closed),
    }


def _ticket_status(t: dict, reopened: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Status from which events have happened by the cutoff."""
    n = len(t["first"])
    waiting = rng.choice(["open", "pending", "hold"], n, p=[0.6, 0.3, 0.1])
    status = np.where(np.isnan(t["first"]), "new", waiting)
    status = np.where(~np.isnan(t["solved"]), "solved", status)
    status = np.where(~np.isnan(t["solved"]) & np.isnan(t["last"]) & reopened, "open", status)
    return np.where(~np.isnan(t["closed"]), "closed", status)


def _ticket_people(ctx: Ctx, rng: np.random.Generator, queues: np.ndarray) -> dict:
    """Team (the queue's home team) and an agent of that team for each ticket."""
    agents = ctx.agents
    teams = [QUEUES[QNAMES[q]][2] for q in queues]
    members = {team: [i for i, x in enumerate(agents.teams) if x == team] for team in set(teams)}
    agent = [agents.ids[int(rng.choice(members[team]))] for team in teams]
    return {"queue": [QNAMES[q] for q in queues], "team": teams, "agent_id": agent}


def _complaint_kinds(ctx: Ctx, n: int) -> np.ndarray:
    """What each complaint is about (its own random stream, so other draws stay as they were)."""
    rng = np.random.default_rng([ctx.seed, 6])
    kinds, shares = zip(*COMPLAINT_KINDS.items(), strict=True)
    return rng.choice(kinds, n, p=shares)


def _ticket_labels(
    rng: np.random.Generator, queues: np.ndarray, complaint: np.ndarray, kinds: np.ndarray
) -> dict:
    """Priority, category and channel of each ticket."""
    n = len(queues)
    priority = np.where(
        complaint,
        rng.choice(["normal", "high", "urgent"], n, p=[0.4, 0.45, 0.15]),
        rng.choice(["low", "normal", "high", "urgent"], n, p=[0.25, 0.55, 0.15, 0.05]),
    )
    category = [
        (str(k) if c else str(rng.choice(TOPICS[q])).lower())
        for q, c, k in zip(queues, complaint, kinds, strict=True)
    ]
    channel = rng.choice(["email", "portal"], n, p=[0.65, 0.35])
    return {"priority": priority, "category": category, "channel": channel}


def _ticket_frame(
    ctx: Ctx,
    rng: np.random.Generator,
    created: np.ndarray,
    queues: np.ndarray,
    keys: list[str],
    complaint: np.ndarray,
) -> pl.DataFrame:
    """Assemble the canonical tickets frame."""
    d = _ticket_draws(ctx, len(created), rng)
    t = _ticket_times(ctx, created, d, complaint)
    frame = pl.DataFrame(
        {
            **{f"_{k}": v for k, v in t.items()},
            "_created": created,
            "status": _ticket_status(t, d["reopens"] > 0, rng),
            **_ticket_labels(rng, queues, complaint, _complaint_kinds(ctx, len(queues))),
            **_ticket_people(ctx, rng, queues),
            "is_complaint": complaint,
            "customer_key": keys,
            "reopens": pl.Series(np.where(np.isnan(t["last"]), 0, d["reopens"])).cast(pl.Int32),
            "replies": pl.Series(d["replies"] + d["reopens"]).cast(pl.Int32),
            "is_escalated": d["escalated"],
        }
    ).fill_nan(None)
    unassigned = pl.when(pl.col("_first").is_not_null()).then(pl.col("agent_id"))
    return _finish_tickets(frame.with_columns(unassigned.alias("agent_id")))


def _ids(prefix: str) -> pl.Expr:
    """Sequential ids such as T0000001, in the frame's order."""
    return pl.format(prefix + "{}", pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(7))


def _finish_tickets(frame: pl.DataFrame) -> pl.DataFrame:
    """Timestamps, ids and canonical column order for tickets."""
    frame = (
        frame.sort("_created")
        .with_columns(
            pl.lit(SOURCE).alias("source"),
            _ids("T").alias("ticket_id"),
            _ts(pl.col("_created")).alias("created_at"),
            _ts(pl.col("_first")).alias("first_reply_at"),
            _ts(pl.col("_solved")).alias("solved_at"),
            _ts(pl.col("_last")).alias("last_solved_at"),
            _ts(pl.col("_closed")).alias("closed_at"),
        )
        .with_columns(
            pl.max_horizontal(
                "created_at", "first_reply_at", "solved_at", "last_solved_at", "closed_at"
            ).alias("updated_at")
        )
    )
    return frame.select(list(TICKETS.schema))


def _survey_base(contacts: pl.DataFrame, tickets: pl.DataFrame) -> pl.DataFrame:
    """Rated interactions: handled contacts and solved tickets, with what drives the score."""
    rated_contacts = contacts.filter(pl.col("outcome") == "handled").select(
        "contact_id",
        pl.lit(None, pl.String).alias("ticket_id"),
        "channel",
        "queue",
        "team",
        "agent_id",
        pl.col("ended_at").alias("_after"),
        pl.col("wait_seconds").alias("_wait"),
        pl.col("_resolved"),
        pl.col("_quality"),
    )
    rated_tickets = tickets.filter(pl.col("solved_at").is_not_null()).select(
        pl.lit(None, pl.String).alias("contact_id"),
        "ticket_id",
        "channel",
        "queue",
        "team",
        "agent_id",
        pl.col("solved_at").alias("_after"),
        ((pl.col("first_reply_at") - pl.col("created_at")).dt.total_seconds() / 240).alias("_wait"),
        (pl.col("reopens") == 0).alias("_resolved"),
        pl.lit(0.0).alias("_quality"),
    )
    return pl.concat([rated_contacts, rated_tickets])


def _scores(rng: np.random.Generator, base: pl.DataFrame) -> dict[str, np.ndarray]:
    """CSAT, NPS, CES and the resolved answer, driven by wait, resolution and agent quality."""
    n = base.height
    wait = base["_wait"].fill_null(0).to_numpy()
    resolved = base["_resolved"].fill_null(True).to_numpy()
    latent = (
        4.3
        + base["_quality"].to_numpy()
        - np.minimum(np.maximum(wait - 60, 0) / 240, 1.8)
        - 1.7 * ~resolved
        + rng.normal(0, 0.7, n)
    )
    return {
        "csat": np.clip(np.rint(latent), 1, 5),
        "nps": np.clip(np.rint(2.3 * latent - 0.6 + rng.normal(0, 1.0, n)), 0, 10),
        # CES is agreement with "made it easy" on 1–7 (METRICS.md): higher is easier.
        "ces": np.clip(np.rint(1.4 * latent - 0.4 + rng.normal(0, 0.8, n)), 1, 7),
        "is_resolved": resolved != (rng.random(n) < 0.1),
    }


def _comment(rng: np.random.Generator, queue: str, csat: float, wait: float) -> str:
    """A free-text comment assembled from theme phrases, positive or negative."""
    themes = ["courtesy"]
    themes += {
        QNAMES[REFILLS]: ["refill"],
        QNAMES[BILLING]: ["billing"],
        QNAMES[PHARMACIST]: ["pharmacist"],
    }.get(queue, ["portal"])
    if wait > 180:
        themes.append("hold")
    picked = rng.choice(themes, min(len(themes), int(rng.integers(1, 3))), replace=False)
    good = csat >= 4
    text = " and ".join(THEMES[t][0 if good else 1] for t in picked)
    return text[0].upper() + text[1:] + ("." if good else "!")


def _overshare(comments: list[str | None], rng: np.random.Generator) -> list[str | None]:
    """About 3% of comments also carry a (fictional) phone number, date of birth or id."""
    extra = rng.choice(len(OVERSHARING), len(comments))
    chosen = rng.random(len(comments)) < 0.03
    return [
        c + OVERSHARING[e] if c is not None and pick else c
        for c, e, pick in zip(comments, extra, chosen, strict=True)
    ]


def _surveys(ctx: Ctx, contacts: pl.DataFrame, tickets: pl.DataFrame) -> pl.DataFrame:
    """Surveys sent after ~60% of rated interactions; 20–35% answered."""
    rng = np.random.default_rng([ctx.seed, 4])
    base = _survey_base(contacts, tickets)
    base = base.filter(pl.Series(rng.random(base.height) < 0.6))
    n = base.height
    sent = base["_after"].dt.epoch("us").to_numpy() / 1e6 + rng.uniform(300, 3600, n)
    responded = sent + np.minimum(rng.exponential(8 * 3600, n), 2 * DAY - 60)
    answered = (rng.random(n) < 0.28) & (responded <= ctx.cutoff) & (sent <= ctx.cutoff)
    s = _scores(rng, base)
    wait = base["_wait"].fill_null(0).to_numpy()
    queues = base["queue"].to_list()
    comments = [
        _comment(rng, queues[i], s["csat"][i], wait[i])
        if answered[i] and rng.random() < 0.4
        else None
        for i in range(n)
    ]
    comments = _overshare(comments, np.random.default_rng([ctx.seed, 7]))
    frame = base.with_columns(
        pl.Series("_sent", sent),
        pl.Series("_responded", np.where(answered, responded, np.nan)),
        *[pl.Series(k, np.where(answered, v, np.nan)) for k, v in s.items() if k != "is_resolved"],
        pl.Series("is_resolved", s["is_resolved"]),
        pl.Series("_answered", answered),
        pl.Series("comment", comments, dtype=pl.String),
    )
    return _finish_surveys(frame.fill_nan(None).filter(pl.col("_sent") <= ctx.cutoff))


def _finish_surveys(frame: pl.DataFrame) -> pl.DataFrame:
    """Types, ids and canonical column order for survey responses."""
    frame = (
        frame.sort("_sent")
        .with_columns(
            pl.lit(SOURCE).alias("source"),
            _ids("S").alias("response_id"),
            _ts(pl.col("_sent")).alias("sent_at"),
            _ts(pl.col("_responded")).alias("responded_at"),
            *[pl.col(c).cast(pl.Int16) for c in ("csat", "nps", "ces")],
            pl.when(pl.col("_answered")).then(pl.col("is_resolved")).alias("is_resolved"),
        )
        .with_columns(pl.coalesce("responded_at", "sent_at").alias("updated_at"))
    )
    return frame.select(list(SURVEY_RESPONSES.schema))


def generate(
    *,
    days: int = 90,
    scale: float = 1.0,
    seed: int = 7,
    end: dt.date | None = None,
    timezone: str = "America/New_York",
) -> dict[str, pl.DataFrame]:
    """Contacts, tickets and survey responses of `days` local days ending at `end`."""
    end = end or _default_end(timezone)
    first = end - dt.timedelta(days=days - 1)
    cutoff = _to_epoch([dt.datetime.combine(end + dt.timedelta(days=1), dt.time())], timezone)[0]
    agents = make_agents(scale, seed)
    ctx = Ctx(agents, days, scale, seed, first, float(cutoff), timezone, incident_week(end))
    contacts = _simulate_contacts(ctx)
    tickets = _tickets(ctx, contacts)
    surveys = _surveys(ctx, contacts, tickets)
    return {
        "contacts": contacts.select(list(CONTACTS.schema)),
        "tickets": tickets,
        "survey_responses": surveys,
    }


def write(frames: dict[str, pl.DataFrame], folder: Path) -> list[Path]:
    """Write each frame to <folder>/<kind>.parquet (zstd) and return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind, frame in frames.items():
        path = folder / f"{kind}.parquet"
        frame.write_parquet(path, compression="zstd")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Command line: generate the sample centre and write its parquet files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    frames = generate(days=args.days, scale=args.scale, seed=args.seed, end=args.end)
    for path in write(frames, args.out):
        kind = path.stem
        print(f"{kind}: {frames[kind].height} rows -> {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Properties of rollups and evaluate: re-summing, ranges, empty denominators, split ingests."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from carepulse import bulk, storage
from carepulse.ingest import ingest
from carepulse.settings import load
from metrics import catalog, schema, ticket_rollup
from metrics.evaluate import evaluate
from metrics.kpi import Percentile, Ratio, Stock, Total, Unit
from tests.test_kpis import contacts, roll, roll_surveys, surveys, tickets

ZONE = "America/New_York"
START = datetime(2026, 10, 30, 0, 0, tzinfo=UTC)  # the period crosses the 1 November fall-back
MINUTES = 5 * 24 * 60
AS_OF = START + timedelta(days=9)  # some FCR windows closed, the latest ones not
FLOWS = [k for k in catalog.kpis().values() if not isinstance(k, Stock)]
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

durations = st.one_of(st.none(), st.sampled_from([0.0, 3.0, 5.0, 12.0, 30.0, 31.0, 95.0, 600.0]))
flags = st.one_of(st.none(), st.booleans())
contact_rows = st.lists(
    st.fixed_dictionaries(
        {
            "channel": st.sampled_from(schema.CHANNELS),
            "direction": st.sampled_from(schema.DIRECTIONS),
            "queue": st.sampled_from(["Refills", "Billing", None]),
            "reason": st.sampled_from(["rx", "bill", None]),
            "customer_key": st.sampled_from(["k1", "k2", "k3", None]),
            "arrived_at": st.integers(0, MINUTES).map(lambda m: START + timedelta(minutes=m)),
            "outcome": st.sampled_from(schema.OUTCOMES),
            "wait_seconds": durations,
            "talk_seconds": durations,
            "hold_seconds": durations,
            "acw_seconds": durations,
            "is_transferred": flags,
            "is_escalated": flags,
            "is_resolved": flags,
        }
    ),
    max_size=30,
)
scores = {name: st.one_of(st.none(), st.integers(low, high)) for name, (low, high) in
          schema.SURVEY_RESPONSES.ranges.items()}  # fmt: skip
survey_rows = st.lists(
    st.fixed_dictionaries(
        {
            "contact_id": st.sampled_from(["c0", "c1", "c2", "c3", "gone", None]),
            "sent_at": st.integers(0, MINUTES).map(lambda m: START + timedelta(minutes=m)),
            "answer_after": st.one_of(st.none(), st.integers(1, 3000)),
            "is_resolved": flags,
            **scores,
        }
    ),
    max_size=15,
)
hours = st.one_of(st.none(), st.integers(1, 90))
ticket_rows = st.lists(
    st.fixed_dictionaries(
        {
            "created_at": st.integers(0, MINUTES).map(lambda m: START + timedelta(minutes=m)),
            "reply": hours,
            "solve": hours,
            "is_complaint": flags,
            "reopens": st.sampled_from([0, 1, None]),
            "queue": st.sampled_from(["Refills", "Billing", None]),
        }
    ),
    max_size=12,
)


def survey_frame(rows: list[dict]) -> pl.DataFrame:
    shaped = []
    for row in rows:
        row = dict(row)
        after = row.pop("answer_after")
        responded = None if after is None else row["sent_at"] + timedelta(minutes=after)
        shaped.append({**row, "responded_at": responded})
    return surveys(*shaped)


def ticket_frame(rows: list[dict]) -> pl.DataFrame:
    shaped = []
    for row in rows:
        row = dict(row)
        reply, solve = row.pop("reply"), row.pop("solve")
        created = row["created_at"]
        done = solve is not None
        shaped.append(
            {
                **row,
                "first_reply_at": None if reply is None else created + timedelta(hours=reply),
                "solved_at": created + timedelta(hours=solve) if done else None,
                "status": "solved" if done else "open",
            }
        )
    return tickets(*shaped)


def interval_frames(contact: list[dict], survey: list[dict], ticket: list[dict]) -> dict:
    rated = contacts(*contact)
    return {
        "contacts": roll(rated),
        "surveys": roll_surveys(survey_frame(survey), rated),
        "tickets": ticket_rollup.roll_up_tickets(ticket_frame(ticket).lazy()).collect(),
    }


def evaluated(frames: dict, by: list[str]) -> pl.DataFrame:
    return evaluate(FLOWS, frames, by=by, timezone=ZONE, as_of=AS_OF)


def resummed(fine: pl.DataFrame) -> dict[str, tuple[float | None, float]]:
    sums = fine.group_by("kpi").agg(pl.col("numerator").sum(), pl.col("denominator").sum())
    return {r["kpi"]: (r["numerator"], r["denominator"]) for r in sums.to_dicts()}


def assert_resums(frames: dict, by: list[str]) -> None:
    whole = {r["kpi"]: r for r in evaluated(frames, []).to_dicts()}
    parts = resummed(evaluated(frames, by))
    for kpi in FLOWS:
        row = whole[kpi.key]
        if row["note"] and row["note"].startswith("no data"):
            continue  # a KPI whose measures no source provides (occupancy)
        numerator, denominator = parts.get(kpi.key, (0.0, 0.0))
        assert denominator == row["denominator"], (kpi.key, by)
        if isinstance(kpi, Ratio | Total):
            assert abs(numerator - row["numerator"]) <= 1e-6 * max(1, abs(numerator)), kpi.key
        if isinstance(kpi, Ratio):
            expected = None if denominator == 0 else numerator / denominator * kpi.scale
            if expected is None:
                assert row["value"] is None, kpi.key
            else:
                assert abs(row["value"] - expected) <= 1e-9 * max(1, abs(expected)), kpi.key
        if isinstance(kpi, Percentile):
            assert (row["value"] is None) == (denominator == 0), kpi.key


@FAST
@given(contact=contact_rows, survey=survey_rows, ticket=ticket_rows)
def test_by_day_resummed_equals_the_whole_period(contact, survey, ticket):
    assert_resums(interval_frames(contact, survey, ticket), ["day"])


@FAST
@given(contact=contact_rows, survey=survey_rows, ticket=ticket_rows)
def test_by_queue_resummed_equals_no_grouping(contact, survey, ticket):
    assert_resums(interval_frames(contact, survey, ticket), ["queue"])


@FAST
@given(contact=contact_rows, survey=survey_rows, ticket=ticket_rows)
def test_by_interval_and_hour_resum_too(contact, survey, ticket):
    frames = interval_frames(contact, survey, ticket)
    assert_resums(frames, ["hour", "channel"])


@FAST
@given(contact=contact_rows, survey=survey_rows, ticket=ticket_rows, by=st.sampled_from(
    [[], ["day"], ["queue"], ["day", "queue"], ["hour"]]))  # fmt: skip
def test_rates_stay_in_the_unit_range_and_empty_denominators_are_null(contact, survey, ticket, by):
    frames = interval_frames(contact, survey, ticket)
    units = {k.key: k for k in FLOWS}
    for row in evaluated(frames, by).to_dicts():
        kpi = units[row["kpi"]]
        if row["denominator"] == 0 and not isinstance(kpi, Total):
            assert row["value"] is None, row
            assert row["status"] == "n/a", row
        if row["value"] is None:
            assert row["status"] == "n/a"
            continue
        if kpi.unit is Unit.PERCENT:
            assert 0 <= row["value"] <= 1, row
            assert 0 <= row["ci_low"] <= row["value"] + 1e-12, row  # Wilson: rounding only
            assert row["value"] <= row["ci_high"] <= 1, row
        if kpi.unit is Unit.POINTS:
            assert -100 <= row["value"] <= 100, row
        if kpi.unit is Unit.SECONDS:
            assert row["value"] >= 0, row


# ---------------------------------------------------------------- split ingests


def _write(frame: pl.DataFrame, path: Path) -> Path:
    frame.drop("source").write_parquet(path)
    return path


def _stored(engine: sa.Engine) -> dict[str, pl.DataFrame]:
    out = {}
    for name, table in storage.ROLLUPS.items():
        frame = bulk.read(engine, sa.select(table), dict(storage.ROLLUP_SCHEMAS[name]))
        out[name] = frame.select(sorted(frame.columns)).sort(pl.all(), nulls_last=True)
    return out


def _store(root: Path, name: str, files: list[Path]) -> dict[str, pl.DataFrame]:
    config = load(
        data_dir=root, database_url=f"sqlite:///{root / name}.db", hash_key="fixed-test-key"
    )
    engine = storage.connect(config.database)
    storage.init(engine)
    try:
        for path in files:
            ingest(path, engine=engine, settings=config)
        return _stored(engine)
    finally:
        engine.dispose()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    contact=contact_rows,
    survey=survey_rows,
    ticket=ticket_rows,
    sides=st.lists(st.booleans(), min_size=60, max_size=60),
)
def test_two_files_give_the_same_rollups_as_one(contact, survey, ticket, sides):
    kinds = {
        "contacts": contacts(*contact),
        "surveys": survey_frame(survey),
        "tickets": ticket_frame(ticket),
    }
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        whole, first, second = [], [], []
        for offset, (kind, frame) in enumerate(kinds.items()):
            chosen = [sides[(i + offset * 20) % 60] for i in range(frame.height)]
            side = pl.Series(chosen, dtype=pl.Boolean)
            whole.append(_write(frame, root / f"{kind}.parquet"))
            first.append(_write(frame.filter(~side), root / f"{kind}_1.parquet"))
            second.append(_write(frame.filter(side), root / f"{kind}_2.parquet"))
        one_file = _store(root, "one", whole)
        two_files = _store(root, "two", first + second)
    for name in one_file:
        print(name)  # shown when the comparison fails
        assert_frame_equal(one_file[name], two_files[name], check_exact=False)


def test_an_evening_ticket_alone_is_in_the_backlog_of_its_local_day(tmp_path):
    # 21:46 in New York on 29 October is 01:46 UTC on the 30th: the day's bounds are local
    # instants and must compare as instants against the stored UTC times, not as wall-clock text.
    created = datetime(2026, 10, 30, 1, 46, tzinfo=UTC)
    frame = ticket_frame(
        [{"created_at": created, "reply": None, "solve": None, "is_complaint": None,
          "reopens": 0, "queue": "Refills"}]
    )  # fmt: skip
    stored = _store(tmp_path, "evening", [_write(frame, tmp_path / "t.parquet")])
    backlog = stored["ticket_backlog"].select("day", "open_tickets", "open_under_24h")
    # Open at the end of the 29th (2 h 14 min old), and the last day the data speaks for.
    assert backlog.rows() == [(date(2026, 10, 29), 1, 1)]


def test_an_aware_bound_compares_as_the_same_instant(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'instant.db'}")
    table = sa.Table("t", sa.MetaData(), sa.Column("at", storage.Instant()))
    table.create(engine)
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"at": datetime(2026, 10, 30, 1, 46, tzinfo=UTC)}])
        zurich = ZoneInfo("Europe/Zurich")  # 02:47 in Zurich is 01:47 UTC: after the row
        later = datetime(2026, 10, 30, 2, 47, tzinfo=zurich)
        earlier = datetime(2026, 10, 30, 2, 45, tzinfo=zurich)
        assert (
            connection.execute(sa.select(sa.func.count()).where(table.c.at < later)).scalar() == 1
        )
        assert (
            connection.execute(sa.select(sa.func.count()).where(table.c.at < earlier)).scalar() == 0
        )

"""Every catalog KPI on a tiny hand-built frame; each expected value is worked out by hand here."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from metrics import catalog, histogram, repeats, rollup, schema, ticket_rollup
from metrics.business_hours import Calendar
from metrics.evaluate import evaluate
from metrics.kpi import Kpi, Stock

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # a Monday afternoon
AS_OF = T0 + timedelta(days=60)  # every window long closed
Z = 1.959963984540054
H = timedelta(hours=1)
D = timedelta(days=1)
CATALOG = catalog.kpis()
RX = catalog.targets(CATALOG, preset="rx")
ALL_KEYS = set(CATALOG)


def rows_of(kind: schema.Kind, defaults: dict, key: str, rows: list[dict]) -> pl.DataFrame:
    """Rows in the kind's canonical schema; unnamed columns are null."""
    blank = dict.fromkeys(kind.schema)
    full = [
        {**blank, "source": "test", key: f"{key[0]}{i}", **defaults, **row}
        for i, row in enumerate(rows)
    ]
    return pl.DataFrame(full, schema=kind.schema)


def contacts(*rows: dict) -> pl.DataFrame:
    """Handled inbound voice contacts at T0 unless a row says otherwise."""
    defaults = {"channel": "voice", "direction": "inbound", "queue": "Refills"}
    defaults |= {"arrived_at": T0, "outcome": "handled"}
    return rows_of(schema.CONTACTS, defaults, "contact_id", list(rows))


def surveys(*rows: dict) -> pl.DataFrame:
    defaults = {"sent_at": T0, "responded_at": T0 + H}
    return rows_of(schema.SURVEY_RESPONSES, defaults, "response_id", list(rows))


def tickets(*rows: dict) -> pl.DataFrame:
    defaults = {"status": "open", "created_at": T0, "channel": "email", "queue": "Billing"}
    return rows_of(schema.TICKETS, defaults, "ticket_id", list(rows))


def roll(frame: pl.DataFrame, **options: object) -> pl.DataFrame:
    settings = {"short_abandon_seconds": 5, "sl_seconds": 30, "fcr_window": timedelta(days=7)}
    return rollup.roll_up_contacts(frame.lazy(), **{**settings, **options}).collect()


def roll_surveys(responses: pl.DataFrame, rated: pl.DataFrame | None = None) -> pl.DataFrame:
    rated = contacts() if rated is None else rated
    return rollup.roll_up_surveys(responses.lazy(), rated.lazy()).collect()


def evaluate_one(kpi: Kpi | str, intervals: object, **options: object) -> list[dict]:
    kpi = CATALOG[kpi] if isinstance(kpi, str) else kpi
    options = {"as_of": AS_OF, "targets": RX, **options}
    return evaluate([kpi], intervals, **options).to_dicts()


def one(kpi: Kpi | str, intervals: object, **options: object) -> dict:
    (row,) = evaluate_one(kpi, intervals, **options)
    return row


def check(row: dict, expected: float, numerator: float, denominator: float) -> None:
    assert row["value"] == pytest.approx(expected)
    assert row["numerator"] == pytest.approx(numerator)
    assert row["denominator"] == pytest.approx(denominator)


TESTED: set[str] = set()


def covers(*keys: str):
    """Record which catalog KPIs a test covers (checked by test_every_catalog_kpi_is_tested)."""
    TESTED.update(keys)
    return lambda function: function


# ---------------------------------------------------------------- contact volumes and queue

QUEUE = contacts(
    {"wait_seconds": 10.0, "talk_seconds": 100.0},
    {"wait_seconds": 30.0, "talk_seconds": 100.0},  # exactly T: in service level
    {"wait_seconds": 31.0, "talk_seconds": 100.0},
    {"wait_seconds": None, "talk_seconds": 100.0},  # unknown wait: not in SL, not in ASA
    {"outcome": "abandoned", "wait_seconds": 3.0},  # short abandon
    {"outcome": "abandoned", "wait_seconds": 20.0},  # abandoned within T
    {"outcome": "abandoned", "wait_seconds": 40.0},
    {"outcome": "abandoned", "wait_seconds": None},  # unknown wait: never short
    {"outcome": "flowed_out", "wait_seconds": 90.0},
    {"outcome": "callback", "wait_seconds": 60.0},
    {"direction": "outbound", "wait_seconds": 0.0, "talk_seconds": 50.0},  # not queued
    {"channel": "bot", "outcome": "self_served"},  # a bot session, not offered
    {"channel": "bot", "outcome": "handled"},  # handed to an agent by the bot: still a session
)


@covers("offered")
def test_offered_counts_inbound_non_bot_contacts():
    expected = 4 + 4 + 1 + 1  # handled, abandoned, flowed out, callback
    check(one("offered", roll(QUEUE)), expected, expected, expected)


@covers("handled")
def test_handled_counts_inbound_non_bot_answered_contacts():
    check(one("handled", roll(QUEUE)), 4, 4, 4)


def test_offered_is_the_sum_of_the_outcomes_per_interval():
    sums = roll(QUEUE).select(pl.exclude(rollup.KEYS).sum()).row(0, named=True)
    outcomes = ("handled", "abandoned", "short_abandoned", "flowed_out", "callbacks")
    assert sums["offered"] == sum(sums[c] for c in (*outcomes, "self_served"))
    assert (sums["short_abandoned"], sums["abandoned"], sums["bot_sessions"]) == (1, 3, 2)


@covers("service_level")
def test_service_level_counts_late_abandons_as_misses():
    offered, short = 10, 1
    check(one("service_level", roll(QUEUE)), 2 / (offered - short), 2, offered - short)


def test_service_level_variants():
    offered, short, abandoned, abandoned_in_t = 10, 1, 3, 1
    intervals = roll(QUEUE)
    ignored = one(catalog.SERVICE_LEVEL_VARIANTS["ignored"], intervals)
    check(ignored, 2 / (offered - short - abandoned), 2, offered - short - abandoned)
    positive = one(catalog.SERVICE_LEVEL_VARIANTS["positive"], intervals)
    check(positive, (2 + abandoned_in_t) / (offered - short), 2 + abandoned_in_t, offered - short)
    assert (
        catalog.kpis(sl_abandons="ignored")["service_level"]
        is (catalog.SERVICE_LEVEL_VARIANTS["ignored"])
    )


@covers("abandon_rate")
def test_abandon_rate_leaves_short_abandons_out():
    check(one("abandon_rate", roll(QUEUE)), 3 / (10 - 1), 3, 10 - 1)


def test_unknown_wait_is_never_short_even_with_a_huge_threshold():
    frame = contacts({"outcome": "abandoned", "wait_seconds": None})
    intervals = roll(frame, short_abandon_seconds=10_000)
    assert intervals["short_abandoned"].sum() == 0
    check(one("abandon_rate", intervals), 1 / 1, 1, 1)


def test_short_abandon_threshold_is_inclusive():
    frame = contacts(
        {"outcome": "abandoned", "wait_seconds": 5.0},
        {"outcome": "abandoned", "wait_seconds": 5.5},
        {"outcome": "handled", "wait_seconds": 2.0},
    )
    check(one("abandon_rate", roll(frame)), 1 / (3 - 1), 1, 3 - 1)


@covers("asa")
def test_asa_divides_by_handled_with_known_wait():
    check(one("asa", roll(QUEUE)), (10 + 30 + 31) / 3, 10 + 30 + 31, 3)


HANDLING = contacts(
    {"talk_seconds": 100.0, "hold_seconds": 20.0, "acw_seconds": 30.0},
    {"talk_seconds": 200.0, "hold_seconds": None, "acw_seconds": 10.0},  # no hold: none
    {"direction": "outbound", "talk_seconds": 50.0, "hold_seconds": 5.0},  # outbound counts
    {"talk_seconds": None, "hold_seconds": 99.0, "acw_seconds": 99.0},  # unknown talk: left out
    {"outcome": "abandoned", "talk_seconds": 0.0, "hold_seconds": 50.0},
    {"channel": "bot", "outcome": "handled", "talk_seconds": 500.0},  # bots are not handling
)


@covers("aht")
def test_aht_adds_talk_hold_and_after_contact_work():
    total = (100 + 20 + 30) + (200 + 0 + 10) + (50 + 5 + 0)
    check(one("aht", roll(HANDLING)), total / 3, total, 3)


def test_aht_does_not_add_hold_again_when_talk_contains_it():
    total = (100 + 30) + (200 + 10) + 50
    check(one("aht", roll(HANDLING, hold_in_talk=True)), total / 3, total, 3)


@covers("avg_hold")
def test_average_hold_counts_missing_hold_as_none():
    check(one("avg_hold", roll(HANDLING)), (20 + 0 + 5) / 3, 25, 3)
    check(one("avg_hold", roll(HANDLING, hold_in_talk=True)), (20 + 0 + 5) / 3, 25, 3)


@covers("transfer_rate")
def test_transfer_rate():
    frame = contacts(
        {"is_transferred": True},
        {"is_transferred": False},
        {"is_transferred": None},
        {"is_transferred": True, "direction": "outbound"},  # not a queue contact
        {"is_transferred": True, "outcome": "abandoned"},
    )
    check(one("transfer_rate", roll(frame)), 1 / 3, 1, 3)


@covers("escalation_rate")
def test_escalation_rate():
    frame = contacts({"is_escalated": True}, {"is_escalated": True}, {"is_escalated": False}, {})
    check(one("escalation_rate", roll(frame)), 2 / 4, 2, 4)


# ---------------------------------------------------------------- first-contact resolution


def repeat_flags(frame: pl.DataFrame, **options: object) -> dict[str, bool]:
    options = {"fcr_window": timedelta(days=7), **options}
    flagged = repeats.flag(frame.lazy(), **options).collect()
    return dict(zip(flagged["contact_id"], flagged["is_repeated"], strict=True))


def test_transfer_chain_is_not_a_repeat_but_two_days_later_is():
    frame = contacts(
        {"customer_key": "A"},
        {"customer_key": "A", "arrived_at": T0 + timedelta(minutes=10)},  # same call
        {"customer_key": "B"},
        {"customer_key": "B", "arrived_at": T0 + 2 * D},
        {"customer_key": "C"},
        {"customer_key": "C", "arrived_at": T0 + 8 * D},  # outside a 7-day window
        {"customer_key": "D"},
        {"customer_key": "D", "arrived_at": T0 + 7 * D},  # the window's last instant
    )
    flags = repeat_flags(frame)
    assert flags == {
        "c0": False, "c1": False, "c2": True, "c3": False,
        "c4": False, "c5": False, "c6": True, "c7": False,
    }  # fmt: skip


def test_a_repeat_past_the_chain_is_found_behind_a_transfer():
    frame = contacts(
        {"customer_key": "A"},
        {"customer_key": "A", "arrived_at": T0 + timedelta(minutes=5)},
        {"customer_key": "A", "arrived_at": T0 + timedelta(minutes=16)},
    )
    assert repeat_flags(frame) == {"c0": True, "c1": False, "c2": False}


def test_a_repeat_on_another_channel_counts_and_other_customers_do_not():
    frame = contacts(
        {"customer_key": "A"},
        {"customer_key": "A", "channel": "email", "outcome": "abandoned", "arrived_at": T0 + D},
        {"customer_key": "B", "arrived_at": T0 + D},
        {"customer_key": None},
        {"customer_key": None, "arrived_at": T0 + D},
    )
    assert repeat_flags(frame) == {"c0": True, "c1": False, "c2": False, "c3": False, "c4": False}


@covers("fcr")
def test_fcr_counts_handled_inbound_contacts_with_a_customer_key():
    frame = contacts(
        {"customer_key": "A"},
        {"customer_key": "A", "arrived_at": T0 + timedelta(minutes=10)},
        {"customer_key": "B"},
        {"customer_key": "B", "arrived_at": T0 + 2 * D},
        {"customer_key": "C"},
        {"customer_key": "C", "arrived_at": T0 + 8 * D},
        {"customer_key": None},  # not eligible
        {"customer_key": "E", "outcome": "abandoned"},  # not handled: not eligible
        {"customer_key": "E", "direction": "outbound", "arrived_at": T0 + H},  # not eligible
    )
    eligible, repeated = 6, 1  # A, A, B, B, C, C; only B's first came back
    row = one("fcr", roll(frame))
    check(row, (eligible - repeated) / eligible, eligible - repeated, eligible)
    assert row["provisional"] is False
    assert row["status"] == "met"  # 5/6 ≥ 70 %


def test_fcr_window_not_closed_is_provisional_and_left_out_of_the_denominator():
    frame = contacts(
        {"customer_key": "A", "arrived_at": T0 - 10 * D},  # window closed at as_of
        {"customer_key": "B", "arrived_at": T0},  # 7 days not yet passed
        {"customer_key": "C", "arrived_at": T0 - timedelta(days=7, minutes=15)},  # closes at T0
    )
    row = one("fcr", roll(frame), as_of=T0)
    check(row, 2 / 2, 2, 2)
    assert row["provisional"] is True
    assert "provisional" in row["note"]
    nothing_closed = one("fcr", roll(frame), as_of=T0 - 9 * D)
    assert nothing_closed["value"] is None
    assert nothing_closed["status"] == "n/a"
    assert nothing_closed["denominator"] == 0


def test_fcr_window_follows_the_setting():
    frame = contacts({"customer_key": "B"}, {"customer_key": "B", "arrived_at": T0 + 2 * D})
    one_day = roll(frame, fcr_window=timedelta(days=1))
    row = one("fcr", one_day, windows={"fcr": timedelta(days=1)}, as_of=T0 + 2 * D)
    check(row, 1 / 1, 1, 1)  # B's first closed and is resolved; the second is still open
    assert row["provisional"] is True


def test_fcr_same_reason_switch():
    frame = contacts(
        {"customer_key": "B", "reason": "refill"},
        {"customer_key": "B", "reason": "billing", "arrived_at": T0 + 2 * D},
        {"customer_key": "R", "reason": "refill"},
        {"customer_key": "R", "reason": "refill", "arrived_at": T0 + 3 * D},
    )
    any_reason = one("fcr", roll(frame))
    check(any_reason, 2 / 4, 2, 4)
    same_reason = one("fcr", roll(frame, fcr_same_reason=True))
    check(same_reason, 3 / 4, 3, 4)


def test_fcr_reported_variant_reads_the_source_flag():
    frame = contacts(
        {"is_resolved": True}, {"is_resolved": True}, {"is_resolved": False}, {"is_resolved": None}
    )
    kpi = catalog.FCR_VARIANTS["reported"]
    assert catalog.kpis(fcr_method="reported")["fcr"] is kpi
    row = one(kpi, roll(frame), as_of=T0)  # no window: not provisional at once
    check(row, 2 / 3, 2, 3)
    assert row["provisional"] is False


def test_fcr_survey_variant_reads_resolved_answers():
    responses = surveys(
        {"is_resolved": True}, {"is_resolved": False}, {"is_resolved": None, "csat": 5}
    )
    row = one(catalog.FCR_VARIANTS["survey"], {"surveys": roll_surveys(responses)})
    check(row, 1 / 2, 1, 2)
    assert row["status"] == "small sample"


# ---------------------------------------------------------------- bot containment


@covers("containment")
def test_containment_needs_no_return_within_24_hours():
    frame = contacts(
        {"channel": "bot", "outcome": "self_served", "customer_key": "K1"},
        {"customer_key": "K1", "arrived_at": T0 + 2 * H},  # came back: not contained
        {"channel": "bot", "outcome": "self_served", "customer_key": "K2"},
        {"customer_key": "K2", "arrived_at": T0 + 30 * H},  # after 24 h: contained
        {"channel": "bot", "outcome": "flowed_out", "customer_key": "K3"},  # handed over
        {"channel": "bot", "outcome": "self_served", "customer_key": None},
    )
    intervals = roll(frame)
    row = one("containment", intervals)
    check(row, 2 / 4, 2, 4)
    assert one("offered", intervals)["value"] == 2  # the bot sessions are not offered
    open_window = one("containment", intervals, as_of=T0 + 12 * H)
    assert open_window["value"] is None
    assert open_window["provisional"] is True
    assert open_window["status"] == "n/a"
    assert open_window["note"] == "window not closed yet"
    no_bot = one("containment", roll(contacts({})))  # one voice call: nothing to contain
    assert (no_bot["value"], no_bot["provisional"]) == (None, False)
    assert no_bot["note"] == "nothing to count in this selection"


@covers("occupancy")
def test_occupancy_without_agent_state_data_is_na_with_a_note():
    row = one("occupancy", roll(QUEUE))
    assert row["value"] is None
    assert row["status"] == "n/a"
    assert "busy_seconds" in row["note"]


def test_a_kpi_without_data_grouped_by_day_is_na_per_day_instead_of_failing():
    frame = contacts({}, {"arrived_at": T0 + D})
    rows = evaluate(
        [CATALOG["occupancy"], CATALOG["handled"]], roll(frame), by=["day"], as_of=AS_OF
    )
    occupancy = rows.filter(pl.col("kpi") == "occupancy")
    assert occupancy["day"].to_list() == [T0.date(), (T0 + D).date()]
    assert occupancy["value"].to_list() == [None, None]
    assert set(occupancy["status"]) == {"n/a"}


# ---------------------------------------------------------------- percentiles


def true_quantile(values: list[float], q: float) -> float:
    return float(np.quantile(values, q, method="inverted_cdf"))


def bucket_width(edges: tuple[float, ...], value: float) -> float:
    i = int(np.searchsorted(edges, value, side="right")) - 1
    return edges[i + 1] - edges[i]


WAITS = [1.0, 4.0, 6.0, 8.0, 12.0, 14.0, 19.0, 22.0, 29.0, 33.0, 47.0, 55.0, 58.0, 61.0, 88.0]


@covers("wait_p90")
def test_wait_p90_is_within_its_bucket_of_the_true_value():
    frame = contacts(*({"wait_seconds": w} for w in WAITS), {"outcome": "abandoned"})
    row = one("wait_p90", roll(frame))
    truth = true_quantile(WAITS, 0.9)
    assert abs(row["value"] - truth) <= bucket_width(histogram.SECONDS_EDGES, truth)
    assert row["denominator"] == len(WAITS)


@covers("handle_median")
def test_handle_median_is_within_its_bucket_of_the_true_median():
    talks = [35.0, 70.0, 110.0, 130.0, 170.0, 250.0, 290.0, 310.0, 400.0, 1000.0, 2000.0]
    frame = contacts(*({"talk_seconds": t, "acw_seconds": 10.0} for t in talks))
    row = one("handle_median", roll(frame))
    handles = [t + 10 for t in talks]
    truth = true_quantile(handles, 0.5)
    assert abs(row["value"] - truth) <= bucket_width(histogram.SECONDS_EDGES, truth)
    assert row["denominator"] == len(talks)


def test_percentile_of_nothing_is_na():
    row = one("wait_p90", roll(contacts({"outcome": "abandoned", "wait_seconds": 3.0})))
    assert (row["value"], row["status"]) == (None, "n/a")


# ---------------------------------------------------------------- surveys

RATINGS = surveys(
    {"csat": 5, "nps": 10, "ces": 7, "is_resolved": True},
    {"csat": 4, "nps": 9, "ces": 5, "is_resolved": False},
    {"csat": 3, "nps": 8, "ces": 4, "is_resolved": True},
    {"csat": 2, "nps": 7, "ces": 1},
    {"csat": None, "nps": 6, "ces": None},  # blank CSAT and CES: left out of those
    {"csat": 1, "nps": 0},
    {"responded_at": None},  # sent, never answered
    {"responded_at": None, "sent_at": T0 - H},
)


@covers("csat")
def test_csat_excludes_blank_answers():
    check(one("csat", {"surveys": roll_surveys(RATINGS)}), 2 / 5, 2, 5)


@covers("csat_mean")
def test_csat_mean_and_its_t_interval():
    scores = [5, 4, 3, 2, 1]
    mean = sum(scores) / 5
    variance = sum((s - mean) ** 2 for s in scores) / (5 - 1)
    row = one("csat_mean", {"surveys": roll_surveys(RATINGS)})
    check(row, mean, sum(scores), 5)
    assert row["variance"] == pytest.approx(variance)
    t_4 = 2.7764451051977987  # Student's t, 97.5 %, 4 degrees of freedom (tables)
    half = t_4 * math.sqrt(variance / 5)
    assert row["ci_low"] == pytest.approx(mean - half, abs=0.01 * half)
    assert row["ci_high"] == pytest.approx(mean + half, abs=0.01 * half)


@covers("nps")
def test_nps_and_its_interval_from_the_score_variance():
    promoters, passives, detractors = 2, 2, 2
    n = promoters + passives + detractors
    row = one("nps", {"surveys": roll_surveys(RATINGS)})
    check(row, (promoters - detractors) / n * 100, promoters - detractors, n)
    plus, minus = promoters / n, detractors / n
    variance = plus + minus - (plus - minus) ** 2
    half = Z * math.sqrt(variance / n) * 100
    assert row["ci_low"] == pytest.approx(0 - half)
    assert row["ci_high"] == pytest.approx(0 + half)


def test_nps_interval_hand_formula_off_centre():
    responses = surveys(*({"nps": s} for s in [10, 10, 10, 9, 9, 8, 7, 6, 3, 10, 9, 10]))
    row = one("nps", {"surveys": roll_surveys(responses)})
    n, plus, minus = 12, 8 / 12, 2 / 12
    value = (plus - minus) * 100
    half = Z * math.sqrt((plus + minus - (plus - minus) ** 2) / n) * 100
    assert row["value"] == pytest.approx(value)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((value - half, min(100, value + half)))


@covers("ces")
def test_ces_counts_five_to_seven_as_easy():
    check(one("ces", {"surveys": roll_surveys(RATINGS)}), 2 / 4, 2, 4)


@covers("ces_mean")
def test_ces_mean():
    check(one("ces_mean", {"surveys": roll_surveys(RATINGS)}), (7 + 5 + 4 + 1) / 4, 17, 4)


@covers("survey_fcr")
def test_survey_fcr_divides_by_those_who_answered_the_question():
    check(one("survey_fcr", {"surveys": roll_surveys(RATINGS)}), 2 / 3, 2, 3)


@covers("response_rate")
def test_response_rate():
    check(one("response_rate", {"surveys": roll_surveys(RATINGS)}), 6 / 8, 6, 8)


def test_the_last_answered_rating_per_contact_wins():
    responses = surveys(
        {"contact_id": "x", "csat": 1, "responded_at": T0 + H},
        {"contact_id": "x", "csat": 5, "responded_at": T0 + 3 * H},
        {"contact_id": "x", "responded_at": None},  # a reminder nobody answered
        {"contact_id": "y", "csat": 4, "responded_at": T0 + 2 * H},
        {"contact_id": None, "csat": 2},
        {"contact_id": None, "csat": 2},
    )
    row = one("csat", {"surveys": roll_surveys(responses)})
    check(row, 2 / 4, 2, 4)  # x's 5, y's 4, two unlinked 2s


def test_surveys_count_at_the_rated_contact_else_response_else_sent_time():
    rated = contacts({"contact_id": "k", "arrived_at": T0 - 3 * D})
    responses = surveys(
        {"contact_id": "k", "csat": 5, "responded_at": T0},  # the contact's day
        {"contact_id": "gone", "csat": 5, "sent_at": T0 - 2 * D, "responded_at": T0 - D},
        {"sent_at": T0 + D, "responded_at": None},  # counted when sent
    )
    rows = evaluate_one("response_rate", {"surveys": roll_surveys(responses, rated)}, by=["day"])
    by_day = {r["day"]: (r["numerator"], r["denominator"]) for r in rows}
    assert by_day == {
        (T0 - 3 * D).date(): (1, 1),
        (T0 - D).date(): (1, 1),
        (T0 + D).date(): (0, 1),
    }


def test_surveys_inherit_the_rated_contacts_dimensions():
    rated = contacts({"contact_id": "k", "queue": "Refills", "agent_id": "a7", "reason": "rx"})
    responses = surveys({"contact_id": "k", "csat": 5}, {"contact_id": "k2", "csat": 1})
    rows = evaluate_one("csat", {"surveys": roll_surveys(responses, rated)}, by=["reason"])
    assert {r["reason"]: r["value"] for r in rows} == {"rx": 1.0, None: 0.0}


# ---------------------------------------------------------------- tickets

TICKETS = tickets(
    {"first_reply_at": T0 + 2 * H, "status": "solved", "solved_at": T0 + 5 * H, "reopens": 1,
     "last_solved_at": T0 + 9 * H},
    {"first_reply_at": T0 + 30 * H, "status": "closed", "solved_at": T0 + 40 * H,
     "closed_at": T0 + 50 * H, "reopens": 0},
    {"first_reply_at": T0 + 10 * H, "status": "pending"},
    {"status": "open"},
    {"status": "solved", "solved_at": T0 + 100 * H, "reopens": 0},
)  # fmt: skip


def roll_tickets(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    return {"tickets": ticket_rollup.roll_up_tickets(frame.lazy()).collect()}


@covers("tickets_created")
def test_tickets_created():
    check(one("tickets_created", roll_tickets(TICKETS)), 5, 5, 5)


@covers("first_response", "first_response_p90")
def test_first_response_percentiles_within_their_bucket():
    replies = [2 * 3600.0, 30 * 3600.0, 10 * 3600.0]
    for key, q in (("first_response", 0.5), ("first_response_p90", 0.9)):
        row = one(key, roll_tickets(TICKETS))
        truth = true_quantile(replies, q)
        assert abs(row["value"] - truth) <= bucket_width(histogram.TICKET_EDGES, truth), key
        assert row["denominator"] == 3


@covers("first_response_mean")
def test_first_response_mean():
    total = (2 + 30 + 10) * 3600
    check(one("first_response_mean", roll_tickets(TICKETS)), total / 3, total, 3)


@covers("resolution_time", "resolution_p90")
def test_resolution_percentiles_use_the_first_solve():
    solves = [5 * 3600.0, 40 * 3600.0, 100 * 3600.0]
    for key, q in (("resolution_time", 0.5), ("resolution_p90", 0.9)):
        row = one(key, roll_tickets(TICKETS))
        truth = true_quantile(solves, q)
        assert abs(row["value"] - truth) <= bucket_width(histogram.TICKET_EDGES, truth), key
        assert row["denominator"] == 3


@covers("tickets_solved")
def test_tickets_solved_counts_first_solves():
    check(one("tickets_solved", roll_tickets(TICKETS)), 3, 3, 3)


# Monday to Friday 09:00–17:00 UTC; T0 is Monday 14:00, so Monday has 3 open hours left.
OFFICE = Calendar.of(
    {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}, timezone="UTC"
)


@covers(
    "first_response_business", "first_response_business_p90", "resolution_business",
    "resolution_business_p90", "sla_first_response", "sla_resolution",
)  # fmt: skip
def test_business_hours_percentiles_and_sla_attainment():
    rolled = ticket_rollup.roll_up_tickets(
        TICKETS.lazy(), calendar=OFFICE, sla_first_response_hours=4, sla_resolution_hours=16
    ).collect()
    # Replies: Mon 16:00 (2 h), Tue 20:00 (Mon 3 h + Tue 8 h), Tue 00:00 (Mon 3 h).
    replies = [2 * 3600.0, 11 * 3600.0, 3 * 3600.0]
    # First solves: Mon 19:00 (3 h), Wed 06:00 (3 + 8 h), Fri 18:00 (3 + 8 + 8 + 8 + 8 h).
    solves = [3 * 3600.0, 11 * 3600.0, 35 * 3600.0]
    cases = [
        ("first_response_business", replies, 0.5), ("first_response_business_p90", replies, 0.9),
        ("resolution_business", solves, 0.5), ("resolution_business_p90", solves, 0.9),
    ]  # fmt: skip
    for key, values, q in cases:
        row = one(key, {"tickets": rolled})
        truth = true_quantile(values, q)
        assert abs(row["value"] - truth) <= bucket_width(histogram.TICKET_EDGES, truth), key
        assert row["denominator"] == 3
    check(one("sla_first_response", {"tickets": rolled}), 2 / 3, 2, 3)  # 2 h and 3 h ≤ 4 h
    check(one("sla_resolution", {"tickets": rolled}), 2 / 3, 2, 3)  # 3 h and 11 h ≤ 16 h


@covers("solve_rate")
def test_solve_rate():
    check(one("solve_rate", roll_tickets(TICKETS)), 3 / 5, 3, 5)


@covers("reopen_rate")
def test_reopen_rate_over_solved_tickets():
    check(one("reopen_rate", roll_tickets(TICKETS)), 1 / 3, 1, 3)


@covers("complaint_follow_up")
def test_complaint_follow_up_counts_only_complaints_whose_48_hours_passed():
    now = T0 + 10 * D
    frame = tickets(
        {"is_complaint": True, "first_reply_at": T0 + 10 * H},
        {"is_complaint": True, "first_reply_at": T0 + 50 * H},  # late
        {"is_complaint": True},  # never answered
        {"is_complaint": True, "first_reply_at": T0 + 48 * H},  # just in time
        {"is_complaint": True, "created_at": now - H},  # 48 h still running
        {"is_complaint": False, "first_reply_at": T0 + H},
    )
    row = one("complaint_follow_up", roll_tickets(frame), as_of=now)
    check(row, 2 / 4, 2, 4)
    assert row["provisional"] is True
    assert row["status"] == "missed"


@covers("backlog", "backlog_over_48h", "backlog_under_24h", "backlog_24_48h")
def test_backlog_by_local_day_with_age_buckets():
    zone = "America/New_York"
    start = datetime(2026, 3, 2, 14, tzinfo=UTC)  # 09:00 local, Monday 2 March
    frame = tickets(
        {"created_at": start},  # open throughout
        {"created_at": start, "status": "solved", "solved_at": start + 30 * H},  # gone on Tue
        {"created_at": start + D, "status": "closed", "closed_at": start + D + H},  # same day
        {"created_at": start + 2 * D, "status": "open"},
        {"created_at": start, "status": "solved", "solved_at": start + H, "reopens": 1,
         "last_solved_at": start + 3 * D},  # reopened: open until its last solve, Thursday
    )  # fmt: skip
    first, last = date(2026, 3, 2), date(2026, 3, 5)
    backlog = ticket_rollup.roll_up_backlog(frame.lazy(), first=first, last=last, timezone=zone)
    daily = backlog.collect().group_by("day").agg(pl.exclude(ticket_rollup.BACKLOG_KEYS).sum())
    got = {
        r["day"]: (r["open_tickets"], r["open_under_24h"], r["open_24_48h"], r["open_over_48h"])
        for r in daily.to_dicts()
    }
    # Day ends at local midnight (05:00 UTC); the Monday tickets are 15 h old then.
    assert got == {
        date(2026, 3, 2): (3, 3, 0, 0),
        date(2026, 3, 3): (2, 0, 2, 0),  # Mon's open and reopened ones (39 h); Tue's closed
        date(2026, 3, 4): (3, 1, 0, 2),  # + Wednesday's new one
        date(2026, 3, 5): (2, 0, 1, 1),  # the reopened one solved on Thursday
    }
    rows = evaluate_one("backlog", {}, backlog=backlog, by=["day"])
    assert {r["day"]: r["value"] for r in rows} == {d: v[0] for d, v in got.items()}
    over = one("backlog_over_48h", {}, backlog=backlog)  # a period: its last day
    assert over["value"] == 1
    for key, place in (("backlog_under_24h", 1), ("backlog_24_48h", 2)):
        rows = evaluate_one(key, {}, backlog=backlog, by=["day"])
        assert {r["day"]: r["value"] for r in rows} == {d: v[place] for d, v in got.items()}
    whole = one("backlog", {}, backlog=backlog)
    assert whole["value"] == 2


def test_a_backlog_from_a_later_day_counts_tickets_opened_before_it():
    """Re-rolling from Thursday: the Monday ticket still open is 3 days old on Thursday and
    4 on Friday; the one solved on Tuesday is in neither day."""
    frame = tickets(
        {"created_at": T0},
        {"created_at": T0, "status": "solved", "solved_at": T0 + D},
    )
    first, last = date(2026, 3, 5), date(2026, 3, 6)
    backlog = ticket_rollup.roll_up_backlog(frame.lazy(), first=first, last=last, timezone="UTC")
    got = backlog.collect().select("day", "open_tickets", "open_over_48h").sort("day").rows()
    assert got == [(first, 1, 1), (last, 1, 1)]


def test_backlog_of_an_empty_period_is_na():
    empty = ticket_rollup.roll_up_backlog(
        schema.empty(schema.TICKETS).lazy(), first=date(2026, 3, 2), last=date(2026, 3, 3),
        timezone="UTC",
    )  # fmt: skip
    row = one("backlog", {}, backlog=empty)
    assert (row["value"], row["status"]) == (None, "n/a")


# ---------------------------------------------------------------- zero denominators, status


@pytest.mark.parametrize("key", sorted(k for k in ALL_KEYS if not isinstance(CATALOG[k], Stock)))
def test_zero_denominator_is_null_and_na(key):
    frames = {
        "contacts": roll(schema.empty(schema.CONTACTS)),
        "surveys": roll_surveys(schema.empty(schema.SURVEY_RESPONSES)),
        "tickets": roll_tickets(schema.empty(schema.TICKETS))["tickets"],
    }
    row = one(key, frames)
    if CATALOG[key].unit == "count":  # a volume of nothing is zero, not n/a
        assert row["value"] == 0
        return
    assert row["value"] is None
    assert row["status"] == "n/a"
    assert row["ci_low"] is None and row["ci_high"] is None


def test_zero_denominator_with_rows_present_is_na_not_zero():
    frame = contacts({"outcome": "abandoned", "wait_seconds": 2.0})  # only a short abandon
    for key in ("service_level", "abandon_rate", "asa", "aht", "fcr", "transfer_rate"):
        row = one(key, roll(frame))
        assert (row["value"], row["status"]) == (None, "n/a"), key


def test_status_met_missed_no_target_and_small_sample():
    intervals = roll(QUEUE)
    sl = 2 / 9
    assert one("service_level", intervals, targets={"service_level": 0.2})["status"] == "met"
    assert one("service_level", intervals, targets={"service_level": sl})["status"] == "met"
    assert one("service_level", intervals, targets={"service_level": 0.8})["status"] == "missed"
    assert one("service_level", intervals, targets={})["status"] == "no target"
    assert one("transfer_rate", intervals)["status"] == "no target"
    # lower is better: abandonment 3/9
    assert one("abandon_rate", intervals, targets={"abandon_rate": 0.05})["status"] == "missed"
    assert one("abandon_rate", intervals, targets={"abandon_rate": 0.5})["status"] == "met"
    survey_rows = {"surveys": roll_surveys(RATINGS)}
    small = one("csat", survey_rows, targets={"csat": 0.1})
    assert small["status"] == "small sample"
    assert "fewer than 30" in small["note"]
    enough = one("csat", survey_rows, targets={"csat": 0.1}, small_sample=5)
    assert enough["status"] == "met"
    assert one("csat", survey_rows, targets={"csat": 0.9}, small_sample=5)["status"] == "missed"


def test_catalog_targets_follow_the_preset_and_overrides():
    rx = catalog.targets(CATALOG, preset="rx")
    generic = catalog.targets(CATALOG, preset="generic", overrides={"aht": 240})
    assert (rx["service_level"], rx["asa"], rx["avg_hold"], rx["nps"]) == (0.8, 30, 120, 70)
    assert (generic["asa"], generic["aht"], generic["transfer_rate"]) == (None, 240, None)


# ---------------------------------------------------------------- statistics


def test_wilson_interval_matches_the_hand_formula():
    frame = contacts(*({"is_transferred": i < 3} for i in range(20)))
    row = one("transfer_rate", roll(frame))
    k, n = 3, 20
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    assert row["value"] == pytest.approx(p)
    assert row["ci_low"] == pytest.approx(centre - half)
    assert row["ci_high"] == pytest.approx(centre + half)
    assert row["ci_low"] < p < row["ci_high"]


def test_wilson_interval_at_zero_and_one_stays_inside_the_unit_range():
    frame = contacts(*({"is_transferred": False} for _ in range(10)))
    row = one("transfer_rate", roll(frame))
    n = 10
    assert row["ci_low"] == pytest.approx(0, abs=1e-12)
    assert row["ci_high"] == pytest.approx(Z**2 / n / (1 + Z**2 / n))


def test_mean_interval_for_asa_from_sums_of_squares():
    waits = [5.0, 15.0, 25.0, 35.0, 45.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    row = one("asa", roll(contacts(*({"wait_seconds": w} for w in waits))))
    n = len(waits)
    mean = sum(waits) / n
    sd = math.sqrt(sum((w - mean) ** 2 for w in waits) / (n - 1))
    half = 2.2621571627409915 * sd / math.sqrt(n)  # t, 97.5 %, 9 degrees of freedom
    assert row["value"] == pytest.approx(mean)
    assert row["ci_low"] == pytest.approx(mean - half, abs=0.003 * sd / math.sqrt(n))
    assert row["ci_high"] == pytest.approx(mean + half, abs=0.003 * sd / math.sqrt(n))


def test_mean_interval_of_one_observation_is_null():
    row = one("asa", roll(contacts({"wait_seconds": 12.0})))
    assert row["value"] == 12
    assert row["ci_low"] is None and row["ci_high"] is None


# ---------------------------------------------------------------- time grains and DST

ZONE = "America/New_York"


def test_fall_back_day_keeps_all_25_hours_on_one_local_date():
    start = datetime(2026, 11, 1, 4, 30, tzinfo=UTC)  # 00:30 EDT on Sunday 1 November
    hours = [start + i * H for i in range(25)]  # ends 23:30 EST the same local day
    frame = contacts(
        *({"arrived_at": t} for t in hours),
        {"arrived_at": datetime(2026, 11, 1, 3, 59, tzinfo=UTC)},  # 23:59 EDT, 31 October
        {"arrived_at": datetime(2026, 11, 2, 5, 0, tzinfo=UTC)},  # 00:00 EST, 2 November
    )
    rows = evaluate_one("handled", roll(frame), by=["day"], timezone=ZONE)
    assert {r["day"]: r["value"] for r in rows} == {
        date(2026, 10, 31): 1,
        date(2026, 11, 1): 25,
        date(2026, 11, 2): 1,
    }
    by_hour = evaluate_one("handled", roll(frame.slice(0, 25)), by=["hour"], timezone=ZONE)
    assert len(by_hour) == 25
    assert all(r["value"] == 1 for r in by_hour)
    by_clock = evaluate_one("handled", roll(frame.slice(0, 25)), by=["hour_of_day"], timezone=ZONE)
    assert {r["hour_of_day"]: r["value"] for r in by_clock}[1] == 2  # 01:00 happens twice


def test_spring_forward_day_has_23_hours():
    start = datetime(2026, 3, 8, 5, 30, tzinfo=UTC)  # 00:30 EST on Sunday 8 March
    frame = contacts(
        *({"arrived_at": start + i * H} for i in range(24)),  # the 24th is 00:30 on 9 March
        {"arrived_at": datetime(2026, 3, 8, 4, 30, tzinfo=UTC)},  # 23:30 EST, 7 March
    )
    rows = evaluate_one("handled", roll(frame), by=["day"], timezone=ZONE)
    assert {r["day"]: r["value"] for r in rows} == {
        date(2026, 3, 7): 1,
        date(2026, 3, 8): 23,
        date(2026, 3, 9): 1,
    }


def test_backlog_age_on_the_25_hour_day():
    created = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # local midnight, 1 November (EDT)
    frame = tickets({"created_at": created})
    backlog = ticket_rollup.roll_up_backlog(
        frame.lazy(), first=date(2026, 11, 1), last=date(2026, 11, 1), timezone=ZONE
    ).collect()
    # The day ends at 05:00 UTC on 2 November: 25 hours after creation.
    assert backlog.select("open_tickets", "open_under_24h", "open_24_48h").row(0) == (1, 0, 1)


def test_week_and_month_grains_are_local():
    frame = contacts(
        {"arrived_at": datetime(2026, 3, 1, 3, 0, tzinfo=UTC)},  # 22:00 EST Sat 28 Feb
        {"arrived_at": datetime(2026, 3, 2, 4, 0, tzinfo=UTC)},  # 23:00 EST Sun 1 Mar
        {"arrived_at": datetime(2026, 3, 2, 5, 0, tzinfo=UTC)},  # 00:00 EST Mon 2 Mar
    )
    months = evaluate_one("handled", roll(frame), by=["month"], timezone=ZONE)
    assert {r["month"]: r["value"] for r in months} == {date(2026, 2, 1): 1, date(2026, 3, 1): 2}
    weeks = evaluate_one("handled", roll(frame), by=["week"], timezone=ZONE)
    assert {r["week"]: r["value"] for r in weeks} == {date(2026, 2, 23): 2, date(2026, 3, 2): 1}


def test_where_and_dimension_grouping():
    frame = contacts(
        {"queue": "Refills", "wait_seconds": 10.0},
        {"queue": "Refills", "wait_seconds": 50.0},
        {"queue": "Billing", "wait_seconds": 20.0},
    )
    rows = evaluate_one("service_level", roll(frame), by=["queue"])
    assert {r["queue"]: r["value"] for r in rows} == {"Billing": 1 / 1, "Refills": 1 / 2}
    only = one("service_level", roll(frame), where={"queue": ["Refills"]})
    check(only, 1 / 2, 1, 2)


def test_where_with_none_keeps_the_unset_group():
    frame = contacts(
        {"agent_id": "a1", "wait_seconds": 10.0},
        {"agent_id": None, "outcome": "abandoned", "wait_seconds": 60.0},
        {"agent_id": None, "outcome": "abandoned", "wait_seconds": 70.0},
    )
    unset = one("abandon_rate", roll(frame), where={"agent_id": [None]})
    check(unset, 2 / 2, 2, 2)
    both = one("abandon_rate", roll(frame), where={"agent_id": ["a1", None]})
    check(both, 2 / 3, 2, 3)
    # the groups of a split add up to the whole, the unset one included
    groups = evaluate_one("offered", roll(frame), by=["agent_id"])
    assert {r["agent_id"]: r["value"] for r in groups} == {"a1": 1, None: 2}


def test_half_hour_grain_joins_two_quarter_hours_in_the_local_zone():
    frame = contacts(
        {"arrived_at": datetime(2026, 3, 2, 14, 0, tzinfo=UTC)},  # 09:00 EST
        {"arrived_at": datetime(2026, 3, 2, 14, 20, tzinfo=UTC)},  # 09:20 EST
        {"arrived_at": datetime(2026, 3, 2, 14, 40, tzinfo=UTC)},  # 09:40 EST
    )
    rows = evaluate_one("handled", roll(frame), by=["half_hour"], timezone=ZONE)
    starts = {r["half_hour"].strftime("%H:%M"): r["value"] for r in rows}
    assert starts == {"09:00": 2, "09:30": 1}


def test_every_catalog_kpi_is_tested():
    assert ALL_KEYS <= TESTED, sorted(ALL_KEYS - TESTED)

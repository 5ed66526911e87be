"""The KPI catalog: every KPI of METRICS.md declared once, with its variants and targets."""

from __future__ import annotations

from dataclasses import replace

from metrics.kpi import Better, Family, Interval, Kpi, Percentile, Ratio, Stock, Total, Unit
from metrics.kpi import measure as m

C, S, T = Family.CONTACTS, Family.SURVEYS, Family.TICKETS
PCT, SEC = Unit.PERCENT, Unit.SECONDS
UP, DOWN, EITHER = Better.HIGHER, Better.LOWER, Better.NEITHER
QUEUED = m("offered") - m("short_abandoned")
BOTH = ("rx", "generic")


def _target(value: float, presets: tuple[str, ...] = BOTH) -> dict[str, float]:
    return dict.fromkeys(presets, value)


# fmt: off
OFFERED = Total(
    key="offered", label="Offered", unit=Unit.COUNT, better=EITHER, family=C,
    total=m("offered"),
    definition="Inbound contacts that entered an agent queue (bot sessions counted apart).",
)
HANDLED = Total(
    key="handled", label="Handled", unit=Unit.COUNT, better=EITHER, family=C,
    total=m("handled"), definition="Offered contacts an agent answered.",
)
SERVICE_LEVEL = Ratio(
    key="service_level", label="Service level", unit=PCT, better=UP, family=C,
    numerator=m("handled_in_sl"), denominator=QUEUED, targets=_target(0.8),
    definition="Contacts answered within the threshold / offered contacts less short "
    "abandons. Abandons after the threshold count as misses.",
)
ABANDON_RATE = Ratio(
    key="abandon_rate", label="Abandonment", unit=PCT, better=DOWN, family=C,
    numerator=m("abandoned"), denominator=QUEUED, targets=_target(0.05),
    definition="Contacts abandoned while queued or ringing (short abandons excluded) / "
    "offered contacts less short abandons. A contact whose wait is unknown is never short.",
)
ASA = Ratio(
    key="asa", short="ASA", label="Average speed of answer", unit=SEC, better=DOWN, family=C,
    numerator=m("wait_sum"), denominator=m("handled_with_wait"), squares=m("wait_sq"),
    interval=Interval.MEAN, targets=_target(30, ("rx",)),
    definition="Total wait of answered contacts / answered contacts with a known wait.",
)
AHT = Ratio(
    key="aht", short="AHT", label="Average handle time", unit=SEC, better=DOWN, family=C,
    numerator=m("handle_sum"), denominator=m("handled_with_talk"), squares=m("handle_sq"),
    interval=Interval.MEAN, targets=_target(300),
    definition="Total (talk + hold + after-contact work) / handled contacts with a known talk "
    "time, inbound and outbound. Hold is not added again where the source's talk contains it.",
)
AVG_HOLD = Ratio(
    key="avg_hold", label="Average hold", unit=SEC, better=DOWN, family=C,
    numerator=m("hold_sum"), denominator=m("handled_with_talk"), squares=m("hold_sq"),
    interval=Interval.MEAN, targets=_target(120, ("rx",)),
    definition="Total hold / handled contacts with a known talk time (missing hold is none).",
)
FCR = Ratio(
    key="fcr", short="FCR", label="First-contact resolution", unit=PCT, better=UP, family=C,
    numerator=m("fcr_resolved"), denominator=m("fcr_eligible"), window="fcr",
    targets=_target(0.7),
    definition="Handled contacts with no further contact from the same customer (any channel) "
    "within the FCR window / handled contacts with a customer key whose window has closed. "
    "Contacts within 15 minutes of each other are one transfer chain, not a repeat.",
)
TRANSFER_RATE = Ratio(
    key="transfer_rate", label="Transfers", unit=PCT, better=DOWN, family=C,
    numerator=m("transfers"), denominator=m("handled"),
    definition="Handled contacts transferred out / handled contacts.",
)
ESCALATION_RATE = Ratio(
    key="escalation_rate", label="Escalations", unit=PCT, better=DOWN, family=C,
    numerator=m("escalations"), denominator=m("handled"),
    definition="Handled contacts escalated (pharmacist, clinical, supervisor, complaint) / "
    "handled contacts.",
)
CONTAINMENT = Ratio(
    key="containment", short="Containment", label="Self-service containment", unit=PCT,
    better=UP, family=C,
    numerator=m("bot_contained"), denominator=m("bot_sessions"), window="containment",
    targets=_target(0.7),
    definition="Bot sessions finished by the bot with no contact from the same customer in the "
    "next 24 h / bot sessions whose 24 h have passed.",
)
OCCUPANCY = Ratio(
    key="occupancy", label="Occupancy", unit=PCT, better=EITHER, family=C,
    numerator=m("busy_seconds"), denominator=m("staffed_seconds"),
    definition="Handle time / (handle time + available idle time). Needs agent-state data, "
    "which no loaded source provides yet.",
)
WAIT_P90 = Percentile(
    key="wait_p90", label="Wait, 90th percentile", unit=SEC, better=DOWN, family=C,
    histogram="wait", quantile=0.9,
    definition="The wait 90 % of answered contacts stayed within (from a bucketed histogram).",
)
HANDLE_MEDIAN = Percentile(
    key="handle_median", label="Handle time, median", unit=SEC, better=DOWN, family=C,
    histogram="handle", quantile=0.5,
    definition="The middle handle time of handled contacts (from a bucketed histogram).",
)
CSAT = Ratio(
    key="csat", label="CSAT", unit=PCT, better=UP, family=S, survey=True,
    numerator=m("csat_top2"), denominator=m("csat_n"), targets=_target(0.8),
    definition="Responses rated 4–5 / valid responses on the 1–5 scale (blanks excluded; the "
    "last rating per contact wins).",
)
CSAT_MEAN = Ratio(
    key="csat_mean", label="CSAT (mean)", unit=Unit.SCORE, better=UP, family=S, survey=True,
    numerator=m("csat_sum"), denominator=m("csat_n"), squares=m("csat_sq"),
    interval=Interval.MEAN, definition="Sum of 1–5 ratings / valid responses.",
)
NPS = Ratio(
    key="nps", label="NPS", unit=Unit.POINTS, better=UP, family=S, survey=True,
    numerator=m("promoters") - m("detractors"), denominator=m("nps_n"), scale=100,
    interval=Interval.NPS, targets=_target(70),
    definition="(Promoters 9–10 − detractors 0–6) / valid responses × 100, from −100 to 100.",
)
CES = Ratio(
    key="ces", short="CES (easy)", label="Customer effort (easy)", unit=PCT, better=UP,
    family=S, survey=True,
    numerator=m("ces_easy"), denominator=m("ces_n"), targets=_target(0.8),
    definition="Responses 5–7 on the 7-point \"made it easy\" scale / valid responses.",
)
CES_MEAN = Ratio(
    key="ces_mean", label="Customer effort (mean)", unit=Unit.SCORE, better=UP, family=S,
    survey=True, numerator=m("ces_sum"), denominator=m("ces_n"), squares=m("ces_sq"),
    interval=Interval.MEAN, definition="Sum of 1–7 effort scores / valid responses.",
)
SURVEY_FCR = Ratio(
    key="survey_fcr", label="Resolved (survey)", unit=PCT, better=UP, family=S, survey=True,
    numerator=m("resolved_yes"), denominator=m("resolved_answered"), targets=_target(0.7),
    definition="Customers answering \"resolved: yes\" / customers who answered the question.",
)
RESPONSE_RATE = Ratio(
    key="response_rate", short="Response rate", label="Survey response rate", unit=PCT,
    better=UP, family=S,
    numerator=m("surveys_answered"), denominator=m("surveys_sent"), targets=_target(0.3),
    definition="Surveys answered / surveys sent.",
)
TICKETS_CREATED = Total(
    key="tickets_created", label="Tickets created", unit=Unit.COUNT, better=EITHER, family=T,
    total=m("tickets_created"), definition="Tickets created in the period.",
)
FIRST_RESPONSE = Percentile(
    key="first_response", label="First response time", unit=SEC, better=DOWN, family=T,
    histogram="first_response", quantile=0.5,
    definition="Median time from creation to the first public reply, in calendar hours, for "
    "tickets created in the period (from a bucketed histogram).",
)
FIRST_RESPONSE_P90 = replace(
    FIRST_RESPONSE, key="first_response_p90", label="First response time, P90", quantile=0.9,
    definition="The first-response time 90 % of tickets stayed within, in calendar hours.",
)
FIRST_RESPONSE_MEAN = Ratio(
    key="first_response_mean", label="First response time (mean)", unit=SEC, better=DOWN,
    family=T, numerator=m("first_response_sum"), denominator=m("first_response_n"),
    interval=Interval.NONE, definition="Total creation-to-first-reply time / replied tickets.",
)
RESOLUTION_TIME = Percentile(
    key="resolution_time", label="Resolution time", unit=SEC, better=DOWN, family=T,
    histogram="resolution", quantile=0.5,
    definition="Median time from creation to the first solve, in calendar hours, for tickets "
    "first solved in the period (from a bucketed histogram).",
)
RESOLUTION_P90 = replace(
    RESOLUTION_TIME, key="resolution_p90", label="Resolution time, P90", quantile=0.9,
    definition="The resolution time 90 % of solved tickets stayed within, in calendar hours.",
)
FIRST_RESPONSE_BUSINESS = replace(
    FIRST_RESPONSE, key="first_response_business", label="First response time, business hours",
    short="First response", histogram="first_response_business",
    definition="Median open time of the centre (business calendar in settings) from creation "
    "to the first public reply, for tickets created in the period.",
)
FIRST_RESPONSE_BUSINESS_P90 = replace(
    FIRST_RESPONSE_BUSINESS, key="first_response_business_p90", quantile=0.9,
    label="First response time, business hours, P90", short="First response, P90",
    definition="The business-hours first-response time 90 % of tickets stayed within.",
)
RESOLUTION_BUSINESS = replace(
    RESOLUTION_TIME, key="resolution_business", label="Resolution time, business hours",
    short="Resolution", histogram="resolution_business",
    definition="Median open time of the centre (business calendar in settings) from creation "
    "to the first solve, for tickets first solved in the period.",
)
RESOLUTION_BUSINESS_P90 = replace(
    RESOLUTION_BUSINESS, key="resolution_business_p90", quantile=0.9,
    label="Resolution time, business hours, P90", short="Resolution, P90",
    definition="The business-hours resolution time 90 % of solved tickets stayed within.",
)
SLA_FIRST_RESPONSE = Ratio(
    key="sla_first_response", short="First response in SLA", label="First response within SLA",
    unit=PCT, better=UP, family=T,
    numerator=m("sla_first_response_met"), denominator=m("first_response_n"),
    definition="Tickets first replied to within the first-response SLA (business hours, "
    "setting sla_first_response_hours) / tickets created in the period that got a reply.",
)
SLA_RESOLUTION = Ratio(
    key="sla_resolution", short="Resolution in SLA", label="Resolution within SLA",
    unit=PCT, better=UP, family=T,
    numerator=m("sla_resolution_met"), denominator=m("tickets_solved"),
    definition="Tickets first solved within the resolution SLA (business hours, setting "
    "sla_resolution_hours) / tickets first solved in the period.",
)
TICKETS_SOLVED = Total(
    key="tickets_solved", label="Tickets solved", unit=Unit.COUNT, better=EITHER, family=T,
    total=m("tickets_solved"), definition="Tickets first solved in the period.",
)
BACKLOG = Stock(
    key="backlog", label="Backlog", unit=Unit.COUNT, better=DOWN, family=T,
    column="open_tickets",
    definition="Tickets not solved or closed at the end of the local day (the last day of a "
    "longer period). A reopened ticket stays open until its last solve.",
)
BACKLOG_OVER_48H = replace(
    BACKLOG, key="backlog_over_48h", label="Backlog older than 48 h", column="open_over_48h",
    short="Backlog > 48 h",
    definition="Open tickets created more than 48 h before the end of the local day.",
)
BACKLOG_UNDER_24H = replace(
    BACKLOG, key="backlog_under_24h", label="Backlog younger than 24 h", column="open_under_24h",
    definition="Open tickets created less than 24 h before the end of the local day.",
)
BACKLOG_24_48H = replace(
    BACKLOG, key="backlog_24_48h", label="Backlog 24–48 h old", column="open_24_48h",
    definition="Open tickets created 24 to 48 h before the end of the local day.",
)
SOLVE_RATE = Ratio(
    key="solve_rate", label="Solved", unit=PCT, better=UP, family=T,
    numerator=m("created_done"), denominator=m("tickets_created"),
    definition="Tickets created in the period that are now solved or closed / tickets created.",
)
REOPEN_RATE = Ratio(
    key="reopen_rate", label="Reopened", unit=PCT, better=DOWN, family=T,
    numerator=m("tickets_reopened"), denominator=m("tickets_solved"),
    definition="Tickets first solved in the period and reopened at least once / those tickets.",
)
COMPLAINT_FOLLOW_UP = Ratio(
    key="complaint_follow_up", short="Complaints in 48 h", label="Complaint follow-up in 48 h",
    unit=PCT, better=UP,
    family=T, numerator=m("complaints_answered"), denominator=m("complaints"),
    window="complaint", targets=_target(0.95),
    definition="Complaints with a written response within 48 h of creation / complaints "
    "whose 48 h have passed.",
)
# fmt: on

# Documented variants a centre can choose in settings (METRICS.md).
SERVICE_LEVEL_VARIANTS = {
    "negative": SERVICE_LEVEL,
    "ignored": replace(
        SERVICE_LEVEL, denominator=QUEUED - m("abandoned"),
        definition="Contacts answered within the threshold / offered contacts less all "
        "abandons (abandoned contacts leave the denominator).",
    ),
    "positive": replace(
        SERVICE_LEVEL, numerator=m("handled_in_sl") + m("abandoned_in_sl"),
        definition="(Contacts answered within the threshold + abandoned within it) / offered "
        "contacts less short abandons.",
    ),
}  # fmt: skip
FCR_VARIANTS = {
    "repeat_contact": FCR,
    "reported": replace(
        FCR, numerator=m("reported_resolved"), denominator=m("reported_answered"), window=None,
        definition="Handled contacts the source marked resolved / handled contacts with a "
        "resolved flag.",
    ),
    "survey": replace(
        FCR, family=S, survey=True, numerator=m("resolved_yes"),
        denominator=m("resolved_answered"), window=None,
        definition="Customers answering \"resolved: yes\" / customers who answered the question.",
    ),
}  # fmt: skip

_ALL: tuple[Kpi, ...] = (
    OFFERED, HANDLED, SERVICE_LEVEL, ABANDON_RATE, ASA, AHT, AVG_HOLD, FCR, TRANSFER_RATE,
    ESCALATION_RATE, CONTAINMENT, OCCUPANCY, WAIT_P90, HANDLE_MEDIAN, CSAT, CSAT_MEAN, NPS, CES,
    CES_MEAN, SURVEY_FCR, RESPONSE_RATE, TICKETS_CREATED, TICKETS_SOLVED, FIRST_RESPONSE,
    FIRST_RESPONSE_P90, FIRST_RESPONSE_MEAN, FIRST_RESPONSE_BUSINESS, FIRST_RESPONSE_BUSINESS_P90,
    RESOLUTION_TIME, RESOLUTION_P90, RESOLUTION_BUSINESS, RESOLUTION_BUSINESS_P90,
    SLA_FIRST_RESPONSE, SLA_RESOLUTION, BACKLOG, BACKLOG_UNDER_24H, BACKLOG_24_48H,
    BACKLOG_OVER_48H, SOLVE_RATE, REOPEN_RATE, COMPLAINT_FOLLOW_UP,
)  # fmt: skip
HEADLINE = (
    "service_level", "abandon_rate", "asa", "aht", "fcr", "csat", "nps", "ces",
    "response_rate", "containment",
)  # fmt: skip


def kpis(*, sl_abandons: str = "negative", fcr_method: str = "repeat_contact") -> dict[str, Kpi]:
    """Every KPI by key, with the chosen variants in place."""
    chosen = {
        SERVICE_LEVEL.key: SERVICE_LEVEL_VARIANTS[sl_abandons],
        FCR.key: FCR_VARIANTS[fcr_method],
    }
    return {k.key: chosen.get(k.key, k) for k in _ALL}


def targets(
    catalog: dict[str, Kpi], *, preset: str, overrides: dict[str, float] | None = None
) -> dict[str, float | None]:
    """Each KPI's target: the setting if given, else the preset's default, else none."""
    overrides = overrides or {}
    return {key: overrides.get(key, kpi.targets.get(preset)) for key, kpi in catalog.items()}

"""KPI definitions in words and the settings in effect (Definitions page and PDF appendix)."""

from __future__ import annotations

from dataclasses import dataclass

from carepulse import formatting, query
from carepulse.settings import Settings
from metrics.kpi import Kpi, Measure, Ratio

# Measure names that do not read well as words on their own.
WORDS = {
    "handled_in_sl": "handled within the threshold",
    "abandoned_in_sl": "abandoned within the threshold",
    "fcr_eligible": "handled with a customer key, window closed",
    "fcr_resolved": "those with no repeat contact",
    "csat_top2": "ratings 4–5",
    "csat_n": "valid ratings",
    "nps_n": "valid answers",
    "ces_n": "valid answers",
    "ces_easy": "answers 5–7",
}


@dataclass(frozen=True)
class Entry:
    """One KPI as a reader sees it: its definition, the sums it divides and its target."""

    kpi: Kpi
    numerator: str  # '' for KPIs that are not ratios
    denominator: str
    target: str  # formatted, 'none' without a target


def terms(measure: Measure) -> str:
    """A signed sum of rollup columns in words."""
    parts = [
        ("− " if sign < 0 else "+ ") + WORDS.get(name, name.replace("_", " "))
        for name, sign in measure.terms
    ]
    return " ".join(parts).removeprefix("+ ")


def entries(settings: Settings) -> list[Entry]:
    """Every catalog KPI (with the settings' variants) and its target, in catalog order."""
    targets = query.targets(settings)
    out = []
    for kpi in query.chosen(settings):
        target = targets.get(kpi.key)
        ratio = isinstance(kpi, Ratio)
        out.append(
            Entry(
                kpi,
                terms(kpi.numerator) if ratio else "",
                terms(kpi.denominator) if ratio else "",
                formatting.goal(target, kpi.unit, kpi.better) if target is not None else "none",
            )
        )
    return out


def settings_in_effect(s: Settings) -> dict[str, str]:
    """The settings the figures depend on, by their names in words."""
    return {
        "Preset": s.preset,
        "Time zone": s.timezone,
        "Service-level threshold": f"{s.service_level_seconds:g} s",
        "Service level: abandons": s.sl_abandons,
        "Short abandon threshold": f"{s.short_abandon_seconds:g} s",
        "FCR method": s.fcr_method,
        "FCR window": f"{s.fcr_window_hours:g} h",
        "FCR needs the same reason": "yes" if s.fcr_same_reason else "no",
        "Talk time contains hold": "yes" if s.hold_in_talk else "no",
        "Small sample below": f"{s.small_sample} responses",
        "Business hours": opening_hours(s),
        "Ticket SLA (business hours)": f"first reply {s.sla_first_response_hours:g} h, "
        f"first solve {s.sla_resolution_hours:g} h",
        "Comment themes": ", ".join(s.themes) or "none",
        "Target overrides": ", ".join(f"{k} = {v:g}" for k, v in s.targets.items()) or "none",
    }


def opening_hours(settings: Settings) -> str:
    """'mon–fri 08:00-20:00, sat 09:00-17:00; closed sun; holidays: none' from the settings."""
    hours = settings.business_hours
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    spans: list[tuple[str, list[str]]] = []
    for day in days:
        text = hours.get(day, "").strip() or "closed"
        if spans and spans[-1][0] == text:
            spans[-1][1].append(day)
        else:
            spans.append((text, [day]))
    parts = [f"{d[0]}–{d[-1]} {t}" if len(d) > 1 else f"{d[0]} {t}" for t, d in spans]
    holidays = ", ".join(h.isoformat() for h in settings.holidays) or "none"
    return f"{', '.join(parts)} ({settings.timezone}); holidays: {holidays}"

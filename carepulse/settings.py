"""Settings: environment (CAREPULSE_*) > carepulse.toml > defaults."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from carepulse.access import Grant
from metrics.business_hours import WEEKDAYS, Calendar, parse_spans
from metrics.errors import CarePulseError
from metrics.ticket_rollup import SLA_FIRST_RESPONSE_HOURS, SLA_RESOLUTION_HOURS

# Service-level threshold in seconds per preset (METRICS.md, "Healthcare presets").
PRESET_SL_SECONDS = {"rx": 30, "generic": 20}
HINTS = {
    "timezone": "Use an IANA zone name such as America/New_York or Europe/Zurich.",
    "preset": "Use rx or generic.",
    "fcr_method": "Use repeat_contact, reported or survey.",
    "sl_abandons": "Use negative, ignored or positive.",
    "business_hours": 'Use weekday keys mon … sun with spans like "08:00-18:00" or '
    '"08:00-12:00, 13:00-17:00"; leave a closed day out.',
    "themes": 'Give each theme a list of words or phrases, e.g. Waiting = ["wait*", "on hold"].',
    "access": 'Give each e-mail address a role, e.g. "lee@clinic.org" = { role = "team_lead", '
    'teams = ["Refills"] }; roles: admin, manager, team_lead, executive.',
    "database_url": "Use a SQLAlchemy URL, e.g. sqlite:///data/carepulse.db or "
    "postgresql+psycopg://user@host/carepulse.",
}


# Opening hours of the sample centre's phone lines (sample_data/README.md).
DEFAULT_HOURS = {day: "08:00-20:00" for day in WEEKDAYS[:5]} | {"sat": "09:00-17:00"}
# Healthcare and pharmacy themes: a word matches whole words; a trailing * any ending.
DEFAULT_THEMES = {
    "Waiting": ["wait*", "on hold", "hold time", "queue", "took ages", "too long", "forever",
                "no answer", "nobody answered", "got through", "call back", "callback"],
    "Refill delays": ["refill*", "delay*", "not ready", "out of stock", "backorder*",
                      "prescription transfer", "running out", "ran out"],
    "Billing and insurance": ["bill", "bills", "billing", "billed", "invoice*", "charge*",
                              "copay*", "co-pay*", "deductible", "insurance", "coverage",
                              "covered", "prior auth*", "claim*", "refund*", "price*",
                              "cost*", "statement", "medicare", "medicaid"],
    "Courtesy": ["rude", "kind", "polite", "friendly", "helpful", "courteous", "respect*",
                 "attitude", "caring", "unprofessional", "dismissive", "patient with me"],
    "Pharmacist advice": ["pharmacist*", "advice", "advised", "counsel*", "dosage", "dose",
                          "interaction*", "side effect*"],
    "Portal and app": ["portal", "app", "website", "online", "log in", "login", "logging",
                       "password", "account"],
    "Medication problems": ["wrong medication", "wrong medicine", "wrong pills", "wrong dose",
                            "missing pills", "damaged", "expired", "reaction", "allergic",
                            "mix-up", "mixup"],
    "Communication": ["unclear", "confus*", "explain*", "no one told", "nobody told",
                      "not informed", "kept informed", "update*", "follow up", "follow-up",
                      "notification*", "text message*", "email*"],
}  # fmt: skip


class Settings(BaseSettings):
    """Every setting CarePulse reads; see the README's configuration reference."""

    model_config = SettingsConfigDict(
        env_prefix="CAREPULSE_", toml_file="carepulse.toml", extra="forbid"
    )

    centre_name: str = "CarePulse patient services"
    data_dir: Path = Path("data")
    database_url: str = ""  # empty: sqlite:///<data_dir>/carepulse.db
    timezone: str = "America/New_York"
    preset: Literal["rx", "generic"] = "rx"
    targets: dict[str, float] = Field(default_factory=dict)
    short_abandon_seconds: float = Field(5, ge=0)
    sl_seconds: float | None = Field(None, gt=0)  # None: the preset's threshold
    fcr_method: Literal["repeat_contact", "reported", "survey"] = "repeat_contact"
    fcr_window_hours: float = Field(168, gt=0)
    fcr_same_reason: bool = False  # a repeat must share the contact's reason
    sl_abandons: Literal["negative", "ignored", "positive"] = "negative"
    hold_in_talk: bool = False  # the source's talk time already contains hold
    small_sample: int = Field(30, ge=1)
    hash_key: SecretStr | None = None  # None: generated into data_dir/hash.key on first use
    batch_rows: int = Field(200_000, ge=1)
    upload_max_mb: int = Field(200, ge=1)  # per file, on the Data page
    dashboard_url: str = "http://localhost:8501"  # where the PDF's link back points
    chromium: str = ""  # Chrome/Chromium for the PDF; empty: the first found on PATH
    # The centre's opening hours (local time) and holidays, for business-hours durations.
    business_hours: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_HOURS))
    holidays: list[date] = Field(default_factory=list)
    sla_first_response_hours: float = Field(SLA_FIRST_RESPONSE_HOURS, gt=0)  # business hours
    sla_resolution_hours: float = Field(SLA_RESOLUTION_HOURS, gt=0)  # business hours
    themes: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_THEMES))
    # Who may sign in, as what (README, Security): e-mail address -> role and teams.
    access: dict[str, Grant] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'") from None
        return value

    @field_validator("business_hours")
    @classmethod
    def _opening_hours(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"unknown weekday {', '.join(unknown)} (use {', '.join(WEEKDAYS)})")
        for spans in value.values():
            parse_spans(spans)
        return value

    @field_validator("themes")
    @classmethod
    def _theme_terms(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        empty = [name for name, terms in value.items() if not any(t.strip() for t in terms)]
        if empty:
            raise ValueError(f"theme {', '.join(empty)} has no words or phrases")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def database(self) -> str:
        """The SQLAlchemy URL of the store."""
        return self.database_url or f"sqlite:///{self.data_dir / 'carepulse.db'}"

    @property
    def service_level_seconds(self) -> float:
        """The service-level threshold T in seconds."""
        return self.sl_seconds or PRESET_SL_SECONDS[self.preset]

    @property
    def calendar(self) -> Calendar:
        """The business calendar: opening hours, holidays and the centre's zone."""
        return Calendar.of(self.business_hours, self.holidays, timezone=self.timezone)


def load(**overrides: object) -> Settings:
    """Settings from the environment and carepulse.toml, or a CarePulseError naming the field."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = ".".join(str(p) for p in item["loc"]) or "settings"
            problems.append(f"{field}: {item['msg']} (got {item.get('input')!r})")
        unknown = sorted(str(i["loc"][0]) for i in error.errors() if i["type"] == "extra_forbidden")
        fields = {str(i["loc"][0]) for i in error.errors() if i["loc"]} - set(unknown)
        hints = [HINTS[f] for f in sorted(fields) if f in HINTS]
        if fields:
            env = ", ".join(f"CAREPULSE_{f.upper()}" for f in sorted(fields))
            hints.append(f"Fix {env} or the same key in carepulse.toml.")
        if unknown:
            known = ", ".join(Settings.model_fields)
            hints.append(f"Remove the unknown key {', '.join(unknown)}; known keys: {known}.")
        raise CarePulseError(
            "invalid settings: " + "; ".join(problems), hint=" ".join(hints)
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (tests call get_settings.cache_clear())."""
    return load()

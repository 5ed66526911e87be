"""Settings: environment (CAREPULSE_*) > carepulse.toml > defaults."""

from __future__ import annotations

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

from metrics.errors import CarePulseError

# Service-level threshold in seconds per preset (METRICS.md, "Healthcare presets").
PRESET_SL_SECONDS = {"rx": 30, "generic": 20}
HINTS = {
    "timezone": "Use an IANA zone name such as America/New_York or Europe/Zurich.",
    "preset": "Use rx or generic.",
    "fcr_method": "Use repeat_contact, reported or survey.",
    "sl_abandons": "Use negative, ignored or positive.",
    "database_url": "Use a SQLAlchemy URL, e.g. sqlite:///data/carepulse.db or "
    "postgresql+psycopg://user@host/carepulse.",
}


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

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'") from None
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

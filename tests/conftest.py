"""Shared fixtures: settings in a temporary folder, and the store on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from carepulse import settings as settings_module
from carepulse import storage
from tests import pgserver

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(
    os.environ.get("VALIDATION_DIR")
    or Path(__file__).resolve().parents[2] / "shared" / "validation"
)


def validation_file(*parts: str) -> Path:
    """A real public file from ../shared/validation (or $VALIDATION_DIR); skip when absent."""
    path = SHARED.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"real sample {path} is not here (set VALIDATION_DIR to the validation folder)")
    return path


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own data folder and no stray CAREPULSE_* environment."""
    for name in list(os.environ):
        if name.startswith("CAREPULSE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CAREPULSE_DATA_DIR", str(tmp_path / "data"))
    settings_module.get_settings.cache_clear()
    yield
    settings_module.get_settings.cache_clear()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for the session; skipped with the reason where none can run."""
    reason = pgserver.unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {reason}")
        pytest.skip(reason)
    with pgserver.server() as url:
        yield url


def _reset_postgres(url: str) -> sa.Engine:
    engine = storage.connect(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    return engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty store, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'carepulse.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    _reset_postgres(url).dispose()
    yield url


@pytest.fixture
def engine(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    """An initialised engine on the parametrised store, with settings pointing at it."""
    monkeypatch.setenv("CAREPULSE_DATABASE_URL", database_url)
    settings_module.get_settings.cache_clear()
    engine = storage.connect(database_url)
    storage.init(engine)
    yield engine
    engine.dispose()

"""The store tests run on both engines: guilds.db (SQLite) and a real PostgreSQL server."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.store import postgres
from bot.store import sqlite as sqlite_store


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request) -> str:
    return request.param


@pytest.fixture
def guilds(settings, engine, request):
    """The store the `settings` name: its guilds.db, or its PostgreSQL database."""
    if engine == "sqlite":
        return sqlite_store.open_guilds(settings.guilds_db_path)
    return postgres.open_guilds(settings.database_url)


@pytest.fixture
def reopen(settings, engine):
    """Open the same store again, as a restarted bot would."""
    if engine == "sqlite":
        return lambda: sqlite_store.open_guilds(settings.guilds_db_path)
    return lambda: postgres.open_guilds(settings.database_url)


@pytest.fixture
def settings(settings, engine, request):
    if engine == "sqlite":
        return settings
    return replace(settings, database_url=request.getfixturevalue("pg_url"))

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
def guilds(settings, engine):
    """The store the `settings` name: its guilds.db, or its PostgreSQL database; closed
    (its pool too) after the test."""
    opened = sqlite_store.open_guilds(settings.guilds_db_path) if engine == "sqlite" \
        else postgres.open_guilds(settings.database_url)
    yield opened
    opened.close()


@pytest.fixture
def reopen(settings, engine):
    """Open the same store again, as a restarted bot would (each closed after the test)."""
    opened = []

    def again():
        opened.append(sqlite_store.open_guilds(settings.guilds_db_path) if engine == "sqlite"
                      else postgres.open_guilds(settings.database_url))
        return opened[-1]
    yield again
    for store in opened:
        store.close()


@pytest.fixture
def settings(settings, engine, request):
    if engine == "sqlite":
        return settings
    return replace(settings, database_url=request.getfixturevalue("pg_url"))

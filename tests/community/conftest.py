"""The store tests run on both engines: guilds.db (SQLite) and a real PostgreSQL server."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot import db as dbmod
from bot import pg


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request) -> str:
    return request.param


@pytest.fixture
def guilds(tmp_path, engine, request):
    if engine == "sqlite":
        return dbmod.open_guilds(tmp_path / "guilds.db")
    return pg.open_guilds(request.getfixturevalue("pg_url"))


@pytest.fixture
def reopen(tmp_path, engine, request):
    """Open the same store again, as a restarted bot would."""
    if engine == "sqlite":
        return lambda: dbmod.open_guilds(tmp_path / "guilds.db")
    return lambda: pg.open_guilds(request.getfixturevalue("pg_url"))


@pytest.fixture
def settings(settings, engine, request):
    if engine == "sqlite":
        return settings
    return replace(settings, database_url=request.getfixturevalue("pg_url"))

"""Shared fixtures: the real data from $HOWTOVOTE_DATA, built once per test session."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bot.config import Settings
from bot.importers import REQUIRED_SOURCES, build_elections_db
from bot.sources import fetch

ENABLE_HINT = (
    "real-data tests need HOWTOVOTE_DATA pointing at the shared data folder, "
    "e.g. HOWTOVOTE_DATA=../shared/data pytest"
)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    value = os.environ.get("HOWTOVOTE_DATA")
    if not value:
        pytest.skip(ENABLE_HINT)
    path = Path(value).resolve()
    if not (path / "psephology.db").is_file():
        pytest.fail(f"HOWTOVOTE_DATA={value} has no psephology.db")
    return path


def fetch_all(data_dir: Path, downloads: Path) -> dict:
    async def go():
        return {s.name: await fetch(s, data_dir, downloads, progress=False)
                for s in REQUIRED_SOURCES}
    return asyncio.run(go())


@pytest.fixture(scope="session")
def built_db_dir(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding an elections.db built from the real data (shared; do not write)."""
    folder = tmp_path_factory.mktemp("built")
    build_elections_db(fetch_all(data_dir, folder / "downloads"), folder / "elections.db")
    return folder


@pytest.fixture
def settings(built_db_dir: Path, data_dir: Path, tmp_path: Path) -> Settings:
    """Settings whose elections.db is the shared real build and whose guilds.db is fresh."""
    db_dir = tmp_path / "db"
    db_dir.mkdir()
    (db_dir / "elections.db").symlink_to(built_db_dir / "elections.db")
    return Settings(db_dir=db_dir, data_source=str(data_dir))


@pytest.fixture(scope="session")
def elections(built_db_dir: Path):
    """The real elections.db, opened read-only."""
    from bot import db as dbmod
    return dbmod.open_elections(built_db_dir / "elections.db")


@pytest.fixture(scope="session")
def resolver(elections):
    from bot.resolve import Resolver
    return Resolver.from_db(elections)


@pytest.fixture
async def fake_postcodes(data_dir: Path):
    from bench.fake_postcodes import FakePostcodesIO, load_sample_postcodes
    server = FakePostcodesIO(load_sample_postcodes(data_dir))
    await server.start()
    yield server
    await server.close()


@pytest.fixture(scope="session")
def election_data(elections):
    from bot.seatdata import ElectionData
    return ElectionData(elections)


@pytest.fixture
async def discord_bot(settings, fake_postcodes):
    """The real bot, cogs and core, driven through dpytest; postcodes via the local fake."""
    from dataclasses import replace

    from bench.discord_harness import start, stop
    harness = await start(replace(settings, postcodes_api_url=fake_postcodes.url))
    yield harness
    await stop(harness)

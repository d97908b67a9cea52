"""guilds.db as the running bot uses it: reads on the event loop's own connection (WAL:
readers never wait for a writer), and every write on one writer thread with a connection
of its own. A write lock held by another process then costs that thread a wait, never
the event loop (and with it the gateway heartbeat). With HOWTOVOTE_DATABASE_URL the same
two roles each keep a connection from one pool of PostgreSQL connections
(`bot.store.postgres`), writes serialised fleet-wide."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from bot.config import Settings
from bot.store import postgres, postgres_data
from bot.store import sqlite as sqlite_store
from bot.store.base import Store

T = TypeVar("T")
READ_BUSY_MS = 200  # the loop's connection only reads and caches: it never waits long


def open_guild_data(settings: Settings) -> Store:
    """The guild data the settings name, for the command line: guilds.db, or PostgreSQL
    with HOWTOVOTE_DATABASE_URL."""
    if settings.database_url:
        return postgres.open_guilds(settings.database_url, connections=1,
                                    role=postgres.WRITER)
    return sqlite_store.open_guilds(settings.guilds_db_path)


def where(settings: Settings) -> str:
    """Where the guild data is, for messages (a URL without its password)."""
    return postgres_data.safe_url(settings.database_url) if settings.database_url \
        else str(settings.guilds_db_path)


class GuildStore:
    def __init__(self, path: Path, url: str | None = None) -> None:
        """guilds.db at `path`, or the PostgreSQL database at `url` when one is given."""
        self.read: Store
        self._writer_db: Store
        if url is not None:
            self.read = reader = postgres.open_guilds(url)
            self._writer_db = reader.writer()
        else:
            self.read = sqlite_store.open_guilds(path)
            self.read.execute(f"pragma busy_timeout = {READ_BUSY_MS}")
            self._writer_db = sqlite_store.open_guilds(path)
        self._executor = ThreadPoolExecutor(max_workers=1,
                                            thread_name_prefix="guilds-db-writer")
        self.on_write: Callable[[], None] = lambda: None

    async def write(self, fn: Callable[..., T], /, *args, **kwargs) -> T:
        """Run `fn(writer_db, *args, **kwargs)` on the writer thread; one write at a time.
        `on_write` hears of every write, finished or failed (a failed one may have
        committed part of a batch)."""
        call = functools.partial(fn, self._writer_db, *args, **kwargs)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, call)
        finally:
            self.on_write()

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        for db in (self._writer_db, self.read):  # the reader's closes the pool
            db.close()

"""The guild store as the running bot uses it. guilds.db: reads on the event loop's own
connection (WAL: readers never wait for a writer), and every write on one writer thread
with a connection of its own, so a write lock held by another process costs that thread
a wait, never the event loop (and with it the gateway heartbeat). PostgreSQL
(HOWTOVOTE_DATABASE_URL): psycopg's asynchronous pool on the loop itself
(`bot.store.postgres`), writes serialised fleet-wide by an advisory lock."""

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
from bot.store.bridge import run_sync

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
    """The bot's guild store: a reader and a writer. On SQLite, reads run on the loop's
    own connection and writes on the writer thread. On PostgreSQL both run on the loop,
    the store code under `bridge.run_sync`, awaiting each statement (writes one at a
    time, in this process as SQLite's writer thread has them)."""

    def __init__(self, read: Store, writer: Store) -> None:
        self.read = read
        self._writer_db = writer
        self.engine = read.engine
        self._executor = ThreadPoolExecutor(max_workers=1,
                                            thread_name_prefix="guilds-db-writer")
        self._write_lock = asyncio.Lock()
        self.on_write: Callable[[], None] = lambda: None

    @classmethod
    async def open(cls, path: Path, url: str | None = None) -> GuildStore:
        """guilds.db at `path`, or the PostgreSQL database at `url` when one is given."""
        if url is not None:
            reader = await postgres.open_async(url, listen=True)
            return cls(reader, reader.writer())
        read = sqlite_store.open_guilds(path)
        read.execute(f"pragma busy_timeout = {READ_BUSY_MS}")
        return cls(read, sqlite_store.open_guilds(path))

    async def run(self, fn: Callable[..., T], /, *args, **kwargs) -> T:
        """Run synchronous code that reads the store (through `self.read`): at once on
        SQLite, under `run_sync` on PostgreSQL, so the loop never waits on the network."""
        if self.engine == "sqlite":
            return fn(*args, **kwargs)
        return await run_sync(fn, *args, **kwargs)

    async def write(self, fn: Callable[..., T], /, *args, **kwargs) -> T:
        """Run `fn(writer_db, *args, **kwargs)`, one write at a time. `on_write` hears of
        every write, finished or failed (a failed one may have committed part of a
        batch)."""
        try:
            if self.engine == "sqlite":
                call = functools.partial(fn, self._writer_db, *args, **kwargs)
                return await asyncio.get_running_loop().run_in_executor(self._executor, call)
            async with self._write_lock:
                return await run_sync(fn, self._writer_db, *args, **kwargs)
        finally:
            self.on_write()

    async def aclose(self) -> None:
        self._executor.shutdown(wait=True)
        if self.engine == "sqlite":
            self._writer_db.close()
            self.read.close()
        else:
            await self._writer_db.aclose()  # type: ignore[attr-defined]
            await self.read.aclose()  # type: ignore[attr-defined]  # its pool, the writer's too

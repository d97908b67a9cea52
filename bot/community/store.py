"""guilds.db as the running bot uses it: reads on the event loop's own connection (WAL:
readers never wait for a writer), and every write on one writer thread with a connection
of its own. A write lock held by another process then costs that thread a wait, never
the event loop (and with it the gateway heartbeat). With HOWTOVOTE_DATABASE_URL the same
two roles each keep a connection from one pool of PostgreSQL connections (`bot.pg`),
writes serialised fleet-wide."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import sqlite_utils

from bot import db as dbmod
from bot import pg
from bot.config import Settings
from bot.errors import StoreUnavailable

T = TypeVar("T")
READ_BUSY_MS = 200  # the loop's connection only reads and caches: it never waits long


def open_guild_data(settings: Settings) -> sqlite_utils.Database | pg.Database:
    """The guild data the settings name, for the command line: guilds.db, or PostgreSQL
    with HOWTOVOTE_DATABASE_URL."""
    if settings.database_url:
        return pg.open_guilds(settings.database_url, connections=1, role=pg.WRITER)
    return dbmod.open_guilds(settings.guilds_db_path)


def where(settings: Settings) -> str:
    """Where the guild data is, for messages (a URL without its password)."""
    return pg.safe_url(settings.database_url) if settings.database_url \
        else str(settings.guilds_db_path)


class GuildStore:
    def __init__(self, path: Path, url: str | None = None) -> None:
        """guilds.db at `path`, or the PostgreSQL database at `url` when one is given."""
        if url is not None:  # same interface, same SQL: bot.pg translates
            self.read = pg.open_guilds(url)
            self._writer_db = self.read.writer()
        else:
            self.read = dbmod.open_guilds(path)
            self.read.conn.execute(f"pragma busy_timeout = {READ_BUSY_MS}")
            self._writer_db = dbmod.open_guilds(path)
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
        except sqlite3.OperationalError as exc:
            if "database is locked" not in str(exc):
                raise
            # another process held guilds.db's write lock past the busy timeout: SQLite
            # wrote nothing, so say it as PostgreSQL's refusals are said
            raise StoreUnavailable("the bot's database is busy with another process's "
                                   "write: nothing was saved. Please try again in a "
                                   "moment.") from exc
        finally:
            self.on_write()

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        for db in (self._writer_db, self.read):  # the reader's closes the pool
            db.conn.close()

    @property
    def db(self) -> sqlite_utils.Database:
        return self.read

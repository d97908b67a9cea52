"""The guild store in PostgreSQL: psycopg's asynchronous pool behind the store protocol,
its errors said as the store's own.

The store's functions are synchronous code shared with SQLite; here they run under
`bot.store.bridge.run_sync`, and every statement is awaited on the event loop within its
role's deadline (`asyncio.wait`), so the loop never waits on the network. A server that
hangs (or a network that drops every packet) never errors: past the deadline the
statement's connection is given up (psycopg cancels it and closes it in the background)
and the command is told at once. `BlockingPostgresStore` gives the same store to
synchronous callers off the bot's loop (the command line, tests, scripts), on a loop of
its own. The SQL is the one both engines run; only the placeholder mark differs
(`pyformat`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import select
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from bot.errors import StoreConflict, StoreError, StoreFailed, StoreUnavailable, StoreUncertain
from bot.store import postgres_data
from bot.store.base import Rows
from bot.store.bridge import run_sync, wait_for
from bot.store.listen import ChangeListener

T = TypeVar("T")

WRITE_LOCK = 0x686F77746F777269  # "howtowri": one writer at a time across the fleet
# psycopg_pool retries a lost connection with a doubling delay: give up (and start again
# at one second, when the next command asks) after 5 s, so that however long the server
# was away the bot is back within about a second of it (300 s, the default, grows the
# delay past half a minute)
RECONNECT_SECONDS = 5.0
# Every session: a write waits at most 5 s for the fleet's write lock (SQLite's busy
# timeout), no statement runs past 15 s, and a process that stalls inside a transaction
# (frozen, or its host gone) loses it after 30 s rather than holding the lock for ever;
# keepalives notice a peer that vanished without closing the socket.
SESSION = {"autocommit": True, "connect_timeout": 3, "keepalives_idle": 10,
           "keepalives_interval": 5, "keepalives_count": 3,
           "options": "-c lock_timeout=5000 -c statement_timeout=15000 "
                      "-c idle_in_transaction_session_timeout=30000"}
CHANGES = "select last_value + (case when is_called then 1 else 0 end) from answer_changes"


@functools.lru_cache(maxsize=1024)
def pyformat(sql: str) -> str:
    """A statement with `?` parameters as psycopg takes it: each `?` outside a quoted
    literal or name becomes `%s`, and every `%` is doubled (psycopg reads `%` everywhere)."""
    out, quote = [], ""
    for char in sql:
        if quote:
            quote = "" if char == quote else quote  # '' inside a literal: closed, reopened
        elif char in "'\"":
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


def _is_read(sql: str) -> bool:
    head = sql.lstrip()[:7].lower()
    return head.startswith(("select ", "with ", "pragma "))


@dataclass(frozen=True)
class Role:
    """How long a statement may go unanswered before it is given up (a server that hangs
    never errors), and how long to wait for a connection from the pool."""

    deadline: float
    pool_wait: float


# A read answers in a millisecond, so two seconds is a hung server. A write takes
# milliseconds too, after a wait of up to 5 s for the fleet's write lock (the session's
# lock_timeout): a moderator is told within 8 s.
READER = Role(deadline=2.0, pool_wait=2.0)
WRITER = Role(deadline=8.0, pool_wait=3.0)


def _alive(conn: psycopg.AsyncConnection) -> bool:
    """Whether an idle connection is still open at the server's end, without a round
    trip: a server that restarted or hung up has left its goodbye on the socket, so an
    idle connection with something to read is a dead one."""
    if conn.closed or conn.broken:
        return False
    readable, _w, _x = select.select([conn.fileno()], [], [], 0)
    return not readable


class PostgresStore:
    """The guild store in PostgreSQL, for store code running under `run_sync` on the loop
    that opened it. Outside a transaction the store keeps one connection between
    statements, looked at before use whenever nothing runs on it (a server that restarted
    between commands goes unnoticed); a transaction borrows one until it ends. When the
    server is out of reach it says so in words a user can act on:
    - `StoreUnavailable` when nothing was written (no connection, a read, or a failure
      before a commit, which the server rolls back);
    - `StoreUncertain` when the server went away while a write was committing."""

    engine = "postgresql"

    def __init__(self, pool: AsyncConnectionPool, *, owns_pool: bool = True,
                 role: Role = READER, listener: ChangeListener | None = None) -> None:
        self.pool = pool
        self._owns_pool = owns_pool
        self._role = role
        self.listener = listener  # the fleet's writes, heard without asking
        self._conn: psycopg.AsyncConnection | None = None  # held by a transaction
        self._kept: psycopg.AsyncConnection | None = None  # between statements
        self._busy = 0  # statements running on the kept connection

    def writer(self) -> PostgresStore:
        """Another store on the same pool, with the writer's deadlines."""
        return PostgresStore(self.pool, owns_pool=False, role=WRITER, listener=self.listener)

    # -- the store protocol (synchronous, under run_sync) --------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        text, values = pyformat(sql), tuple(params)
        return wait_for(self._run(lambda cursor: cursor.execute(text, values),
                                  uncertain=self._conn is None and not _is_read(sql)))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Rows:
        text, values = pyformat(sql), [tuple(r) for r in rows]
        if not values:
            return Rows([], 0)
        return wait_for(self._run(lambda cursor: cursor.executemany(text, values),
                                  uncertain=self._conn is None))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PostgresStore]:
        """The fleet's write lock (an advisory lock) taken first, as BEGIN IMMEDIATE
        does on SQLite."""
        wait_for(self._begin())
        try:
            yield self
        except BaseException:
            if self._conn is not None:  # else its connection failed, and took it along
                with contextlib.suppress(StoreError):
                    wait_for(self._end("rollback"))
            raise
        wait_for(self._end("commit"))

    def changes(self, *, ask: bool = False) -> int:
        """What changed since, as a number: while the listener listens, its count
        (negative, so never a value of the sequence) and no query; else, or when asked
        to `ask` (this process has just written, and its notice may not be back yet),
        the sequence."""
        heard = self.listener.heard() if self.listener is not None and not ask else None
        if heard is not None:
            return -heard
        return self.execute(CHANGES).fetchone()[0]

    def close(self) -> None:
        wait_for(self.aclose())

    async def aclose(self) -> None:
        kept, self._kept = self._kept, None
        if kept is not None:
            await self._give_back(kept)
        if self._owns_pool:
            if self.listener is not None:
                await self.listener.aclose()
            await self.pool.close()

    # -- on the loop -------------------------------------------------------------------
    async def _borrow(self) -> psycopg.AsyncConnection:
        for _ in range(self.pool.max_size + 1):
            try:
                conn = await self.pool.getconn(timeout=self._role.pool_wait)
            except (PoolTimeout, psycopg.OperationalError) as exc:
                raise StoreUnavailable() from exc
            if _alive(conn):
                return conn
            await conn.close()  # the server dropped it: the pool replaces it
            await self.pool.putconn(conn)
        raise StoreUnavailable()

    async def _begin(self) -> None:
        conn = await self._borrow()
        self._conn = conn
        try:
            await self._on(conn, lambda cursor: cursor.execute("begin"), uncertain=False)
            await self._on(conn, lambda cursor: cursor.execute(
                "select pg_advisory_xact_lock(%s)", (WRITE_LOCK,)), uncertain=False)
        except BaseException:
            self._conn = None
            await self._give_back(conn)
            raise

    async def _end(self, word: str) -> None:
        conn, self._conn = self._conn, None
        try:
            await self._on(conn, lambda cursor: cursor.execute(word),
                           uncertain=word == "commit")
        finally:
            await self._give_back(conn)

    async def _run(self, act: Callable[[psycopg.AsyncCursor], Awaitable[object]], *,
                   uncertain: bool) -> Rows:
        if self._conn is not None:  # inside a transaction: its own connection
            try:
                return await self._on(self._conn, act, uncertain=uncertain)
            except (StoreUnavailable, StoreUncertain):
                conn, self._conn = self._conn, None  # lost with its connection
                await self._give_back(conn)
                raise
        conn = await self._kept_connection()
        self._busy += 1
        try:
            return await self._on(conn, act, uncertain=uncertain)
        except (StoreUnavailable, StoreUncertain):
            if self._kept is conn:  # lost: the next statement takes another
                self._kept = None
                await self._give_back(conn)
            raise
        finally:
            self._busy -= 1

    async def _kept_connection(self) -> psycopg.AsyncConnection:
        """The connection this store keeps between statements (a round trip to the pool
        for every read costs more than the read): looked at before use when nothing is
        running on it, and exchanged for a fresh one when the server has dropped it."""
        conn = self._kept
        if conn is not None and not getattr(conn, "_given_up", False) \
                and (self._busy or _alive(conn)):
            return conn
        self._kept = None
        if conn is not None:
            await self._give_back(conn)  # closed first if the server dropped it
        self._kept = await self._borrow()
        return self._kept

    async def _give_back(self, conn: psycopg.AsyncConnection) -> None:
        """Return a connection to the pool (an open transaction is rolled back there), or
        leave it to its statement, which closes it once psycopg has cancelled it."""
        if getattr(conn, "_given_up", False):
            return
        if not _alive(conn):
            await conn.close()
        await self.pool.putconn(conn)

    async def _on(self, conn: psycopg.AsyncConnection,
                  act: Callable[[psycopg.AsyncCursor], Awaitable[object]], *,
                  uncertain: bool) -> Rows:
        """One statement on `conn`, within the role's deadline."""
        task = asyncio.ensure_future(_statement(conn, act))
        done, _pending = await asyncio.wait({task}, timeout=self._role.deadline)
        if not done:  # the server hangs: give the connection up, tell the user now
            conn._given_up = True  # type: ignore[attr-defined]
            task.cancel()
            task.add_done_callback(lambda _t: asyncio.ensure_future(
                self._dispose(conn)))
            raise StoreUncertain() if uncertain else StoreUnavailable()
        try:
            return task.result()
        except psycopg.errors.IntegrityError as exc:
            raise StoreConflict(str(exc).splitlines()[0]) from exc
        except psycopg.OperationalError as exc:
            raise (StoreUncertain() if uncertain else StoreUnavailable()) from exc
        except psycopg.Error as exc:
            raise StoreFailed(str(exc).splitlines()[0]) from exc

    async def _dispose(self, conn: psycopg.AsyncConnection) -> None:
        with contextlib.suppress(Exception):
            await conn.close()
        with contextlib.suppress(Exception):
            await self.pool.putconn(conn)


async def _statement(conn: psycopg.AsyncConnection,
                     act: Callable[[psycopg.AsyncCursor], Awaitable[object]]) -> Rows:
    async with conn.cursor() as cursor:
        await act(cursor)
        rows = await cursor.fetchall() if cursor.description is not None else []
        return Rows(rows, cursor.rowcount)


async def open_async(url: str, *, connections: int = 4, role: Role = READER,
                     listen: bool = False) -> PostgresStore:
    """The guild data in PostgreSQL, migrated to the current schema (under the lock), on
    a pool of up to `connections` that reconnects by itself after a restart; for the
    running loop. `listen`: hear the fleet's writes as they commit (a bot), rather than
    ask."""
    await asyncio.to_thread(_migrate, url)
    # no `check` on borrowing: its round trip would hang on a hung server, outside any
    # deadline; `_alive` and the deadlines do its work
    pool = AsyncConnectionPool(url, kwargs=SESSION, min_size=1, max_size=connections,
                               name="howtovote", reconnect_timeout=RECONNECT_SECONDS,
                               open=False)
    await pool.open()
    listener = None
    if listen:
        listener = ChangeListener(url, SESSION)
        listener.start()
    return PostgresStore(pool, role=role, listener=listener)


def _migrate(url: str) -> None:
    with postgres_data.connect(url) as conn:
        postgres_data.migrate(conn)


class BlockingPostgresStore:
    """The same store for synchronous callers off the bot's loop (the command line,
    tests, other processes' scripts): a loop of its own on a thread, each statement run
    there under `run_sync`."""

    engine = "postgresql"

    def __init__(self, store: PostgresStore, loop: asyncio.AbstractEventLoop,
                 thread: threading.Thread) -> None:
        self._store, self._loop, self._thread = store, loop, thread

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(store, *args, **kwargs)` in one go on the store's loop."""
        return self._call(run_sync(fn, self._store, *args, **kwargs))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        return self.run(PostgresStore.execute, sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Rows:
        return self.run(PostgresStore.executemany, sql, list(rows))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[BlockingPostgresStore]:
        self._call(self._store._begin())
        try:
            yield self
        except BaseException:
            if self._store._conn is not None:
                with contextlib.suppress(StoreError):
                    self._call(self._store._end("rollback"))
            raise
        self._call(self._store._end("commit"))

    def changes(self, *, ask: bool = False) -> int:
        return self.run(PostgresStore.changes, ask=ask)

    def writer(self) -> BlockingPostgresStore:
        """Another store on the same pool and loop, with the writer's deadlines."""
        return BlockingPostgresStore(self._store.writer(), self._loop, self._thread)

    def close(self) -> None:
        """Give back the connection it keeps; the store that opened the pool also closes
        the pool and stops the loop."""
        self._call(self._store.aclose())
        if self._store._owns_pool:
            _stop(self._loop, self._thread)


def _stop(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    loop.close()


def open_guilds(url: str, *, connections: int = 4, role: Role = READER
                ) -> BlockingPostgresStore:
    """The guild data in PostgreSQL for a synchronous caller (see BlockingPostgresStore)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True,
                              name="postgresql-blocking")
    thread.start()
    try:
        store = asyncio.run_coroutine_threadsafe(
            open_async(url, connections=connections, role=role), loop).result()
    except BaseException:
        _stop(loop, thread)
        raise
    return BlockingPostgresStore(store, loop, thread)

"""The guild store in PostgreSQL: a pool of psycopg connections behind the store
protocol, its errors said as the store's own, with a watchdog on every statement.

The SQL is the one both engines run; only the placeholder mark differs (`pyformat`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.errors import StoreConflict, StoreError, StoreFailed, StoreUnavailable, StoreUncertain
from bot.store import postgres_data
from bot.store.base import Rows

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
    """How long a connection's statements may go unanswered before the watchdog fails
    them (a server that hangs, or a network that drops every packet, never errors), and
    how long it waits for a connection from the pool."""

    deadline: float
    pool_wait: float


# The reader's thread is the event loop: a read answers in a millisecond, so two seconds
# is a hung server, and the loop is never held longer. A write takes milliseconds too,
# after a wait of up to 5 s for the fleet's write lock (the session's lock_timeout): a
# moderator is told within 8 s.
READER = Role(deadline=2.0, pool_wait=2.0)
WRITER = Role(deadline=8.0, pool_wait=3.0)
BREAK_SECONDS = 2.0  # after a wait that ran out, commands are refused at once for this long


class _Watchdog:
    """One thread for the process that shuts down the socket of any statement past its
    deadline: the blocked read then returns, and psycopg raises as for a dropped
    connection. Entries are added, removed and acted on under one lock, so a socket is
    only ever shut while its statement is still waiting on it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[int, tuple[float, int]] = {}  # id(conn): (deadline, fd)
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def guard(self, conn: psycopg.Connection, seconds: float) -> Iterator[None]:
        with self._lock:
            self._waiting[id(conn)] = (time.monotonic() + seconds, conn.fileno())
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, daemon=True,
                                                name="postgresql-watchdog")
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._waiting.pop(id(conn), None)

    def _watch(self) -> None:
        while True:
            time.sleep(0.25)
            with self._lock:
                now = time.monotonic()
                for key, (deadline, fd) in list(self._waiting.items()):
                    if now > deadline:
                        del self._waiting[key]
                        with contextlib.suppress(OSError), \
                                socket.socket(fileno=os.dup(fd)) as stuck:
                            stuck.shutdown(socket.SHUT_RDWR)  # the statement's own socket


WATCHDOG = _Watchdog()


def _alive(conn: psycopg.Connection) -> bool:
    """Whether an idle connection is still open at the server's end, without a round
    trip: a server that restarted or hung up has left its goodbye on the socket, so an
    idle connection with something to read is a dead one."""
    if conn.closed or conn.broken:
        return False
    readable, _w, _x = select.select([conn.fileno()], [], [], 0)
    return not readable


class PostgresStore:
    """A connection borrowed from the pool: kept while it works, looked at (`_alive`)
    before each statement outside a transaction, and exchanged for a fresh one when the
    server has dropped it, so a restart between commands goes unnoticed. When the server
    is out of reach it says so in words a user can act on:
    - `StoreUnavailable` when nothing was written (no connection, a read, or a failure
      inside a transaction, which the server rolls back);
    - `StoreUncertain` when the server went away while a write was committing."""

    engine = "postgresql"

    def __init__(self, pool: ConnectionPool, *, owns_pool: bool = True, role: Role = READER
                 ) -> None:
        self.pool = pool
        self._owns_pool = owns_pool
        self._role = role
        self._conn: psycopg.Connection | None = None
        self._in_transaction = False
        self._down_until = 0.0

    def writer(self) -> PostgresStore:
        """Another connection on the same pool, for the store's writer thread."""
        return PostgresStore(self.pool, owns_pool=False, role=WRITER)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        text, values = pyformat(sql), tuple(params)
        return self._run(lambda cursor: cursor.execute(text, values),
                         uncertain=not self._in_transaction and not _is_read(sql))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Rows:
        text, values = pyformat(sql), [tuple(r) for r in rows]
        if not values:
            return Rows([], 0)
        return self._run(lambda cursor: cursor.executemany(text, values),
                         uncertain=not self._in_transaction)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PostgresStore]:
        """The fleet's write lock (an advisory lock) taken first, as BEGIN IMMEDIATE
        does on SQLite."""
        def begin(cursor: psycopg.Cursor) -> None:
            cursor.execute("begin")
            self._in_transaction = True
            cursor.execute("select pg_advisory_xact_lock(%s)", (WRITE_LOCK,))

        self._run(begin, uncertain=False)
        try:
            yield self
        except BaseException:
            if self._in_transaction:  # else its connection failed, and took it along
                with contextlib.suppress(StoreError):
                    self._run(lambda cursor: cursor.execute("rollback"), uncertain=False,
                              ends=True)
            raise
        self._run(lambda cursor: cursor.execute("commit"), uncertain=True, ends=True)

    def changes(self) -> int:
        return self.execute(CHANGES).fetchone()[0]

    def _connection(self) -> psycopg.Connection:
        if self._conn is not None and (self._in_transaction or _alive(self._conn)):
            return self._conn
        self._give_back()
        # once a wait has run out, the next commands are told at once rather than each
        # waiting its full wait (the reader's wait holds up the event loop)
        if time.monotonic() < self._down_until:
            raise StoreUnavailable()
        try:
            self._conn = self.pool.getconn(timeout=self._role.pool_wait)
        except (PoolTimeout, psycopg.OperationalError) as exc:
            self._down_until = time.monotonic() + BREAK_SECONDS
            raise StoreUnavailable() from exc
        return self._conn

    def _give_back(self) -> None:
        """Return the connection, closed if it is dead, so the pool replaces it."""
        conn, self._conn, self._in_transaction = self._conn, None, False
        if conn is not None:
            if not _alive(conn):
                conn.close()
            self.pool.putconn(conn)  # an open transaction is rolled back

    def _run(self, act: Callable[[psycopg.Cursor], object], *, uncertain: bool,
             ends: bool = False) -> Rows:
        """`act` on a cursor, its rows read in full; `uncertain`: a lost connection may
        have committed it (a write outside a transaction, or a commit)."""
        conn = self._connection()
        started = time.monotonic()
        try:
            with WATCHDOG.guard(conn, self._role.deadline), conn.cursor() as cursor:
                act(cursor)
                rows = cursor.fetchall() if cursor.description is not None else []
                return Rows(rows, cursor.rowcount)
        except psycopg.errors.IntegrityError as exc:
            raise StoreConflict(str(exc).splitlines()[0]) from exc
        except psycopg.OperationalError as exc:
            self._give_back()
            if time.monotonic() - started >= self._role.deadline:  # the watchdog's doing
                self._down_until = time.monotonic() + BREAK_SECONDS
            raise (StoreUncertain() if uncertain else StoreUnavailable()) from exc
        except psycopg.Error as exc:
            raise StoreFailed(str(exc).splitlines()[0]) from exc
        finally:
            if ends:
                self._in_transaction = False

    def close(self) -> None:
        self._give_back()
        if self._owns_pool:
            self.pool.close()


def open_guilds(url: str, *, connections: int = 4, role: Role = READER) -> PostgresStore:
    """The guild data in PostgreSQL, migrated to the current schema (under the lock), on
    a pool of up to `connections` (the store's reader and writer keep one each) that
    reconnects by itself after a restart."""
    with postgres_data.connect(url) as conn:
        postgres_data.migrate(conn)
    # no `check` on borrowing: its round trip would hang on a hung server, outside any
    # deadline; `_alive` and the watchdog do its work
    pool = ConnectionPool(url, kwargs=SESSION, min_size=1, max_size=connections,
                          name="howtovote", reconnect_timeout=RECONNECT_SECONDS, open=True)
    return PostgresStore(pool, role=role)

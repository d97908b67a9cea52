"""The guild store in guilds.db: SQLite's driver behind the store protocol, its errors
said as the store's own; the file's numbered migrations, and refusing a damaged file.

guilds.db holds what users create. WAL mode (readers never block the writer),
`synchronous=FULL` (a committed update survives a power cut), migrated forward by the
numbered MIGRATIONS below; nothing is ever rebuilt.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from bot.errors import StoreConflict, StoreFailed, StoreUnavailable
from bot.store.base import Rows, migrations

BUSY = ("the bot's database is busy with another process's write: nothing was saved. "
        "Please try again in a moment.")


@contextlib.contextmanager
def said_as_store_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.IntegrityError as exc:  # a unique key or a trigger's raise(abort)
        raise StoreConflict(str(exc)) from exc
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):  # past the busy timeout
            raise StoreUnavailable(BUSY) from exc
        raise StoreFailed(str(exc)) from exc
    except sqlite3.Error as exc:
        raise StoreFailed(str(exc)) from exc


class SQLiteStore:
    """One connection to guilds.db (autocommit outside `transaction()`)."""

    engine = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.connection = conn  # the driver's own, for backups and copies only

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        with said_as_store_errors():
            cursor = self.connection.execute(sql, tuple(params))
            rows = cursor.fetchall() if cursor.description else []
            return Rows(rows, cursor.rowcount)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Rows:
        with said_as_store_errors():
            cursor = self.connection.executemany(sql, [tuple(r) for r in rows])
            return Rows([], cursor.rowcount)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[SQLiteStore]:
        """BEGIN IMMEDIATE: the write lock taken up front, so every check made inside
        still holds at commit, even with several processes on one file. A failed rollback
        (a full disk, say) never hides the error that caused it."""
        self.execute("begin immediate")
        try:
            yield self
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.connection.execute("rollback")
            raise
        self.execute("commit")

    def changes(self, *, ask: bool = False) -> int:  # data_version: always asked
        return self.execute("pragma data_version").fetchone()[0]

    def close(self) -> None:
        self.connection.close()


MIGRATIONS = migrations("sqlite")

BUSY_TIMEOUT_SECONDS = 5  # a write waits at most this long for another process's lock


@contextlib.contextmanager
def _migration(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One migration's transaction, with the write lock taken up front."""
    conn.execute("begin immediate")
    try:
        yield conn
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("rollback")
        raise
    conn.execute("commit")


class StorageError(RuntimeError):
    """A database we must not touch: the message names the file and how to restore it."""


def _refuse(path: Path, problem: str) -> StorageError:
    return StorageError(
        f"{path} {problem}. It holds every server's settings, updates and polls, so the bot "
        "will not start over it or replace it. Restore it from a backup (`python bot.py "
        "data backup FILE` makes one), or move it away to start with an empty one.")


def open_guilds(path: Path) -> SQLiteStore:
    """Open (creating and migrating as needed) the database of what users create. A file
    that exists but is empty, unreadable or corrupt is refused, never re-initialised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size == 0:
        raise _refuse(path, "is empty (0 bytes)")
    try:
        conn = sqlite3.connect(path, check_same_thread=False, timeout=BUSY_TIMEOUT_SECONDS,
                               isolation_level=None)
        if conn.execute("pragma quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("integrity check failed")
        conn.execute("pragma journal_mode=wal")
        conn.execute("pragma synchronous=full")
        conn.execute("pragma foreign_keys=on")
        migrate(conn)
        missing = _missing_schema(conn)
    except sqlite3.DatabaseError as exc:
        raise _refuse(path, f"cannot be used ({exc})") from exc
    if missing:
        conn.close()
        raise _refuse(path, f"is damaged: it lacks {', '.join(missing)} that its schema "
                            f"version ({MIGRATIONS[-1][0]}) has")
    return SQLiteStore(conn)


@functools.cache
def _expected_schema() -> dict[str, frozenset[str]]:
    """Every table, index and trigger the migrations make, and each table's columns."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn)
    return _schema(conn)


def _schema(conn: sqlite3.Connection) -> dict[str, frozenset[str]]:
    objects = conn.execute("select type, name from sqlite_master where name not like "
                           "'sqlite_%'").fetchall()
    out = {f"{kind} {name}": frozenset() for kind, name in objects}
    for kind, name in objects:
        if kind == "table":
            out[f"{kind} {name}"] = frozenset(
                row[1] for row in conn.execute(f"pragma table_info('{name}')"))
    return out


def _missing_schema(conn: sqlite3.Connection) -> list[str]:
    """What a file at the newest version lacks (a table dropped by hand, say)."""
    found = _schema(conn)
    missing = []
    for thing, columns in _expected_schema().items():
        if thing not in found:
            missing.append(thing)
        elif lacking := sorted(columns - found[thing]):
            missing.append(f"{thing}'s column{'s' * (len(lacking) > 1)} "
                           f"{', '.join(lacking)}")
    return missing


def backup(db: SQLiteStore, target: Path) -> int:
    """A consistent copy of a live database (SQLite's online backup), written to a temp
    file and moved into place. Returns its size in bytes."""
    target = target.expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    out = sqlite3.connect(tmp)
    try:
        db.connection.backup(out)
    finally:
        out.close()
    tmp.replace(target)
    return target.stat().st_size


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("pragma user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than the file's user_version, each in one transaction."""
    for number, script in MIGRATIONS:
        if number <= schema_version(conn):
            continue
        with _migration(conn):
            # re-check under the write lock: another process may have just migrated
            if number > schema_version(conn):
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(f"pragma user_version = {number}")
    return schema_version(conn)


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit on its own)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements

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
from bot.store.base import Rows

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

    def changes(self) -> int:
        return self.execute("pragma data_version").fetchone()[0]

    def close(self) -> None:
        self.connection.close()


# guilds.db migrations: append only, never edit one that has shipped.
MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        create table guild_settings (
            guild_id integer not null,
            key text not null,
            value text not null,
            updated_by integer,
            updated_at text not null,
            primary key (guild_id, key)
        );
        create table seat_updates (
            id integer primary key autoincrement,
            guild_id integer,             -- null: global (set by a bot owner)
            seat_code text not null,
            -- kind: pact | pact-end | candidate | withdraw | note | override | byelection | revert
            kind text not null,
            party text,
            payload text not null default '{}',   -- JSON: the rest of the update
            author_id integer not null,
            author_name text not null,
            created_at text not null,
            reverts_id integer references seat_updates (id)
        );
        create index seat_updates_seat on seat_updates (seat_code, guild_id);
        create table subscriptions (
            guild_id integer not null,
            user_id integer not null,
            seat_code text not null,
            created_at text not null,
            primary key (guild_id, user_id, seat_code)
        );
        create table postcode_cache (
            postcode text primary key,    -- normalised, e.g. "WF13 1AB"
            seat_code text,               -- null when the postcode is unknown or retired
            status text not null,         -- live | terminated | not-found
            detail text,                  -- e.g. the month a terminated postcode was retired
            fetched_at text not null
        );
        """,
    ),
    (
        2,
        """
        -- what a subscriber was last told, so each change of advice is sent once
        alter table subscriptions add column last_advice text;
        """,
    ),
    (
        3,
        """
        create table polls (
            id integer primary key autoincrement,
            guild_id integer not null,
            channel_id integer not null,
            message_id integer not null unique,
            seat_code text,                -- null for a free-form poll
            question text not null,
            options text not null,         -- JSON list; Discord's answer ids are 1..n
            created_by integer not null,
            created_at text not null,
            ends_at text not null,
            ended_at text,
            salt text not null,            -- per poll, so voter keys differ between polls
            final_counts text              -- JSON {answer id: votes} fetched from Discord
        );
        create index polls_guild on polls (guild_id, ended_at);
        -- one row per (voter, answer): enough to count a change of vote, no user ids
        create table poll_votes (
            message_id integer not null,
            answer_id integer not null,
            voter text not null,           -- sha256(salt + user id)
            primary key (message_id, voter, answer_id)
        );
        """,
    ),
    (
        4,
        """
        -- national voting intention set by the bot's owners, for projections
        create table national_polls (
            id integer primary key autoincrement,
            date text not null,            -- fieldwork end, ISO
            pollster text not null,        -- a pollster, or "average"
            area text not null,            -- GB (Scotland and Wales may follow)
            shares text not null,          -- JSON {party: percent}
            source text not null,
            created_by integer,
            created_at text not null
        );
        """,
    ),
    (
        5,
        """
        -- one revert per update, whatever races: a trigger rather than a unique index so
        -- that a file which already holds duplicates (written before this) still opens
        create trigger seat_updates_one_revert before insert on seat_updates
        when new.reverts_id is not null
             and exists (select 1 from seat_updates where reverts_id = new.reverts_id)
        begin
            select raise(abort, 'already reverted');
        end;
        -- an owner may retire a national poll; the row stays for the record
        alter table national_polls add column deleted_at text;
        """,
    ),
    (
        6,
        """
        -- when a subscriber was last sent a DM about the seat (one per few minutes at most)
        alter table subscriptions add column notified_at text;
        """,
    ),
    (
        7,
        """
        -- other tactical-voting sites' calls, loaded by the owner (we ship none of them)
        create table site_calls (
            site text not null,
            election text not null,        -- next | 2024 | 2019
            seat_code text not null,
            party text,                    -- null: the site makes no call here
            loaded_at text not null,
            primary key (site, election, seat_code)
        );
        """,
    ),
    (
        8,
        """
        -- a version per server (scope 0: what every server shares), bumped with every write
        -- that changes an answer, so caches in any process know what went stale
        create table answer_versions (
            scope integer primary key,
            version integer not null
        );
        insert into answer_versions values (0, 0);
        create trigger seat_updates_version after insert on seat_updates begin
            insert or ignore into answer_versions values (coalesce(new.guild_id, 0), 0);
            update answer_versions set version = version + 1
                where scope = coalesce(new.guild_id, 0);
        end;
        create trigger guild_settings_version_insert after insert on guild_settings begin
            insert or ignore into answer_versions values (new.guild_id, 0);
            update answer_versions set version = version + 1 where scope = new.guild_id;
        end;
        create trigger guild_settings_version_update after update on guild_settings begin
            insert or ignore into answer_versions values (new.guild_id, 0);
            update answer_versions set version = version + 1 where scope = new.guild_id;
        end;
        create trigger guild_settings_version_delete after delete on guild_settings begin
            insert or ignore into answer_versions values (old.guild_id, 0);
            update answer_versions set version = version + 1 where scope = old.guild_id;
        end;
        create trigger national_polls_version_insert after insert on national_polls begin
            update answer_versions set version = version + 1 where scope = 0;
        end;
        create trigger national_polls_version_update after update on national_polls begin
            update answer_versions set version = version + 1 where scope = 0;
        end;
        create trigger site_calls_version_insert after insert on site_calls begin
            update answer_versions set version = version + 1 where scope = 0;
        end;
        create trigger site_calls_version_delete after delete on site_calls begin
            update answer_versions set version = version + 1 where scope = 0;
        end;
        """,
    ),
    (
        9,
        """
        create table owner_projections (  -- seat projections for the coming election
            name text not null,
            published text not null,
            seat_code text not null,
            party text not null,          -- swing key
            share real not null,          -- fraction
            loaded_by integer,
            loaded_at text not null,
            primary key (name, seat_code, party)
        );
        create trigger owner_projections_version_insert after insert on owner_projections
        begin
            update answer_versions set version = version + 1 where scope = 0;
        end;
        create trigger owner_projections_version_delete after delete on owner_projections
        begin
            update answer_versions set version = version + 1 where scope = 0;
        end;
        """,
    ),
    (
        10,
        """
        create table rate_limits (         -- per-user limits that hold across processes
            key text primary key,          -- "moderator:<user id>"
            window_start real not null,    -- unix time the window opened
            used integer not null
        );
        """,
    ),
    (
        11,
        """
        alter table polls add column claimed_by text;      -- the process announcing it
        alter table polls add column claimed_until real;   -- unix time its claim lapses
        alter table polls add column announced_at text;    -- results posted (or not due)
        update polls set announced_at = ended_at where ended_at is not null;
        """,
    ),
    (
        12,
        """
        -- A write with its own conflict clause (`insert or replace`) imposed it on these
        -- triggers' `insert or ignore`, resetting a server's version to 0 and bumping it
        -- to 1 on every write, so caches never saw a second change. These bodies have no
        -- conflict to resolve, whatever statement fires them.
        drop trigger seat_updates_version;
        drop trigger guild_settings_version_insert;
        drop trigger guild_settings_version_update;
        drop trigger guild_settings_version_delete;
        create trigger seat_updates_version after insert on seat_updates begin
            insert into answer_versions select coalesce(new.guild_id, 0), 0 where not exists
                (select 1 from answer_versions where scope = coalesce(new.guild_id, 0));
            update answer_versions set version = version + 1
                where scope = coalesce(new.guild_id, 0);
        end;
        create trigger guild_settings_version_insert after insert on guild_settings begin
            insert into answer_versions select new.guild_id, 0 where not exists
                (select 1 from answer_versions where scope = new.guild_id);
            update answer_versions set version = version + 1 where scope = new.guild_id;
        end;
        create trigger guild_settings_version_update after update on guild_settings begin
            insert into answer_versions select new.guild_id, 0 where not exists
                (select 1 from answer_versions where scope = new.guild_id);
            update answer_versions set version = version + 1 where scope = new.guild_id;
        end;
        create trigger guild_settings_version_delete after delete on guild_settings begin
            insert into answer_versions select old.guild_id, 0 where not exists
                (select 1 from answer_versions where scope = old.guild_id);
            update answer_versions set version = version + 1 where scope = old.guild_id;
        end;
        -- a subscriber is marked told only once Discord took the DM; a refused one (DMs
        -- closed) is recorded and not tried again until they follow the seat anew
        alter table subscriptions add column dm_refused_at text;
        """,
    ),
]

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

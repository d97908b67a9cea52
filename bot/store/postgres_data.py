"""guilds.db's data in PostgreSQL: the schema, its migrations, and moving a guilds.db in.

One numbered history for both engines, kept as files (`bot/store/schema/`): PostgreSQL's
begins at migration 9, the schema SQLite reached through migrations 1 to 9, written for
PostgreSQL (64-bit ids for Discord's snowflakes, identity columns, the triggers in
PL/pgSQL, the one-revert rule as a unique index); from 10 on, each number is written for
both. Migrations run at start under an advisory lock, so processes starting together
migrate once.

`copy_guilds_db` moves an existing guilds.db into an empty PostgreSQL database inside one
transaction: every table copied, then its row count and a checksum of its rows compared
with the file's before anything is committed. A target that already holds data is
refused; nothing is written to it. `export_guilds_db` is the way back, for backups.

The bot serves from it through `bot.store.postgres`.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bot.store import sqlite as sqlite_store
from bot.store.base import migrations

MIGRATION_LOCK = 0x686F77746F766F74  # "howtovot": pg_advisory_xact_lock's key

# Our tables, in an order that keeps references valid, with the columns that order their
# rows (seat_updates' reverts point back) and the identity column, if any.
TABLES: tuple[tuple[str, tuple[str, ...], str | None], ...] = (
    ("guild_settings", ("guild_id", "key"), None),
    ("seat_updates", ("id",), "id"),
    ("subscriptions", ("guild_id", "user_id", "seat_code"), None),
    ("postcode_cache", ("postcode",), None),
    ("polls", ("id",), "id"),
    ("poll_votes", ("message_id", "voter", "answer_id"), None),
    ("national_polls", ("id",), "id"),
    ("site_calls", ("site", "election", "seat_code"), None),
    ("owner_projections", ("name", "seat_code", "party"), None),
    ("answer_versions", ("scope",), None),
    ("rate_limits", ("key",), None),
)

MIGRATIONS = migrations("postgresql")
SCHEMA_VERSION = MIGRATIONS[-1][0]


class PostgresError(RuntimeError):
    """PostgreSQL could not be used as asked; the message says why and what to do."""


def connect(url: str) -> psycopg.Connection:
    try:
        return psycopg.connect(url, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise PostgresError(f"cannot connect to PostgreSQL at {safe_url(url)}: "
                            f"{str(exc).strip().splitlines()[0][:200]}") from None


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    head, at, host = url.rpartition("@")
    if not at:
        return url
    scheme, _, user = head.partition("://")
    return f"{scheme}://{user.split(':', 1)[0]}@{host}"


def schema_version(conn: psycopg.Connection) -> int:
    exists = conn.execute("select to_regclass('schema_migrations')").fetchone()[0]
    if exists is None:
        return 0
    return conn.execute("select coalesce(max(version), 0) from schema_migrations"
                        ).fetchone()[0]


def migrate(conn: psycopg.Connection) -> int:
    """Apply every migration newer than the database's, in this transaction, holding the
    migration lock: a second process starting at the same time waits, then finds nothing
    to do. The caller commits. Returns how many were applied."""
    conn.execute("select pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
    conn.execute("create table if not exists schema_migrations (version integer primary key, "
                 "applied_at timestamptz not null default now())")
    current = schema_version(conn)
    applied = 0
    for number, script in MIGRATIONS:
        if number > current:
            conn.execute(script)
            conn.execute("insert into schema_migrations (version) values (%s)", (number,))
            applied += 1
    return applied


@dataclass(frozen=True)
class Copied:
    table: str
    rows: int
    checksum: str  # sha256 of the rows in key order, the same on both sides


def copy_guilds_db(source: sqlite3.Connection, url: str) -> list[Copied]:
    """Copy every table of a guilds.db into an empty PostgreSQL database, in one
    transaction, and verify it before committing."""
    with connect(url) as conn:
        migrate(conn)
        held = {table: conn.execute(f"select count(*) from {table}").fetchone()[0]
                for table, _k, _i in TABLES if table != "answer_versions"}
        if any(held.values()):
            conn.rollback()
            found = ", ".join(f"{t} {n:,}" for t, n in held.items() if n)
            raise PostgresError(f"the PostgreSQL database at {safe_url(url)} already holds data "
                                f"({found}); nothing was copied. Migrate into an empty one.")
        copied = {}
        for table, keys, identity in TABLES:
            columns, rows = copied[table] = _rows(source, table, keys)
            if table == "answer_versions":  # the copies above bumped it: take the file's
                conn.execute("delete from answer_versions")
            _insert(conn, table, columns, rows, identity is not None)
            if identity and rows:
                conn.execute(f"select setval(pg_get_serial_sequence('{table}', '{identity}'), "
                             f"(select max({identity}) from {table}))")
        report = []
        for table, (columns, rows) in copied.items():
            theirs = conn.execute(f"select {', '.join(columns)} from {table}").fetchall()
            ours = checksum(rows)
            if len(theirs) != len(rows) or ours != checksum(theirs):
                conn.rollback()
                raise PostgresError(f"{table}: {len(theirs):,} rows arrived of {len(rows):,}, "
                                    "or their content differs; nothing was committed")
            report.append(Copied(table, len(rows), ours))
        conn.commit()
    return report


def export_guilds_db(url: str, target: Path) -> list[Copied]:
    """The guild data in PostgreSQL written out as a guilds.db file (`data backup` with
    HOWTOVOTE_DATABASE_URL set; `data migrate` loads it back): every table read in one
    snapshot, written to a temporary file in one transaction, each table's count and
    checksum compared, and only then moved into place."""
    target = target.expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    out = sqlite_store.open_guilds(tmp)
    report = []
    try:
        with connect(url) as conn:
            conn.execute("set transaction isolation level repeatable read, read only")
            with out.transaction() as lite:
                for table, keys, _identity in TABLES:
                    columns = [row[1] for row in lite.execute(f"pragma table_info({table})")]
                    rows = conn.execute(f"select {', '.join(columns)} from {table} "
                                        f"order by {', '.join(keys)}").fetchall()
                    if table == "answer_versions":  # the copies above bumped it
                        lite.execute("delete from answer_versions")
                    lite.executemany(f"insert into {table} ({', '.join(columns)}) values "
                                     f"({', '.join(['?'] * len(columns))})", rows)
                    report.append(Copied(table, len(rows), checksum(rows)))
        for item in report:
            _c, written = _rows(out.connection, item.table, ())
            if len(written) != item.rows or checksum(written) != item.checksum:
                raise PostgresError(f"{item.table}: the file's copy differs; nothing was "
                                    "written")
    finally:
        out.close()
    tmp.replace(target)
    return report


def _rows(source: sqlite3.Connection, table: str, keys: Sequence[str]
          ) -> tuple[list[str], list[tuple]]:
    columns = [row[1] for row in source.execute(f"pragma table_info({table})")]
    order = f" order by {', '.join(keys)}" if keys else ""
    rows = source.execute(f"select {', '.join(columns)} from {table}{order}").fetchall()
    return columns, rows


def _insert(conn: psycopg.Connection, table: str, columns: list[str], rows: list[tuple],
            identity: bool) -> None:
    if not rows:
        return
    overriding = " overriding system value" if identity else ""
    marks = ", ".join(["%s"] * len(columns))
    with conn.cursor() as cur:
        cur.executemany(f"insert into {table} ({', '.join(columns)}){overriding} "
                        f"values ({marks})", rows)


def checksum(rows: Iterable[Sequence]) -> str:
    """The same digest for the same rows from either engine: each row by its repr, sorted
    in Python (the engines order text differently)."""
    digest = hashlib.sha256()
    for line in sorted(repr(tuple(row)) for row in rows):
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()

"""Opening the two databases, their schemas, and guilds.db's numbered migrations.

- `elections.db` is reference data: rebuilt whole by `data import` and swapped in with
  `os.replace`, never written by the running bot. It uses a rollback journal, not WAL:
  a WAL file is tied to a path, and replacing a WAL-mode file under open readers can
  pair the new file with the old file's `-wal`. Readers open it read-only.
- `guilds.db` holds what users create. WAL mode (readers never block the writer),
  `synchronous=FULL` (a committed update survives a power cut), migrated forward by
  the numbered MIGRATIONS below; nothing is ever rebuilt.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

ELECTIONS_SCHEMA = """
create table elections (
    id text primary key,          -- ge2010 ... ge2019n, ge2024, or a by-election id
    kind text not null,           -- general | notional | by-election
    date text not null,           -- polling day, ISO
    name text not null,
    boundaries text not null      -- 2010 | 2024
);
create table seats (
    id integer primary key,       -- stable within one import; users and guilds.db use code
    code text not null,           -- ONS GSS code
    name text not null,
    boundaries text not null,     -- 2010 | 2024
    nation text not null,         -- England | Scotland | Wales | Northern Ireland
    region text not null          -- English region, or the nation
);
create unique index seats_code on seats (code, boundaries);
create table contests (
    election_id text not null references elections (id),
    seat_id integer not null references seats (id),
    electorate integer,
    valid_votes integer not null,
    invalid_votes integer,
    majority integer,
    result text,                  -- "Lab gain from Con"; blank for notional results
    primary key (election_id, seat_id)
);
create table results (
    election_id text not null references elections (id),
    seat_id integer not null references seats (id),
    party text not null references parties (code),
    candidate text,               -- blank for notional results
    votes integer not null,
    share real not null,          -- fraction of valid votes, 0-1
    position integer not null,
    won integer not null,
    coop integer not null default 0,   -- Labour and Co-operative candidate
    sitting_mp integer not null default 0
);
create index results_contest on results (election_id, seat_id);
create index results_seat on results (seat_id);
create table parties (
    code text primary key,        -- Con, Lab, LD, Green, SGP, SNP, PC, RUK, Ind, Spk ...
    name text not null,
    colour text not null,         -- #rrggbb
    bloc integer not null         -- 1 if in the default anti-Conservative bloc
);
create table overlaps (
    old_seat_id integer not null references seats (id),
    new_seat_id integer not null references seats (id),
    old_population_share real not null,  -- share of the old seat's people now in the new seat
    new_population_share real not null,  -- share of the new seat's people who came from the old
    primary key (old_seat_id, new_seat_id)
);
create table aliases (
    alias text not null,
    seat_code text not null,
    kind text not null            -- old-seat-name | town | ward | welsh-name | abbreviation
);
create index aliases_alias on aliases (alias);
create table poll_average (       -- the live GB average, from the polls file at import
    area text not null,
    date text not null,           -- the newest fieldwork end averaged
    party text not null,
    share real not null,          -- percent
    window_days integer not null,
    pollsters text not null       -- "; "-separated, each pollster's latest poll once
);
create table polls_refused (      -- rows of the polls files that failed a sanity check
    pollster text not null,
    date text not null,           -- its fieldwork end
    reason text not null
);
create table seat_projections (   -- per-seat projections published before polling day
    election_id text not null,    -- the election forecast (ge2017, ge2019, ge2024)
    model text not null,          -- yougov, survation, ...
    published text not null,      -- the release date
    seat_code text not null,      -- on that election's boundaries
    party text not null,          -- swing key
    share real not null,          -- fraction
    primary key (election_id, model, published, seat_code, party)
);
create table projection_baselines ( -- each next-election MRP's own national shares
    election_id text not null,    -- next
    model text not null,          -- as in seat_projections
    label text not null,          -- how answers name it: "YouGov MRP (September 2025)"
    party text not null,          -- swing key
    share real not null           -- fraction (SNP and PC: of their nation)
);
create table local_results (      -- council elections: votes per seat filled, by ward
    day text not null,
    ward_code text not null,      -- 2023 GSS code
    party text not null,          -- swing key, or Other
    votes real not null
);
create table local_strength (     -- council results over a seat's wards, before polling day
    election_id text not null,    -- ge2017, ge2019 (2010 seats), ge2024, next (2024 seats)
    seat_code text not null,
    party text not null,
    share real not null,          -- fraction of the votes cast in its wards
    coverage real not null,       -- share of the seat's postcodes in wards with a contest
    years text not null           -- "2022–2024"
);
create table place_names (        -- data/place_names.csv: a name -> a query we know
    name text not null,
    means text not null,
    kind text not null,           -- welsh-name | district | town
    source text not null
);
create table pacts (
    election_id text not null references elections (id),
    seat_id integer not null references seats (id),
    seat_code text not null,
    boundaries text not null,
    pact text not null,           -- "Unite to Remain", "Speaker's seat convention" ...
    designated text,              -- the party the pact backed; null for a lone stand-aside
    standing_aside text not null, -- party codes, ';'-separated
    notes text not null,
    source text not null          -- URLs, ' ; '-separated
);
create index pacts_seat on pacts (seat_id);
create table forecast_models (
    name text primary key,        -- "next": the model for the coming election
    model text not null,          -- JSON: features, coefficients, top-two coefficients
    choice text not null          -- JSON: the feature set and penalty CV chose, and scores
);
create table wards (
    ward text not null,           -- a 2023 ward's name, e.g. "North Jesmond"
    ward_code text not null,      -- its GSS code
    seat_code text not null,      -- a 2024 seat it falls in (wholly or in part)
    postcodes integer not null    -- how many of its postcodes are in that seat
);
create index wards_ward on wards (ward);
create table leave_estimates (
    seat_code text primary key,   -- 2010-boundary GSS code
    leave real not null           -- estimated 2016 Leave share, 0-1 (Hanretty 2017)
);
create table meta (
    source text primary key,
    origin text not null,         -- the path or URL it was read from
    sha256 text not null,
    licence text not null,
    imported_at text not null
);
"""

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
def transaction(db: sqlite_utils.Database | sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken with the write lock up front (BEGIN IMMEDIATE) so that
    every check made inside it still holds when it commits, even with several processes
    on one file. An error rolls back and is raised as it was: a failed rollback (a full
    disk, say) never hides the error that caused it."""
    conn = db if isinstance(db, sqlite3.Connection) else db.conn
    conn.execute("begin immediate")
    try:
        yield conn
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("rollback")
        raise
    conn.execute("commit")


def open_elections(path: Path, *, writable: bool = False) -> sqlite_utils.Database:
    """Open the reference database; read-only unless we are building it."""
    if writable:
        conn = sqlite3.connect(path, check_same_thread=False)
    else:
        if not path.exists():
            raise FileNotFoundError(path)
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    return sqlite_utils.Database(conn)


def create_elections_schema(db: sqlite_utils.Database) -> None:
    db.conn.executescript(ELECTIONS_SCHEMA)


class StorageError(RuntimeError):
    """A database we must not touch: the message names the file and how to restore it."""


def _refuse(path: Path, problem: str) -> StorageError:
    return StorageError(
        f"{path} {problem}. It holds every server's settings, updates and polls, so the bot "
        "will not start over it or replace it. Restore it from a backup (`python bot.py "
        "data backup FILE` makes one), or move it away to start with an empty one.")


def open_guilds(path: Path) -> sqlite_utils.Database:
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
    return sqlite_utils.Database(conn)


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


def backup(db: sqlite_utils.Database, target: Path) -> int:
    """A consistent copy of a live database (SQLite's online backup), written to a temp
    file and moved into place. Returns its size in bytes."""
    target = target.expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    out = sqlite3.connect(tmp)
    try:
        db.conn.backup(out)
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
        with transaction(conn):
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

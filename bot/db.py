"""Opening the reference database, elections.db, and its schema.

- `elections.db` is reference data: rebuilt whole by `data import` and swapped in with
  `os.replace`, never written by the running bot. It uses a rollback journal, not WAL:
  a WAL file is tied to a path, and replacing a WAL-mode file under open readers can
  pair the new file with the old file's `-wal`. Readers open it read-only.
- `guilds.db` holds what users create: `bot.store.sqlite`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
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
create table forecast_chances (   -- every seat's chances as a bot starts, worked out at import
    key text primary key,         -- shares.chances_key: a digest of what they rest on
    forecast text not null        -- JSON: [chances by party, opponent top two, ranked]
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

def open_elections(path: Path, *, writable: bool = False) -> sqlite_utils.Database:
    """Open the reference database; read-only unless we are building it."""
    if writable:
        conn = sqlite3.connect(path, check_same_thread=False)
    else:
        if not path.exists():
            raise FileNotFoundError(path)
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    return sqlite_utils.Database(conn)


def elections_problem(path: Path) -> str | None:
    """Why elections.db at `path` cannot be read, or None when it can."""
    try:
        open_elections(path).conn.execute("select count(*) from seats").fetchone()
    except (OSError, sqlite3.Error) as exc:
        return str(exc)
    return None


def create_elections_schema(db: sqlite_utils.Database) -> None:
    db.conn.executescript(ELECTIONS_SCHEMA)


def insert_rows(db: sqlite_utils.Database, table: str, rows: Iterable[Mapping[str, object]]
                ) -> int:
    """Rows (dicts with the same keys, plain values) into a table of the schema, in one
    executemany: sqlite-utils' insert_all inspects every row and value again, which made
    the import's 300,000 rows its slowest step."""
    rows = list(rows)
    if not rows:
        return 0
    columns = list(rows[0])
    db.conn.executemany(f"insert into {table} ({', '.join(columns)}) "
                        f"values ({', '.join('?' * len(columns))})",
                        [tuple(row[c] for c in columns) for row in rows])
    return len(rows)

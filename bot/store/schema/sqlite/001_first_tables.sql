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

-- other tactical-voting sites' calls, loaded by the owner (we ship none of them)
create table site_calls (
    site text not null,
    election text not null,        -- next | 2024 | 2019
    seat_code text not null,
    party text,                    -- null: the site makes no call here
    loaded_at text not null,
    primary key (site, election, seat_code)
);

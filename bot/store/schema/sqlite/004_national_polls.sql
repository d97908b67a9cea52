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

create table rate_limits (         -- per-user limits that hold across processes
    key text primary key,          -- "moderator:<user id>"
    window_start real not null,    -- unix time the window opened
    used integer not null
);

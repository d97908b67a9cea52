create table rate_limits (
    key text primary key,
    window_start double precision not null,
    used integer not null
);

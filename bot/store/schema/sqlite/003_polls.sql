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

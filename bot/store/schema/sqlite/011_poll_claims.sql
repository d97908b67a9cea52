alter table polls add column claimed_by text;      -- the process announcing it
alter table polls add column claimed_until real;   -- unix time its claim lapses
alter table polls add column announced_at text;    -- results posted (or not due)
update polls set announced_at = ended_at where ended_at is not null;

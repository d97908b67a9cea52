alter table polls add column claimed_by text;
alter table polls add column claimed_until double precision;
alter table polls add column announced_at text;
update polls set announced_at = ended_at where ended_at is not null;

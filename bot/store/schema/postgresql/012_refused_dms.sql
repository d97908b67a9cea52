alter table subscriptions add column dm_refused_at text;

-- when a subscriber was last sent a DM about the seat (one per few minutes at most)
alter table subscriptions add column notified_at text;

-- what a subscriber was last told, so each change of advice is sent once
alter table subscriptions add column last_advice text;

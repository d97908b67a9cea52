-- what stands on a seat (an update no revert points at) and the one-revert trigger both
-- look a revert up by what it reverts; not unique, so a file written before 005 opens
create index seat_updates_reverts on seat_updates (reverts_id) where reverts_id is not null;

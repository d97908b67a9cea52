-- one revert per update, whatever races: a trigger rather than a unique index so
-- that a file which already holds duplicates (written before this) still opens
create trigger seat_updates_one_revert before insert on seat_updates
when new.reverts_id is not null
     and exists (select 1 from seat_updates where reverts_id = new.reverts_id)
begin
    select raise(abort, 'already reverted');
end;
-- an owner may retire a national poll; the row stays for the record
alter table national_polls add column deleted_at text;

-- A write with its own conflict clause (`insert or replace`) imposed it on these
-- triggers' `insert or ignore`, resetting a server's version to 0 and bumping it
-- to 1 on every write, so caches never saw a second change. These bodies have no
-- conflict to resolve, whatever statement fires them.
drop trigger seat_updates_version;
drop trigger guild_settings_version_insert;
drop trigger guild_settings_version_update;
drop trigger guild_settings_version_delete;
create trigger seat_updates_version after insert on seat_updates begin
    insert into answer_versions select coalesce(new.guild_id, 0), 0 where not exists
        (select 1 from answer_versions where scope = coalesce(new.guild_id, 0));
    update answer_versions set version = version + 1
        where scope = coalesce(new.guild_id, 0);
end;
create trigger guild_settings_version_insert after insert on guild_settings begin
    insert into answer_versions select new.guild_id, 0 where not exists
        (select 1 from answer_versions where scope = new.guild_id);
    update answer_versions set version = version + 1 where scope = new.guild_id;
end;
create trigger guild_settings_version_update after update on guild_settings begin
    insert into answer_versions select new.guild_id, 0 where not exists
        (select 1 from answer_versions where scope = new.guild_id);
    update answer_versions set version = version + 1 where scope = new.guild_id;
end;
create trigger guild_settings_version_delete after delete on guild_settings begin
    insert into answer_versions select old.guild_id, 0 where not exists
        (select 1 from answer_versions where scope = old.guild_id);
    update answer_versions set version = version + 1 where scope = old.guild_id;
end;
-- a subscriber is marked told only once Discord took the DM; a refused one (DMs
-- closed) is recorded and not tried again until they follow the seat anew
alter table subscriptions add column dm_refused_at text;

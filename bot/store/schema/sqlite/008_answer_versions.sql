-- a version per server (scope 0: what every server shares), bumped with every write
-- that changes an answer, so caches in any process know what went stale
create table answer_versions (
    scope integer primary key,
    version integer not null
);
insert into answer_versions values (0, 0);
create trigger seat_updates_version after insert on seat_updates begin
    insert or ignore into answer_versions values (coalesce(new.guild_id, 0), 0);
    update answer_versions set version = version + 1
        where scope = coalesce(new.guild_id, 0);
end;
create trigger guild_settings_version_insert after insert on guild_settings begin
    insert or ignore into answer_versions values (new.guild_id, 0);
    update answer_versions set version = version + 1 where scope = new.guild_id;
end;
create trigger guild_settings_version_update after update on guild_settings begin
    insert or ignore into answer_versions values (new.guild_id, 0);
    update answer_versions set version = version + 1 where scope = new.guild_id;
end;
create trigger guild_settings_version_delete after delete on guild_settings begin
    insert or ignore into answer_versions values (old.guild_id, 0);
    update answer_versions set version = version + 1 where scope = old.guild_id;
end;
create trigger national_polls_version_insert after insert on national_polls begin
    update answer_versions set version = version + 1 where scope = 0;
end;
create trigger national_polls_version_update after update on national_polls begin
    update answer_versions set version = version + 1 where scope = 0;
end;
create trigger site_calls_version_insert after insert on site_calls begin
    update answer_versions set version = version + 1 where scope = 0;
end;
create trigger site_calls_version_delete after delete on site_calls begin
    update answer_versions set version = version + 1 where scope = 0;
end;

create table owner_projections (  -- seat projections for the coming election
    name text not null,
    published text not null,
    seat_code text not null,
    party text not null,          -- swing key
    share real not null,          -- fraction
    loaded_by integer,
    loaded_at text not null,
    primary key (name, seat_code, party)
);
create trigger owner_projections_version_insert after insert on owner_projections
begin
    update answer_versions set version = version + 1 where scope = 0;
end;
create trigger owner_projections_version_delete after delete on owner_projections
begin
    update answer_versions set version = version + 1 where scope = 0;
end;

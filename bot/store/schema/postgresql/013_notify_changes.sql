-- Every change a reader must look at also tells each listening bot as it commits
-- (LISTEN howtovote_changes; bot/store/listen.py), so no bot asks the sequence to learn
-- of it. One notice a statement: PostgreSQL sends a transaction's alike notices once.
create function notify_answer_change() returns trigger language plpgsql as $$
begin
    perform pg_notify('howtovote_changes', '');
    return null;
end $$;

create trigger seat_updates_notify after insert on seat_updates
    for each statement execute function notify_answer_change();
create trigger guild_settings_notify after insert or update or delete on guild_settings
    for each statement execute function notify_answer_change();
create trigger national_polls_notify after insert or update on national_polls
    for each statement execute function notify_answer_change();
create trigger site_calls_notify after insert or delete on site_calls
    for each statement execute function notify_answer_change();
create trigger owner_projections_notify after insert or delete on owner_projections
    for each statement execute function notify_answer_change();

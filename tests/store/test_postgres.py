"""guilds.db's data in a real PostgreSQL server: the schema and its migrations under a
lock, and `data migrate --to` copying a real guilds.db in one verified transaction.

Needs HOWTOVOTE_TEST_DATABASE_URL (CI sets it, and .ci/run fails when the server is not
reachable); each test gets a database of its own, dropped afterwards."""

from __future__ import annotations

import sqlite3
import threading

import psycopg
import pytest

from bot.community import limits, polls, projections, sites, subscriptions, updates
from bot.community import settings as guild_settings
from bot.forecast import national_polls
from bot.store import postgres_data
from bot.store import sqlite as sqlite_store
from tests.elections.test_import import run_cli

PARTIES = {"Con", "Lab", "LD", "Green", "RUK", "SNP", "PC"}
SNOWFLAKE = 2**63 - 1  # the largest id Discord can hand us


def full_guilds_db(path):
    """A guilds.db with something in every table, written the way the bot writes it, with
    the awkward values real servers produce."""
    db = sqlite_store.open_guilds(path)
    guild_settings.set_value(db, SNOWFLAKE, "opponent", "RUK", SNOWFLAKE, PARTIES)
    guild_settings.set_value(db, 7, "mod-role", "123456789012345678", 1, PARTIES)
    pact = updates.add(db, guild_id=SNOWFLAKE, seat_code="E14001196", kind="note", party=None,
                       payload={"text": "**bold** @everyone 🗳️ ‘quotes’ \u200b"},
                       author_id=SNOWFLAKE, author_name="Zoë <@1>", known_parties=PARTIES)
    updates.revert(db, update_id=pact.id, guild_id=SNOWFLAKE, author_id=2, author_name="m")
    updates.add(db, guild_id=None, seat_code="E14001279", kind="note", party=None,
                payload={"text": "national"}, author_id=3, author_name="owner",
                known_parties=PARTIES)
    subscriptions.subscribe(db, SNOWFLAKE, SNOWFLAKE, "E14001196", "Vote Labour")
    poll = polls.create(db, guild_id=SNOWFLAKE, channel_id=SNOWFLAKE, message_id=SNOWFLAKE,
                        seat_code="E14001196", question="Who?", options=["Lab", "Ind"],
                        hours=24, created_by=SNOWFLAKE)
    polls.record_vote(db, poll.message_id, 1, SNOWFLAKE, True)
    national_polls.add(db, {"date": "2026-11-20", "pollster": "YouGov", "area": "GB",
                            "shares": {"Lab": 20.5, "Con": 18, "RUK": 28}, "source": "x"},
                       by=None, owners=None)
    sites.store(db, "Site A", "next", {"E14001196": "Lab", "E14001279": None})
    projections.store(db, "Test MRP", "2026-11-01", {"E14001279": {"LD": 0.4, "Con": 0.3}},
                      None)
    limits.take(db, f"moderator:{SNOWFLAKE}", 10, 60.0, 1_800_000_000.25)
    with db.transaction() as conn:
        conn.execute("insert into postcode_cache values ('WF13 1AB', 'E14001196', 'live', "
                     "null, '2026-11-30T10:00:00')")
    return db


def test_data_migrate_copies_every_table_and_refuses_a_second_time(tmp_path, pg_url):
    db = full_guilds_db(tmp_path / "guilds.db")
    env = {"HOWTOVOTE_DB_DIR": str(tmp_path)}
    out = run_cli("data", "migrate", "--to", pg_url, env=env)
    assert out.returncode == 0, out.stderr
    assert "every table's rows and checksum match" in out.stdout
    with psycopg.connect(pg_url) as conn:
        for table, _keys, _identity in postgres_data.TABLES:
            columns = [r[1] for r in db.execute(f"pragma table_info({table})")]
            ours = db.execute(f"select {', '.join(columns)} from {table}").fetchall()
            theirs = conn.execute(f"select {', '.join(columns)} from {table}").fetchall()
            assert ours, table  # every table had something to copy
            assert sorted(map(repr, ours)) == sorted(map(repr, theirs)), table
        # ids carry on after the copied ones, and the triggers count changes
        before = dict(conn.execute("select scope, version from answer_versions").fetchall())
        new = conn.execute("insert into seat_updates (guild_id, seat_code, kind, payload, "
                           "author_id, author_name, created_at) values (7, 'E14001196', "
                           "'note', '{}', 1, 'm', 'now') returning id").fetchone()[0]
        assert new == db.execute("select max(id) from seat_updates").fetchone()[0] + 1
        after = dict(conn.execute("select scope, version from answer_versions").fetchall())
        assert after[7] == before.get(7, 0) + 1
        # one revert per update, as in SQLite
        reverted = db.execute("select reverts_id from seat_updates where reverts_id "
                                   "is not null").fetchone()[0]
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("insert into seat_updates (guild_id, seat_code, kind, payload, "
                         "author_id, author_name, created_at, reverts_id) values (7, 'x', "
                         "'revert', '{}', 1, 'm', 'now', %s)", (reverted,))
        conn.rollback()
    again = run_cli("data", "migrate", "--to", pg_url, env=env)
    assert again.returncode == 2 and "already holds data" in again.stderr
    with psycopg.connect(pg_url) as conn:  # nothing was added the second time
        assert conn.execute("select count(*) from seat_updates").fetchone()[0] == 3


def test_a_file_postgresql_cannot_take_leaves_the_target_untouched(tmp_path, pg_url):
    db = full_guilds_db(tmp_path / "guilds.db")
    # SQLite keeps what it is given: text where a member's id belongs
    db.execute("insert into subscriptions values (7, 'not-a-number', 'E14001196', "
                    "'now', null, null, null)")
    with pytest.raises(psycopg.Error):
        postgres_data.copy_guilds_db(db.connection, pg_url)
    with psycopg.connect(pg_url) as conn:  # the schema went too: one transaction
        assert conn.execute("select to_regclass('guild_settings')").fetchone()[0] is None


def test_processes_starting_together_migrate_once(pg_url):
    errors, barrier = [], threading.Barrier(6)

    def start() -> None:
        try:
            with psycopg.connect(pg_url) as conn:
                barrier.wait()
                postgres_data.migrate(conn)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("select version from schema_migrations order by version"
                            ).fetchall() == [(n,) for n, _script in postgres_data.MIGRATIONS]


def test_migrate_refuses_what_is_not_a_postgresql_url_and_an_unreachable_server(tmp_path):
    full_guilds_db(tmp_path / "guilds.db")
    env = {"HOWTOVOTE_DB_DIR": str(tmp_path)}
    bad = run_cli("data", "migrate", "--to", "sqlite:///x.db", env=env)
    assert bad.returncode == 2 and "PostgreSQL URL" in bad.stderr
    gone = run_cli("data", "migrate", "--to", "postgresql://nobody:secret@127.0.0.1:1/x",
                   env=env)
    assert gone.returncode == 2 and "cannot connect to PostgreSQL" in gone.stderr
    assert "secret" not in gone.stderr  # the password is never printed


def test_the_sqlite_and_postgresql_schemas_have_the_same_tables_and_columns(tmp_path,
                                                                            pg_url):
    lite = sqlite3.connect(tmp_path / "g.db")
    sqlite_store.migrate(lite)
    with psycopg.connect(pg_url) as conn:
        postgres_data.migrate(conn)
        for table, _k, _i in postgres_data.TABLES:
            ours = [r[1] for r in lite.execute(f"pragma table_info({table})")]
            theirs = [r[0] for r in conn.execute(
                "select column_name from information_schema.columns where table_name = %s "
                "order by ordinal_position", (table,))]
            assert ours == theirs, table
    assert sqlite_store.schema_version(lite) == postgres_data.SCHEMA_VERSION


@pytest.mark.slow
def test_the_command_line_works_on_postgresql_and_backs_it_up_as_a_guilds_db(
        tmp_path, pg_url, settings):
    """With HOWTOVOTE_DATABASE_URL set, `polls import` and `ask` use PostgreSQL, not a
    guilds.db, and `data backup` writes PostgreSQL's data as a guilds.db file that holds
    exactly what the original file held, plus the import."""
    from tests.test_one_truth import POLLS_CSV

    original = full_guilds_db(tmp_path / "guilds.db")
    moved = run_cli("data", "migrate", "--to", pg_url, env={"HOWTOVOTE_DB_DIR": str(tmp_path)})
    assert moved.returncode == 0, moved.stderr
    env = {"HOWTOVOTE_DB_DIR": str(settings.db_dir), "HOWTOVOTE_DATABASE_URL": pg_url}
    (tmp_path / "polls.csv").write_text(POLLS_CSV)
    imported = run_cli("polls", "import", str(tmp_path / "polls.csv"), env=env)
    assert imported.returncode == 0, imported.stderr
    assert "Imported 1 new national poll(s) into postgresql://" in imported.stdout
    asked = run_cli("ask", "Bath", env=env)
    assert "GB polls of 2026-11-20" in asked.stdout, asked  # the owners' polls in PostgreSQL
    assert not settings.guilds_db_path.exists()  # nothing went to a file meanwhile
    backup = tmp_path / "backups" / "guilds-copy.db"
    out = run_cli("data", "backup", str(backup), env=env)
    assert out.returncode == 0, out.stderr
    assert "as a guilds.db file" in out.stdout and "checksum equal" in out.stdout
    copy = sqlite_store.open_guilds(backup)
    for table, _keys, _identity in postgres_data.TABLES:
        columns = [r[1] for r in original.execute(f"pragma table_info({table})")]
        ours = original.execute(f"select {', '.join(columns)} from {table}").fetchall()
        theirs = copy.execute(f"select {', '.join(columns)} from {table}").fetchall()
        if table == "national_polls":  # the import, and the rest as it was
            assert sorted(map(repr, ours)) == sorted(map(repr, theirs[:1]))
            assert theirs[1][1:3] == ("2026-11-20", "YouGov")
        elif table != "answer_versions":  # the import bumped the shared version
            assert sorted(map(repr, ours)) == sorted(map(repr, theirs)), table
    assert list(tmp_path.glob("backups/.*")) == []  # no temporary file left behind


async def test_after_its_own_write_a_process_asks_rather_than_waits_for_the_notice(pg_url):
    """A notice reaches the listener a moment after its commit: right after this process
    wrote, the next look asks the store instead of trusting what has been heard so far."""
    from bot.community.versions import Versions
    from bot.store import postgres
    from bot.store.bridge import run_sync
    from bot.store.listen import ChangeListener

    store = await postgres.open_async(pg_url)
    # connected, never told: as if the notice of the write were still on its way
    in_flight = ChangeListener(pg_url, postgres.SESSION)
    in_flight._conn = await psycopg.AsyncConnection.connect(pg_url, **postgres.SESSION)
    in_flight._count = 1
    store.listener = in_flight
    writer = store.writer()  # shares the listener
    try:
        versions = Versions(store)
        assert await run_sync(versions.stale) is None  # the first look: everything
        assert await run_sync(store.changes) == -1  # heard, not asked
        await run_sync(guild_settings.set_value, writer, 5, "opponent", "RUK", 1, PARTIES)
        versions.written()
        assert await run_sync(versions.stale) == {5}
    finally:
        await in_flight._conn.close()
        store.listener = None
        await store.aclose()

"""The store's two adapters behave as one: the same SQL, the same rows, the same errors
(the store's own, never a driver's), on a real guilds.db and a real PostgreSQL server."""

from __future__ import annotations

import pytest

from bot.errors import StoreConflict, StoreError, StoreFailed
from bot.store import postgres
from bot.store import sqlite as sqlite_store
from bot.store.postgres import pyformat


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        opened = sqlite_store.open_guilds(tmp_path / "guilds.db")
    else:
        opened = postgres.open_guilds(request.getfixturevalue("pg_url"), connections=2)
    yield opened
    opened.close()


def test_placeholders_change_only_outside_quoted_text():
    assert pyformat("select 1 where a = ? and b like 'x%?' and \"c?\" = ?") == \
        "select 1 where a = %s and b like 'x%%?' and \"c?\" = %s"
    assert pyformat("select 'it''s ?', ?") == "select 'it''s ?', %s"
    assert pyformat("select 5 % 2") == "select 5 %% 2"


def test_the_same_sql_gives_the_same_rows_on_both_engines(store):
    store.execute("insert into rate_limits (key, window_start, used) values (?, ?, 1)",
                  ("100% sure?", 1.5))
    upsert = ("insert into rate_limits (key, window_start, used) values (?, ?, 1) "
              "on conflict (key) do update set used = rate_limits.used + 1")
    store.execute(upsert, ("100% sure?", 2.0))
    assert store.execute("select key, used from rate_limits where key like '100%' "
                         "and key <> '?'").fetchall() == [("100% sure?", 2)]
    added = store.execute("insert into national_polls (date, pollster, area, shares, source, "
                          "created_at) values (?, ?, ?, ?, ?, ?) returning id",
                          ("2026-04-01", "P", "GB", "{}", "s", "now")).fetchone()
    assert added == (1,)
    assert store.execute("delete from rate_limits").rowcount == 1


def test_a_transaction_is_all_or_nothing_and_its_errors_are_the_stores(store):
    # a unique key: the store's error, not the driver's
    with pytest.raises(StoreConflict), store.transaction() as conn:
        conn.execute("insert into rate_limits values ('a', 1, 1)")
        conn.execute("insert into rate_limits values ('a', 1, 1)")
    assert store.execute("select count(*) from rate_limits").fetchone() == (0,)
    with pytest.raises(StoreFailed):
        store.execute("select * from no_such_table")
    with store.transaction() as conn:  # usable again after both
        conn.execute("insert into rate_limits values ('b', 1, 1)")
    assert store.execute("select key from rate_limits").fetchall() == [("b",)]
    assert all(base.__module__ in ("bot.errors", "builtins")  # no driver's base classes
               for kind in StoreError.__subclasses__() for base in kind.__mro__)


def test_changes_tells_another_connection_of_a_write_that_changes_an_answer(store, tmp_path):
    other = (sqlite_store.open_guilds(tmp_path / "guilds.db") if store.engine == "sqlite"
             else store.writer())
    try:
        before = store.changes()
        other.execute("insert into guild_settings (guild_id, key, value, updated_at) "
                      "values (5, 'opponent', 'RUK', 'now')")
        assert store.changes() != before
        seen = store.changes()
        assert store.changes() == seen  # nothing more written: no change
    finally:
        other.close()


def test_one_numbered_history_kept_as_files_for_both_engines():
    from bot.store.base import migrations
    lite, pg = migrations("sqlite"), migrations("postgresql")
    assert [n for n, _ in lite] == list(range(1, len(lite) + 1))
    assert [n for n, _ in pg] == list(range(9, lite[-1][0] + 1))  # PostgreSQL began at 9
    assert all(script.strip() for _, script in lite + pg)

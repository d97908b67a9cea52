from pathlib import Path

import pytest

from bot.config import ConfigError, settings_from


def test_defaults_when_nothing_is_set():
    s = settings_from({})
    assert s.discord_token is None
    assert s.prefix == "!"
    assert s.postcodes_api_url == "https://api.postcodes.io"
    assert s.elections_db_path.name == "elections.db"


def test_values_are_read_and_cleaned(tmp_path: Path):
    s = settings_from({
        "DISCORD_TOKEN": " abc ",
        "HOWTOVOTE_DB_DIR": str(tmp_path),
        "POSTCODES_API_URL": "http://127.0.0.1:9999/",
        "HOWTOVOTE_OWNER_IDS": "1, 2 3",
        "HOWTOVOTE_SHARD_COUNT": "4",
        "HOWTOVOTE_SHARD_IDS": "0,1",
        "LOG_LEVEL": "debug",
        "HOWTOVOTE_POLL_LEASE_SECONDS": "12",
    })
    assert s.discord_token == "abc"
    assert s.guilds_db_path == tmp_path / "guilds.db"
    assert s.postcodes_api_url == "http://127.0.0.1:9999"
    assert s.owner_ids == {1, 2, 3}
    assert (s.shard_count, s.shard_ids) == (4, (0, 1))
    assert s.log_level == "DEBUG"
    assert s.poll_lease_seconds == 12 and settings_from({}).poll_lease_seconds == 30


@pytest.mark.parametrize("env, message", [
    ({"HOWTOVOTE_OWNER_IDS": "12,abc"}, "whole number"),
    ({"POSTCODES_API_URL": "api.postcodes.io"}, "http"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"HOWTOVOTE_PREFIX": "! !"}, "PREFIX"),
    ({"HOWTOVOTE_SHARD_IDS": "0"}, "SHARD_COUNT"),
    ({"HOWTOVOTE_POLL_LEASE_SECONDS": "4"}, "between 5 and 3600"),
    ({"HOWTOVOTE_POLL_LEASE_SECONDS": "1e9"}, "whole number"),
    ({"HOWTOVOTE_SHARD_COUNT": "2", "HOWTOVOTE_SHARD_IDS": "2"}, "between 0 and 1"),
])
def test_bad_values_are_clear_errors(env, message):
    with pytest.raises(ConfigError, match=message):
        settings_from(env)


def test_the_database_url_must_be_postgresql():
    assert settings_from({}).database_url is None  # guilds.db, as before
    url = "postgresql://bot:secret@db.example:5432/howtovote"
    assert settings_from({"HOWTOVOTE_DATABASE_URL": url}).database_url == url
    for bad in ("mysql://x/y", "sqlite:///guilds.db", "db.example:5432", "'; drop --"):
        with pytest.raises(ConfigError, match="must be a PostgreSQL URL"):
            settings_from({"HOWTOVOTE_DATABASE_URL": bad})

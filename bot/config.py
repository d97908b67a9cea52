"""Settings from the environment (and a `.env` file, loaded once).

Every setting the bot reads is a field here; nothing else reads `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Run from a checkout (bot.py beside pyproject.toml), or installed from the wheel.
IN_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "bot.py").is_file()
DEFAULT_DB_DIR = (PROJECT_ROOT / "data" if IN_CHECKOUT
                  else Path(platformdirs.user_data_dir("howtovote", appauthor=False)))
DEFAULT_ENV_FILE = (PROJECT_ROOT if IN_CHECKOUT else Path.cwd()) / ".env"
DEFAULT_POSTCODES_API_URL = "https://api.postcodes.io"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    discord_token: str | None = None
    prefix: str = "!"
    db_dir: Path = DEFAULT_DB_DIR
    data_source: str | None = None  # HOWTOVOTE_DATA: a local folder of the public files
    postcodes_api_url: str = DEFAULT_POSTCODES_API_URL
    owner_ids: frozenset[int] = field(default_factory=frozenset)
    dev_guild_id: int | None = None
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one JSON object per line
    # HOWTOVOTE_DATABASE_URL: guild data in PostgreSQL rather than guilds.db
    database_url: str | None = None
    # HOWTOVOTE_POLL_LEASE_SECONDS: how long a process's claim on a due poll holds; if it
    # dies before posting the results, another process posts them once the claim lapses
    poll_lease_seconds: int = 30

    @property
    def elections_db_path(self) -> Path:
        return self.db_dir / "elections.db"

    @property
    def guilds_db_path(self) -> Path:
        return self.db_dir / "guilds.db"

    @property
    def downloads_dir(self) -> Path:
        return self.db_dir / "downloads"


def _int(name: str, value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None


def _int_list(name: str, value: str) -> tuple[int, ...]:
    parts = [p for p in value.replace(" ", ",").split(",") if p]
    return tuple(_int(name, p) for p in parts)


def settings_from(env: Mapping[str, str]) -> Settings:
    """Build Settings from a mapping of environment variables, validating each."""

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    kwargs: dict = {}
    if token := get("DISCORD_TOKEN"):
        kwargs["discord_token"] = token
    if prefix := get("HOWTOVOTE_PREFIX"):
        if len(prefix) > 5 or any(c.isspace() for c in prefix):
            raise ConfigError("HOWTOVOTE_PREFIX must be 1-5 characters with no spaces")
        kwargs["prefix"] = prefix
    if db_dir := get("HOWTOVOTE_DB_DIR"):
        kwargs["db_dir"] = Path(db_dir).expanduser().resolve()
    if data := get("HOWTOVOTE_DATA"):
        kwargs["data_source"] = data
    if url := get("HOWTOVOTE_DATABASE_URL"):
        if not url.startswith(("postgresql://", "postgres://")):
            raise ConfigError("HOWTOVOTE_DATABASE_URL must be a PostgreSQL URL "
                              "(postgresql://user@host:5432/database)")
        kwargs["database_url"] = url
    if api := get("POSTCODES_API_URL"):
        if not api.startswith(("http://", "https://")):
            raise ConfigError(f"POSTCODES_API_URL must start with http:// or https://: {api!r}")
        kwargs["postcodes_api_url"] = api.rstrip("/")
    if owners := get("HOWTOVOTE_OWNER_IDS"):
        kwargs["owner_ids"] = frozenset(_int_list("HOWTOVOTE_OWNER_IDS", owners))
    if dev_guild := get("HOWTOVOTE_DEV_GUILD"):
        kwargs["dev_guild_id"] = _int("HOWTOVOTE_DEV_GUILD", dev_guild)
    if shards := get("HOWTOVOTE_SHARD_COUNT"):
        kwargs["shard_count"] = _int("HOWTOVOTE_SHARD_COUNT", shards)
        if kwargs["shard_count"] < 1:
            raise ConfigError("HOWTOVOTE_SHARD_COUNT must be at least 1")
    if shard_ids := get("HOWTOVOTE_SHARD_IDS"):
        ids = _int_list("HOWTOVOTE_SHARD_IDS", shard_ids)
        count = kwargs.get("shard_count")
        if count is None:
            raise ConfigError("HOWTOVOTE_SHARD_IDS needs HOWTOVOTE_SHARD_COUNT too")
        if any(i < 0 or i >= count for i in ids):
            raise ConfigError(f"HOWTOVOTE_SHARD_IDS must each be between 0 and {count - 1}")
        kwargs["shard_ids"] = ids
    if lease := get("HOWTOVOTE_POLL_LEASE_SECONDS"):
        kwargs["poll_lease_seconds"] = _int("HOWTOVOTE_POLL_LEASE_SECONDS", lease)
        if not 5 <= kwargs["poll_lease_seconds"] <= 3600:
            raise ConfigError("HOWTOVOTE_POLL_LEASE_SECONDS must be between 5 and 3600")
    if level := get("LOG_LEVEL"):
        if level.upper() not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {level!r}")
        kwargs["log_level"] = level.upper()
    if log_format := get("LOG_FORMAT"):
        if log_format.lower() not in ("text", "json"):
            raise ConfigError(f"LOG_FORMAT must be text or json, not {log_format!r}")
        kwargs["log_format"] = log_format.lower()
    return Settings(**kwargs)


def load_settings(env_file: Path | None = DEFAULT_ENV_FILE) -> Settings:
    """Read `.env` (if present; real environment variables win) and then the environment."""
    if env_file is not None and env_file.exists():
        load_dotenv(env_file, override=False)
    return settings_from(os.environ)

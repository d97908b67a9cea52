"""Every seat's chances as a bot starts with them (no moderator's update, no owner's poll
or projection), worked out once at import and kept in elections.db, so that no bot
process has to work out 650 seats' draws as it starts (`forecast.store.keep_chances`)."""

from __future__ import annotations

import sqlite_utils

from bot.elections.seats import ElectionData
from bot.forecast.live import Field, LiveForecasts
from bot.forecast.model import Forecast


def fields(data: ElectionData) -> dict[str, Field]:
    """Who stands where before any server's updates (a moderator's pact is the only
    one that designates a party)."""
    return {code: Field(record.stood, "") for code, record in data.current.items()}


def chances_ahead(db: sqlite_utils.Database) -> dict[str, Forecast]:
    return LiveForecasts(db).ahead(fields(ElectionData(db)))

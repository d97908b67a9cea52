"""What every concern of the service shares, set up by `HowToVote.start`."""

from __future__ import annotations

from collections import deque

import aiohttp
import sqlite_utils

from bot.community.kept import Kept
from bot.community.store import GuildStore
from bot.config import Settings
from bot.elections.seats import ElectionData
from bot.forecast.live import Field, LiveForecasts
from bot.places.postcodes import PostcodeLookup
from bot.places.resolve import Resolver
from bot.store.base import Store


class ServiceState:
    settings: Settings
    session: aiohttp.ClientSession | None
    owner_ids: set[int]  # HOWTOVOTE_OWNER_IDS and those Discord confirms
    worker: str  # this process, in claims
    moderator_rate: tuple[int, float] | None
    warm_forecasts: bool  # every seat's chances worked out ahead (the bot), or as asked
    answers_served: int
    _answer_seconds: deque[float]
    _national_2024: dict[str, float] | None
    # reference data (elections.db), shared by every service in the process
    elections_db: sqlite_utils.Database
    data: ElectionData
    forecasts: LiveForecasts
    _fields: dict[str, Field]  # who stands where, before any server's updates
    resolver: Resolver
    postcodes: PostcodeLookup
    # the guild store: reads on the loop's connection, writes on the writer thread
    store: GuildStore
    guilds_db: Store
    kept: Kept

    @property
    def seat_count(self) -> int:
        return len(self.data.current)

    @property
    def known_parties(self) -> set[str]:
        return set(self.data.parties)

"""The one front door to the core: the bot's cogs, the terminal `ask` and the benchmarks all
answer through HowToVote, so they cannot drift apart."""

from __future__ import annotations

import os
import socket
from collections import deque

import aiohttp

from bot.community import limits
from bot.community.kept import Kept
from bot.community.store import GuildStore
from bot.config import Settings
from bot.election_parts import election_parts
from bot.elections.dataset import ensure_data
from bot.places.postcodes import PostcodeLookup
from bot.services.answers import Answer
from bot.services.moderation import Change, Moderation
from bot.services.owner_data import OwnerData
from bot.services.seat_polls import SeatPolls

__all__ = ["Answer", "Change", "HowToVote"]


class HowToVote(Moderation, OwnerData, SeatPolls):
    """The core's one front door, composed of its concerns (`bot/services/`): answering
    voters, moderation, the owners' data and seat polls, over one shared state."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session: aiohttp.ClientSession | None = None
        self._national_2024: dict[str, float] | None = None
        # the bot's owners: from HOWTOVOTE_OWNER_IDS, and those Discord confirms (the
        # application's owner); the core checks this set, not a flag a caller passes
        self.owner_ids: set[int] = set(settings.owner_ids)
        self.answers_served = 0
        self.worker = f"{socket.gethostname()}:{os.getpid()}"  # this process, in claims
        self.moderator_rate: tuple[int, float] | None = limits.MODERATOR_RATE
        self._answer_seconds: deque[float] = deque(maxlen=1000)  # the latest answers

    async def start(self, *, offline: bool = False, warm: bool = True) -> HowToVote:
        """Open the data and the guild store. `offline`: no HTTP session (postcodes.io);
        `warm`: work out every seat's chances now, so no question waits for them (the
        command line, answering one question, works out only the seat it asks about)."""
        parts = election_parts(await ensure_data(self.settings))
        self.elections_db, self.data, self.forecasts = parts.db, parts.data, parts.forecasts
        self._fields = parts.fields
        self.store = await GuildStore.open(self.settings.guilds_db_path,
                                           self.settings.database_url)
        self.guilds_db = self.store.read  # reads only: writes go through self.store.write
        self.kept = Kept(self.guilds_db)  # what guilds.db says, until a write changes it
        self.store.on_write = self.kept.versions.written
        if not offline:
            self.session = aiohttp.ClientSession(
                headers={"User-Agent": "howtovote (Discord tactical-voting bot)"})
        offline_table = self.settings.db_dir / "postcodes.db"
        self.postcodes = PostcodeLookup(self.settings.postcodes_api_url, self.session,
                                        self.guilds_db, offline_table,
                                        write=self.store.write, run=self.store.run)
        self.resolver = parts.resolver.with_postcodes(self.postcodes)
        self.warm_forecasts = warm
        if warm:
            await self.store.run(self.warm)
        return self

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
        if getattr(self, "store", None) is not None:
            await self.store.aclose()
        # elections.db stays open: its parts are shared with any other service in the process

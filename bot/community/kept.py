"""What the running bot keeps of guilds.db in memory, and when it forgets it.

Server settings, each seat's updates, the owners' national polls and seat projections,
other sites' calls and whole answers are read once and kept. Every reader first drops
what a write has made stale, in this process or any other (`fresh()`, which asks the
store at most every 0.1 s: `community.versions`), so no caller has to remember to. An
answer worked out while something went stale is given but not kept. Answers are kept by
what they rest on, not by server, so servers in the same state share them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar

from bot.community import projections, sites, updates
from bot.community import settings as guild_settings
from bot.community.versions import Versions
from bot.forecast import national_polls
from bot.models import SeatUpdate
from bot.store.base import Store

T = TypeVar("T")
ANSWERS_KEPT = 20_000  # answers kept at most (shared by servers in the same state)


class Kept:
    def __init__(self, db: Store) -> None:
        self.db = db
        self.versions = Versions(db)
        self._settings: dict[int, guild_settings.GuildSettings] = {}
        self._updates: dict[tuple[int | None, str], list[SeatUpdate]] = {}
        # per server, the seats with any update: a seat without is answered without a read
        self._updated_seats: dict[int | None, frozenset[str]] = {}
        self._answers: dict[tuple, object] = {}
        self._owner_polls: dict[str, national_polls.NationalPoll | None] | None = None
        self._site_calls: dict[str, list[tuple[str, str | None]]] | None = None
        self._projections: dict[str, dict[str, dict[str, float]]] | None = None
        self._date, self._tomorrow_at = date.today(), 0.0
        self._forgotten = 0  # how many times fresh() has forgotten something

    def fresh(self) -> None:
        """Forget what a write since the last look made stale (cheap when nothing did)."""
        stale = self.versions.stale()
        if stale is None:
            self._settings.clear()
            self._updates.clear()
            self._updated_seats.clear()
            self._answers.clear()
            self._owner_polls = self._site_calls = self._projections = None
            self._forgotten += 1
        elif stale:
            for guild_id in stale:  # its kept answers are keyed by what it had: unreachable
                self._settings.pop(guild_id, None)
            self._updates = {k: v for k, v in self._updates.items() if k[0] not in stale}
            self._updated_seats = {g: s for g, s in self._updated_seats.items()
                                   if g not in stale}
            self._forgotten += 1

    def today(self) -> date:
        """date.today(), looked up again only after midnight."""
        if time.time() >= self._tomorrow_at:
            self._date = date.today()
            self._tomorrow_at = datetime.combine(self._date + timedelta(days=1),
                                                 datetime.min.time()).timestamp()
        return self._date

    def settings(self, guild_id: int | None) -> guild_settings.GuildSettings:
        if guild_id is None:
            return guild_settings.DEFAULTS
        self.fresh()
        found = self._settings.get(guild_id)
        if found is None:
            found = self._settings[guild_id] = guild_settings.get(self.db, guild_id)
        return found

    def updates(self, guild_id: int | None, code: str) -> list[SeatUpdate]:
        self.fresh()
        found = self._updates.get((guild_id, code))
        if found is None:
            updated = self._updated_seats.get(guild_id)
            if updated is None:
                updated = self._updated_seats[guild_id] = updates.seats_updated(self.db,
                                                                                guild_id)
            found = self._updates[guild_id, code] = (
                updates.in_scope(self.db, guild_id, code) if code in updated else [])
        return found

    def owner_polls(self) -> dict[str, national_polls.NationalPoll | None]:
        """The owners' latest poll for each nation (a GB poll stands in)."""
        self.fresh()
        if self._owner_polls is None:
            gb = national_polls.latest(self.db, "GB")
            by_nation = {n: national_polls.latest(self.db, n) or gb
                         for n in ("Scotland", "Wales")}
            self._owner_polls = {**by_nation, "England": gb}
        return self._owner_polls

    def site_calls(self) -> dict[str, list[tuple[str, str | None]]]:
        """Every loaded site's calls for the coming election."""
        self.fresh()
        if self._site_calls is None:
            self._site_calls = sites.all_calls(self.db)
        return self._site_calls

    def projections(self) -> dict[str, dict[str, dict[str, float]]]:
        """The owners' seat projections for the coming election, by seat then label."""
        self.fresh()
        if self._projections is None:
            self._projections = projections.by_seat(self.db)
        return self._projections

    def answer(self, key: tuple, work_out: Callable[[], T]) -> T:
        """The answer kept under `key`, or `work_out()`'s, kept unless something went
        stale while it was worked out (it may rest on a mix of old and new)."""
        self.fresh()
        found = self._answers.get(key)
        if found is None:
            before = self._forgotten
            found = work_out()
            if self._forgotten == before:
                if len(self._answers) >= ANSWERS_KEPT:
                    self._answers.clear()
                self._answers[key] = found
        return found  # type: ignore[return-value]

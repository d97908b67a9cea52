"""What the bot's owners load and keep: national polls, other sites' calls, seat
projections, bot-wide stored values and the postcode cache."""

from __future__ import annotations

from pathlib import Path

from bot.community import projections, sites
from bot.community import settings as guild_settings
from bot.forecast import national_polls
from bot.places.postcodes import clear_cache
from bot.services.answers import Answers
from bot.textnorm import match_key


class OwnerData(Answers):
    async def stored_value(self, key: str) -> str | None:
        """A bot-wide stored value (such as the slash-command hash)."""
        return await self.store.run(guild_settings.get_raw, self.guilds_db, 0, key)

    async def store_value(self, key: str, value: str) -> None:
        await self.store.write(guild_settings.set_raw, 0, key, value, None)

    async def set_national_poll(self, text: str, by: int) -> national_polls.NationalPoll:
        poll = national_polls.parse(text, self.known_parties)
        added = await self.store.write(national_polls.add, poll, by=by,
                                       owners=set(self.owner_ids))
        return added

    async def import_national_polls(self, path: Path) -> int:
        """The operator's CSV of national polls (the command line); how many were new."""
        return await self.store.write(national_polls.import_csv, path, self.known_parties)

    async def delete_national_poll(self, poll_id: int, by: int | None
                                   ) -> national_polls.NationalPoll:
        """`by` None: the operator's own shell, which needs no owner's say."""
        return await self.store.write(national_polls.delete, poll_id, by=by,
                                      owners=None if by is None else set(self.owner_ids))

    async def clear_postcode_cache(self) -> int:
        return await self.store.write(clear_cache)

    async def import_site(self, name: str, path: Path, election: str = "next", *,
                          code_column: str | None = None, call_column: str | None = None,
                          replace: bool = False) -> sites.Site:
        boundaries = sites.ELECTIONS.get(election)
        if boundaries is None:
            raise sites.SiteError(f"election must be one of {', '.join(sites.ELECTIONS)}")
        seats = {s.code: s.name for s in self.data.seats.values()
                 if s.boundaries == boundaries}
        names = {code: p.name for code, p in self.data.parties.items()}
        calls = sites.parse(path, seats, names, code_column=code_column,
                            call_column=call_column)
        return await self.store.write(sites.store, name, election, calls, replace=replace)

    async def remove_site(self, name: str) -> int:
        return await self.store.write(sites.remove, name)

    async def loaded_sites(self) -> list[sites.Site]:
        return await self.store.run(sites.sites, self.guilds_db)

    async def import_projection(self, name: str, raw: bytes, label: str,
                                published: str | None, by: int | None, *,
                                replace: bool = False) -> projections.Loaded:
        seats = {s.code: s.name for s in self.data.seats.values() if s.boundaries == "2024"}
        names = {match_key(n): c for c, n in seats.items()}
        self.check_projection_size(len(raw))
        day = projections.check_date(published, self.kept.today())
        shares = projections.parse(raw, label, seats, names)
        loaded = await self.store.write(projections.store, name, day, shares, by,
                                        replace=replace)
        if self.warm_forecasts:
            await self.store.run(self.warm)
        return loaded

    @staticmethod
    def check_projection_size(size: int) -> None:
        if size > projections.MAX_BYTES:
            raise projections.ProjectionError(f"that file is {size:,} bytes: a seat table "
                                              "is far smaller")

    async def remove_projection(self, name: str) -> int:
        return await self.store.write(projections.remove, name)

    async def loaded_projections(self) -> list[projections.Loaded]:
        return await self.store.run(projections.loaded, self.guilds_db)

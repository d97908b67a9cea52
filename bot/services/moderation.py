"""What moderators and server admins do: seat updates (checked, within an allowance,
with the advice before and after), server settings, and the subscribers told of a change."""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.community import limits, subscriptions, updates
from bot.community import settings as guild_settings
from bot.errors import (
    SavedUnshown,
    StoreError,
    StoreUnavailable,
    UserFacingError,
)
from bot.models import SeatRef, SeatUpdate
from bot.services.answers import Answer, Answers
from bot.textnorm import party_code


@dataclass(frozen=True)
class Change:
    """An accepted seat update and what it did to the advice."""

    update: SeatUpdate
    before: Answer
    after: Answer


log = logging.getLogger("howtovote.service")


class Moderation(Answers):
    async def one_seat(self, query: str) -> SeatRef:
        """Moderation acts on exactly one seat: anything vaguer is refused."""
        resolution = await self.resolver.resolve(query)
        if resolution.seat is None:
            options = ", ".join(s.name for s in resolution.seats[:5])
            hint = f" Did you mean: {options}?" if options else ""
            raise updates.UpdateError(f"{resolution.note}{hint} Put seat names with spaces "
                                      "in quotes.")
        return resolution.seat

    def party_code(self, text: str) -> str:
        match = party_code(text, self.data.parties)
        if match is None:
            raise updates.UpdateError(f"unknown party {text.strip()[:20]!r}: use a code such "
                                      "as Con, Lab, LD, Green, SNP, PC or RUK")
        return match

    @contextlib.asynccontextmanager
    async def _moderator_allowance(self, author_id: int):
        """Each update spends one of the moderator's allowance (limits.MODERATOR_RATE),
        counted in the store, so across every process; given back when it is refused."""
        if self.moderator_rate is None:
            yield
            return
        key = f"moderator:{author_id}"
        wait = await self.store.write(limits.take, key, *self.moderator_rate, time.time())
        if wait:
            raise limits.LimitReached(f"you are posting updates quickly: try again in "
                                      f"{math.ceil(wait)} s")
        try:
            yield
        except UserFacingError:
            await self.store.write(limits.refund, key)
            raise

    async def post_update(self, guild_id: int | None, code: str, kind: str, party: str | None,
                          payload: dict, author_id: int, author_name: str) -> Change:
        """Validate and append one update, with the seat's answer before and after."""
        record = self.data.record(code)
        stood = {c.party for c in record.latest.candidates} if record else set()
        before = await self._answer_before(code, guild_id)
        opponent = (await self.settings_for(guild_id)).opponent if guild_id is not None \
            else None
        async with self._moderator_allowance(author_id):
            update = await self.store.write(
                updates.add, guild_id=guild_id, seat_code=code, kind=kind, party=party,
                payload=payload, author_id=author_id, author_name=author_name,
                known_parties=self.known_parties, stood=stood, opponent=opponent,
                announced_pact=record.pacts[0] if record and record.pacts else None)
        return Change(update, before, await self._answer_after(update, guild_id))

    async def _answer_before(self, code: str, guild_id: int | None) -> Answer:
        """The seat's answer in this server before a change. Unlike a voter's question,
        which the reference data answers when the store is out of reach, a change is
        refused at once then (StoreUnavailable): its write could only wait out its own
        deadline too, and the answer it would be shown against is not this server's."""
        return await self.store.run(self.kept_answer, code, guild_id)

    async def _answer_after(self, update: SeatUpdate, guild_id: int | None) -> Answer:
        """The seat's answer once `update` is stored. The update is committed by now: if
        the database goes away before the answer is worked out, say it is saved."""
        try:
            return await self.answer_seat(update.seat_code, guild_id)
        except StoreUnavailable as exc:
            raise SavedUnshown(f"update #{update.id} is saved, but the database went away "
                               "before the new advice could be worked out: ask for the "
                               "seat again in a moment.") from exc

    async def revert_update(self, guild_id: int | None, update_id: int, author_id: int,
                            author_name: str) -> Change:
        target = await self.store.run(updates.get, self.guilds_db, update_id)
        before = await self._answer_before(target.seat_code, guild_id) if target else None
        async with self._moderator_allowance(author_id):
            update = await self.store.write(updates.revert, update_id=update_id,
                                            guild_id=guild_id, author_id=author_id,
                                            author_name=author_name,
                                            owners=set(self.owner_ids))
        return Change(update, before, await self._answer_after(update, guild_id))

    async def make_global(self, update_id: int, author_id: int, author_name: str
                          ) -> SeatUpdate:
        async with self._moderator_allowance(author_id):
            return await self.store.write(updates.make_global, update_id=update_id,
                                          author_id=author_id, author_name=author_name,
                                          owners=set(self.owner_ids))

    async def history(self, guild_id: int, code: str) -> list[updates.HistoryItem]:
        return await self.store.run(updates.history, self.guilds_db, guild_id, code)

    async def set_setting(self, guild_id: int, key: str, value: str, by: int
                          ) -> guild_settings.GuildSettings:
        return await self.store.write(guild_settings.set_value, guild_id, key, value, by,
                                      self.known_parties)

    @staticmethod
    def setting_keys() -> dict[str, str]:
        return dict(guild_settings.KEYS)

    def parse_result(self, text: str) -> tuple[dict[str, int], str | None]:
        """`Lab=12000 Con=9000 2026-05-07` -> votes and date, or a clear refusal."""
        return updates.parse_votes(text, self.known_parties)

    async def subscribe(self, guild_id: int, user_id: int, code: str) -> bool:
        fingerprint = (await self.answer_seat(code, guild_id)).fingerprint
        return await self.store.write(subscriptions.subscribe, guild_id, user_id, code,
                                      fingerprint)

    async def unsubscribe(self, guild_id: int, user_id: int, code: str) -> bool:
        return await self.store.write(subscriptions.unsubscribe, guild_id, user_id, code)

    async def subscribers_to_tell(self, guild_id: int, code: str, fingerprint: str
                                  ) -> list[int]:
        """Subscribers to DM about a change, once each. Asked after the change is stored:
        if the database fails now, the change stands and nobody is told this time (they
        are at the next change, compared with what they were last told)."""
        try:
            return await self.store.write(subscriptions.due, guild_id, code, fingerprint)
        except StoreError as exc:
            log.warning("could not look up subscribers to tell: %s", exc)
            return []

    async def subscriber_told(self, guild_id: int, code: str, user_id: int,
                              fingerprint: str) -> None:
        await self._after_dm(subscriptions.told, guild_id, code, user_id, fingerprint)

    async def subscriber_refused(self, guild_id: int, code: str, user_id: int) -> None:
        await self._after_dm(subscriptions.refused, guild_id, code, user_id)

    async def _after_dm(self, fn: Callable[..., None], *args) -> None:
        """Record how a DM went. The update it was about is saved and announced by now: a
        failure here is logged, never reported as the update's (the DM is simply sent
        again at the next change)."""
        try:
            await self.store.write(fn, *args)
        except StoreError as exc:
            log.warning("could not record a subscriber's DM: %s", exc)
